//! What a job's schedule is and when it fires.

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
    Cron(ZonedCron),
    Every(TimeDelta),
    Once(DateTime<Utc>),
}

impl Fires {
    fn of(schedule: &Schedule) -> Option<Self> {
        match schedule {
            Schedule::Cron { expr, tz } => ZonedCron::parse(expr, tz).ok().map(Self::Cron),
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
