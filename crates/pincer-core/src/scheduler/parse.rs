//! Schedules as people write them: `cron "0 9 * * MON" Europe/Lisbon`, `every 20m`,
//! `at 2026-12-08T09:00 Europe/Lisbon`, `at 2026-12-08T09:00:00Z`, `at startup`.
//! The same words the chat tool, the CLI and the UI accept, so an error here is worded
//! for the person who typed them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone};

use super::cron::{ZonedCron, parse_zone};
use super::error::ScheduleError;
use super::schedule::Schedule;
use super::wall_clock;

impl Schedule {
    /// Reads a schedule spec, checking everything that can be checked without a clock:
    /// the cron fields, the zone, the interval, that a local time exists.
    pub fn parse(spec: &str) -> Result<Self, ScheduleError> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(ScheduleError::Empty);
        }
        let (keyword, rest) = spec.split_once(char::is_whitespace).unwrap_or((spec, ""));
        let rest = rest.trim();
        match keyword.to_ascii_lowercase().as_str() {
            "cron" => parse_cron(spec, rest),
            "every" => parse_every(rest),
            "at" | "on" if is_startup(rest) => Ok(Self::AtStartup),
            "at" => parse_once(rest),
            _ => Err(ScheduleError::UnknownForm {
                spec: spec.to_owned(),
            }),
        }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        Self::parse(spec)
    }
}

/// The spec that reads back as this schedule, for showing and editing.
impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cron { expr, tz } => write!(f, "cron \"{expr}\" {tz}"),
            Self::Every { minutes } if *minutes % 60 == 0 => write!(f, "every {}h", minutes / 60),
            Self::Every { minutes } => write!(f, "every {minutes}m"),
            Self::Once { at, tz: None } => write!(f, "at {}", at.format("%Y-%m-%dT%H:%M:%SZ")),
            Self::Once { at, tz: Some(tz) } => match parse_zone(tz) {
                Ok(zone) => write!(
                    f,
                    "at {} {tz}",
                    at.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S")
                ),
                Err(_) => write!(f, "at {}", at.format("%Y-%m-%dT%H:%M:%SZ")),
            },
            Self::AtStartup => f.write_str("at startup"),
        }
    }
}

fn is_startup(rest: &str) -> bool {
    matches!(
        rest.to_ascii_lowercase().as_str(),
        "startup" | "start-up" | "start up"
    )
}

/// `"EXPR" ZONE`, or unquoted `EXPR ZONE` with the zone last.
fn parse_cron(spec: &str, rest: &str) -> Result<Schedule, ScheduleError> {
    let (expr, zone) = match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let inner = &rest[1..];
            let end = inner
                .find(quote)
                .ok_or_else(|| ScheduleError::UnclosedQuote {
                    spec: spec.to_owned(),
                })?;
            (&inner[..end], inner[end + 1..].trim())
        }
        _ => match rest.rsplit_once(char::is_whitespace) {
            // A last word that is no zone and has no slash is a cron field: the zone is missing.
            Some((expr, zone)) if zone.contains('/') || parse_zone(zone).is_ok() => {
                (expr.trim(), zone)
            }
            _ => (rest, ""),
        },
    };
    if zone.is_empty() {
        return Err(ScheduleError::MissingZone {
            what: format!("the cron expression `{expr}`"),
        });
    }
    ZonedCron::cached(expr, zone)?;
    Ok(Schedule::Cron {
        expr: expr.split_whitespace().collect::<Vec<_>>().join(" "),
        tz: zone.to_owned(),
    })
}

/// `20m`, `2h`, `1d`, `20 minutes`, `2 hours`.
fn parse_every(text: &str) -> Result<Schedule, ScheduleError> {
    let invalid = || ScheduleError::InvalidInterval {
        text: text.to_owned(),
    };
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let unit_minutes: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "m" | "min" | "mins" | "minute" | "minutes" => 1,
        "h" | "hr" | "hrs" | "hour" | "hours" => 60,
        "d" | "day" | "days" => 24 * 60,
        _ => return Err(invalid()),
    };
    let count: u64 = number.parse().map_err(|_| invalid())?;
    if count == 0 {
        return Err(ScheduleError::ZeroInterval {
            text: text.to_owned(),
        });
    }
    let minutes = count
        .checked_mul(unit_minutes)
        .and_then(|minutes| u32::try_from(minutes).ok())
        .ok_or_else(|| ScheduleError::IntervalTooLong {
            text: text.to_owned(),
        })?;
    Ok(Schedule::Every { minutes })
}

const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
];

