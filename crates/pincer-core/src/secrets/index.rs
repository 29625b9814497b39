//! `<home>/secret-store.toml`: which store holds the secrets and their names. The OS
//! keyring cannot list what it holds, and a store chosen once must not change behind the
//! user's back, so both are written down here. Never a value.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{SecretsError, StoreKind, write_private};

pub const INDEX_FILE: &str = "secret-store.toml";

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Index {
    /// Unset until the first secret is saved.
    pub(super) store: Option<StoreKind>,
    #[serde(default)]
    pub(super) names: Vec<String>,
}

impl Index {
    pub(super) fn load(home: &Path) -> Result<Self, SecretsError> {
        let path = home.join(INDEX_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| SecretsError::Invalid {
                message: e.message().trim().to_owned(),
                path,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(SecretsError::Read { path, source }),
        }
    }

    pub(super) fn save(&self, home: &Path) -> Result<(), SecretsError> {
        let path = home.join(INDEX_FILE);
        let body = toml::to_string(self).map_err(|e| SecretsError::Invalid {
            message: e.to_string(),
            path: path.clone(),
        })?;
        let text = format!(
            "# Where Pincer keeps its secrets, and their names; never a secret itself.\n{body}"
        );
        write_private(&path, text.as_bytes()).map_err(|source| SecretsError::Write { path, source })
    }
}
