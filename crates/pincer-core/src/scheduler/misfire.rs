//! What becomes of the instants a job was due at while nothing ran it — the process was
//! stopped, the machine slept, the wall clock jumped — decided once, when the scheduler
//! next looks, and written to the ledger either way (a run, or a `skipped` / `missed`
//! row that says why): never silently dropped, never run twice.
//!
//! An instant the scheduler reaches within [`GRACE`] of its time is simply on time.
//! Later than that it was missed, and the job's policy says what runs:
//!
//! - `skip`: none; each is recorded `skipped`.
//! - `once` (the default): the latest, if it is within the job's lateness window;
//!   the others are recorded `skipped`.
//! - `each` up to N: the latest N within the window, oldest first; the others `skipped`.
//!
//! Whatever is later than the lateness window is recorded `missed` and never runs: a
//! "remind me at 9" run at 3 in the afternoon helps no one.

use serde::{Deserialize, Serialize};

use crate::store::{Planned, RunStatus, Trigger};

/// How late an instant may be found and still count as on time: the scheduler looks at
/// least every 60 s.
pub const GRACE: i64 = 120;

/// At most this many instants of one job are recorded one by one after a long absence (a
/// job every minute, off for a week); the oldest recorded one says how many more there
/// were.
pub const MAX_RECORDED: usize = 100;

/// A job's missed-run policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum Missed {
    Skip,
    #[default]
    Once,
    Each {
        up_to: u32,
    },
}

/// The ledger rows for the instants `due` (oldest first, all in the past of `now`; there
/// were `earlier` more before the first), by `policy` with `lateness` seconds of window.
pub fn plan(due: &[i64], earlier: u64, now: i64, policy: Missed, lateness: i64) -> Vec<Planned> {
    let late = |at: i64| now - at > GRACE;
    let in_window = |at: i64| now - at <= lateness.max(GRACE);
    // The missed instants within the window that the policy runs: the latest ones.
    let runs_missed = match policy {
        Missed::Skip => 0,
        Missed::Once => 1,
        Missed::Each { up_to } => up_to as usize,
    };
    let catch_up: Vec<i64> = due
        .iter()
        .rev()
        .copied()
        .filter(|at| late(*at) && in_window(*at))
        .take(runs_missed)
        .collect();
    let mut planned: Vec<Planned> = due
        .iter()
        .map(|&at| {
            let (trigger, status, reason) = if !late(at) {
                (Trigger::Schedule, RunStatus::Queued, None)
            } else if catch_up.contains(&at) {
                (Trigger::CatchUp, RunStatus::Queued, None)
            } else if !in_window(at) {
                (
                    Trigger::Schedule,
                    RunStatus::Missed,
                    Some(format!(
                        "due while Pincer was not running, and found {} late, beyond the job's lateness window of {}",
                        span(now - at),
                        span(lateness.max(GRACE))
                    )),
                )
            } else {
                let why = match policy {
                    Missed::Skip => "the job skips missed runs".to_owned(),
                    Missed::Once => "the job runs only the latest missed run".to_owned(),
                    Missed::Each { up_to } => {
                        format!("the job runs at most the latest {up_to} missed runs")
                    }
                };
                (
                    Trigger::Schedule,
                    RunStatus::Skipped,
                    Some(format!("due while Pincer was not running; {why}")),
                )
            };
            Planned {
                scheduled_for: at,
                trigger,
                status,
                reason,
            }
        })
        .collect();
    if earlier > 0
        && let Some(first) = planned.first_mut()
        && let Some(reason) = &mut first.reason
    {
        reason.push_str(&format!(
            " ({earlier} earlier instants of the same absence are not listed)"
        ));
    }
    planned
}

/// `secs` in the largest unit that keeps it readable: "45 s", "20 min", "3 h", "2 days".
pub fn span(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        // "2 h 5 min": whole hours alone would say a run 2 h 5 min late was no later than
        // a 2 h window.
        s if s < 2 * 86_400 => match (s % 3600) / 60 {
            0 => format!("{} h", s / 3600),
            min => format!("{} h {min} min", s / 3600),
        },
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_765_000_000;
    const HOUR: i64 = 3600;

    fn statuses(planned: &[Planned]) -> Vec<(i64, RunStatus, Trigger)> {
        planned
            .iter()
            .map(|p| ((p.scheduled_for - NOW) / 60, p.status, p.trigger))
            .collect()
    }

    #[test]
    fn on_time_instants_simply_run() {
        let planned = plan(&[NOW - 30], 0, NOW, Missed::Skip, HOUR);
        assert_eq!(
            statuses(&planned),
            [(0, RunStatus::Queued, Trigger::Schedule)]
        );
    }

    #[test]
    fn once_runs_the_latest_missed_within_the_window_and_records_the_rest() {
        // Hourly job, Pincer stopped for five hours, window two hours.
        let due: Vec<i64> = (1..=5).rev().map(|h| NOW - h * HOUR + 60).collect();
        let planned = plan(&due, 0, NOW, Missed::Once, 2 * HOUR);
        assert_eq!(
            statuses(&planned),
            [
                (-299, RunStatus::Missed, Trigger::Schedule),
                (-239, RunStatus::Missed, Trigger::Schedule),
                (-179, RunStatus::Missed, Trigger::Schedule),
                (-119, RunStatus::Skipped, Trigger::Schedule),
                (-59, RunStatus::Queued, Trigger::CatchUp),
            ]
        );
        assert!(
            planned[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("beyond the job's lateness window of 2 h")
        );
        assert!(
            planned[3]
                .reason
                .as_deref()
                .unwrap()
                .contains("only the latest")
        );
    }

    #[test]
    fn each_up_to_n_runs_the_latest_n_oldest_first_and_skip_runs_none() {
        let due: Vec<i64> = (1..=4).rev().map(|h| NOW - h * 600).collect();
        let each = plan(&due, 0, NOW, Missed::Each { up_to: 2 }, 4 * HOUR);
        let queued: Vec<i64> = each
            .iter()
            .filter(|p| p.status == RunStatus::Queued)
            .map(|p| p.scheduled_for)
            .collect();
        assert_eq!(queued, [NOW - 1200, NOW - 600]);
        assert_eq!(
            each.iter()
                .filter(|p| p.status == RunStatus::Skipped)
                .count(),
            2
        );
        let skip = plan(&due, 0, NOW, Missed::Skip, 4 * HOUR);
        assert!(skip.iter().all(|p| p.status == RunStatus::Skipped));
        assert!(
            skip[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("skips missed runs")
        );
    }

    #[test]
    fn a_long_absence_says_how_much_was_not_listed() {
        let planned = plan(&[NOW - 10 * HOUR], 9_900, NOW, Missed::Once, HOUR);
        assert!(
            planned[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("9900 earlier instants")
        );
        assert_eq!(span(45), "45 s");
        assert_eq!(span(20 * 60), "20 min");
        assert_eq!(span(3 * HOUR), "3 h");
        assert_eq!(span(2 * HOUR + 300), "2 h 5 min");
        assert_eq!(span(50 * HOUR), "2 days");
    }
}
