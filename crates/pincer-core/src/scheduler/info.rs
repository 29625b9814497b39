//! A job as surfaces show it: the stored job, its schedule in words and its next run.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Schedule, ScheduleError};
use crate::store::Job;

/// How many upcoming runs a job or a preview lists.
pub const UPCOMING: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobInfo {
    pub job: Job,
    /// "every Monday at 09:00 Europe/Lisbon, next run Mon 7 Dec 09:00".
    pub description: String,
    /// Unix seconds; none when paused, done (a one-shot that ran) or at start-up only.
    pub next_run: Option<i64>,
    /// The next runs (unix seconds), at most five, the first being `next_run`.
    pub upcoming: Vec<i64>,
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
                    upcoming: Vec::new(),
                    problem: Some(e.to_string()),
                    job,
                };
            }
        };
        let upcoming = if job.paused {
            Vec::new()
        } else {
            upcoming(&schedule, now.max(job.checked_until), job.anchor)
        };
        let next = upcoming
            .first()
            .and_then(|at| DateTime::<Utc>::from_timestamp(*at, 0));
        let mut description = schedule.describe(next);
        if job.paused {
            description.push_str(" (paused)");
        }
        JobInfo {
            description,
            next_run: next.map(|n| n.timestamp()),
            upcoming,
            problem: None,
            job,
        }
    }
}

/// The next [`UPCOMING`] runs of `schedule` after `after`, for a job anchored at `anchor`
/// (unix seconds).
fn upcoming(schedule: &Schedule, after: i64, anchor: i64) -> Vec<i64> {
    let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0);
    let (Some(mut after), Some(anchor)) = (at(after), at(anchor)) else {
        return Vec::new();
    };
    let mut runs = Vec::with_capacity(UPCOMING);
    while runs.len() < UPCOMING {
        let Some(next) = schedule.next_after(after, anchor) else {
            break;
        };
        runs.push(next.timestamp());
        after = next;
    }
    runs
}

/// How `spec` reads back and its next runs, for a job made at `now` (unix seconds):
/// what the schedule builder shows before anything is saved.
pub fn preview(spec: &str, now: i64) -> Result<(String, Vec<i64>), ScheduleError> {
    let schedule = Schedule::parse(spec)?;
    let runs = upcoming(&schedule, now, now);
    let next = runs
        .first()
        .and_then(|at| DateTime::<Utc>::from_timestamp(*at, 0));
    Ok((schedule.describe(next), runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_lists_the_next_five_runs_in_the_zone_of_the_schedule() {
        // Mon 7 Dec 2026 10:00 UTC.
        let now = 1_796_637_600;
        let (words, runs) = preview("cron \"0 9 * * 1\" Europe/Lisbon", now).unwrap();
        assert!(
            words.starts_with("every Monday at 09:00 Europe/Lisbon"),
            "{words}"
        );
        assert_eq!(runs.len(), 5);
        assert!(runs.windows(2).all(|w| w[1] - w[0] == 7 * 86_400));
        assert!(runs[0] > now && runs[0] - now < 7 * 86_400);
        let (_, every) = preview("every 20m", now).unwrap();
        assert_eq!(every, (1..=5).map(|k| now + k * 1200).collect::<Vec<_>>());
        let (words, none) = preview("at startup", now).unwrap();
        assert!(none.is_empty() && words == "at start-up", "{words}");
        assert!(preview("every fortnight", now).is_err());
    }
}
