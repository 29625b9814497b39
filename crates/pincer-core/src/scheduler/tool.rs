//! `schedule`: the agent creates, lists, changes, deletes and runs background jobs from a
//! conversation ("remind me every Monday at 9 to …"). It goes through the engine's own job
//! changes ([`Jobs::apply`], the code behind `Op::Job`), so what it creates is checked as a
//! surface's request is, and it answers with the job read back in plain words and its next
//! run, for the model to tell the user.
//!
//! Listed on request (one line in `use_tool`). Listing is free; every change asks the user
//! (the approval shows the job in words), since a job spends and acts while nobody watches.

use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{JobInfo, Schedule};
use crate::agent::job_ops;
use crate::clock::WallClock;
use crate::protocol::{JobOp, OpError, Reply};
use crate::store::Store;
use crate::sync::read;
use crate::tools::{
    Access, Disclosure, ToolError, ToolOutput, ToolSettings, TypedTool, text_output,
};

/// Jobs as the engine changes them: the store, the wall clock they are stamped by, and the
/// scheduler's wake-up. Shared by the engine (`Op::Job`) and the `schedule` tool.
pub(crate) struct Jobs {
    pub(crate) store: Arc<Store>,
    pub(crate) clock: RwLock<Arc<dyn WallClock>>,
    pub(crate) changed: Arc<tokio::sync::Notify>,
}

impl Jobs {
    pub(crate) fn now(&self) -> i64 {
        read(&self.clock).unix_now()
    }

    /// Carries out `change` now and wakes the scheduler when it changed something.
    pub(crate) fn apply(&self, change: JobOp) -> Result<Reply, OpError> {
        let reply = job_ops::apply(&self.store, change, self.now());
        if reply.is_ok() {
            self.changed.notify_one();
        }
        reply
    }
}

pub struct ScheduleTool {
    pub(crate) jobs: Arc<Jobs>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    List,
    Update,
    Delete,
    RunNow,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleArgs {
    action: Action,
    /// The job's id (`job-…`), for update, delete and run_now.
    #[serde(default)]
    id: Option<String>,
    /// A short name.
    #[serde(default)]
    name: Option<String>,
    /// What to do at each run, as an instruction to yourself; for a reminder, the words
    /// to deliver.
    #[serde(default)]
    prompt: Option<String>,
    /// `in 20m`, `every 2h`, `cron "0 9 * * MON"` (the user's time zone unless one is
    /// given after it), `at 2026-12-08T09:00` (local time), `at startup`.
    #[serde(default)]
    schedule: Option<String>,
    /// True: deliver `prompt` as written at each run (a reminder), asking no model.
    #[serde(default)]
    reminder: Option<bool>,
}

pub struct SchedulePlan {
    change: Option<JobOp>,
}

impl TypedTool for ScheduleTool {
    type Args = ScheduleArgs;
    type Plan = SchedulePlan;

    fn name(&self) -> &'static str {
        "schedule"
    }

