//! One engine per data home: an exclusive lock on `<home>/daemon.lock`, held by whichever
//! process runs the engine — a `pincer daemon`, the desktop app, or a `pincer run`/`chat`
//! running it in-process. The file says who holds it and, when the holder serves the
//! gateway, at which URL, so other processes attach to it instead of opening a second
//! engine on the same database. The kernel drops the lock when the process dies, so a
//! crash never leaves a stale claim.
//!
//! The file is one JSON object, rewritten by the holder:
//! `{"pid":4242,"kind":"cli","command":"pincer run"}` while a CLI runs in-process,
//! `{"pid":4242,"kind":"daemon","url":"http://127.0.0.1:7420"}` once a gateway listens.

use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

pub const LOCK_FILE: &str = "daemon.lock";

/// How often a waiting process looks at the lock again. Waits are rare and short (a CLI
/// turn finishing, a daemon publishing its URL), so polling costs nothing that matters and
/// keeps a waiter cancellable, unlike a blocking `flock` on a thread.
const POLL: Duration = Duration::from_millis(25);

/// What kind of process holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    /// `pincer daemon`: the engine with the gateway.
    Daemon,
    /// The desktop app running the engine and gateway itself.
    App,
    /// A `pincer` command running the engine in-process, without a gateway.
    Cli,
}

/// Who holds the lock, as recorded in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    /// Files written before kinds were recorded came from a daemon or the app; both serve.
    #[serde(default = "daemon_kind")]
    pub kind: HolderKind,
    /// The command line a person would recognise (`pincer run`), for messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Where its gateway listens, once it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn daemon_kind() -> HolderKind {
    HolderKind::Daemon
}

impl Holder {
    /// "pincer run (pid 42)", "the Pincer daemon (pid 42)".
    pub fn describe(&self) -> String {
        let what = match (&self.command, self.kind) {
            (Some(command), _) => command.clone(),
            (None, HolderKind::Daemon) => "the Pincer daemon".to_owned(),
            (None, HolderKind::App) => "the Pincer app".to_owned(),
            (None, HolderKind::Cli) => "a pincer command".to_owned(),
        };
        format!("{what} (pid {})", self.pid)
    }

    /// The served gateway, if this holder has published one.
    pub fn running(&self) -> Option<Running> {
        self.url.as_ref().map(|url| Running {
            pid: self.pid,
            url: url.clone(),
        })
    }
}

/// A process serving the data home's gateway at `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    pub pid: u32,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// A daemon or the app serves this data home (`None`: it holds the lock but its record
    /// could not be read, e.g. it is being rewritten at this moment).
    #[error("another Pincer is already serving this data home{}", .0.as_ref().map(|r| format!(" at {} (pid {})", r.url, r.pid)).unwrap_or_default())]
    AlreadyRunning(Option<Running>),
    /// A process runs the engine without serving it (a CLI), or a daemon has not published
    /// its URL yet.
    #[error("{} is using this data home", .0.describe())]
    Busy(Holder),
    #[error("could not use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held for as long as the engine runs in this process.
pub struct InstanceLock {
    file: Flock<File>,
    path: PathBuf,
    holder: Holder,
}

impl std::fmt::Debug for InstanceLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceLock")
            .field("path", &self.path)
            .field("holder", &self.holder)
            .finish()
    }
}

impl InstanceLock {
    /// Takes the lock for a gateway-serving process (daemon or app); see [`Self::acquire_as`].
    pub fn acquire(home: &Path) -> Result<Self, InstanceError> {
        Self::acquire_as(home, HolderKind::Daemon, None)
    }

