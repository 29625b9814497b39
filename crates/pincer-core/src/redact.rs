//! Taking known secret values out of text before the model, the history or a surface sees
//! it: a tool that prints the environment or reads a file holding a key must not hand the
//! key to the model. One step where tool results are recorded (`agent/tool_call.rs`).

use std::borrow::Cow;
use std::path::Path;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted secret]";

/// Secrets shorter than this are not looked for: a four-letter "key" would blank out
/// ordinary words, and real keys and tokens are far longer.
const MIN_LEN: usize = 8;

/// Files in the data home whose whole content is a secret another part of Pincer owns
/// (the gateway's API token), read when a result is redacted so a token made after the
/// settings were loaded is covered too.
const SECRET_FILES: &[&str] = &["gateway.token"];

/// The secret values to look for. `Debug` shows how many, never which.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    /// Longest first, so a secret containing another is replaced whole.
    values: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.values.len())
    }
}

impl Redactor {
    pub fn new<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut redactor = Self::default();
        redactor.extend(values);
        redactor
    }

    pub fn extend<I, S>(&mut self, values: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for value in values {
            let value = value.as_ref().trim();
            if value.chars().count() >= MIN_LEN && !self.values.iter().any(|v| v == value) {
                self.values.push(value.to_owned());
            }
        }
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// This redactor plus the secret files of `home` as they are now.
    pub fn with_home_files(&self, home: &Path) -> Self {
        let mut redactor = self.clone();
        redactor.extend(
            SECRET_FILES
                .iter()
                .filter_map(|name| std::fs::read_to_string(home.join(name)).ok()),
        );
        redactor
    }

    /// `text` with every known secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for value in &self.values {
            if text.contains(value.as_str()) {
                text = Cow::Owned(text.replace(value.as_str(), REDACTED));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_replaced_wherever_they_appear() {
        let redactor = Redactor::new(["sk-SENTINEL-123456", "short", "sk-SENTINEL-123456-long"]);
        let text = "A=sk-SENTINEL-123456\nB=sk-SENTINEL-123456-long\nshort stays";
        assert_eq!(
            redactor.redact(text),
            format!("A={REDACTED}\nB={REDACTED}\nshort stays")
        );
        assert!(matches!(redactor.redact("nothing here"), Cow::Borrowed(_)));
        assert_eq!(format!("{redactor:?}"), "Redactor(2 secrets)");
    }

    #[test]
    fn the_gateway_token_is_read_from_the_home() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("gateway.token"), "0123456789abcdef\n").unwrap();
        let redactor = Redactor::default().with_home_files(home.path());
        assert_eq!(
            redactor.redact("t=0123456789abcdef"),
            format!("t={REDACTED}")
        );
    }
}