    fn description(&self) -> &'static str {
        "Create, list, update, delete or run now background jobs and reminders. Runs happen later without the user watching; a reminder delivers its text as written. Tell the user the job's schedule and next run exactly as this tool returns them."
    }

    fn disclosure(&self) -> Disclosure {
        Disclosure::OnRequest
    }

    fn index_group(&self) -> Option<&str> {
        Some("timed jobs, reminders")
    }

    fn plan(
        &self,
        args: ScheduleArgs,
        _settings: &ToolSettings,
    ) -> Result<(Access, SchedulePlan), ToolError> {
        let invalid = ToolError::InvalidArguments;
        let now = self.jobs.now();
        let id = || {
            args.id
                .clone()
                .ok_or_else(|| invalid("update, delete and run_now need the job's `id`".to_owned()))
        };
        let schedule = args
            .schedule
            .as_deref()
            .map(|spec| with_local_zone(spec, now))
            .transpose()
            .map_err(invalid)?;
        let (change, summary) = match args.action {
            Action::List => {
                return Ok((
                    Access::Jobs {
                        change: false,
                        summary: "list the background jobs".to_owned(),
                    },
                    SchedulePlan { change: None },
                ));
            }
            Action::Create => {
                let prompt = args
                    .prompt
                    .clone()
                    .ok_or_else(|| invalid("create needs a `prompt`".to_owned()))?;
                let schedule =
                    schedule.ok_or_else(|| invalid("create needs a `schedule`".to_owned()))?;
                let words = in_words(&schedule, now);
                let name = args
                    .name
                    .clone()
                    .unwrap_or_else(|| crate::text::first_line(&prompt, 40));
                let kind = if args.reminder == Some(true) {
                    "a reminder"
                } else {
                    "a job"
                };
                let options = args.reminder.map(|reminder| {
                    serde_json::json!({"kind": if reminder { "reminder" } else { "agent" }})
                });
                let summary = format!(
                    "create {kind} \"{name}\", {words}: {}",
                    crate::text::first_line(&prompt, 120)
                );
                (
                    JobOp::Create {
                        name,
                        prompt,
                        schedule,
                        options,
                    },
                    summary,
                )
            }
            Action::Update => {
                let id = id()?;
                let summary = match &schedule {
                    Some(spec) => format!("change job {id} to run {}", in_words(spec, now)),
                    None => format!("change job {id}"),
                };
                // Options change as a whole: the job's own, with only its kind changed.
                let options = match args.reminder {
                    None => None,
                    Some(reminder) => {
                        let job = self
                            .jobs
                            .store
                            .job(&id)
                            .map_err(|e| ToolError::Failed(format!("could not read the job: {e}")))?
                            .ok_or_else(|| invalid(format!("there is no job {id:?}")))?;
                        let mut options = job.options;
                        options["kind"] = if reminder { "reminder" } else { "agent" }.into();
                        Some(options)
                    }
                };
                (
                    JobOp::Update {
                        id,
                        name: args.name.clone(),
                        prompt: args.prompt.clone(),
                        schedule,
                        options,
                    },
                    summary,
                )
            }
            Action::Delete => {
                let id = id()?;
                (JobOp::Delete { id: id.clone() }, format!("delete job {id}"))
            }
            Action::RunNow => {
                let id = id()?;
                (
                    JobOp::RunNow { id: id.clone() },
                    format!("run job {id} now"),
                )
            }
        };
        Ok((
            Access::Jobs {
                change: true,
                summary,
            },
            SchedulePlan {
                change: Some(change),
            },
        ))
    }

    fn run<'a>(
        &'a self,
        plan: SchedulePlan,
        _settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let Some(change) = plan.change else {
                return self.list();
            };
            match self.jobs.apply(change) {
                Ok(Reply::Job { job }) => Ok(line(&job)),
                Ok(Reply::RunQueued { run }) => Ok(format!(
                    "queued {}: it starts within a minute while Pincer runs",
                    run.id
                )),
                Ok(_) => Ok("deleted (its past runs stay in the ledger)".to_owned()),
                Err(e) => Err(ToolError::Failed(e.message)),
            }
        }))
    }
}

