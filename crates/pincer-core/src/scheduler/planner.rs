//! The scheduler's look at the clock: for every job, the instants due since it last
//! looked become ledger rows — runs, or records of what was not run and why — written with
//! the job's new `checked_until` in one transaction (`Store::plan_runs`). Looking twice
//! writes nothing twice; a crash between two looks loses nothing (the instants are still
//! after `checked_until`). A wall clock that jumped back finds nothing due until it passes
//! `checked_until` again; one that jumped forward (or a machine that slept) finds the
//! instants it passed, and the job's missed-run policy decides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Schedule;
use super::misfire::{self, MAX_RECORDED, Missed};
use crate::store::{Job, Run, Store, StoreError};

/// The most instants of one job looked at in one go (a job every minute, a year away).
const MAX_DUE: usize = 600_000;

/// When a job's runs run: what the scheduler reads from its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Timing {
    /// What runs of the instants missed while nothing ran.
    #[serde(default)]
    pub missed: Missed,
    /// How late a missed instant may still run, in seconds (default an hour).
    #[serde(default = "default_lateness")]
    pub lateness_secs: i64,
    /// A run longer than this is stopped (default: the runner's, 10 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
}

fn default_lateness() -> i64 {
    3600
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            missed: Missed::default(),
            lateness_secs: default_lateness(),
            timeout_secs: None,
        }
    }
}

impl Timing {
    pub fn of(job: &Job) -> Timing {
        serde_json::from_value(job.options.clone()).unwrap_or_default()
    }
}

/// Plans every job's instants due up to `now` (unix seconds); returns the rows written.
/// A job whose schedule no longer parses is left alone (it says so when listed).
pub fn plan_due(store: &Store, now: i64) -> Result<Vec<Run>, StoreError> {
    let mut written = Vec::new();
    for job in store.jobs()? {
        if job.paused || job.checked_until >= now {
            continue;
        }
        let Ok(schedule) = Schedule::parse(&job.schedule) else {
            tracing::warn!(
                job = job.id,
                schedule = job.schedule,
                "a job's schedule does not parse; it is not run"
            );
            continue;
        };
        let (Some(from), Some(to), Some(anchor)) = (
            DateTime::<Utc>::from_timestamp(job.checked_until, 0),
            DateTime::<Utc>::from_timestamp(now, 0),
            DateTime::<Utc>::from_timestamp(job.anchor, 0),
        ) else {
            continue;
        };
        let due: Vec<i64> = schedule
            .due(from, to, anchor, MAX_DUE)
            .into_iter()
            .map(|at| at.timestamp())
            .collect();
        let earlier = due.len().saturating_sub(MAX_RECORDED);
        let timing = Timing::of(&job);
        let planned = misfire::plan(
            &due[earlier..],
            earlier as u64,
            now,
            timing.missed,
            timing.lateness_secs,
        );
        // Nothing due: nothing to write (the window is looked at again next time, and a
        // transaction per job per look would be most of the scheduler's cost).
        if planned.is_empty() {
            continue;
        }
        written.extend(store.plan_runs(&job.id, &planned, now, now)?);
    }
    Ok(written)
}

