//! Schedules in plain words, for the chat tool to read back to the user and for the UI:
//! "every Monday at 09:00 Europe/Lisbon, next run Mon 7 Dec 09:00".
//!
//! Only the cron shapes people write most (hourly, daily, weekdays, some days of the
//! week, a day of the month) are put in words; anything else is shown as the cron text
//! itself with its zone, which is exact, rather than a paraphrase that might be wrong.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;

use super::cron::parse_zone;
use super::schedule::Schedule;

impl Schedule {
    /// The schedule in words, with the next run (from `next_after`) when given.
    pub fn describe(&self, next: Option<DateTime<Utc>>) -> String {
        match self {
            Self::Cron { expr, tz } => {
                let what = match cron_in_words(expr) {
                    Some(words) => format!("{words} {tz}"),
                    None => format!("cron \"{expr}\" {tz}"),
                };
                let zone = parse_zone(tz).unwrap_or(Tz::UTC);
                with_next(what, next, zone, "")
            }
            Self::Every { minutes } => with_next(every_in_words(*minutes), next, Tz::UTC, " UTC"),
            Self::Once { at, tz } => {
                let (zone, name) = match tz.as_deref().map(|tz| (parse_zone(tz), tz)) {
                    Some((Ok(zone), name)) => (zone, name),
                    _ => (Tz::UTC, "UTC"),
                };
                let local = at.with_timezone(&zone);
                format!(
                    "once at {} {}",
                    local.format(&format!("%a %-d %b %Y {}", clock_format(&local))),
                    name
                )
            }
            Self::AtStartup => "at start-up".to_owned(),
        }
    }
}

fn with_next(what: String, next: Option<DateTime<Utc>>, zone: Tz, suffix: &str) -> String {
    match next {
        Some(next) => {
            let local = next.with_timezone(&zone);
            let pattern = format!("%a %-d %b {}", clock_format(&local));
            let when = local.format(&pattern);
            format!("{what}, next run {when}{suffix}")
        }
        None => what,
    }
}

/// `%H:%M`, with seconds only when there are some.
fn clock_format<T: Timelike>(time: &T) -> &'static str {
    if time.second() == 0 {
        "%H:%M"
    } else {
        "%H:%M:%S"
    }
}

fn every_in_words(minutes: u32) -> String {
    const DAY: u32 = 24 * 60;
    match minutes {
        1 => "every minute".to_owned(),
        60 => "every hour".to_owned(),
        DAY => "every day".to_owned(),
        m if m % DAY == 0 => format!("every {} days", m / DAY),
        m if m % 60 == 0 => format!("every {} hours", m / 60),
        m => format!("every {m} minutes"),
    }
}

/// The common shapes of a 5-field expression (or 6 with seconds `0`), else `None`.
fn cron_in_words(expr: &str) -> Option<String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = match fields.as_slice() {
        [minute, hour, day, month, weekday] => [*minute, *hour, *day, *month, *weekday],
        ["0" | "00", minute, hour, day, month, weekday] => [*minute, *hour, *day, *month, *weekday],
        _ => return None,
    };
    let minute = number(minute, 59)?;
    if month != "*" {
        return None;
    }
    if hour == "*" {
        return (day == "*" && weekday == "*").then(|| format!("every hour at :{minute:02}"));
    }
    let at = format!("at {:02}:{minute:02}", number(hour, 23)?);
    match (day, weekday) {
        ("*", "*") => Some(format!("every day {at}")),
        ("*", weekdays) if is_monday_to_friday(weekdays) => {
            Some(format!("every weekday (Monday to Friday) {at}"))
        }
        ("*", weekdays) => {
            let names = weekdays
                .split(',')
                .map(weekday_name)
                .collect::<Option<Vec<_>>>()?;
            Some(format!("every {} {at}", join_and(&names)))
        }
        (day, "*") => Some(format!(
            "every month on the {} {at}",
            ordinal(number(day, 31).filter(|d| *d >= 1)?)
        )),
        _ => None,
    }
}

fn number(field: &str, max: u32) -> Option<u32> {
    field.parse().ok().filter(|n| *n <= max)
}

fn is_monday_to_friday(field: &str) -> bool {
    matches!(field.to_ascii_uppercase().as_str(), "1-5" | "MON-FRI")
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("SUN", "Sunday"),
    ("MON", "Monday"),
    ("TUE", "Tuesday"),
    ("WED", "Wednesday"),
    ("THU", "Thursday"),
    ("FRI", "Friday"),
    ("SAT", "Saturday"),
];

/// `MON`, `mon` or `1` → Monday; `0` and `7` are both Sunday, as in cron.
fn weekday_name(field: &str) -> Option<&'static str> {
    let upper = field.to_ascii_uppercase();
    let index = match number(&upper, 7) {
        Some(n) => usize::try_from(n % 7).ok()?,
        None => WEEKDAYS.iter().position(|(short, _)| *short == upper)?,
    };
    WEEKDAYS.get(index).map(|(_, name)| *name)
}

