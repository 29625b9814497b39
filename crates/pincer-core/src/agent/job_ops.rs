//! The engine's answers to [`Op::Job`]: every surface (and the `schedule` tool, when it
//! comes) creates and changes background jobs through here, so the checks live in one
//! place — a schedule that does not parse is refused with what to write instead.
//!
//! [`Op::Job`]: crate::protocol::Op::Job

use crate::protocol::{JobOp, OpError, OpErrorKind, Reply};
use crate::scheduler::{JobInfo, JobOptions, Schedule};
use crate::store::{Job, NewJob, RunEnd, RunStatus, Store, Trigger};

const MAX_NAME_CHARS: usize = 100;
const MAX_PROMPT_CHARS: usize = 8000;

fn internal(e: impl std::fmt::Display) -> OpError {
    OpError::new(OpErrorKind::Internal, e.to_string())
}

fn invalid(message: impl Into<String>) -> OpError {
    OpError::new(OpErrorKind::Invalid, message)
}

fn not_found(id: &str) -> OpError {
    OpError::new(
        OpErrorKind::NotFound,
        format!("there is no job {id:?} (see `pincer tasks list`)"),
    )
}

fn checked_text(what: &str, text: &str, max: usize) -> Result<String, OpError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(format!("the job's {what} is empty")));
    }
    if text.chars().count() > max {
        return Err(invalid(format!(
            "the job's {what} is longer than {max} characters"
        )));
    }
    Ok(text.to_owned())
}

fn checked_schedule(spec: &str) -> Result<String, OpError> {
    Schedule::parse(spec).map_err(|e| invalid(e.to_string()))?;
    Ok(spec.trim().to_owned())
}

fn checked_options(options: Option<serde_json::Value>) -> Result<serde_json::Value, OpError> {
    let options = options.unwrap_or_else(|| serde_json::json!({}));
    JobOptions::parse(&options).map_err(invalid)?;
    Ok(options)
}

/// What cancelling a run takes.
pub(crate) enum Cancel {
    /// It was queued and is now recorded `cancelled`.
    Ended,
    /// It runs in this session: interrupt its turn.
    Interrupt(String),
}

/// Cancels run `id` at `now`: a queued run ends here; a running one is to be interrupted.
pub(crate) fn cancel_run(store: &Store, id: &str, now: i64) -> Result<Cancel, OpError> {
    let run = store.run(id).map_err(internal)?.ok_or_else(|| {
        OpError::new(
            OpErrorKind::NotFound,
            format!("there is no run {id:?} (see `pincer tasks runs`)"),
        )
    })?;
    match run.status {
        RunStatus::Queued => {
            let end = RunEnd {
                status: RunStatus::Cancelled,
                reason: Some("cancelled before it started".to_owned()),
                input_tokens: 0,
                output_tokens: 0,
                cost_usd: None,
                output: None,
            };
            if store.end_run(id, &end, now).map_err(internal)? {
                return Ok(Cancel::Ended);
            }
            // Claimed meanwhile: it runs now.
            cancel_run(store, id, now)
        }
        RunStatus::Running | RunStatus::WaitingApproval => Ok(Cancel::Interrupt(
            run.session_id.unwrap_or_else(|| run.id.clone()),
        )),
        ended => Err(invalid(format!(
            "the run has already ended ({})",
            ended.as_str()
        ))),
    }
}

fn info(job: Job, now: i64) -> Reply {
    Reply::Job {
        job: Box::new(JobInfo::of(job, now)),
    }
}

/// Carries out `change` at `now` (unix seconds of the engine's wall clock).
pub(crate) fn apply(store: &Store, change: JobOp, now: i64) -> Result<Reply, OpError> {
    match change {
        JobOp::Create {
            name,
            prompt,
            schedule,
            options,
        } => {
            let new = NewJob {
                name: checked_text("name", &name, MAX_NAME_CHARS)?,
                prompt: checked_text("prompt", &prompt, MAX_PROMPT_CHARS)?,
                schedule: checked_schedule(&schedule)?,
                options: checked_options(options)?,
            };
            Ok(info(store.create_job(&new, now).map_err(internal)?, now))
        }
        JobOp::Update {
            id,
            name,
            prompt,
            schedule,
            options,
        } => {
            let old = store
                .job(&id)
                .map_err(internal)?
                .ok_or_else(|| not_found(&id))?;
            let new = NewJob {
                name: match name {
                    Some(name) => checked_text("name", &name, MAX_NAME_CHARS)?,
                    None => old.name,
                },
                prompt: match prompt {
                    Some(prompt) => checked_text("prompt", &prompt, MAX_PROMPT_CHARS)?,
                    None => old.prompt,
                },
                schedule: match schedule {
                    Some(schedule) => checked_schedule(&schedule)?,
                    None => old.schedule,
                },
                options: match options {
                    Some(options) => checked_options(Some(options))?,
                    None => old.options,
                },
            };
            let job = store
                .update_job(&id, &new, now)
                .map_err(internal)?
                .ok_or_else(|| not_found(&id))?;
            Ok(info(job, now))
        }
        JobOp::Pause { id } => pause(store, &id, true, now),
        JobOp::Resume { id } => pause(store, &id, false, now),
        JobOp::Delete { id } => {
            if !store.delete_job(&id, now).map_err(internal)? {
                return Err(not_found(&id));
            }
            Ok(Reply::Accepted)
        }
        JobOp::CancelRun { run } => {
            // The engine cancels runs itself (it may have to interrupt a turn).
            Err(internal(format!("cancelling {run} is the engine's to do")))
        }
        JobOp::RunNow { id } => {
            let run = store
                .queue_run_now(&id, Trigger::Manual, now)
                .map_err(internal)?
                .ok_or_else(|| not_found(&id))?;
            Ok(Reply::RunQueued { run: Box::new(run) })
        }
    }
}

fn pause(store: &Store, id: &str, paused: bool, now: i64) -> Result<Reply, OpError> {
    if !store.set_job_paused(id, paused, now).map_err(internal)? {
        return Err(not_found(id));
    }
    let job = store
        .job(id)
        .map_err(internal)?
        .ok_or_else(|| not_found(id))?;
    Ok(info(job, now))
}
