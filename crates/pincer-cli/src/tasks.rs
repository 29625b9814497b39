//! `pincer tasks …`: background jobs. Reads (list, show, runs) open the data home's store
//! beside a running engine; every change goes to the data home's one engine as
//! [`Op::Job`], which checks it, so a running daemon or app schedules it at once.

use std::process::ExitCode;

use pincer_core::clock::{SystemWallClock, WallClock};
use pincer_core::protocol::{JobOp, Op, Reply};
use pincer_core::scheduler::JobInfo;
use pincer_core::store::{Run, Store};
use pincer_core::text::for_terminal_line;

use crate::cli::{Global, TasksArgs, TasksCommand};
use crate::context;
use crate::memory::submit;

pub async fn tasks(global: &Global, args: TasksArgs) -> anyhow::Result<ExitCode> {
    let change = match args.command {
        TasksCommand::Add {
            prompt,
            schedule,
            name,
            missed,
            lateness,
            timeout,
        } => {
            let mut options = serde_json::Map::new();
            if let Some(missed) = missed {
                options.insert("missed".to_owned(), missed_policy(&missed)?);
            }
            if let Some(lateness) = lateness {
                options.insert("lateness_secs".to_owned(), lateness.into());
            }
            if let Some(timeout) = timeout {
                options.insert("timeout_secs".to_owned(), timeout.into());
            }
            JobOp::Create {
                name: name.unwrap_or_else(|| default_name(&prompt)),
                prompt,
                schedule,
                options: Some(serde_json::Value::Object(options)),
            }
        }
        TasksCommand::Edit {
            id,
            name,
            prompt,
            schedule,
        } => JobOp::Update {
            id,
            name,
            prompt,
            schedule,
            options: None,
        },
        TasksCommand::Pause { id } => JobOp::Pause { id },
        TasksCommand::Resume { id } => JobOp::Resume { id },
        TasksCommand::Run { id } => JobOp::RunNow { id },
        TasksCommand::Rm { id } => JobOp::Delete { id },
        read => return read_only(&context::store(global)?, read),
    };
    let Some(reply) = submit(global, "pincer tasks", Op::Job { change }).await? else {
        return Ok(ExitCode::from(130));
    };
    match reply {
        Reply::Job { job } => println!("{}", line(&job)),
        Reply::RunQueued { run } => println!(
            "queued {} (it runs while the daemon or the desktop app runs)",
            run.id
        ),
        Reply::Accepted => println!("removed"),
        other => anyhow::bail!("unexpected answer from the engine: {other:?}"),
    }
    Ok(ExitCode::SUCCESS)
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

/// The prompt's first words, for a job given no name.
fn default_name(prompt: &str) -> String {
    let flat = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut name: String = flat.chars().take(40).collect();
    if flat.chars().count() > 40 {
        name.push('…');
    }
    name
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
    format!(
        "{}  {}  {}  {:?}  {}{reason}",
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