fn join_and(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn cron(expr: &str) -> String {
        Schedule::Cron {
            expr: expr.into(),
            tz: "Europe/Lisbon".into(),
        }
        .describe(None)
    }

    #[test]
    fn a_weekly_cron_with_its_next_run_in_its_zone() {
        let schedule = Schedule::parse(r#"cron "0 9 * * MON" Europe/Lisbon"#).unwrap();
        let next = schedule.next_after(utc("2026-12-01T00:00:00Z"), utc("2026-12-01T00:00:00Z"));
        assert_eq!(
            schedule.describe(next),
            "every Monday at 09:00 Europe/Lisbon, next run Mon 7 Dec 09:00"
        );
        let new_york = Schedule::parse(r#"cron "0 9 * * MON" America/New_York"#).unwrap();
        assert_eq!(
            new_york.describe(Some(utc("2026-12-07T14:00:00Z"))),
            "every Monday at 09:00 America/New_York, next run Mon 7 Dec 09:00"
        );
    }

    #[test]
    fn common_cron_shapes_in_words() {
        assert_eq!(cron("30 7 * * *"), "every day at 07:30 Europe/Lisbon");
        assert_eq!(cron("0 0 7 * * *"), "every day at 07:00 Europe/Lisbon");
        assert_eq!(
            cron("0 9 * * 1-5"),
            "every weekday (Monday to Friday) at 09:00 Europe/Lisbon"
        );
        assert_eq!(
            cron("0 9 * * mon-fri"),
            "every weekday (Monday to Friday) at 09:00 Europe/Lisbon"
        );
        assert_eq!(cron("0 18 * * 5"), "every Friday at 18:00 Europe/Lisbon");
        assert_eq!(
            cron("0 10 * * SAT,SUN"),
            "every Saturday and Sunday at 10:00 Europe/Lisbon"
        );
        assert_eq!(
            cron("0 8 * * 1,3,FRI"),
            "every Monday, Wednesday and Friday at 08:00 Europe/Lisbon"
        );
        assert_eq!(cron("0 9 * * 7"), "every Sunday at 09:00 Europe/Lisbon");
        assert_eq!(
            cron("0 9 1 * *"),
            "every month on the 1st at 09:00 Europe/Lisbon"
        );
        assert_eq!(
            cron("15 6 22 * *"),
            "every month on the 22nd at 06:15 Europe/Lisbon"
        );
        assert_eq!(
            cron("15 6 13 * *"),
            "every month on the 13th at 06:15 Europe/Lisbon"
        );
        assert_eq!(cron("5 * * * *"), "every hour at :05 Europe/Lisbon");
    }

    #[test]
    fn other_cron_shapes_are_shown_as_they_are() {
        for expr in [
            "*/15 * * * *",
            "0 9 * 1 *",
            "0 9 1 * MON",
            "30 0 9 * * *",
            "0 9-17 * * *",
            "0 9 L * *",
        ] {
            assert_eq!(cron(expr), format!("cron \"{expr}\" Europe/Lisbon"));
        }
    }

    #[test]
    fn intervals_in_words() {
        let every = |minutes| Schedule::Every { minutes }.describe(None);
        assert_eq!(every(20), "every 20 minutes");
        assert_eq!(every(1), "every minute");
        assert_eq!(every(60), "every hour");
        assert_eq!(every(120), "every 2 hours");
        assert_eq!(every(90), "every 90 minutes");
        assert_eq!(every(1440), "every day");
        assert_eq!(every(2880), "every 2 days");
        let with_next = Schedule::Every { minutes: 20 }.describe(Some(utc("2026-12-07T09:20:00Z")));
        assert_eq!(with_next, "every 20 minutes, next run Mon 7 Dec 09:20 UTC");
    }

    #[test]
    fn one_shots_in_the_zone_they_were_written_in() {
        let lisbon = Schedule::parse("at 2026-12-08T09:00 Europe/Lisbon").unwrap();
        assert_eq!(
            lisbon.describe(None),
            "once at Tue 8 Dec 2026 09:00 Europe/Lisbon"
        );
        let new_york = Schedule::parse("at 2026-12-08T09:00:30 America/New_York").unwrap();
        assert_eq!(
            new_york.describe(None),
            "once at Tue 8 Dec 2026 09:00:30 America/New_York"
        );
        let bare = Schedule::parse("at 2026-12-08T09:00:00+01:00").unwrap();
        assert_eq!(bare.describe(None), "once at Tue 8 Dec 2026 08:00 UTC");
    }

    #[test]
    fn at_startup_in_words() {
        assert_eq!(Schedule::AtStartup.describe(None), "at start-up");
    }
}
