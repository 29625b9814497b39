//! API keys saved from the UI, in `<home>/secrets.toml` (mode 0600), by provider name.
//!
//! Kept out of `config.toml` so the config can be shared or shown without leaking a key.
//! The OS keyring is the better home on desktops; this file is the fallback that also works
//! on a headless server.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

pub const SECRETS_FILE: &str = "secrets.toml";

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    #[serde(default)]
    keys: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("could not write {path}: {source}")]
pub struct SecretsWriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl Secrets {
    /// Reads the file; a missing file holds no keys.
    pub fn load(home: &Path) -> Result<Self, ConfigError> {
        let path = home.join(SECRETS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                line: 0,
                column: 0,
                key: None,
                message: e.message().trim().to_owned(),
                path,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    pub fn key(&self, provider: &str) -> Option<&str> {
        self.keys.get(provider).map(String::as_str)
    }

    pub fn set(&mut self, provider: &str, key: Option<String>) {
        match key {
            Some(key) => self.keys.insert(provider.to_owned(), key),
            None => self.keys.remove(provider),
        };
    }

    /// Keeps only the keys of these providers, so a removed provider's key goes with it.
    pub fn retain(&mut self, providers: &[String]) {
        self.keys.retain(|name, _| providers.contains(name));
    }

    /// Writes the file readable by its owner only, replacing the old one atomically.
    pub fn save(&self, home: &Path) -> Result<(), SecretsWriteError> {
        let path = home.join(SECRETS_FILE);
        let text = toml::to_string(self).map_err(|e| SecretsWriteError {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        write_private(&path, text.as_bytes()).map_err(|source| SecretsWriteError { path, source })
    }
}

/// Enough of a key to tell which one is set, never enough to use it: `…` and the last four
/// characters, or `None` for a key so short that four characters would give too much away.
pub fn key_hint(key: &str) -> Option<String> {
    let count = key.chars().count();
    (count > 8).then(|| format!("…{}", key.chars().skip(count - 4).collect::<String>()))
}

/// Writes `bytes` to `path` via a temporary file in the same folder and a rename, with mode
/// 0600 on Unix from the moment the file exists.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hints_show_four_characters_of_long_keys_only() {
        assert_eq!(key_hint("sk-abcdefgh1234").as_deref(), Some("…1234"));
        assert_eq!(key_hint("short123"), None);
        assert_eq!(key_hint("ключ-длинный-ёж"), Some("…й-ёж".to_owned()));
    }
    use crate::config::FileConfig;

    #[test]
    fn saved_keys_fill_providers_without_their_own() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            "[[providers]]\npreset = \"deepseek\"\n\n[[providers]]\npreset = \"openai\"\napi_key_env = \"MY_KEY\"\n",
        )
        .unwrap();
        let mut secrets = Secrets::default();
        secrets.set("deepseek", Some("sk-saved".into()));
        secrets.set("openai", Some("sk-ignored".into()));
        secrets.save(home.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(home.path().join(SECRETS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let file = FileConfig::load(home.path()).unwrap();
        assert_eq!(file.providers[0].api_key.as_deref(), Some("sk-saved"));
        // A provider that names its own variable keeps using it.
        assert_eq!(file.providers[1].api_key, None);
    }
}
