//! Why a schedule spec was refused, worded for the person who typed it: the chat tool and
//! the UI show these messages as they are.

/// A schedule spec that cannot be used, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "the schedule is empty; write e.g. `every 20m`, `cron \"0 9 * * MON\" Europe/Lisbon`, `at 2026-12-08T09:00 Europe/Lisbon` or `at startup`"
    )]
    Empty,
    #[error(
        "`{spec}` is not a schedule; write e.g. `every 20m`, `cron \"0 9 * * MON\" Europe/Lisbon`, `at 2026-12-08T09:00 Europe/Lisbon` or `at startup`"
    )]
    UnknownForm { spec: String },
    #[error(
        "the cron expression `{expr}` has {found} fields; it needs 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"
    )]
    CronFieldCount { expr: String, found: usize },
    #[error("the cron expression `{expr}` is not valid: {reason}")]
    InvalidCron { expr: String, reason: String },
    #[error("the cron expression `{expr}` never matches a real date")]
    CronNeverMatches { expr: String },
    #[error("the quote around the cron expression is not closed in `{spec}`")]
    UnclosedQuote { spec: String },
    #[error("{what} needs a time zone after it, e.g. `Europe/Lisbon`, `America/New_York` or `UTC`")]
    MissingZone { what: String },
    #[error(
        "`{zone}` is not a time zone Pincer knows; use an IANA name such as `Europe/Lisbon`, `America/New_York` or `UTC`"
    )]
    UnknownZone { zone: String },
    #[error(
        "`every {text}` is not an interval; write a whole number and a unit, e.g. `every 20m`, `every 2h` or `every 1d`"
    )]
    InvalidInterval { text: String },
    #[error(
        "an interval must be at least one minute (`every 1m`); `every {text}` would never wait"
    )]
    ZeroInterval { text: String },
    #[error("`every {text}` is too long an interval")]
    IntervalTooLong { text: String },
    #[error(
        "`{text}` is not a date and time; write `2026-12-08T09:00 Europe/Lisbon` or an RFC 3339 time such as `2026-12-08T09:00:00Z`"
    )]
    InvalidTime { text: String },
    #[error(
        "{local} does not exist in {zone}: the clocks jump forward over it (daylight saving time starts); the first time after the jump is {resumes}"
    )]
    NonexistentLocalTime {
        local: String,
        zone: String,
        resumes: String,
    },
}