impl ScheduleTool {
    fn list(&self) -> Result<String, ToolError> {
        let now = self.jobs.now();
        let jobs = self
            .jobs
            .store
            .jobs()
            .map_err(|e| ToolError::Failed(format!("could not read the jobs: {e}")))?;
        if jobs.is_empty() {
            return Ok("no jobs".to_owned());
        }
        Ok(jobs
            .into_iter()
            .map(|job| line(&JobInfo::of(job, now)))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

/// A job as the model should say it back.
fn line(info: &JobInfo) -> String {
    let kind = if super::JobOptions::of(&info.job.options).kind == super::JobKind::Reminder {
        "reminder"
    } else {
        "job"
    };
    let problem = info
        .problem
        .as_deref()
        .map(|p| format!(" — cannot run: {p}"))
        .unwrap_or_default();
    format!(
        "{kind} {} \"{}\": {}{problem}",
        info.job.id, info.job.name, info.description
    )
}

fn in_words(spec: &str, now: i64) -> String {
    super::preview(spec, now)
        .map(|(words, _)| words)
        .unwrap_or_else(|_| spec.to_owned())
}

/// Makes what a model writes into a schedule spec: `in 20m` becomes a time, and a cron or
/// a local time without a zone gets the machine's zone (the user's, on their computer).
fn with_local_zone(spec: &str, now: i64) -> Result<String, String> {
    let spec = spec.trim();
    if let Some(after) = spec.strip_prefix("in ") {
        let secs = humantime::parse_duration(&after.replace(' ', ""))
            .map_err(|e| format!("{spec:?}: {e} (write e.g. `in 20m`, `in 2h`)"))?
            .as_secs();
        let at = i64::try_from(secs)
            .ok()
            .and_then(|secs| now.checked_add(secs))
            .and_then(|at| chrono::DateTime::<chrono::Utc>::from_timestamp(at, 0))
            .ok_or_else(|| format!("{spec:?} is too far ahead"))?;
        return Ok(format!("at {}", at.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    match Schedule::parse(spec) {
        Ok(_) => Ok(spec.to_owned()),
        Err(first) => {
            let zoned = iana_time_zone::get_timezone()
                .ok()
                .map(|zone| format!("{spec} {zone}"))
                .filter(|zoned| Schedule::parse(zoned).is_ok());
            zoned.ok_or_else(|| first.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualWallClock;
    use crate::store::NewJob;

    #[tokio::test]
    async fn turning_a_job_into_a_reminder_keeps_its_other_options() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&tmp.path().join("pincer.db")).unwrap());
        let job = store
            .create_job(
                &NewJob {
                    name: "Plants".to_owned(),
                    prompt: "Water the plants".to_owned(),
                    schedule: "every 1d".to_owned(),
                    options: serde_json::json!({"spend_cap_usd": 0.5, "delivery": "none"}),
                },
                1_796_637_600,
            )
            .unwrap();
        let tool = ScheduleTool {
            jobs: Arc::new(Jobs {
                store: Arc::clone(&store),
                clock: RwLock::new(Arc::new(ManualWallClock::at(1_796_637_600))),
                changed: Arc::new(tokio::sync::Notify::new()),
            }),
        };
        let settings = ToolSettings::new(tmp.path().to_path_buf());
        let args: ScheduleArgs = serde_json::from_value(serde_json::json!({
            "action": "update", "id": job.id, "reminder": true
        }))
        .unwrap();
        let (access, plan) = tool.plan(args, &settings).unwrap();
        assert!(matches!(access, Access::Jobs { change: true, .. }));
        let said = tool.run(plan, &settings).await.unwrap();
        assert!(format!("{said:?}").contains("reminder"), "{said:?}");
        let options = store.job(&job.id).unwrap().unwrap().options;
        assert_eq!(
            options,
            serde_json::json!({"spend_cap_usd": 0.5, "delivery": "none", "kind": "reminder"})
        );
    }

    #[test]
    fn relative_times_become_instants_and_zoneless_specs_get_the_local_zone() {
        let now = 1_796_637_600; // Mon 7 Dec 2026 10:00 UTC
        assert_eq!(
            with_local_zone("in 20m", now).unwrap(),
            "at 2026-12-07T10:20:00Z"
        );
        assert_eq!(
            with_local_zone("in 1h 30m", now).unwrap(),
            "at 2026-12-07T11:30:00Z"
        );
        assert!(with_local_zone("in soon", now).is_err());
        let far = with_local_zone("in 500000000000000000s", now).unwrap_err();
        assert!(far.contains("too far ahead"), "{far}");
        assert_eq!(with_local_zone("every 2h", now).unwrap(), "every 2h");
        let zoned = with_local_zone("cron \"0 9 * * MON\"", now).unwrap();
        assert!(zoned.starts_with("cron \"0 9 * * MON\" "), "{zoned}");
        assert!(Schedule::parse(&zoned).is_ok());
        let err = with_local_zone("every fortnight", now).unwrap_err();
        assert!(err.contains("every 20m"), "{err}");
    }
}
