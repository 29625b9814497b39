//! Slows down guessing: after a few wrong login codes, logins are refused for a while that
//! doubles with every further failure. One counter for all clients: on loopback they all
//! look alike, and a real user needs only a handful of tries.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pincer_core::sync::lock;

use pincer_core::clock::{Clock, SystemClock};

/// Failures allowed before the lock starts.
const FREE_FAILURES: u32 = 5;
const MAX_LOCK: Duration = Duration::from_secs(300);

pub struct LoginThrottle {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

#[derive(Default)]
struct State {
    failures: u32,
    locked_until: Option<Instant>,
}

impl LoginThrottle {
    /// A throttle that reads the time from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Mutex::default(),
            clock,
        }
    }

    /// `Err(wait)` while logins are locked.
    pub fn check(&self) -> Result<(), Duration> {
        let state = lock(&self.state);
        let now = self.clock.now();
        match state.locked_until {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    pub fn failed(&self) {
        let mut state = lock(&self.state);
        state.failures += 1;
        if state.failures >= FREE_FAILURES {
            let exponent = (state.failures - FREE_FAILURES).min(16);
            let lock = Duration::from_secs(1u64 << exponent).min(MAX_LOCK);
            state.locked_until = Some(self.clock.now() + lock);
        }
    }

    pub fn succeeded(&self) {
        *lock(&self.state) = State::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::clock::ManualClock;

    fn throttle() -> (LoginThrottle, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        (LoginThrottle::new(clock.clone()), clock)
    }

    #[test]
    fn locks_after_repeated_failures_and_doubles() {
        let (throttle, _clock) = throttle();
        for _ in 0..FREE_FAILURES - 1 {
            throttle.failed();
            assert!(throttle.check().is_ok());
        }
        throttle.failed();
        assert_eq!(throttle.check(), Err(Duration::from_secs(1)));
        throttle.failed();
        assert_eq!(throttle.check(), Err(Duration::from_secs(2)));
        throttle.succeeded();
        assert!(throttle.check().is_ok());
    }

    #[test]
    fn the_lock_ends_exactly_when_the_wait_is_over() {
        let (throttle, clock) = throttle();
        for _ in 0..FREE_FAILURES + 1 {
            throttle.failed();
        }
        assert_eq!(throttle.check(), Err(Duration::from_secs(2)));
        clock.advance(Duration::from_millis(1500));
        assert_eq!(throttle.check(), Err(Duration::from_millis(500)));
        clock.advance(Duration::from_millis(500));
        assert!(throttle.check().is_ok());
        // The failures are remembered: the next wrong code locks for twice as long.
        throttle.failed();
        assert_eq!(throttle.check(), Err(Duration::from_secs(4)));
    }

    #[test]
    fn the_lock_never_exceeds_five_minutes() {
        let (throttle, clock) = throttle();
        for _ in 0..FREE_FAILURES + 40 {
            throttle.failed();
        }
        assert_eq!(throttle.check(), Err(MAX_LOCK));
        clock.advance(MAX_LOCK);
        assert!(throttle.check().is_ok());
    }
}
