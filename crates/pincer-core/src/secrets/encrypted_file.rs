//! The fallback store: every secret in `<home>/secrets.enc`, one XChaCha20-Poly1305 message
//! (random 24-byte nonce, then the ciphertext of a JSON object name → secret), under a random
//! 32-byte key in `<home>/secrets.key`. Both files are 0600 and replaced atomically.
//!
//! The key sits beside the file, so this protects against a glance, a grep, a tool that
//! reads one file or a backup of one file; not against someone who can read the data home.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::{SecretsError, write_private};

pub const STORE_FILE: &str = "secrets.enc";
pub const KEY_FILE: &str = "secrets.key";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Bound into every message, so a file of some other format never decrypts as ours.
const AAD: &[u8] = b"pincer secrets.enc v1";

pub(super) struct EncryptedFile {
    path: PathBuf,
    key_path: PathBuf,
}

impl EncryptedFile {
    pub(super) fn new(home: &Path) -> Self {
        Self {
            path: home.join(STORE_FILE),
            key_path: home.join(KEY_FILE),
        }
    }

    /// Every secret; an absent file holds none. A file that does not decrypt is an error.
    pub(super) fn load(&self) -> Result<BTreeMap<String, String>, SecretsError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(source) => {
                return Err(SecretsError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let key = self.read_key()?;
        let decrypt_error = || SecretsError::Decrypt {
            path: self.path.clone(),
            key: self.key_path.clone(),
        };
        let Some((nonce, ciphertext)) = bytes.split_at_checked(NONCE_LEN) else {
            return Err(decrypt_error());
        };
        let nonce = XNonce::try_from(nonce).map_err(|_| decrypt_error())?;
        let plain = cipher(&key)?
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: AAD,
                },
            )
            .map_err(|_| decrypt_error())?;
        serde_json::from_slice(&plain).map_err(|e| SecretsError::Invalid {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    pub(super) fn save(&self, secrets: &BTreeMap<String, String>) -> Result<(), SecretsError> {
        let key = match self.read_key() {
            Ok(key) => key,
            Err(SecretsError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && !self.path.exists() =>
            {
                self.new_key()?
            }
            Err(e) => return Err(e),
        };
        let plain = serde_json::to_vec(secrets).map_err(|e| SecretsError::Invalid {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SecretsError::Random(e.to_string()))?;
        let ciphertext = cipher(&key)?
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: AAD,
                },
            )
            .map_err(|_| SecretsError::Invalid {
                path: self.path.clone(),
                message: "could not encrypt".to_owned(),
            })?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        write_private(&self.path, &bytes).map_err(|source| SecretsError::Write {
            path: self.path.clone(),
            source,
        })
    }

    fn read_key(&self) -> Result<Vec<u8>, SecretsError> {
        let key = std::fs::read(&self.key_path).map_err(|source| SecretsError::Read {
            path: self.key_path.clone(),
            source,
        })?;
        if key.len() != KEY_LEN {
            return Err(SecretsError::Invalid {
                path: self.key_path.clone(),
                message: format!("a key is {KEY_LEN} bytes, this file has {}", key.len()),
            });
        }
        Ok(key)
    }

    fn new_key(&self) -> Result<Vec<u8>, SecretsError> {
        let mut key = vec![0u8; KEY_LEN];
        getrandom::fill(&mut key).map_err(|e| SecretsError::Random(e.to_string()))?;
        write_private(&self.key_path, &key).map_err(|source| SecretsError::Write {
            path: self.key_path.clone(),
            source,
        })?;
        Ok(key)
    }
}

fn cipher(key: &[u8]) -> Result<XChaCha20Poly1305, SecretsError> {
    XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| SecretsError::Random("bad key length".into()))
}
