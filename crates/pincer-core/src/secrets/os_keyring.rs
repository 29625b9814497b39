//! The OS keyring through the `keyring` crate: the Secret Service over D-Bus on Linux
//! (GNOME Keyring, KWallet, KeePassXC), the Keychain on macOS, the Credential Manager on
//! Windows. Entries are named by the data home, so two homes never share a key.

use std::path::Path;

use super::SecretsError;

/// How long the probe waits for the keyring service to answer.
const PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) struct OsKeyring {
    service: String,
}

/// Whether a keyring service can be used here.
pub(super) enum Probe {
    Ready(OsKeyring),
    /// None runs (why): the encrypted file may take over.
    Absent(String),
    /// One runs but refused or failed: an error for the user, never a reason to fall back.
    Failed(SecretsError),
}

impl OsKeyring {
    #[cfg(target_os = "linux")]
    pub(super) const DESCRIPTION: &str = "the OS keyring (Secret Service)";
    #[cfg(target_os = "macos")]
    pub(super) const DESCRIPTION: &str = "the OS keyring (Keychain)";
    #[cfg(windows)]
    pub(super) const DESCRIPTION: &str = "the OS keyring (Credential Manager)";
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    pub(super) const DESCRIPTION: &str = "the OS keyring";

    /// Asks the keyring service whether it answers, by reading an entry nobody writes, and
    /// waits at most [`PROBE_WAIT`] for it: a bus that swallows replies leaves a D-Bus call
    /// waiting for ever (zbus has no default timeout), and Pincer must say so rather than
    /// hang. The asking thread is left to finish or not on its own.
    pub(super) fn probe() -> Probe {
        if let Some(why) = no_keyring_here() {
            return Probe::Absent(why);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("keyring-probe".to_owned())
            .spawn(move || {
                let _ = tx.send(Self::probe_now());
            });
        if let Err(e) = spawned {
            return Probe::Failed(SecretsError::Keyring {
                detail: format!("could not start asking it: {e}"),
            });
        }
        rx.recv_timeout(PROBE_WAIT).unwrap_or_else(|_| {
            Probe::Failed(SecretsError::Keyring {
                detail: format!(
                    "it did not answer within {} s (is the session bus or the keyring daemon stuck?)",
                    PROBE_WAIT.as_secs()
                ),
            })
        })
    }

    fn probe_now() -> Probe {
        let keyring = Self {
            service: "pincer".to_owned(),
        };
        match keyring.entry("probe").and_then(|e| {
            e.get_password().map(|_| ()).or_else(|e| match e {
                keyring::Error::NoEntry => Ok(()),
                other => Err(other),
            })
        }) {
            Ok(()) => Probe::Ready(keyring),
            Err(keyring::Error::PlatformFailure(e)) if service_missing(&e.to_string()) => {
                Probe::Absent(e.to_string())
            }
            Err(e) => Probe::Failed(classify(e)),
        }
    }

    /// The same keyring, with entries named for `home`.
    pub(super) fn for_home(self, home: &Path) -> Self {
        let home = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
        Self {
            service: format!("pincer {}", home.display()),
        }
    }

    pub(super) fn get(&self, name: &str) -> Result<Option<String>, SecretsError> {
        match self.entry(name).and_then(|e| e.get_password()) {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    pub(super) fn set(&self, name: &str, value: &str) -> Result<(), SecretsError> {
        self.entry(name)
            .and_then(|e| e.set_password(value))
            .map_err(classify)
    }

    pub(super) fn remove(&self, name: &str) -> Result<(), SecretsError> {
        match self.entry(name).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    fn entry(&self, name: &str) -> keyring::Result<keyring::Entry> {
        keyring::Entry::new(&self.service, name)
    }
}

fn classify(e: keyring::Error) -> SecretsError {
    match e {
        keyring::Error::NoStorageAccess(e) => SecretsError::KeyringLocked {
            detail: e.to_string(),
        },
        other => SecretsError::Keyring {
            detail: other.to_string(),
        },
    }
}

/// Why no keyring can run here, when that is known without asking one.
#[cfg(target_os = "linux")]
fn no_keyring_here() -> Option<String> {
    let address = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").filter(|a| !a.is_empty());
    let runtime_bus = std::env::var_os("XDG_RUNTIME_DIR")
        .map(|dir| Path::new(&dir).join("bus"))
        .filter(|bus| bus.exists());
    (address.is_none() && runtime_bus.is_none())
        .then(|| "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set".to_owned())
}

#[cfg(any(target_os = "macos", windows))]
fn no_keyring_here() -> Option<String> {
    None
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn no_keyring_here() -> Option<String> {
    Some("Pincer supports the keyrings of Linux, macOS and Windows only".to_owned())
}

/// A D-Bus failure that means "no Secret Service on this bus" (or no bus at the address
/// given) rather than "it failed". The texts are the `secret-service` crate's and zbus's.
fn service_missing(message: &str) -> bool {
    [
        // The bus runs, nothing provides org.freedesktop.secrets.
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "was not provided by any .service files",
        "NameHasNoOwner",
        // No bus at DBUS_SESSION_BUS_ADDRESS (secret_service::Error::Unavailable).
        "no secret service provider or dbus session found",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}
