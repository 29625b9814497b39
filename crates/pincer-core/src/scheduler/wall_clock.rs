//! From a wall-clock reading in a zone to the instant it stands for, by the issue's
//! daylight-saving rules: "a skipped local time fires once after the change, a repeated
//! local time fires once, at its first occurrence".
//!
//! Both rules are one definition: a reading stands for the first instant at which the
//! zone's clock shows that reading or later. A reading inside a gap is never shown, so
//! it is the instant the clocks jump (02:30 on New York's spring-forward day is 03:00
//! EDT); a repeated reading is shown first before the clocks go back. That mapping never
//! runs backwards as the reading grows, which is what lets the cron search walk readings
//! in order and stop at the first instant past the one asked about.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The first instant at which the clock in `zone` reads `local` or later.
pub(super) fn first_instant_reading(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => end_of_gap(zone, local),
    }
}

/// The instant the clocks jump over `local`, a reading the zone skips.
///
/// Found by bisection between two instants that must bracket it: no zone is more than
/// 14 hours ahead of UTC or 12 behind, so 15 hours before `local`-as-UTC the clock reads
/// less, and 13 hours after it reads more. Transitions are whole seconds in the tz data.
fn end_of_gap(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let reading = |secs: i64| {
        DateTime::from_timestamp(secs, 0).map(|at| at.with_timezone(&zone).naive_local())
    };
    let target = local.and_utc().timestamp();
    let mut before = target - 15 * 3600;
    let mut after = target + 13 * 3600;
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if reading(mid)? >= local {
            after = mid;
        } else {
            before = mid;
        }
    }
    DateTime::from_timestamp(after, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn an_ordinary_reading_is_its_one_instant() {
        let at = first_instant_reading(chrono_tz::Europe::Lisbon, local(2026, 12, 7, 9, 0));
        assert_eq!(at, Some(utc("2026-12-07T09:00:00Z")));
    }

    #[test]
    fn a_skipped_reading_is_the_instant_the_clocks_jump() {
        let new_york = chrono_tz::America::New_York;
        let at = first_instant_reading(new_york, local(2026, 3, 8, 2, 30));
        assert_eq!(at, Some(utc("2026-03-08T07:00:00Z")), "03:00 EDT");
        let lord_howe = chrono_tz::Australia::Lord_Howe;
        let at = first_instant_reading(lord_howe, local(2026, 10, 4, 2, 15));
        assert_eq!(at, Some(utc("2026-10-03T15:30:00Z")), "02:30 +11");
    }

    #[test]
    fn a_repeated_reading_is_its_first_occurrence() {
        let new_york = chrono_tz::America::New_York;
        let at = first_instant_reading(new_york, local(2026, 11, 1, 1, 30));
        assert_eq!(at, Some(utc("2026-11-01T05:30:00Z")), "01:30 EDT, not EST");
        let lord_howe = chrono_tz::Australia::Lord_Howe;
        let at = first_instant_reading(lord_howe, local(2026, 4, 5, 1, 45));
        assert_eq!(
            at,
            Some(utc("2026-04-04T14:45:00Z")),
            "01:45 +11, not +10:30"
        );
    }
}
