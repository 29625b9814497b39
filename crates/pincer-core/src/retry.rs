//! How long to wait before sending a failed model request again.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per provider, the first one included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    /// No single wait is longer; a server asking for more gets the next provider instead.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based), or `None` when it is time to give up.
    /// Exponential backoff with jitter spreads retries of many clients apart; a server's
    /// `Retry-After` wins when it is given.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= self.max_delay).then_some(wait);
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let backoff = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        // Jitter in [50 %, 100 %] of the backoff: never zero, never above the cap.
        let jitter = 0.5 + fastrand::f64() * 0.5;
        Some(backoff.mul_f64(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_bounded_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        let first = policy.delay(1, None).unwrap();
        assert!(
            first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
            "{first:?}"
        );
        let third = policy.delay(3, None).unwrap();
        assert!(
            third >= Duration::from_millis(150) && third <= Duration::from_millis(300),
            "{third:?}"
        );
        assert_eq!(
            policy.delay(2, Some(Duration::from_millis(250))),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            policy.delay(2, Some(Duration::from_secs(60))),
            None,
            "too long a wait gives up"
        );
        assert_eq!(policy.delay(5, None), None, "attempts are bounded");
    }
}