    /// Takes the lock without waiting and records this process as its holder.
    pub fn acquire_as(
        home: &Path,
        kind: HolderKind,
        command: Option<&str>,
    ) -> Result<Self, InstanceError> {
        let path = home.join(LOCK_FILE);
        let io = |source| InstanceError::Io {
            path: path.clone(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        // It records the daemon's address and pid: the owner's business only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(io)?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(file) => {
                let mut lock = Self {
                    file,
                    path,
                    holder: Holder {
                        pid: std::process::id(),
                        kind,
                        command: command.map(str::to_owned),
                        url: None,
                    },
                };
                lock.write()?;
                Ok(lock)
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => match holder(home) {
                Some(holder) => match holder.running() {
                    Some(running) => Err(InstanceError::AlreadyRunning(Some(running))),
                    None => Err(InstanceError::Busy(holder)),
                },
                None => Err(InstanceError::AlreadyRunning(None)),
            },
            Err((_, errno)) => Err(io(std::io::Error::from(errno))),
        }
    }

    /// Records where this process's gateway listens, so others attach to it.
    pub fn publish(&mut self, url: &str) -> Result<(), InstanceError> {
        self.holder.url = Some(url.to_owned());
        self.write()
    }

    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    fn write(&mut self) -> Result<(), InstanceError> {
        let text = serde_json::to_string(&self.holder).unwrap_or_default();
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

/// What [`claim`] got: the lock, or the process already serving the data home.
#[derive(Debug)]
pub enum Claim {
    Mine(InstanceLock),
    Served(Running),
}

/// Takes the lock, waiting while another process holds it without serving (a CLI running
/// the engine in-process, or a daemon still starting). `waiting` is told about each holder
/// once, when the wait for it begins, so the user hears why nothing happens. Returns
/// [`Claim::Served`] when a daemon or the app serves the data home; the caller attaches to
/// it or refuses. Cancel the wait by dropping the future (e.g. on Ctrl-C).
pub async fn claim(
    home: &Path,
    kind: HolderKind,
    command: Option<&str>,
    mut waiting: impl FnMut(&Holder),
) -> Result<Claim, InstanceError> {
    let mut told: Option<u32> = None;
    loop {
        match InstanceLock::acquire_as(home, kind, command) {
            Ok(lock) => return Ok(Claim::Mine(lock)),
            Err(InstanceError::AlreadyRunning(Some(running))) => {
                return Ok(Claim::Served(running));
            }
            Err(InstanceError::Busy(holder)) => {
                if told != Some(holder.pid) {
                    told = Some(holder.pid);
                    waiting(&holder);
                }
            }
            // Caught the holder rewriting its record; look again.
            Err(InstanceError::AlreadyRunning(None)) => {}
            Err(e) => return Err(e),
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The process holding the data home's lock, if any.
pub fn holder(home: &Path) -> Option<Holder> {
    let path = home.join(LOCK_FILE);
    let file = File::open(&path).ok()?;
    // If we can take the lock, nobody holds it (the file is left over).
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(_unlocked_on_drop) => None,
        Err((mut file, _)) => {
            let mut text = String::new();
            file.read_to_string(&mut text).ok()?;
            serde_json::from_str(&text).ok()
        }
    }
}

/// The gateway serving `home`, if one holds the lock and has published its URL.
pub fn running(home: &Path) -> Option<Running> {
    holder(home)?.running()
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

    #[test]
    fn a_cli_holder_is_busy_not_serving_and_says_who_it_is() {
        let home = tempfile::tempdir().unwrap();
        let _cli =
            InstanceLock::acquire_as(home.path(), HolderKind::Cli, Some("pincer run")).unwrap();
        assert_eq!(running(home.path()), None, "nothing to attach to");
        match InstanceLock::acquire(home.path()) {
            Err(e @ InstanceError::Busy(_)) => assert_eq!(
                e.to_string(),
                format!(
                    "pincer run (pid {}) is using this data home",
                    std::process::id()
                )
            ),
            other => panic!("expected Busy, got {:?}", other.err()),
        }
        let text = std::fs::read_to_string(home.path().join(LOCK_FILE)).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"pid":{},"kind":"cli","command":"pincer run"}}"#,
                std::process::id()
            )
        );
    }

    #[test]
    fn records_of_older_daemons_still_read() {
        let holder: Holder = serde_json::from_str(r#"{"pid":7,"url":"http://x"}"#).unwrap();
        assert_eq!(holder.kind, HolderKind::Daemon);
        assert_eq!(holder.running().unwrap().url, "http://x");
    }

    #[tokio::test]
    async fn claim_waits_for_a_cli_and_then_takes_the_lock() {
        let home = tempfile::tempdir().unwrap();
        let cli =
            InstanceLock::acquire_as(home.path(), HolderKind::Cli, Some("pincer run")).unwrap();
        let (told, mut heard) = tokio::sync::mpsc::unbounded_channel();
        let path = home.path().to_owned();
        let waiter = tokio::spawn(async move {
            claim(&path, HolderKind::Daemon, None, |holder| {
                let _ = told.send(holder.describe());
            })
            .await
        });
        let said = heard.recv().await.unwrap();
        assert!(said.starts_with("pincer run (pid "), "{said}");
        drop(cli);
        match waiter.await.unwrap().unwrap() {
            Claim::Mine(lock) => assert_eq!(lock.holder().kind, HolderKind::Daemon),
            Claim::Served(r) => panic!("nobody serves, yet got {r:?}"),
        }
    }

    #[tokio::test]
    async fn claim_finds_a_serving_daemon() {
        let home = tempfile::tempdir().unwrap();
        let mut daemon = InstanceLock::acquire(home.path()).unwrap();
        daemon.publish("http://127.0.0.1:9").unwrap();
        let claimed = claim(home.path(), HolderKind::Cli, Some("pincer run"), |_| {
            panic!("a serving daemon is not waited for")
        })
        .await
        .unwrap();
        match claimed {
            Claim::Served(r) => assert_eq!(r.url, "http://127.0.0.1:9"),
            Claim::Mine(_) => panic!("the daemon holds the lock"),
        }
    }
}
