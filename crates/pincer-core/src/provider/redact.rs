//! Keeping the API key out of what a provider says back. Vendors echo a rejected key in
//! their error bodies ("Incorrect API key provided: sk-…"), whole or shortened; those
//! messages end up in events, the history, logs and the terminal.

use std::borrow::Cow;
use std::collections::HashSet;

/// What stands where the key was.
pub const REDACTED: &str = "[redacted]";

/// The length of the key pieces looked for: a shortened echo (`sk-proj-abcd…`) is caught,
/// while the four-character hints Pincer itself shows (`…1234`) stay readable.
const PIECE: usize = 8;

/// `text` with every run made of `key`'s `PIECE`-byte pieces replaced by [`REDACTED`]; the
/// whole key and any part of it eight bytes or longer are such runs. A key shorter than
/// that is replaced only where it appears whole. Linear in `text`.
pub fn redact<'a>(text: &'a str, key: &str) -> Cow<'a, str> {
    let key = key.as_bytes();
    if key.is_empty() {
        return Cow::Borrowed(text);
    }
    let piece = PIECE.min(key.len());
    let pieces: HashSet<&[u8]> = key.windows(piece).collect();
    let bytes = text.as_bytes();
    // Ranges of `text` covered by pieces of the key, merged as they are found.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (start, window) in bytes.windows(piece).enumerate() {
        if !pieces.contains(window) {
            continue;
        }
        let end = start + piece;
        match ranges.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = end,
            _ => ranges.push((start, end)),
        }
    }
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in ranges {
        // A piece of a non-ASCII key may end inside a character: widen to whole ones.
        let start = floor_boundary(text, start);
        let end = ceil_boundary(text, end);
        // Widening may join a range to the one before, whose mark then covers it too.
        if start > at || (start == at && !out.ends_with(REDACTED)) {
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
        }
        at = end.max(at);
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-abc123def456ghi789";

    #[test]
    fn the_key_and_long_parts_of_it_are_replaced() {
        assert_eq!(
            redact(&format!("invalid key {KEY}."), KEY),
            "invalid key [redacted]."
        );
        assert_eq!(
            redact("Incorrect API key provided: sk-abc12***********i789", KEY),
            "Incorrect API key provided: [redacted]***********i789"
        );
        assert_eq!(
            redact(&format!("{KEY}{KEY} and {KEY}"), KEY),
            "[redacted] and [redacted]"
        );
        assert_eq!(
            redact("key …i789 was refused", KEY),
            "key …i789 was refused"
        );
        assert!(matches!(redact("nothing here", KEY), Cow::Borrowed(_)));
    }

    #[test]
    fn short_and_non_ascii_keys() {
        assert_eq!(
            redact("bad key abc, abcd", "abc"),
            "bad key [redacted], [redacted]d"
        );
        assert_eq!(redact("anything", ""), "anything");
        let key = "ключ-секрет-ёжик";
        assert_eq!(
            redact(&format!("«{key}» refused"), key),
            "«[redacted]» refused"
        );
        // Half a character of the key at the edge still redacts whole characters.
        let redacted = redact("xxключ-секрет", key);
        assert_eq!(redacted, "xx[redacted]");
    }
}
