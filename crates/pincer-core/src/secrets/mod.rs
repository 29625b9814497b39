//! Secrets (provider keys now, tokens and bridge passwords later), by name, outside every
//! file Pincer writes in plain text.
//!
//! They live in the OS keyring (Secret Service over D-Bus on Linux, the Keychain on macOS,
//! the Credential Manager on Windows). Where no keyring service runs — a headless server, a
//! session without D-Bus — they go to `<home>/secrets.enc`, encrypted with a random local
//! key in `<home>/secrets.key` (both 0600), and every surface says so. A keyring that is
//! there but locked or failing is an error: Pincer never falls back to a weaker store on
//! its own once it has seen a keyring.
//!
//! `<home>/secret-store.toml` records which store holds the secrets and their names (the
//! keyring cannot list them), never a value. `[secrets] store` in config.toml can pin the
//! store (`"keyring"` or `"file"`); the default, `"auto"`, picks as above.

mod encrypted_file;
mod index;
mod os_keyring;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use self::encrypted_file::EncryptedFile;
use self::index::Index;
use self::os_keyring::{OsKeyring, Probe};

pub use self::encrypted_file::{KEY_FILE, STORE_FILE};
pub use self::index::INDEX_FILE;

/// `[secrets] store` in config.toml: which store new secrets go to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreChoice {
    /// The OS keyring when a keyring service runs, else the encrypted file (with a warning).
    #[default]
    Auto,
    /// The OS keyring or nothing: saving fails when it is not there.
    Keyring,
    /// The encrypted file, even where a keyring runs.
    File,
}

/// Where the secrets are (or would go).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Keyring,
    EncryptedFile,
}

/// Which store is used and why, for `pincer doctor`, the Settings page and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStatus {
    pub kind: StoreKind,
    /// "the OS keyring (Secret Service)", "<home>/secrets.enc".
    pub location: String,
    /// Set when the secrets are less protected than they could be: why, and what to do.
    pub warning: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "the OS keyring is locked or has no default keyring ({detail}); unlock it (log in to \
         the desktop session) and try again, or set [secrets] store = \"file\" in config.toml"
    )]
    KeyringLocked { detail: String },
    #[error("the OS keyring failed: {detail}")]
    Keyring { detail: String },
    #[error(
        "the secrets are in the OS keyring, which is not reachable here ({why}); run Pincer \
         in your desktop session, or remove {index} and save the keys again"
    )]
    KeyringGone { why: String, index: PathBuf },
    #[error("[secrets] store = \"keyring\", but no keyring service runs here ({why})")]
    KeyringRequired { why: String },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path} cannot be decrypted with {key} (a different or damaged key, or an edited file)"
    )]
    Decrypt { path: PathBuf, key: PathBuf },
    #[error("no random bytes from the operating system: {0}")]
    Random(String),
}

/// The secrets of one data home.
pub struct SecretStore {
    home: PathBuf,
    choice: StoreChoice,
    index: Index,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore")
            .field("home", &self.home)
            .field("store", &self.index.store)
            .field("names", &self.index.names)
            .finish()
    }
}

/// An opened backend.
enum Backend {
    Keyring(OsKeyring),
    File(EncryptedFile),
}

impl SecretStore {
    /// Reads which store holds this home's secrets; touches no keyring yet.
    pub fn open(home: &Path, choice: StoreChoice) -> Result<Self, SecretsError> {
        Ok(Self {
            home: home.to_path_buf(),
            choice,
            index: Index::load(home)?,
        })
    }

