//! Pointing at the place in `config.toml` a parse error comes from: file, line, column and
//! the dotted key, so a typo is found without reading the whole file.

use std::path::Path;

use super::ConfigError;

/// `error` from parsing `text` (read from `path`), placed at its line, column and key.
pub(super) fn invalid(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map(|s| s.start).unwrap_or(0);
    let (line, column) = line_column(text, offset);
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        key: key_at(text, offset),
        message: error.message().trim().to_owned(),
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// The dotted key on the line of `offset`, with the table header above it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    let line = text[line_start..line_end].trim();
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let key = if line.starts_with('[') {
        return Some(
            line.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    } else {
        line.split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())?
    };
    Some(match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::FileConfig;

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "[agent]\nmax_steps = 3\nmax_stepz = 4\n";
        let err = FileConfig::parse(Path::new("/h/config.toml"), text).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("/h/config.toml:3:1: unknown field `max_stepz`"),
            "{message}"
        );
        assert!(message.ends_with("(key `agent.max_stepz`)"), "{message}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let text = "[retry]\nmax_attempts = \"many\"\n";
        let err = FileConfig::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:2:16: invalid type"), "{err}");
        assert!(err.contains("(key `retry.max_attempts`)"), "{err}");
    }
}
