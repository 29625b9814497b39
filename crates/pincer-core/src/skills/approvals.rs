//! What the user decided about skills, kept in `<home>/skills.json` so the CLI, the daemon
//! and the app share it and the file watcher sees a change made by any of them.
//!
//! Entries are keyed by the skill's folder: a skill with the same name elsewhere inherits
//! nothing. `approved_hash` is the content hash the user saw when enabling a flagged skill;
//! any change to the files after that flags it again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const FILE: &str = "skills.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approvals {
    #[serde(default)]
    pub skills: BTreeMap<String, Decision>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The name the skill had when decided on, for people reading the file.
    #[serde(default)]
    pub name: String,
    /// `Some(false)`: the user turned it off. `Some(true)`: on, even with findings that
    /// `approved_hash` covers. `None`: as loading decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_hash: Option<String>,
    /// Created by the user with `pincer skills new`: its tools run without asking while its
    /// content hash is `authored_hash`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub authored: bool,
    /// The content hash when the user created the skill, or last enabled it. An entry from
    /// before hashes were recorded has none, and counts as changed until enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authored_hash: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {source}; fix or delete it")]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("could not save {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub fn key(dir: &Path) -> String {
    dir.to_string_lossy().into_owned()
}

impl Approvals {
    /// Reads the file; a missing file is no decisions.
    pub fn load(home: &Path) -> Result<Self, ApprovalsError> {
        let path = home.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| ApprovalsError::Invalid { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ApprovalsError::Read { path, source }),
        }
    }

    pub fn save(&self, home: &Path) -> Result<(), ApprovalsError> {
        let path = home.join(FILE);
        let mut text =
            serde_json::to_string_pretty(self).map_err(|source| ApprovalsError::Invalid {
                path: path.clone(),
                source,
            })?;
        text.push('\n');
        crate::secrets::write_private(&path, text.as_bytes())
            .map_err(|source| ApprovalsError::Write { path, source })
    }

    pub fn get(&self, dir: &Path) -> Option<&Decision> {
        self.skills.get(&key(dir))
    }

    pub fn entry(&mut self, dir: &Path, name: &str) -> &mut Decision {
        let decision = self.skills.entry(key(dir)).or_default();
        decision.name = name.to_owned();
        decision
    }
}
