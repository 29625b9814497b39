//! What a job's schedule is and when it fires.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::cron::ZonedCron;

/// When a job runs. Stored with the job as JSON, e.g.
/// `{"kind":"cron","expr":"0 9 * * MON","tz":"Europe/Lisbon"}`; made from what a user
/// writes by [`Schedule::parse`], which validates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// A cron expression (5 fields, or 6 with seconds first) read on the wall clock of
    /// `tz`, an IANA zone: each job keeps its own zone, so "09:00 in Lisbon" stays 09:00
    /// when the machine travels or the zone changes its offset.
    Cron { expr: String, tz: String },
    /// Every `minutes` (at least 1) of elapsed time, at `anchor + k·period` for k ≥ 1,
    /// where the anchor (the job's creation, say) is given by the caller: runs stay on
    /// the same grid after a restart, and daylight saving does not move them.
    Every { minutes: u32 },
    /// Once, at `at`. `tz` is the zone it was written in, kept only to say it back.
    Once {
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tz: Option<String>,
    },
    /// When Pincer starts; the runner fires it, no instant ever matches it.
    AtStartup,
}

impl Schedule {
    /// The first scheduled instant strictly after `after`, or `None` when there is none
    /// (a one-shot already past, at start-up, a stored cron that no longer parses).
    pub fn next_after(&self, after: DateTime<Utc>, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Fires::of(self)?.next_after(after, anchor)
    }

    /// The scheduled instants in `(from_exclusive, to_inclusive]`, oldest first, at most
    /// `limit`: what was missed while Pincer was stopped or the machine slept.
    pub fn due(
        &self,
        from_exclusive: DateTime<Utc>,
        to_inclusive: DateTime<Utc>,
        anchor: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut due = Vec::new();
        let Some(fires) = Fires::of(self) else {
            return due;
        };
        let mut cursor = from_exclusive;
        while due.len() < limit {
            match fires.next_after(cursor, anchor) {
                Some(at) if at <= to_inclusive => {
                    due.push(at);
                    cursor = at;
                }
                _ => break,
            }
        }
        due
    }
}

/// A schedule made ready to answer "when next?" many times (the cron parsed once).
enum Fires {
    // Shared from the parse cache: a parsed cron is some 300 bytes.
    Cron(Arc<ZonedCron>),
    Every(TimeDelta),
    Once(DateTime<Utc>),
}

impl Fires {
    fn of(schedule: &Schedule) -> Option<Self> {
        match schedule {
            Schedule::Cron { expr, tz } => ZonedCron::cached(expr, tz).ok().map(Self::Cron),
            Schedule::Every { minutes: 0 } => None,
            Schedule::Every { minutes } => {
                Some(Self::Every(TimeDelta::minutes(i64::from(*minutes))))
            }
            Schedule::Once { at, .. } => Some(Self::Once(*at)),
            Schedule::AtStartup => None,
        }
    }

    fn next_after(&self, after: DateTime<Utc>, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Cron(cron) => cron.next_after(after),
            Self::Every(period) => next_on_grid(*period, anchor, after),
            Self::Once(at) => (*at > after).then_some(*at),
        }
    }
}

