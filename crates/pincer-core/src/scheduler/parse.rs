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
    ZonedCron::parse(expr, zone)?;
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
        // The first of a repeated hour, as for cron: the rule for repeats.
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
