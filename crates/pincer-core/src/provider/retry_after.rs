//! Reading a server's `Retry-After` header. The value comes from whoever answers at the
//! base URL, so nothing in it may panic or stall a turn: a wait too long to honour becomes
//! [`LONGEST`] (the retry policy then gives up on that provider), and a value that means
//! nothing is ignored (the normal backoff applies).

use std::time::{Duration, SystemTime};

/// The longest wait this returns: a day, far above any sensible retry cap, so "wait for
/// ever" still reads as "too long" without arithmetic on huge durations anywhere.
pub const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);

/// The wait `value` asks for, measured from `now`: delay-seconds (`120`, or a decimal such
/// as `1.5`, as some servers send) or an HTTP date. `None` when the value means nothing:
/// negative, NaN, not a number and not a date.
pub fn parse(value: &[u8], now: SystemTime) -> Option<Duration> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if let Ok(secs) = text.parse::<f64>() {
        // NaN and negatives mean nothing; +inf and values past `Duration` mean "long".
        if secs.is_nan() || secs < 0.0 {
            return None;
        }
        if secs == 0.0 {
            return Some(Duration::ZERO);
        }
        let wait = Duration::try_from_secs_f64(secs).unwrap_or(LONGEST);
        return Some(wait.min(LONGEST));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    // A date already past means "now".
    let wait = date.duration_since(now).unwrap_or(Duration::ZERO);
    Some(wait.min(LONGEST))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(value: &str) -> Option<Duration> {
        // 2026-01-01T00:00:00Z
        parse(
            value.as_bytes(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600),
        )
    }

    #[test]
    fn seconds_and_dates_are_read() {
        assert_eq!(at("120"), Some(Duration::from_secs(120)));
        assert_eq!(at(" 0 "), Some(Duration::ZERO));
        assert_eq!(at("-0"), Some(Duration::ZERO));
        assert_eq!(at("1e-300"), Some(Duration::ZERO));
        assert_eq!(at("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(
            at("Thu, 01 Jan 2026 00:00:30 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(at("Wed, 31 Dec 2025 23:00:00 GMT"), Some(Duration::ZERO));
    }

    #[test]
    fn absurd_waits_are_capped_and_meaningless_values_ignored() {
        for long in [
            "1e20",
            "1e309",
            "inf",
            "18446744073709551616",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(at(long), Some(LONGEST), "{long}");
        }
        for nothing in ["NaN", "-1", "-0.5", "-inf", "soon", "", "0x10", "1e"] {
            assert_eq!(at(nothing), None, "{nothing}");
        }
        assert_eq!(parse(b"\xff\xfe", SystemTime::now()), None);
    }
}