/// The first `anchor + k·period`, k ≥ 1, strictly after `after`, computed rather than
/// stepped to, so a job asked about years later answers at once.
fn next_on_grid(
    period: TimeDelta,
    anchor: DateTime<Utc>,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let period_ms = period.num_milliseconds();
    let elapsed_ms = after.signed_duration_since(anchor).num_milliseconds();
    let periods = if elapsed_ms < 0 {
        1
    } else {
        elapsed_ms / period_ms + 1
    };
    let offset = TimeDelta::try_milliseconds(periods.checked_mul(period_ms)?)?;
    let mut at = anchor.checked_add_signed(offset)?;
    // Whole milliseconds lose any nanoseconds `after` has; one more period covers that.
    if at <= after {
        at = at.checked_add_signed(period)?;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn all(texts: &[&str]) -> Vec<DateTime<Utc>> {
        texts.iter().map(|text| utc(text)).collect()
    }

    fn cron(expr: &str, tz: &str) -> Schedule {
        Schedule::Cron {
            expr: expr.into(),
            tz: tz.into(),
        }
    }

    const ANCHOR: &str = "2026-12-07T09:07:30Z";

    #[test]
    fn an_interval_falls_on_the_anchor_grid() {
        let every = Schedule::Every { minutes: 20 };
        let anchor = utc(ANCHOR);
        assert_eq!(
            every.next_after(anchor, anchor),
            Some(utc("2026-12-07T09:27:30Z"))
        );
        let mid = utc("2026-12-07T09:30:00Z");
        assert_eq!(
            every.next_after(mid, anchor),
            Some(utc("2026-12-07T09:47:30Z"))
        );
        let on_a_run = utc("2026-12-07T09:47:30Z");
        assert_eq!(
            every.next_after(on_a_run, anchor),
            Some(utc("2026-12-07T10:07:30Z"))
        );
        // Before the anchor the first run is still one period after it.
        let earlier = utc("2026-12-01T00:00:00Z");
        assert_eq!(
            every.next_after(earlier, anchor),
            Some(utc("2026-12-07T09:27:30Z"))
        );
    }

    #[test]
    fn an_interval_stays_on_the_grid_many_periods_later() {
        let every = Schedule::Every { minutes: 7 };
        let anchor = utc(ANCHOR);
        // Ten years on, run 750,689 is at 2036-12-03T13:30:30Z.
        let after = utc("2036-12-03T13:30:29.999Z");
        let next = every.next_after(after, anchor).unwrap();
        assert_eq!(next, utc("2036-12-03T13:30:30Z"));
        assert_eq!((next - anchor).num_seconds() % (7 * 60), 0);
        assert_eq!(
            every.next_after(next, anchor),
            Some(utc("2036-12-03T13:37:30Z"))
        );
    }

    #[test]
    fn an_interval_ignores_daylight_saving() {
        // Elapsed time, not wall-clock: two hours across New York's spring change.
        let every = Schedule::Every { minutes: 60 };
        let anchor = utc("2026-03-08T05:00:00Z");
        let got = every.due(anchor, utc("2026-03-08T08:00:00Z"), anchor, 10);
        let want = all(&[
            "2026-03-08T06:00:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T08:00:00Z",
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn a_zero_interval_never_fires() {
        let every = Schedule::Every { minutes: 0 };
        let anchor = utc(ANCHOR);
        assert_eq!(every.next_after(anchor, anchor), None);
    }

    #[test]
    fn a_one_shot_fires_only_if_still_ahead() {
        let at = utc("2026-12-08T09:00:00Z");
        let once = Schedule::Once { at, tz: None };
        let anchor = utc(ANCHOR);
        assert_eq!(
            once.next_after(utc("2026-12-08T08:59:59Z"), anchor),
            Some(at)
        );
        assert_eq!(once.next_after(at, anchor), None);
        assert_eq!(once.next_after(utc("2026-12-09T00:00:00Z"), anchor), None);
        assert_eq!(
            once.due(utc("2026-12-01T00:00:00Z"), at, anchor, 5),
            vec![at]
        );
        assert_eq!(
            once.due(at, utc("2026-12-31T00:00:00Z"), anchor, 5),
            Vec::<DateTime<Utc>>::new()
        );
    }

    #[test]
    fn at_startup_has_no_instants() {
        let anchor = utc(ANCHOR);
        assert_eq!(Schedule::AtStartup.next_after(anchor, anchor), None);
        let far = utc("2030-01-01T00:00:00Z");
        assert_eq!(
            Schedule::AtStartup.due(anchor, far, anchor, 5),
            Vec::<DateTime<Utc>>::new()
        );
    }

    #[test]
    fn a_stored_cron_that_no_longer_parses_never_fires() {
        let anchor = utc(ANCHOR);
        assert_eq!(cron("0 9 * *", "UTC").next_after(anchor, anchor), None);
        assert_eq!(
            cron("0 9 * * *", "Mars/Olympus").next_after(anchor, anchor),
            None
        );
    }

    #[test]
    fn due_lists_a_window_oldest_first_up_to_the_limit() {
        let daily = cron("0 9 * * *", "Europe/Lisbon");
        let anchor = utc(ANCHOR);
        let from = utc("2026-12-07T09:00:00Z"); // exclusive: this run is not missed
        let to = utc("2026-12-10T09:00:00Z"); // inclusive
        let want = all(&[
            "2026-12-08T09:00:00Z",
            "2026-12-09T09:00:00Z",
            "2026-12-10T09:00:00Z",
        ]);
        assert_eq!(daily.due(from, to, anchor, 10), want);
        assert_eq!(daily.due(from, to, anchor, 2), want[..2].to_vec());
        assert_eq!(daily.due(from, to, anchor, 0), Vec::<DateTime<Utc>>::new());
        assert_eq!(
            daily.due(to, from, anchor, 10),
            Vec::<DateTime<Utc>>::new(),
            "an empty window"
        );
    }

    #[test]
    fn due_across_both_changes_keeps_the_rules() {
        // A laptop asleep from Saturday to Monday over New York's spring change, and
        // again over the autumn one.
        let job = cron("30 1,2 * * *", "America/New_York");
        let anchor = utc(ANCHOR);
        let spring = job.due(
            utc("2026-03-07T12:00:00Z"),
            utc("2026-03-09T12:00:00Z"),
            anchor,
            10,
        );
        let want = all(&[
            "2026-03-08T06:30:00Z", // 01:30 EST
            "2026-03-08T07:00:00Z", // 03:00 EDT, for the missing 02:30
            "2026-03-09T05:30:00Z", // 01:30 EDT
            "2026-03-09T06:30:00Z", // 02:30 EDT
        ]);
        assert_eq!(spring, want);
        let autumn = job.due(
            utc("2026-10-31T12:00:00Z"),
            utc("2026-11-02T12:00:00Z"),
            anchor,
            10,
        );
        let want = all(&[
            "2026-11-01T05:30:00Z", // 01:30 EDT; 01:30 EST is a repeat
            "2026-11-01T07:30:00Z", // 02:30 EST
            "2026-11-02T06:30:00Z", // 01:30 EST
            "2026-11-02T07:30:00Z", // 02:30 EST
        ]);
        assert_eq!(autumn, want);
        let lord_howe = cron("15 2 * * *", "Australia/Lord_Howe");
        let october = lord_howe.due(
            utc("2026-10-02T12:00:00Z"),
            utc("2026-10-04T12:00:00Z"),
            anchor,
            10,
        );
        let want = all(&["2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z"]);
        assert_eq!(
            october, want,
            "02:15 +10:30, then 02:30 +11 for the missing 02:15"
        );
    }

    #[test]
    fn a_daily_job_runs_365_times_in_a_year_across_both_changes() {
        let anchor = utc(ANCHOR);
        let year = (utc("2025-12-31T12:00:00Z"), utc("2026-12-31T12:00:00Z"));
        for (expr, tz) in [
            ("30 2 * * *", "America/New_York"),    // in the spring gap
            ("30 1 * * *", "America/New_York"),    // in the autumn overlap
            ("30 1 * * *", "Europe/Lisbon"),       // in both
            ("15 2 * * *", "Australia/Lord_Howe"), // in the October gap
            ("45 1 * * *", "Australia/Lord_Howe"), // in the April overlap
        ] {
            let runs = cron(expr, tz).due(year.0, year.1, anchor, 1000);
            assert_eq!(runs.len(), 365, "{expr} {tz}");
            let days: std::collections::BTreeSet<_> = runs
                .iter()
                .map(|at| {
                    at.with_timezone(&crate::scheduler::cron::parse_zone(tz).unwrap())
                        .date_naive()
                })
                .collect();
            assert_eq!(days.len(), 365, "one run on each local day: {expr} {tz}");
        }
    }

    #[test]
    fn stored_as_tagged_json() {
        let stored = serde_json::to_string(&cron("0 9 * * MON", "Europe/Lisbon")).unwrap();
        assert_eq!(
            stored,
            r#"{"kind":"cron","expr":"0 9 * * MON","tz":"Europe/Lisbon"}"#
        );
        let every: Schedule = serde_json::from_str(r#"{"kind":"every","minutes":20}"#).unwrap();
        assert_eq!(every, Schedule::Every { minutes: 20 });
        let once = Schedule::Once {
            at: utc("2026-12-08T09:00:00Z"),
            tz: None,
        };
        let stored = serde_json::to_string(&once).unwrap();
        assert_eq!(stored, r#"{"kind":"once","at":"2026-12-08T09:00:00Z"}"#);
        assert_eq!(serde_json::from_str::<Schedule>(&stored).unwrap(), once);
        let stored = serde_json::to_string(&Schedule::AtStartup).unwrap();
        assert_eq!(stored, r#"{"kind":"at_startup"}"#);
    }
}
