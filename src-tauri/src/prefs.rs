//! The desktop app's own preferences, in `<home>/desktop.json`: the shortcuts. (Start at
//! login is the operating system's state, read from and written to it directly.)

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const FILE: &str = "desktop.json";
pub const DEFAULT_QUICK_ASK: &str = "CommandOrControl+Shift+Space";
pub const DEFAULT_STOP: &str = "CommandOrControl+Shift+Escape";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prefs {
    /// Opens the quick-ask window.
    pub quick_ask_shortcut: String,
    /// Stops every running turn and any mouse/keyboard action at once.
    pub stop_shortcut: String,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            quick_ask_shortcut: DEFAULT_QUICK_ASK.to_owned(),
            stop_shortcut: DEFAULT_STOP.to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrefsError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("could not save {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Prefs {
    /// The saved preferences; defaults when the file does not exist yet.
    pub fn load(home: &Path) -> Result<Self, PrefsError> {
        let path = home.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|source| PrefsError::Parse { path, source })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(PrefsError::Read { path, source }),
        }
    }

    /// Writes atomically (a temporary file renamed over the old one).
    pub fn save(&self, home: &Path) -> Result<(), PrefsError> {
        let path = home.join(FILE);
        serde_json::to_string_pretty(self)
            .map_err(std::io::Error::other)
            .and_then(|text| pincer_core::secrets::write_private(&path, text.as_bytes()))
            .map_err(|source| PrefsError::Write { path, source })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_a_saved_change_comes_back() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(Prefs::load(home.path()).unwrap(), Prefs::default());
        let prefs = Prefs {
            quick_ask_shortcut: "Alt+Space".into(),
            ..Prefs::default()
        };
        prefs.save(home.path()).unwrap();
        assert_eq!(Prefs::load(home.path()).unwrap(), prefs);
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(FILE), "{ nope").unwrap();
        let err = Prefs::load(home.path()).unwrap_err().to_string();
        assert!(err.contains("desktop.json"), "{err}");
    }
}
