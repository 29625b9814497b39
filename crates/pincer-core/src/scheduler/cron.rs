//! Cron expressions in a job's own zone.
//!
//! croner only matches fields against wall-clock readings here: it is asked for the next
//! matching reading as if the zone were UTC (no gaps, no repeats), and
//! [`wall_clock::first_instant_reading`] turns each reading into an instant. croner's own
//! daylight-saving handling is not used, because it follows Vixie cron rather than the
//! issue's rules: a pattern with a wildcard or step in its time fields skips readings in
//! a spring-forward gap and fires twice in a fall-back overlap, and the search from an
//! instant in the second pass of an overlap returns the first pass, which lies before
//! that instant (the tests at the bottom pin this down, so an upgrade that changes it
//! shows up).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use super::error::ScheduleError;
use super::wall_clock;
use crate::sync::lock;

/// A validated cron expression and the zone its readings are in.
#[derive(Debug, Clone)]
pub(super) struct ZonedCron {
    cron: Cron,
    zone: Tz,
}

/// Parsed crons by (expression, zone): parsing is most of what a look at 1,000 jobs costs
/// (croner builds a bit set per field), and a job's schedule rarely changes.
static PARSED: LazyLock<Mutex<ParseCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));
type ParseCache = HashMap<(String, String), Arc<ZonedCron>>;
/// Past this many distinct schedules the cache starts over.
const MAX_PARSED: usize = 4096;