/// The earliest instant (unix seconds) after `now` at which some job is due, so the
/// runner can wake then rather than at its next minute's look.
pub fn next_due(store: &Store, now: i64) -> Result<Option<i64>, StoreError> {
    let mut earliest: Option<i64> = None;
    for job in store.jobs()? {
        if job.paused {
            continue;
        }
        let Ok(schedule) = Schedule::parse(&job.schedule) else {
            continue;
        };
        let (Some(after), Some(anchor)) = (
            DateTime::<Utc>::from_timestamp(now.max(job.checked_until), 0),
            DateTime::<Utc>::from_timestamp(job.anchor, 0),
        ) else {
            continue;
        };
        if let Some(next) = schedule.next_after(after, anchor) {
            let next = next.timestamp();
            earliest = Some(earliest.map_or(next, |e| e.min(next)));
        }
    }
    Ok(earliest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewJob, RunStatus, Trigger};

    /// 2026-12-07T00:00:00Z.
    const T0: i64 = 1_796_601_600;
    const MIN: i64 = 60;

    fn job(store: &Store, schedule: &str, options: serde_json::Value) -> Job {
        store
            .create_job(
                &NewJob {
                    name: "j".to_owned(),
                    prompt: "p".to_owned(),
                    schedule: schedule.to_owned(),
                    options,
                },
                T0,
            )
            .unwrap()
    }

    fn summary(runs: &[Run]) -> Vec<(i64, RunStatus, Trigger)> {
        runs.iter()
            .map(|r| ((r.scheduled_for.unwrap() - T0) / MIN, r.status, r.trigger))
            .collect()
    }

    #[test]
    fn each_instant_is_planned_once_as_the_clock_moves() {
        let store = Store::in_memory().unwrap();
        job(&store, "every 20m", serde_json::json!({}));
        assert!(plan_due(&store, T0 + 10 * MIN).unwrap().is_empty());
        let first = plan_due(&store, T0 + 20 * MIN + 5).unwrap();
        assert_eq!(
            summary(&first),
            [(20, RunStatus::Queued, Trigger::Schedule)]
        );
        // Looking again at the same time, or a little later, adds nothing.
        assert!(plan_due(&store, T0 + 20 * MIN + 5).unwrap().is_empty());
        assert!(plan_due(&store, T0 + 30 * MIN).unwrap().is_empty());
        let second = plan_due(&store, T0 + 40 * MIN + 30).unwrap();
        assert_eq!(
            summary(&second),
            [(40, RunStatus::Queued, Trigger::Schedule)]
        );
    }

    #[test]
    fn after_a_stop_the_policy_decides_and_every_instant_is_recorded() {
        let store = Store::in_memory().unwrap();
        job(
            &store,
            "every 1h",
            serde_json::json!({"missed": {"policy": "once"}, "lateness_secs": 7200}),
        );
        // Pincer was stopped from just after the start until five and a half hours later.
        let runs = plan_due(&store, T0 + 330 * MIN).unwrap();
        assert_eq!(
            summary(&runs),
            [
                (60, RunStatus::Missed, Trigger::Schedule),
                (120, RunStatus::Missed, Trigger::Schedule),
                (180, RunStatus::Missed, Trigger::Schedule),
                (240, RunStatus::Skipped, Trigger::Schedule),
                (300, RunStatus::Queued, Trigger::CatchUp),
            ]
        );
    }

    #[test]
    fn a_clock_that_jumps_back_runs_nothing_twice_and_one_that_jumps_forward_catches_up() {
        let store = Store::in_memory().unwrap();
        job(
            &store,
            "cron \"0 9 * * *\" Europe/Lisbon",
            serde_json::json!({}),
        );
        let day = 86_400;
        // 09:00 Lisbon (UTC in winter) on the first day.
        let nine = T0 + 9 * 3600;
        assert_eq!(plan_due(&store, nine + 30).unwrap().len(), 1);
        // The wall clock is set back an hour, then comes past 09:00 again: nothing new.
        assert!(plan_due(&store, nine - 3600).unwrap().is_empty());
        assert!(plan_due(&store, nine + 60).unwrap().is_empty());
        // It jumps three days ahead: the latest missed 09:00 is more than an hour late, so
        // nothing runs and each is recorded missed.
        let runs = plan_due(&store, nine + 3 * day + 2 * 3600).unwrap();
        assert_eq!(runs.len(), 3);
        assert!(
            runs.iter().all(|r| r.status == RunStatus::Missed),
            "{runs:?}"
        );
    }

    #[test]
    fn the_next_due_instant_is_the_earliest_of_the_running_jobs() {
        let store = Store::in_memory().unwrap();
        assert_eq!(next_due(&store, T0).unwrap(), None);
        job(&store, "every 20m", serde_json::json!({}));
        let soon = job(&store, "every 5m", serde_json::json!({}));
        assert_eq!(next_due(&store, T0 + 60).unwrap(), Some(T0 + 5 * MIN));
        store.set_job_paused(&soon.id, true, T0 + 60).unwrap();
        assert_eq!(next_due(&store, T0 + 60).unwrap(), Some(T0 + 20 * MIN));
    }

    #[test]
    fn paused_jobs_and_broken_schedules_plan_nothing() {
        let store = Store::in_memory().unwrap();
        let paused = job(&store, "every 5m", serde_json::json!({}));
        store.set_job_paused(&paused.id, true, T0).unwrap();
        job(&store, "every fortnight maybe", serde_json::json!({}));
        assert!(plan_due(&store, T0 + 60 * MIN).unwrap().is_empty());
    }
}
