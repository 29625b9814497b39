//! One-time login codes: short enough to type, valid for a few minutes, good for one login.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pincer_core::sync::lock;

/// How long a code can be used.
pub const CODE_TTL: Duration = Duration::from_secs(10 * 60);

/// No 0/O, 1/I/L: codes get read aloud and retyped.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

#[derive(Default)]
pub struct LoginCodes {
    /// Code → when it stops working.
    live: Mutex<HashMap<String, Instant>>,
}

impl LoginCodes {
    /// A new code like `K7PQ-MX3D` (40 bits).
    pub fn issue(&self) -> Result<String, getrandom::Error> {
        let mut raw = [0u8; 8];
        getrandom::fill(&mut raw)?;
        let chars: String = raw
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let code = format!("{}-{}", &chars[..4], &chars[4..]);
        let mut live = lock(&self.live);
        let now = Instant::now();
        live.retain(|_, until| *until > now);
        live.insert(code.clone(), now + CODE_TTL);
        Ok(code)
    }

    /// Uses up `code`; true if it was live. Case, spaces and a missing dash are forgiven.
    pub fn redeem(&self, code: &str) -> bool {
        let normalized = normalize(code);
        let mut live = lock(&self.live);
        match live.remove(&normalized) {
            Some(until) => until > Instant::now(),
            None => false,
        }
    }
}

fn normalize(code: &str) -> String {
    let compact: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.len() == 8 {
        format!("{}-{}", &compact[..4], &compact[4..])
    } else {
        compact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_once_and_tolerates_typing() {
        let codes = LoginCodes::default();
        let code = codes.issue().unwrap();
        assert_eq!(code.len(), 9);
        let typed = code.replace('-', " ").to_lowercase();
        assert!(codes.redeem(&typed));
        assert!(!codes.redeem(&code));
        assert!(!codes.redeem("AAAA-AAAA"));
    }
}