impl ZonedCron {
    /// Like [`ZonedCron::parse`], remembering what parsed.
    pub(super) fn cached(expr: &str, zone: &str) -> Result<Arc<Self>, ScheduleError> {
        let key = (expr.to_owned(), zone.to_owned());
        if let Some(found) = lock(&PARSED).get(&key) {
            return Ok(Arc::clone(found));
        }
        let parsed = Arc::new(Self::parse(expr, zone)?);
        let mut cache = lock(&PARSED);
        if cache.len() >= MAX_PARSED {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// Checks `expr` (5 fields, or 6 with seconds first) and `zone` (an IANA name).
    pub(super) fn parse(expr: &str, zone: &str) -> Result<Self, ScheduleError> {
        let zone = parse_zone(zone)?;
        let found = expr.split_whitespace().count();
        // croner would also take a seventh field (years); keep the syntax people know.
        if !(found == 5 || found == 6 || expr.trim_start().starts_with('@')) {
            return Err(ScheduleError::CronFieldCount {
                expr: expr.to_owned(),
                found,
            });
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser
            .parse(expr)
            .map_err(|error| ScheduleError::InvalidCron {
                expr: expr.to_owned(),
                reason: error.to_string(),
            })?;
        let parsed = Self { cron, zone };
        // `0 0 30 2 *` parses but can never run; say so now rather than never firing.
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        if parsed.next_reading_after(epoch).is_none() {
            return Err(ScheduleError::CronNeverMatches {
                expr: expr.to_owned(),
            });
        }
        Ok(parsed)
    }

    /// The first scheduled instant strictly after `after`.
    pub(super) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Whole seconds: croner keeps any fraction it is given, which would put runs at
        // 09:00:00.5 instead of 09:00:00.
        let after_secs = DateTime::from_timestamp(after.timestamp(), 0)?;
        let mut reading = after_secs.with_timezone(&self.zone).naive_local();
        // Readings after `after`'s own can still stand for instants at or before it: the
        // rest of a repeated hour (already fired in its first pass) and a gap's readings
        // (all standing for the jump). The mapping never runs backwards, so the first
        // instant past `after` is the answer.
        loop {
            reading = self.next_reading_after(reading)?;
            let at = wall_clock::first_instant_reading(self.zone, reading)?;
            if at > after {
                return Some(at);
            }
        }
    }

    /// The next wall-clock reading after `reading` that the fields match, ignoring zones.
    fn next_reading_after(&self, reading: NaiveDateTime) -> Option<NaiveDateTime> {
        self.cron
            .find_next_occurrence(&reading.and_utc(), false)
            .ok()
            .map(|at| at.naive_utc())
    }
}

/// An IANA zone name, as chrono-tz spells it (`Europe/Lisbon`, `UTC`).
pub(super) fn parse_zone(zone: &str) -> Result<Tz, ScheduleError> {
    Tz::from_str(zone).map_err(|_| ScheduleError::UnknownZone {
        zone: zone.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use pretty_assertions::assert_eq;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn runs(expr: &str, zone: &str, after: &str, count: usize) -> Vec<DateTime<Utc>> {
        let cron = ZonedCron::parse(expr, zone).unwrap();
        let mut at = utc(after);
        let mut out = Vec::new();
        for _ in 0..count {
            at = cron.next_after(at).unwrap();
            out.push(at);
        }
        out
    }

    fn all(texts: &[&str]) -> Vec<DateTime<Utc>> {
        texts.iter().map(|text| utc(text)).collect()
    }

    #[test]
    fn day_of_week_names_and_numbers_agree() {
        // Mon 7 Dec 2026; Lisbon is on UTC in winter.
        let by_name = runs("0 9 * * MON", "Europe/Lisbon", "2026-12-01T00:00:00Z", 2);
        let by_number = runs("0 9 * * 1", "Europe/Lisbon", "2026-12-01T00:00:00Z", 2);
        assert_eq!(
            by_name,
            all(&["2026-12-07T09:00:00Z", "2026-12-14T09:00:00Z"])
        );
        assert_eq!(by_number, by_name);
        let lower = runs("0 9 * * mon-fri", "UTC", "2026-12-04T10:00:00Z", 2);
        assert_eq!(
            lower,
            all(&["2026-12-07T09:00:00Z", "2026-12-08T09:00:00Z"])
        );
        let sunday = runs("0 9 * * 0", "UTC", "2026-12-01T00:00:00Z", 1);
        assert_eq!(sunday, runs("0 9 * * 7", "UTC", "2026-12-01T00:00:00Z", 1));
        assert_eq!(sunday, all(&["2026-12-06T09:00:00Z"]));
    }

    #[test]
    fn six_fields_put_seconds_first() {
        let got = runs("30 */15 * * * *", "UTC", "2026-12-07T09:00:00Z", 3);
        let want = all(&[
            "2026-12-07T09:00:30Z",
            "2026-12-07T09:15:30Z",
            "2026-12-07T09:30:30Z",
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn next_is_strictly_after_and_ignores_fractions_of_a_second() {
        let cron = ZonedCron::parse("0 9 * * *", "UTC").unwrap();
        let at_nine = utc("2026-12-07T09:00:00Z");
        assert_eq!(cron.next_after(at_nine), Some(utc("2026-12-08T09:00:00Z")));
        let just_before = utc("2026-12-07T08:59:59.5Z");
        assert_eq!(cron.next_after(just_before), Some(at_nine));
    }

    #[test]
    fn the_zone_moves_the_instant() {
        let got = runs("0 9 * * *", "America/New_York", "2026-12-07T00:00:00Z", 1);
        assert_eq!(got, all(&["2026-12-07T14:00:00Z"]));
        let got = runs(
            "0 9 * * *",
            "Australia/Lord_Howe",
            "2026-12-07T00:00:00Z",
            1,
        );
        assert_eq!(got, all(&["2026-12-07T22:00:00Z"]), "09:00 +11");
    }

    #[test]
    fn month_end_and_leap_days() {
        let got = runs("0 12 29 2 *", "UTC", "2026-01-01T00:00:00Z", 1);
        assert_eq!(got, all(&["2028-02-29T12:00:00Z"]));
        let got = runs("0 12 31 * *", "UTC", "2026-04-01T00:00:00Z", 1);
        assert_eq!(got, all(&["2026-05-31T12:00:00Z"]));
    }

    #[test]
    fn either_restricted_day_field_may_match_as_in_vixie_cron() {
        // The 1st of December 2026 is a Tuesday; Monday the 7th matches by weekday.
        let got = runs("0 9 1 * MON", "UTC", "2026-11-30T12:00:00Z", 2);
        assert_eq!(got, all(&["2026-12-01T09:00:00Z", "2026-12-07T09:00:00Z"]));
    }

    #[test]
    fn croner_extensions_and_nicknames() {
        let last_day = runs("0 9 L * *", "UTC", "2026-02-01T00:00:00Z", 1);
        assert_eq!(last_day, all(&["2026-02-28T09:00:00Z"]));
        let daily = runs("@daily", "Europe/Lisbon", "2026-07-01T12:00:00Z", 1);
        assert_eq!(daily, all(&["2026-07-01T23:00:00Z"]), "midnight WEST");
    }

    #[test]
    fn bad_expressions_and_zones_say_what_is_wrong() {
        let err = ZonedCron::parse("0 9 * *", "UTC").unwrap_err();
        assert_eq!(
            err,
            ScheduleError::CronFieldCount {
                expr: "0 9 * *".into(),
                found: 4
            }
        );
        let err = ZonedCron::parse("0 25 * * *", "UTC").unwrap_err();
        assert!(matches!(err, ScheduleError::InvalidCron { .. }), "{err:?}");
        let err = ZonedCron::parse("0 9 * * FUNDAY", "UTC").unwrap_err();
        assert!(matches!(err, ScheduleError::InvalidCron { .. }), "{err:?}");
        let err = ZonedCron::parse("0 0 30 2 *", "UTC").unwrap_err();
        assert!(
            matches!(err, ScheduleError::CronNeverMatches { .. }),
            "{err:?}"
        );
        let err = ZonedCron::parse("0 9 * * *", "europe/lisbon").unwrap_err();
        assert!(matches!(err, ScheduleError::UnknownZone { .. }), "{err:?}");
        let err = ZonedCron::parse("0 9 * * *", "Europe/Lisbo").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`Europe/Lisbo` is not a time zone Pincer knows; use an IANA name such as \
             `Europe/Lisbon`, `America/New_York` or `UTC`"
        );
    }

    // Daylight saving time. Dates of 2026:
    // New York: 8 Mar 02:00 EST -> 03:00 EDT (07:00Z); 1 Nov 02:00 EDT -> 01:00 EST (06:00Z).
    // Lisbon: 29 Mar 01:00 WET -> 02:00 WEST (01:00Z); 25 Oct 02:00 WEST -> 01:00 WET (01:00Z).
    // Lord Howe: 5 Apr 02:00 +11 -> 01:30 +10:30 (4 Apr 15:00Z);
    //            4 Oct 02:00 +10:30 -> 02:30 +11 (3 Oct 15:30Z).

    #[test]
    fn a_daily_time_in_the_spring_gap_fires_once_when_the_clocks_jump() {
        let got = runs("30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3);
        let want = all(&[
            "2026-03-07T07:30:00Z", // 02:30 EST
            "2026-03-08T07:00:00Z", // 03:00 EDT: 02:30 does not exist
            "2026-03-09T06:30:00Z", // 02:30 EDT
        ]);
        assert_eq!(got, want);
        let got = runs("30 1 * * *", "Europe/Lisbon", "2026-03-28T00:00:00Z", 3);
        let want = all(&[
            "2026-03-28T01:30:00Z", // 01:30 WET
            "2026-03-29T01:00:00Z", // 02:00 WEST: 01:30 does not exist
            "2026-03-30T00:30:00Z", // 01:30 WEST
        ]);
        assert_eq!(got, want);
        let got = runs(
            "15 2 * * *",
            "Australia/Lord_Howe",
            "2026-10-02T00:00:00Z",
            3,
        );
        let want = all(&[
            "2026-10-02T15:45:00Z", // 02:15 +10:30
            "2026-10-03T15:30:00Z", // 02:30 +11: 02:15 does not exist
            "2026-10-04T15:15:00Z", // 02:15 +11
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn a_daily_time_in_the_autumn_overlap_fires_once_at_its_first_occurrence() {
        let got = runs("30 1 * * *", "America/New_York", "2026-10-31T00:00:00Z", 3);
        let want = all(&[
            "2026-10-31T05:30:00Z", // 01:30 EDT
            "2026-11-01T05:30:00Z", // 01:30 EDT, not again at 01:30 EST (06:30Z)
            "2026-11-02T06:30:00Z", // 01:30 EST
        ]);
        assert_eq!(got, want);
        let got = runs("30 1 * * *", "Europe/Lisbon", "2026-10-24T00:00:00Z", 3);
        let want = all(&[
            "2026-10-24T00:30:00Z", // 01:30 WEST
            "2026-10-25T00:30:00Z", // 01:30 WEST, not again at 01:30 WET
            "2026-10-26T01:30:00Z", // 01:30 WET
        ]);
        assert_eq!(got, want);
        let got = runs(
            "45 1 * * *",
            "Australia/Lord_Howe",
            "2026-04-03T00:00:00Z",
            3,
        );
        let want = all(&[
            "2026-04-03T14:45:00Z", // 01:45 +11
            "2026-04-04T14:45:00Z", // 01:45 +11, not again at 01:45 +10:30
            "2026-04-05T15:15:00Z", // 01:45 +10:30
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn asked_from_inside_the_second_pass_of_an_overlap_nothing_fires_again() {
        // 01:10 EST, after 01:30 EDT already fired: the next run is tomorrow's.
        let cron = ZonedCron::parse("30 1 * * *", "America/New_York").unwrap();
        let got = cron.next_after(utc("2026-11-01T06:10:00Z"));
        assert_eq!(got, Some(utc("2026-11-02T06:30:00Z")));
    }

    #[test]
    fn an_hourly_job_fires_once_per_local_reading_across_both_changes() {
        // Every local reading hh:30 fires once: 02:30 does not exist on 8 March, so it
        // fires at the jump (03:00 EDT) and 03:30 follows; 01:30 comes twice on
        // 1 November and fires the first time only, so 01:30 EDT is followed by 02:30 EST.
        let got = runs("30 * * * *", "America/New_York", "2026-03-08T06:00:00Z", 3);
        let want = all(&[
            "2026-03-08T06:30:00Z", // 01:30 EST
            "2026-03-08T07:00:00Z", // 03:00 EDT, for 02:30
            "2026-03-08T07:30:00Z", // 03:30 EDT
        ]);
        assert_eq!(got, want);
        let got = runs("30 * * * *", "America/New_York", "2026-11-01T04:00:00Z", 3);
        let want = all(&[
            "2026-11-01T04:30:00Z", // 00:30 EDT
            "2026-11-01T05:30:00Z", // 01:30 EDT
            "2026-11-01T07:30:00Z", // 02:30 EST; 01:30 EST (06:30Z) is a repeat
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn readings_skipped_together_fire_together_once() {
        // 02:00, 02:15, 02:30 and 02:45 all stand for 03:00 EDT, as does 03:00 itself.
        let got = runs(
            "*/15 * * * *",
            "America/New_York",
            "2026-03-08T06:40:00Z",
            3,
        );
        let want = all(&[
            "2026-03-08T06:45:00Z", // 01:45 EST
            "2026-03-08T07:00:00Z", // 03:00 EDT
            "2026-03-08T07:15:00Z", // 03:15 EDT
        ]);
        assert_eq!(got, want);
        // Lord Howe's half-hour shift: 01:45 +11, then 01:30 +10:30 repeats and is skipped.
        let got = runs(
            "*/15 * * * *",
            "Australia/Lord_Howe",
            "2026-04-04T14:40:00Z",
            3,
        );
        let want = all(&[
            "2026-04-04T14:45:00Z", // 01:45 +11
            "2026-04-04T15:30:00Z", // 02:00 +10:30; 01:30 and 01:45 +10:30 are repeats
            "2026-04-04T15:45:00Z", // 02:15 +10:30
        ]);
        assert_eq!(got, want);
    }

    // What croner does on its own with a zone, which is why it is not asked to.

    fn croner(expr: &str) -> Cron {
        CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expr)
            .unwrap()
    }

    fn croner_next(expr: &str, after: &str) -> DateTime<Utc> {
        let after = utc(after).with_timezone(&chrono_tz::America::New_York);
        croner(expr)
            .find_next_occurrence(&after, false)
            .unwrap()
            .to_utc()
    }

    #[test]
    fn croner_alone_agrees_for_fixed_times_from_before_the_change() {
        assert_eq!(
            croner_next("30 2 * * *", "2026-03-08T05:00:00Z"),
            utc("2026-03-08T07:00:00Z")
        );
        assert_eq!(
            croner_next("30 1 * * *", "2026-11-01T04:00:00Z"),
            utc("2026-11-01T05:30:00Z")
        );
    }

    #[test]
    fn croner_alone_goes_backwards_from_the_second_pass_of_an_overlap() {
        // Asked after 01:10 EST, croner answers 01:30 EDT: an hour before the question.
        assert_eq!(
            croner_next("30 1 * * *", "2026-11-01T06:10:00Z"),
            utc("2026-11-01T05:30:00Z")
        );
    }

    #[test]
    fn croner_alone_skips_and_doubles_wildcard_times() {
        let new_york = chrono_tz::America::New_York;
        let take = |after: &str, count| -> Vec<DateTime<Utc>> {
            croner("30 * * * *")
                .iter_after(new_york.from_utc_datetime(&utc(after).naive_utc()))
                .take(count)
                .map(|at| at.to_utc())
                .collect()
        };
        let spring = take("2026-03-08T06:00:00Z", 2);
        assert_eq!(
            spring,
            all(&["2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"])
        );
        let autumn = take("2026-11-01T05:00:00Z", 3);
        let both = all(&[
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:30:00Z",
            "2026-11-01T07:30:00Z",
        ]);
        assert_eq!(autumn, both);
    }
}
