//! One-time login codes: short enough to type, valid for a few minutes, good for one login,
//! and throttled per code so nobody else's wrong guesses can lock the owner out.
//!
//! A code is 13 characters from a 31-letter alphabet, shown as `ABCDE-FGHJ-KMNP`: the
//! first five are the code's **id** (about 24.8 bits), the other eight its **secret**
//! (about 39.6 bits, the strength of the whole code before). A login names a code by its
//! id and proves it with the secret:
//!
//! - an id that is not live (never issued, used, expired or burnt) is a plain "wrong code"
//!   and counts against nobody, so a flood of made-up codes changes nothing;
//! - a wrong secret for a live id counts against that code only; the [`MAX_FAILURES`]th
//!   burns it. A guesser therefore gets at most that many tries at each code's secret, 1
//!   in 31⁸ each, however fast it sends — and must first find a live id among 31⁵;
//! - the owner with a fresh code (`pincer login`) always gets in: to burn it, a flood must
//!   hit its id five times before the owner uses it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pincer_core::clock::Clock;
use pincer_core::sync::lock;

use super::random::constant_time_eq;

/// How long a code can be used.
pub const CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// Wrong secrets a code survives; the next one burns it.
pub const MAX_FAILURES: u32 = 5;

/// No 0/O, 1/I/L: codes get read aloud and retyped.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const ID_LEN: usize = 5;
const SECRET_LEN: usize = 8;

struct LiveCode {
    secret: String,
    until: Instant,
    failures: u32,
}

/// What a login attempt did to the codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    /// The code was live and is now used up.
    Ok,
    /// No live code has that id (or the text is not a code at all).
    Unknown,
    /// A live code's id with a wrong secret; `burnt` when that was its last try.
    WrongSecret { burnt: bool },
}

pub struct LoginCodes {
    /// Id → the live code.
    live: Mutex<HashMap<String, LiveCode>>,
    clock: Arc<dyn Clock>,
}

impl LoginCodes {
    /// Codes timed by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            live: Mutex::default(),
            clock,
        }
    }

    /// A new code like `K7PQM-X3DQ-2RTA`.
    pub fn issue(&self) -> Result<String, getrandom::Error> {
        let mut live = lock(&self.live);
        let now = self.clock.now();
        live.retain(|_, code| code.until > now);
        let id = loop {
            let id = random_chars(ID_LEN)?;
            if !live.contains_key(&id) {
                break id;
            }
        };
        let secret = random_chars(SECRET_LEN)?;
        let shown = format!("{id}-{}-{}", &secret[..4], &secret[4..]);
        live.insert(
            id,
            LiveCode {
                secret,
                until: now + CODE_TTL,
                failures: 0,
            },
        );
        Ok(shown)
    }

    /// Uses up `code` if it is live and its secret matches. Case, spaces and dashes are
    /// forgiven.
    pub fn redeem(&self, code: &str) -> Redeemed {
        let compact: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.len() != ID_LEN + SECRET_LEN {
            return Redeemed::Unknown;
        }
        let (id, secret) = compact.split_at(ID_LEN);
        let mut live = lock(&self.live);
        let now = self.clock.now();
        let Some(entry) = live.get_mut(id) else {
            return Redeemed::Unknown;
        };
        if entry.until <= now {
            live.remove(id);
            return Redeemed::Unknown;
        }
        if constant_time_eq(entry.secret.as_bytes(), secret.as_bytes()) {
            live.remove(id);
            return Redeemed::Ok;
        }
        entry.failures += 1;
        let burnt = entry.failures >= MAX_FAILURES;
        if burnt {
            live.remove(id);
        }
        Redeemed::WrongSecret { burnt }
    }
}

/// `n` characters of the alphabet, uniformly (bytes that would favour the first letters
/// are drawn again).
fn random_chars(n: usize) -> Result<String, getrandom::Error> {
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 16];
    while out.len() < n {
        getrandom::fill(&mut buf)?;
        for b in buf {
            if usize::from(b) < limit && out.len() < n {
                out.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::clock::ManualClock;

    fn codes() -> (LoginCodes, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        (LoginCodes::new(clock.clone()), clock)
    }

    #[test]
    fn a_code_works_once_and_tolerates_typing() {
        let (codes, _) = codes();
        let code = codes.issue().unwrap();
        assert_eq!(code.len(), 15, "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
        );
        let typed = code.replace('-', " ").to_lowercase();
        assert_eq!(codes.redeem(&typed), Redeemed::Ok);
        assert_eq!(codes.redeem(&code), Redeemed::Unknown);
        assert_eq!(codes.redeem("AAAA-AAAA"), Redeemed::Unknown);
    }

    #[test]
    fn wrong_secrets_count_per_code() {
        let (codes, _) = codes();
        let code = codes.issue().unwrap();
        let other = codes.issue().unwrap();
        let wrong = format!("{}-AAAA-AAAA", &code[..ID_LEN]);
        for _ in 0..MAX_FAILURES - 1 {
            assert_eq!(codes.redeem(&wrong), Redeemed::WrongSecret { burnt: false });
        }
        assert_eq!(codes.redeem(&wrong), Redeemed::WrongSecret { burnt: true });
        assert_eq!(codes.redeem(&code), Redeemed::Unknown);
        assert_eq!(codes.redeem(&other), Redeemed::Ok);
    }

    #[test]
    fn codes_expire_on_the_clock() {
        let (codes, clock) = codes();
        let code = codes.issue().unwrap();
        clock.advance(CODE_TTL);
        assert_eq!(codes.redeem(&code), Redeemed::Unknown);
    }
}