/// An RFC 3339 time, or a local date and time followed by its zone.
fn parse_once(text: &str) -> Result<Schedule, ScheduleError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Schedule::Once {
            at: at.to_utc(),
            tz: None,
        });
    }
    let invalid = || ScheduleError::InvalidTime {
        text: text.to_owned(),
    };
    let (local_text, zone_name) = text.rsplit_once(char::is_whitespace).ok_or_else(|| {
        if parse_local(text).is_some() {
            ScheduleError::MissingZone {
                what: format!("the time `{text}`"),
            }
        } else {
            invalid()
        }
    })?;
    let local_text = local_text.trim();
    let Some(local) = parse_local(local_text) else {
        return Err(if parse_local(text).is_some() {
            ScheduleError::MissingZone {
                what: format!("the time `{text}`"),
            }
        } else {
            invalid()
        });
    };
    let zone = parse_zone(zone_name)?;
    let at = match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at,
        // The first of a repeated hour, as for cron: the issue's rule for repeats.
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => {
            let resumes = wall_clock::first_instant_reading(zone, local)
                .map(|at| at.with_timezone(&zone).format("%H:%M %Z").to_string())
                .unwrap_or_else(|| "later".to_owned());
            return Err(ScheduleError::NonexistentLocalTime {
                local: format!("{} on {}", local.format("%H:%M"), local.format("%Y-%m-%d")),
                zone: zone_name.to_owned(),
                resumes,
            });
        }
    };
    Ok(Schedule::Once {
        at: at.to_utc(),
        tz: Some(zone_name.to_owned()),
    })
}

