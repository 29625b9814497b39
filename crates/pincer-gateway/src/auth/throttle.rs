//! Slows down guessing: after a few wrong login codes, logins are refused for a while that
//! doubles with every further failure. One counter for all clients: on loopback they all
//! look alike, and a real user needs only a handful of tries.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use pincer_core::sync::lock;

/// Failures allowed before the lock starts.
const FREE_FAILURES: u32 = 5;
const MAX_LOCK: Duration = Duration::from_secs(300);

#[derive(Default)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    failures: u32,
    locked_until: Option<Instant>,
}

impl LoginThrottle {
    /// `Err(wait)` while logins are locked.
    pub fn check(&self) -> Result<(), Duration> {
        let state = lock(&self.state);
        match state.locked_until {
            Some(until) if until > Instant::now() => Err(until - Instant::now()),
            _ => Ok(()),
        }
    }

    pub fn failed(&self) {
        let mut state = lock(&self.state);
        state.failures += 1;
        if state.failures >= FREE_FAILURES {
            let exponent = (state.failures - FREE_FAILURES).min(16);
            let lock = Duration::from_secs(1u64 << exponent).min(MAX_LOCK);
            state.locked_until = Some(Instant::now() + lock);
        }
    }

    pub fn succeeded(&self) {
        *lock(&self.state) = State::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_repeated_failures_and_doubles() {
        let throttle = LoginThrottle::default();
        for _ in 0..FREE_FAILURES - 1 {
            throttle.failed();
            assert!(throttle.check().is_ok());
        }
        throttle.failed();
        let first = throttle.check().unwrap_err();
        throttle.failed();
        let second = throttle.check().unwrap_err();
        assert!(second > first, "{second:?} > {first:?}");
        throttle.succeeded();
        assert!(throttle.check().is_ok());
    }
}
