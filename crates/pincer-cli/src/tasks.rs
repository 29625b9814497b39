//! `pincer tasks …`: background jobs. Reads (list, show, runs) open the data home's store
//! beside a running engine; every change goes to the data home's one engine as
//! [`Op::Job`], which checks it, so a running daemon or app schedules it at once.

use std::process::ExitCode;

use pincer_core::clock::{SystemWallClock, WallClock};
use pincer_core::protocol::{JobOp, Op, Reply};
use pincer_core::scheduler::JobInfo;
use pincer_core::store::{Run, Store};
use pincer_core::text::for_terminal_line;

use crate::cli::{Global, JobOptionArgs, TasksArgs, TasksCommand};
use crate::context;
use crate::memory::submit;

pub async fn tasks(global: &Global, args: TasksArgs) -> anyhow::Result<ExitCode> {
    let change = match args.command {
        TasksCommand::Add {
            prompt,
            schedule,
            name,
            reminder,
            options,
        } => {
            let mut map = serde_json::Map::new();
            if reminder {
                map.insert("kind".to_owned(), "reminder".into());
            }
            apply_options(&mut map, options)?;
            JobOp::Create {
                // As the `schedule` tool names a job given none.
                name: name.unwrap_or_else(|| pincer_core::text::first_line(&prompt, 40)),
                prompt,
                schedule,
                options: Some(serde_json::Value::Object(map)),
            }
        }
        TasksCommand::Edit {
            id,
            name,
            prompt,
            schedule,
            options,
        } => {
            let given = options.missed.is_some()
                || options.lateness.is_some()
                || options.timeout.is_some()
                || options.unattended.is_some()
                || !options.allow.is_empty()
                || options.deliver.is_some()
                || options.spend_cap.is_some()
                || options.model.is_some()
                || options.skill.is_some();
            // Options change as a whole: the job's current ones with the given ones over them.
            let options = if given {
                let store = context::store(global)?;
                let Some(job) = store.job(&id)? else {
                    anyhow::bail!("there is no job {id:?} (see `pincer tasks list`)");
                };
                let mut map = job.options.as_object().cloned().unwrap_or_default();
                apply_options(&mut map, options)?;
                Some(serde_json::Value::Object(map))
            } else {
                None
            };
            JobOp::Update {
                id,
                name,
                prompt,
                schedule,
                options,
            }
        }
        TasksCommand::Cancel { run } => JobOp::CancelRun { run },
        TasksCommand::Pause { id } => JobOp::Pause { id },
        TasksCommand::Resume { id } => JobOp::Resume { id },
        TasksCommand::Run { id } => JobOp::RunNow { id },
        TasksCommand::Rm { id } => JobOp::Delete { id },
        read => return read_only(&context::store(global)?, read),
    };
    let cancel = matches!(change, JobOp::CancelRun { .. });
    let Some(reply) = submit(global, "pincer tasks", Op::Job { change }).await? else {
        return Ok(ExitCode::from(130));
    };
    match reply {
        Reply::Job { job } => println!("{}", line(&job)),
        Reply::RunQueued { run } => println!(
            "queued {} (it runs while the daemon or the desktop app runs)",
            run.id
        ),
        Reply::Accepted if cancel => println!("cancelled"),
        Reply::Accepted => println!("removed"),
        other => anyhow::bail!("unexpected answer from the engine: {other:?}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the options given on the command line into `map` (the engine checks them).
fn apply_options(
    map: &mut serde_json::Map<String, serde_json::Value>,
    args: JobOptionArgs,
) -> anyhow::Result<()> {
    if let Some(missed) = args.missed {
        map.insert("missed".to_owned(), missed_policy(&missed)?);
    }
    if let Some(lateness) = args.lateness {
        map.insert("lateness_secs".to_owned(), lateness.into());
    }
    if let Some(timeout) = args.timeout {
        map.insert("timeout_secs".to_owned(), timeout.into());
    }
    if args.unattended.is_some() || !args.allow.is_empty() {
        let mut approvals = map
            .get("approvals")
            .and_then(|a| a.as_object().cloned())
            .unwrap_or_default();
        if let Some(mode) = args.unattended {
            approvals.insert("mode".to_owned(), mode.into());
        }
        if !args.allow.is_empty() {
            approvals.insert("allow".to_owned(), args.allow.into());
        }
        map.insert("approvals".to_owned(), approvals.into());
    }
    if let Some(deliver) = args.deliver {
        map.insert("delivery".to_owned(), deliver.into());
    }
    if let Some(cap) = args.spend_cap {
        map.insert("spend_cap_usd".to_owned(), cap.into());
    }
    if let Some(model) = args.model {
        map.insert("model".to_owned(), model.into());
    }
    if let Some(skill) = args.skill {
        map.insert("skill".to_owned(), skill.into());
    }
    Ok(())
}

/// `skip`, `once` or `each:N` as the options' JSON.
fn missed_policy(text: &str) -> anyhow::Result<serde_json::Value> {
    Ok(match text.trim() {
        "skip" => serde_json::json!({"policy": "skip"}),
        "once" => serde_json::json!({"policy": "once"}),
        other => match other.strip_prefix("each:").map(str::parse::<u32>) {
            Some(Ok(n)) if n > 0 => serde_json::json!({"policy": "each", "up_to": n}),
            _ => anyhow::bail!("--missed {other:?}: use skip, once or each:N (N ≥ 1)"),
        },
    })
}

fn line(info: &JobInfo) -> String {
    let problem = info
        .problem
        .as_deref()
        .map(|p| format!("  [cannot run: {p}]"))
        .unwrap_or_default();
    format!(
        "{}  {}  {}{problem}",
        info.job.id,
        for_terminal_line(&info.job.name),
        for_terminal_line(&info.description)
    )
}

fn run_line(run: &Run) -> String {
    let when = run
        .scheduled_for
        .or(run.started_at)
        .unwrap_or(run.queued_at);
    let reason = run
        .reason
        .as_deref()
        .map(|r| format!("  {}", for_terminal_line(r)))
        .unwrap_or_default();
    let spent = match (run.input_tokens + run.output_tokens, run.cost_usd) {
        (0, _) => String::new(),
        (tokens, Some(cost)) => format!("  {tokens} tokens ${cost:.4}"),
        (tokens, None) => format!("  {tokens} tokens"),
    };
    format!(
        "{}  {}  {}  {:?}  {}{spent}{reason}",
        run.id,
        run.job_id,
        pincer_core::store::rfc3339(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(when.max(0) as u64)
        ),
        run.trigger,
        run.status.as_str(),
    )
}

fn read_only(store: &Store, command: TasksCommand) -> anyhow::Result<ExitCode> {
    let now = SystemWallClock.unix_now();
    match command {
        TasksCommand::List { json } => {
            let jobs: Vec<JobInfo> = store
                .jobs()?
                .into_iter()
                .map(|job| JobInfo::of(job, now))
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&jobs)?);
            } else if jobs.is_empty() {
                println!(
                    "no jobs yet: `pincer tasks add --schedule \"every 1h\" \"check the price of …\"`"
                );
            } else {
                for job in &jobs {
                    println!("{}", line(job));
                }
            }
        }
        TasksCommand::Show { id, json } => {
            let Some(job) = store.job(&id)? else {
                anyhow::bail!("there is no job {id:?} (see `pincer tasks list`)");
            };
            let info = JobInfo::of(job, now);
            let runs = store.runs(Some(&id), 20)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"job": info, "runs": runs}))?
                );
            } else {
                println!("{}", line(&info));
                println!("prompt: {}", for_terminal_line(&info.job.prompt));
                for run in &runs {
                    println!("  {}", run_line(run));
                }
            }
        }
        TasksCommand::Runs { id, limit, json } => {
            let runs = store.runs(id.as_deref(), limit.clamp(1, 1000))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else {
                for run in &runs {
                    println!("{}", run_line(run));
                }
            }
        }
        change => anyhow::bail!("{change:?} is a change: it goes through the engine"),
    }
    Ok(ExitCode::SUCCESS)
}
