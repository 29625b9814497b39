//! One gateway per data home: an exclusive lock on `<home>/daemon.lock`, which also holds the
//! URL of the running gateway so `pincer login` (and the desktop shell) can find it. The
//! kernel drops the lock when the process dies, so a crash never leaves a stale claim.

use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

pub const LOCK_FILE: &str = "daemon.lock";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    pub pid: u32,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("another Pincer is already serving this data home{}", .0.as_ref().map(|r| format!(" at {} (pid {})", r.url, r.pid)).unwrap_or_default())]
    AlreadyRunning(Option<Running>),
    #[error("could not use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held for as long as the gateway runs.
pub struct InstanceLock {
    file: Flock<File>,
    path: PathBuf,
}

impl InstanceLock {
    pub fn acquire(home: &Path) -> Result<Self, InstanceError> {
        let path = home.join(LOCK_FILE);
        let io = |source| InstanceError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(file) => Ok(Self { file, path }),
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                Err(InstanceError::AlreadyRunning(running(home)))
            }
            Err((_, errno)) => Err(io(std::io::Error::from(errno))),
        }
    }

    /// Records where this gateway listens.
    pub fn publish(&mut self, url: &str) -> Result<(), InstanceError> {
        let running = Running {
            pid: std::process::id(),
            url: url.to_owned(),
        };
        let text = serde_json::to_string(&running).unwrap_or_default();
        let io = |source| InstanceError::Io {
            path: self.path.clone(),
            source,
        };
        let file: &mut File = &mut self.file;
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.flush().map_err(io)
    }
}

/// The gateway serving `home`, if one holds the lock and has published its URL.
pub fn running(home: &Path) -> Option<Running> {
    let path = home.join(LOCK_FILE);
    let file = File::open(&path).ok()?;
    // If we can take the lock, nobody is running (the file is left over).
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(_unlocked_on_drop) => None,
        Err((mut file, _)) => {
            let mut text = String::new();
            file.read_to_string(&mut text).ok()?;
            serde_json::from_str(&text).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_instance_is_refused_and_finds_the_first() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(running(home.path()), None);
        let mut first = InstanceLock::acquire(home.path()).unwrap();
        first.publish("http://127.0.0.1:1").unwrap();
        let found = running(home.path()).unwrap();
        assert_eq!(found.url, "http://127.0.0.1:1");
        match InstanceLock::acquire(home.path()) {
            Err(InstanceError::AlreadyRunning(Some(r))) => assert_eq!(r.pid, std::process::id()),
            other => panic!("expected AlreadyRunning, got {:?}", other.err()),
        }
        drop(first);
        assert_eq!(running(home.path()), None);
        assert!(InstanceLock::acquire(home.path()).is_ok());
    }
}