fn parse_local(text: &str) -> Option<NaiveDateTime> {
    LOCAL_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use pretty_assertions::assert_eq;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn parsed(spec: &str) -> Schedule {
        Schedule::parse(spec).unwrap()
    }

    fn refused(spec: &str) -> ScheduleError {
        Schedule::parse(spec).unwrap_err()
    }

    #[test]
    fn cron_quoted_or_bare_with_its_zone() {
        let want = Schedule::Cron {
            expr: "0 9 * * MON".into(),
            tz: "Europe/Lisbon".into(),
        };
        assert_eq!(parsed(r#"cron "0 9 * * MON" Europe/Lisbon"#), want);
        assert_eq!(parsed("cron '0 9 * * MON' Europe/Lisbon"), want);
        assert_eq!(parsed("cron 0 9 * * MON Europe/Lisbon"), want);
        assert_eq!(parsed("  CRON   0  9 * *  MON   Europe/Lisbon "), want);
        let seconds = parsed(r#"cron "30 0 9 * * *" UTC"#);
        let want = Schedule::Cron {
            expr: "30 0 9 * * *".into(),
            tz: "UTC".into(),
        };
        assert_eq!(seconds, want);
    }

    #[test]
    fn cron_refusals_name_the_problem() {
        assert_eq!(
            refused("cron 0 9 * * MON"),
            ScheduleError::MissingZone {
                what: "the cron expression `0 9 * * MON`".into()
            }
        );
        assert_eq!(
            refused(r#"cron "0 9 * * MON" Europe/Lisbo"#),
            ScheduleError::UnknownZone {
                zone: "Europe/Lisbo".into()
            }
        );
        assert_eq!(
            refused(r#"cron "0 9 * * MON Europe/Lisbon"#),
            ScheduleError::UnclosedQuote {
                spec: r#"cron "0 9 * * MON Europe/Lisbon"#.into()
            }
        );
        let err = refused(r#"cron "0 9 * * * * *" UTC"#);
        assert_eq!(
            err.to_string(),
            "the cron expression `0 9 * * * * *` has 7 fields; it needs 5 \
             (minute hour day-of-month month day-of-week) or 6 (seconds first)"
        );
        let err = refused(r#"cron "61 9 * * *" UTC"#);
        assert!(matches!(err, ScheduleError::InvalidCron { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("the cron expression `61 9 * * *` is not valid: ")
        );
    }

    #[test]
    fn intervals_in_minutes_hours_or_days() {
        assert_eq!(parsed("every 20m"), Schedule::Every { minutes: 20 });
        assert_eq!(parsed("every 2h"), Schedule::Every { minutes: 120 });
        assert_eq!(parsed("every 1d"), Schedule::Every { minutes: 1440 });
        assert_eq!(parsed("every 20 minutes"), Schedule::Every { minutes: 20 });
        assert_eq!(parsed("Every 1 Hour"), Schedule::Every { minutes: 60 });
    }

    #[test]
    fn interval_refusals_name_the_problem() {
        assert_eq!(
            refused("every 0m"),
            ScheduleError::ZeroInterval { text: "0m".into() }
        );
        assert_eq!(
            refused("every 0m").to_string(),
            "an interval must be at least one minute (`every 1m`); `every 0m` would never wait"
        );
        assert_eq!(
            refused("every 5s"),
            ScheduleError::InvalidInterval { text: "5s".into() }
        );
        assert_eq!(
            refused("every m"),
            ScheduleError::InvalidInterval { text: "m".into() }
        );
        assert_eq!(
            refused("every -5m"),
            ScheduleError::InvalidInterval { text: "-5m".into() }
        );
        assert_eq!(
            refused("every 99999999999d"),
            ScheduleError::IntervalTooLong {
                text: "99999999999d".into()
            }
        );
    }

    #[test]
    fn one_shots_in_a_zone_or_rfc_3339() {
        let lisbon = parsed("at 2026-12-08T09:00 Europe/Lisbon");
        let want = Schedule::Once {
            at: utc("2026-12-08T09:00:00Z"),
            tz: Some("Europe/Lisbon".into()),
        };
        assert_eq!(lisbon, want);
        assert_eq!(parsed("at 2026-12-08 09:00 Europe/Lisbon"), want);
        let summer = parsed("at 2026-07-08T09:00:15 Europe/Lisbon");
        let want = Schedule::Once {
            at: utc("2026-07-08T08:00:15Z"),
            tz: Some("Europe/Lisbon".into()),
        };
        assert_eq!(summer, want);
        let offset = parsed("at 2026-12-08T09:00:00-05:00");
        let want = Schedule::Once {
            at: utc("2026-12-08T14:00:00Z"),
            tz: None,
        };
        assert_eq!(offset, want);
        // A repeated local time means its first occurrence, as for cron.
        let repeated = parsed("at 2026-11-01T01:30 America/New_York");
        let want = Schedule::Once {
            at: utc("2026-11-01T05:30:00Z"),
            tz: Some("America/New_York".into()),
        };
        assert_eq!(repeated, want);
    }

    #[test]
    fn a_one_shot_in_a_gap_is_refused_with_when_the_clock_resumes() {
        let err = refused("at 2026-03-08T02:30 America/New_York");
        assert_eq!(
            err.to_string(),
            "02:30 on 2026-03-08 does not exist in America/New_York: the clocks jump forward \
             over it (daylight saving time starts); the first time after the jump is 03:00 EDT"
        );
        let err = refused("at 2026-10-04T02:15 Australia/Lord_Howe");
        assert_eq!(
            err,
            ScheduleError::NonexistentLocalTime {
                local: "02:15 on 2026-10-04".into(),
                zone: "Australia/Lord_Howe".into(),
                resumes: "02:30 +11".into(),
            }
        );
    }

    #[test]
    fn one_shot_refusals_name_the_problem() {
        assert_eq!(
            refused("at 2026-12-08T09:00"),
            ScheduleError::MissingZone {
                what: "the time `2026-12-08T09:00`".into()
            }
        );
        assert_eq!(
            refused("at 2026-12-08 09:00"),
            ScheduleError::MissingZone {
                what: "the time `2026-12-08 09:00`".into()
            }
        );
        assert_eq!(
            refused("at 2026-12-08T09:00 Lisbon"),
            ScheduleError::UnknownZone {
                zone: "Lisbon".into()
            }
        );
        assert_eq!(
            refused("at tomorrow morning"),
            ScheduleError::InvalidTime {
                text: "tomorrow morning".into()
            }
        );
        assert_eq!(
            refused("at 2026-02-30T09:00 UTC"),
            ScheduleError::InvalidTime {
                text: "2026-02-30T09:00 UTC".into()
            }
        );
    }

    #[test]
    fn at_startup_in_its_spellings() {
        for spec in ["at startup", "at start-up", "At Startup", "on startup"] {
            assert_eq!(parsed(spec), Schedule::AtStartup, "{spec}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_forms_that_work() {
        assert_eq!(refused("   "), ScheduleError::Empty);
        let err = refused("daily at nine");
        assert_eq!(
            err.to_string(),
            "`daily at nine` is not a schedule; write e.g. `every 20m`, \
             `cron \"0 9 * * MON\" Europe/Lisbon`, `at 2026-12-08T09:00 Europe/Lisbon` or `at startup`"
        );
    }

    #[test]
    fn a_schedule_writes_back_as_a_spec_that_reads_the_same() {
        for spec in [
            r#"cron "0 9 * * MON" Europe/Lisbon"#,
            "every 20m",
            "every 2h",
            "at 2026-12-08T09:00:00 Europe/Lisbon",
            "at 2026-12-08T09:00:00Z",
            "at startup",
        ] {
            let schedule = parsed(spec);
            assert_eq!(schedule.to_string(), spec);
            assert_eq!(parsed(&schedule.to_string()), schedule);
        }
    }
}
