//! Provider keys saved from the Settings page: in the secret store as `provider:<name>`,
//! each with the base URL it was saved for. A saved key is only ever used with that URL:
//! pointing a provider somewhere else (or testing another URL) without typing the key again
//! sends no key, so a changed URL cannot carry the key to a server the user did not mean.
//!
//! Also moves the plain-text `<home>/secrets.toml` of earlier versions into the store.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ConfigError, FileConfig};
use crate::secrets::{SecretStore, SecretsError};

/// The plain-text key file of earlier versions; moved into the store, then removed.
pub const LEGACY_SECRETS_FILE: &str = "secrets.toml";
const PREFIX: &str = "provider:";

/// A saved key and the URL it may be sent to. `Debug` hides the key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedKey {
    pub key: String,
    /// `None` for a key migrated without a provider of its name: it is never sent.
    pub base_url: Option<String>,
}

impl std::fmt::Debug for SavedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedKey")
            .field("key", &"[redacted]")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl SavedKey {
    /// The key, when `base_url` is the URL it was saved for.
    pub fn for_url(&self, base_url: &str) -> Option<&str> {
        let bound = self.base_url.as_deref()?;
        (same_url(bound, base_url)).then_some(self.key.as_str())
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

/// The saved provider keys, by provider name, as read from the store; `save` writes back
/// what changed.
#[derive(Debug, Clone, Default)]
pub struct SavedKeys {
    keys: BTreeMap<String, SavedKey>,
    stored: BTreeMap<String, SavedKey>,
}

impl SavedKeys {
    /// The provider keys among `all` (name, value) secrets. A malformed entry is an error:
    /// guessing what it meant could send it somewhere.
    pub fn from_secrets(all: &[(String, String)]) -> Result<Self, SecretsError> {
        let mut keys = BTreeMap::new();
        for (name, value) in all {
            if let Some(label) = name.strip_prefix(PREFIX) {
                let key: SavedKey =
                    serde_json::from_str(value).map_err(|_| SecretsError::Invalid {
                        path: format!("secret {name:?}").into(),
                        message: "not a saved provider key".to_owned(),
                    })?;
                keys.insert(label.to_owned(), key);
            }
        }
        Ok(Self {
            stored: keys.clone(),
            keys,
        })
    }

    pub fn load(store: &SecretStore) -> Result<Self, SecretsError> {
        Self::from_secrets(&store.all()?)
    }

    pub fn get(&self, provider: &str) -> Option<&SavedKey> {
        self.keys.get(provider)
    }

    /// The key of `provider` if it was saved for `base_url`.
    pub fn key_for(&self, provider: &str, base_url: &str) -> Option<&str> {
        self.keys.get(provider)?.for_url(base_url)
    }

    pub fn set(&mut self, provider: &str, key: Option<SavedKey>) {
        match key {
            Some(key) => self.keys.insert(provider.to_owned(), key),
            None => self.keys.remove(provider),
        };
    }

    /// Keeps only the keys of these providers, so a removed provider's key goes with it.
    pub fn retain(&mut self, providers: &[String]) {
        self.keys.retain(|name, _| providers.contains(name));
    }

    /// Writes what changed since loading into `store`.
    pub fn save(&mut self, store: &mut SecretStore) -> Result<(), SecretsError> {
        for name in self.stored.keys() {
            if !self.keys.contains_key(name) {
                store.remove(&format!("{PREFIX}{name}"))?;
            }
        }
        for (name, key) in &self.keys {
            if self.stored.get(name) != Some(key) {
                let value = serde_json::to_string(key).map_err(|e| SecretsError::Invalid {
                    path: format!("secret {PREFIX}{name}").into(),
                    message: e.to_string(),
                })?;
                store.set(&format!("{PREFIX}{name}"), &value)?;
            }
        }
        self.stored = self.keys.clone();
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Legacy {
    #[serde(default)]
    keys: BTreeMap<String, String>,
}

/// Moves the keys of `<home>/secrets.toml` into `store`, each bound to the URL its provider
/// in `file` has now (the only place it was sent to), then removes the file. Nothing is
/// removed unless every key was stored.
pub fn migrate_legacy_keys(
    home: &Path,
    file: &FileConfig,
    store: &mut SecretStore,
) -> Result<(), ConfigError> {
    let path = home.join(LEGACY_SECRETS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let legacy: Legacy = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        line: 0,
        column: 0,
        key: None,
        message: e.message().trim().to_owned(),
        path: path.clone(),
    })?;
    let mut saved = SavedKeys::load(store)?;
    for (label, key) in legacy.keys {
        let base_url = file
            .providers
            .iter()
            .find(|entry| entry.label() == label)
            .and_then(|entry| entry.effective_base_url());
        saved.set(&label, Some(SavedKey { key, base_url }));
    }
    saved.save(store)?;
    match std::fs::remove_file(&path) {
        // Another reader of the same home moved it at the same time: the keys are stored.
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(ConfigError::Read { path, source: e });
        }
        _ => {}
    }
    tracing::info!(
        "moved the keys of {} into {}",
        path.display(),
        store
            .status()
            .map(|s| s.location)
            .unwrap_or_else(|_| "the secret store".to_owned())
    );
    Ok(())
}