    /// The names of the secrets kept.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.index.names.iter().map(String::as_str)
    }

    pub fn get(&self, name: &str) -> Result<Option<String>, SecretsError> {
        if !self.index.names.iter().any(|n| n == name) {
            return Ok(None);
        }
        match self.backend_for_reading()? {
            Some(Backend::Keyring(keyring)) => keyring.get(name),
            Some(Backend::File(file)) => Ok(file.load()?.remove(name)),
            None => Ok(None),
        }
    }

    /// Every secret kept, by name.
    pub fn all(&self) -> Result<Vec<(String, String)>, SecretsError> {
        match self.backend_for_reading()? {
            Some(Backend::Keyring(keyring)) => {
                let mut all = Vec::new();
                for name in &self.index.names {
                    if let Some(value) = keyring.get(name)? {
                        all.push((name.clone(), value));
                    }
                }
                Ok(all)
            }
            Some(Backend::File(file)) => Ok(file
                .load()?
                .into_iter()
                .filter(|(name, _)| self.index.names.contains(name))
                .collect()),
            None => Ok(Vec::new()),
        }
    }

    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SecretsError> {
        match self.backend_for_writing()? {
            Backend::Keyring(keyring) => keyring.set(name, value)?,
            Backend::File(file) => {
                let mut all = file.load()?;
                all.insert(name.to_owned(), value.to_owned());
                file.save(&all)?;
            }
        }
        if !self.index.names.iter().any(|n| n == name) {
            self.index.names.push(name.to_owned());
            self.index.names.sort();
        }
        self.index.save(&self.home)
    }

    pub fn remove(&mut self, name: &str) -> Result<(), SecretsError> {
        if !self.index.names.iter().any(|n| n == name) {
            return Ok(());
        }
        match self.backend_for_reading()? {
            Some(Backend::Keyring(keyring)) => keyring.remove(name)?,
            Some(Backend::File(file)) => {
                let mut all = file.load()?;
                all.remove(name);
                file.save(&all)?;
            }
            None => {}
        }
        self.index.names.retain(|n| n != name);
        self.index.save(&self.home)
    }

    /// Which store holds the secrets, or would hold the first one saved now, and whether
    /// that deserves a warning. Asks the keyring service when nothing is stored yet.
    pub fn status(&self) -> Result<StoreStatus, SecretsError> {
        let kind = match self.index.store {
            Some(kind) => kind,
            None => match self.choose()? {
                Backend::Keyring(_) => StoreKind::Keyring,
                Backend::File(_) => StoreKind::EncryptedFile,
            },
        };
        Ok(match kind {
            StoreKind::Keyring => StoreStatus {
                kind,
                location: OsKeyring::DESCRIPTION.to_owned(),
                warning: None,
            },
            StoreKind::EncryptedFile => StoreStatus {
                kind,
                location: self.home.join(STORE_FILE).display().to_string(),
                warning: Some(self.file_warning()),
            },
        })
    }

    fn file_warning(&self) -> String {
        let why = match self.choice {
            StoreChoice::File => "[secrets] store = \"file\" in config.toml".to_owned(),
            _ => match OsKeyring::probe() {
                Probe::Absent(why) => format!("no OS keyring service runs here ({why})"),
                Probe::Ready(_) => {
                    "the keys were saved there before a keyring service was running".to_owned()
                }
                Probe::Failed(e) => e.to_string(),
            },
        };
        format!(
            "secrets are kept in an encrypted file, not the OS keyring: {why}. The file's key \
             ({}) sits beside it, so this keeps keys out of plain sight, not away from \
             someone who can read your data home.",
            self.home.join(KEY_FILE).display()
        )
    }

    /// The backend the index names; `None` when nothing was ever stored.
    fn backend_for_reading(&self) -> Result<Option<Backend>, SecretsError> {
        match self.index.store {
            None => Ok(None),
            Some(StoreKind::EncryptedFile) => {
                Ok(Some(Backend::File(EncryptedFile::new(&self.home))))
            }
            Some(StoreKind::Keyring) => match OsKeyring::probe() {
                Probe::Ready(keyring) => Ok(Some(Backend::Keyring(keyring.for_home(&self.home)))),
                Probe::Absent(why) => Err(SecretsError::KeyringGone {
                    why,
                    index: self.home.join(INDEX_FILE),
                }),
                Probe::Failed(e) => Err(e),
            },
        }
    }

    fn backend_for_writing(&mut self) -> Result<Backend, SecretsError> {
        if let Some(backend) = self.backend_for_reading()? {
            return Ok(backend);
        }
        let backend = self.choose()?;
        self.index.store = Some(match backend {
            Backend::Keyring(_) => StoreKind::Keyring,
            Backend::File(_) => {
                tracing::warn!("{}", self.file_warning());
                StoreKind::EncryptedFile
            }
        });
        Ok(backend)
    }

    /// The store the first secret goes to, by `[secrets] store`.
    fn choose(&self) -> Result<Backend, SecretsError> {
        let file = || Backend::File(EncryptedFile::new(&self.home));
        match self.choice {
            StoreChoice::File => Ok(file()),
            StoreChoice::Keyring => match OsKeyring::probe() {
                Probe::Ready(keyring) => Ok(Backend::Keyring(keyring.for_home(&self.home))),
                Probe::Absent(why) => Err(SecretsError::KeyringRequired { why }),
                Probe::Failed(e) => Err(e),
            },
            StoreChoice::Auto => match OsKeyring::probe() {
                Probe::Ready(keyring) => Ok(Backend::Keyring(keyring.for_home(&self.home))),
                Probe::Absent(_) => Ok(file()),
                Probe::Failed(e) => Err(e),
            },
        }
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

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_file_store_keeps_secrets_encrypted_and_private() {
        let home = tempfile::tempdir().unwrap();
        let mut store = SecretStore::open(home.path(), StoreChoice::File).unwrap();
        assert_eq!(store.get("bridge:matrix").unwrap(), None);
        assert!(
            !home.path().join(KEY_FILE).exists(),
            "nothing is created before a secret is saved"
        );
        store.set("bridge:matrix", "pw-SENTINEL-7391").unwrap();
        store.set("provider:openai", "sk-SENTINEL-0042").unwrap();
        let status = store.status().unwrap();
        assert_eq!(status.kind, StoreKind::EncryptedFile);
        assert!(
            status
                .warning
                .as_deref()
                .unwrap()
                .contains("store = \"file\""),
            "{status:?}"
        );

        let again = SecretStore::open(home.path(), StoreChoice::Auto).unwrap();
        assert_eq!(
            again.get("bridge:matrix").unwrap().as_deref(),
            Some("pw-SENTINEL-7391")
        );
        assert_eq!(
            again.names().collect::<Vec<_>>(),
            ["bridge:matrix", "provider:openai"]
        );
        for file in [KEY_FILE, STORE_FILE, INDEX_FILE] {
            let path = home.path().join(file);
            assert_eq!(mode(&path), 0o600, "{file}");
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("SENTINEL"),
                "{file} holds a secret in plain text"
            );
        }

        let mut again = again;
        again.remove("bridge:matrix").unwrap();
        assert_eq!(again.get("bridge:matrix").unwrap(), None);
        assert_eq!(again.all().unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_file_store_is_an_error_not_an_empty_store() {
        let home = tempfile::tempdir().unwrap();
        let mut store = SecretStore::open(home.path(), StoreChoice::File).unwrap();
        store.set("provider:openai", "sk-1").unwrap();
        let path = home.path().join(STORE_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let err = store.get("provider:openai").unwrap_err();
        assert!(matches!(err, SecretsError::Decrypt { .. }), "{err}");
    }

    #[test]
    fn keys_kept_in_a_keyring_that_is_gone_are_an_error() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(INDEX_FILE),
            "store = \"keyring\"\nnames = [\"provider:openai\"]\n",
        )
        .unwrap();
        let store = SecretStore::open(home.path(), StoreChoice::Auto).unwrap();
        // Whatever this machine has, the answer is the key or an error, never "no key".
        match store.get("provider:openai") {
            Ok(Some(_)) => panic!("no key was ever stored for this home"),
            Ok(None) => {
                // Only a reachable keyring may say the entry is not there.
                assert!(matches!(OsKeyring::probe(), Probe::Ready(_)));
            }
            Err(e) => assert!(
                matches!(
                    e,
                    SecretsError::KeyringGone { .. }
                        | SecretsError::KeyringLocked { .. }
                        | SecretsError::Keyring { .. }
                ),
                "{e}"
            ),
        }
    }
}
