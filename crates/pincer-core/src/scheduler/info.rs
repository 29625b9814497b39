//! A job as surfaces show it: the stored job, its schedule in words and its next run.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Schedule;
use crate::store::Job;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobInfo {
    pub job: Job,
    /// "every Monday at 09:00 Europe/Lisbon, next run Mon 7 Dec 09:00".
    pub description: String,
    /// Unix seconds; none when paused, done (a one-shot that ran) or at start-up only.
    pub next_run: Option<i64>,
    /// Why the stored schedule cannot be used, if it cannot.
    pub problem: Option<String>,
}

impl JobInfo {
    /// `job` as of `now` (unix seconds).
    pub fn of(job: Job, now: i64) -> JobInfo {
        let schedule = match Schedule::parse(&job.schedule) {
            Ok(schedule) => schedule,
            Err(e) => {
                return JobInfo {
                    description: job.schedule.clone(),
                    next_run: None,
                    problem: Some(e.to_string()),
                    job,
                };
            }
        };
        let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0);
        let next = match (at(now.max(job.checked_until)), at(job.anchor)) {
            (Some(after), Some(anchor)) if !job.paused => schedule.next_after(after, anchor),
            _ => None,
        };
        let mut description = schedule.describe(next);
        if job.paused {
            description.push_str(" (paused)");
        }
        JobInfo {
            description,
            next_run: next.map(|n| n.timestamp()),
            problem: None,
            job,
        }
    }
}
