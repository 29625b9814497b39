//! Starting a command confined and tethered to Pincer: when Pincer dies, even by
//! `kill -9`, the command and everything it started die with it.
//!
//! Two tethers:
//! - the child gets `PR_SET_PDEATHSIG = SIGKILL`. The kernel sends it when the *thread*
//!   that forked the child exits, so every child is forked on one thread that lives as
//!   long as the process ([`spawn_on_tether_thread`]);
//! - a parent-death signal is not inherited by what the command starts, so a small guard
//!   process joins the command's process group and kills the whole group as soon as its
//!   stdin, a pipe only Pincer holds, reaches end of file. Under bubblewrap the PID
//!   namespace does this instead.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Mutex, OnceLock, mpsc};

use super::{Ladder, Profile, SandboxError, Unavailable};

/// How a process is to be confined.
#[derive(Debug, Clone)]
pub(crate) enum Confinement {
    Sandboxed { ladder: Ladder, network: bool },
    Unsandboxed,
}

/// A command to start: what, where, with which environment.
pub(crate) struct Spec {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    pub(crate) cwd: PathBuf,
    /// Folders the command may change besides its private temp folder.
    pub(crate) writable: Vec<PathBuf>,
    /// Folders it may not change even where they lie inside a writable one.
    pub(crate) protected: Vec<PathBuf>,
    /// Variables set for it.
    pub(crate) env: Vec<(OsString, OsString)>,
    /// Inherited variables taken away.
    pub(crate) remove: Vec<OsString>,
    /// Whether its stdin is a pipe (else `/dev/null`).
    pub(crate) stdin: bool,
}

/// A started command: the child, and what must live as long as it runs.
pub(crate) struct Running {
    pub(crate) child: tokio::process::Child,
    _guard: Option<Guard>,
    _tmp: Option<tempfile::TempDir>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SpawnError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<Unavailable> for SpawnError {
    fn from(e: Unavailable) -> Self {
        SpawnError::Sandbox(SandboxError::Unavailable(e))
    }
}

/// Starts `spec` confined as `confinement` says, in a process group of its own whose
/// leader is the returned child.
pub(crate) async fn spawn(spec: Spec, confinement: &Confinement) -> Result<Running, SpawnError> {
    #[cfg(target_os = "linux")]
    {
        linux::spawn(spec, confinement).await
    }
    #[cfg(not(target_os = "linux"))]
    {
        match confinement {
            Confinement::Sandboxed { ladder, .. } => Err(super::choose(*ladder)
                .err()
                .unwrap_or_else(|| Unavailable("no sandbox".to_owned()))
                .into()),
            Confinement::Unsandboxed => {
                let command = base_command(&spec, spec.program.clone(), spec.args.clone());
                let child = tokio::process::Command::from(command)
                    .kill_on_drop(true)
                    .spawn()?;
                Ok(Running {
                    child,
                    _guard: None,
                    _tmp: None,
                })
            }
        }
    }
}

/// The command with everything but confinement: directory, environment, stdio, group.
fn base_command(spec: &Spec, program: OsString, args: Vec<OsString>) -> std::process::Command {
    use std::os::unix::process::CommandExt as _;
    let mut command = std::process::Command::new(program);
    command.args(args).current_dir(&spec.cwd);
    for name in &spec.remove {
        command.env_remove(name);
    }
    command.envs(spec.env.iter().map(|(k, v)| (k, v)));
    command
        .stdin(if spec.stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    command
}

#[cfg(target_os = "linux")]
mod linux {
    use std::os::fd::AsRawFd as _;
    use std::sync::Arc;

    use super::super::child::ChildSetup;
    use super::super::{Mechanism, bwrap, choose, landlock, seccomp};
    use super::*;

    pub(super) async fn spawn(
        spec: Spec,
        confinement: &Confinement,
    ) -> Result<Running, SpawnError> {
        let parent = std::process::id() as libc::pid_t;
        let unconfined = ChildSetup {
            parent,
            landlock: None,
            seccomp: None,
        };
        let (ladder, network) = match confinement {
            Confinement::Unsandboxed => {
                let mut command = base_command(&spec, spec.program.clone(), spec.args.clone());
                unconfined.install(&mut command);
                return start_guarded(command).await;
            }
            Confinement::Sandboxed { ladder, network } => (*ladder, *network),
        };
        let holes = read_only_holes(&spec.writable, &spec.protected);
        let mechanism = if holes.is_empty() {
            choose(ladder)?
        } else {
            // Landlock only adds rights: it cannot take writing away from part of a
            // writable folder. bubblewrap can, by mounting it read-only on top.
            let bwrap_only = Ladder {
                landlock: false,
                ..ladder
            };
            choose(bwrap_only).map_err(|Unavailable(why)| {
                Unavailable(format!(
                    "the workspace contains {}, which commands must not change, and only bubblewrap can keep it read-only ({why})",
                    holes[0].display()
                ))
            })?
        };
        let tmp = tempfile::Builder::new()
            .prefix("pincer-sandbox-")
            .tempdir()?;
        let mut profile = Profile {
            writable: spec.writable.clone(),
            network,
        };
        match mechanism {
            Mechanism::Landlock { .. } => {
                profile.writable.push(tmp.path().to_path_buf());
                let ruleset = landlock::ruleset(&profile)?;
                let seccomp = Some(Arc::new(seccomp::filter(network)?));
                let mut command = base_command(&spec, spec.program.clone(), spec.args.clone());
                command.env("TMPDIR", tmp.path());
                ChildSetup {
                    parent,
                    landlock: Some(ruleset.as_raw_fd()),
                    seccomp,
                }
                .install(&mut command);
                let mut running = start_guarded(command).await?;
                // The child has its own copy (or failed); the parent's closes here.
                drop(ruleset);
                running._tmp = Some(tmp);
                Ok(running)
            }
            Mechanism::Bubblewrap => {
                let program = bwrap::program()
                    .ok_or_else(|| Unavailable("bubblewrap disappeared".to_owned()))?;
                let mut args = bwrap::args(&profile, &holes, Some(tmp.path()), &spec.cwd);
                args.push(spec.program.clone());
                args.extend(spec.args.iter().cloned());
                let mut command = base_command(&spec, program.into_os_string(), args);
                command.env("TMPDIR", bwrap::TMP);
                unconfined.install(&mut command);
                // bwrap dies with Pincer (parent-death signal), its child with bwrap
                // (`--die-with-parent`), and everything else with that child (PID
                // namespace), so no guard is needed.
                let child = spawn_on_tether_thread(command).await?;
                Ok(Running {
                    child,
                    _guard: None,
                    _tmp: Some(tmp),
                })
            }
        }
    }

    async fn start_guarded(command: std::process::Command) -> Result<Running, SpawnError> {
        let mut child = spawn_on_tether_thread(command).await?;
        let guard = match child.id().map(Guard::start) {
            Some(Ok(guard)) => Some(guard),
            Some(Err(e)) => {
                // Unguarded, what the command starts could outlive Pincer: do not run it.
                let _ = child.start_kill();
                return Err(e.into());
            }
            None => None,
        };
        Ok(Running {
            child,
            _guard: guard,
            _tmp: None,
        })
    }
}

/// The protected folders that exist inside a writable one, canonical.
#[cfg(target_os = "linux")]
fn read_only_holes(writable: &[PathBuf], protected: &[PathBuf]) -> Vec<PathBuf> {
    let writable: Vec<PathBuf> = writable
        .iter()
        .filter_map(|dir| dir.canonicalize().ok())
        .collect();
    protected
        .iter()
        .filter_map(|dir| dir.canonicalize().ok())
        .filter(|dir| writable.iter().any(|w| dir.starts_with(w)))
        .collect()
}

/// Forks `command` on the tether thread, so its parent-death signal fires only when the
/// process ends.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
async fn spawn_on_tether_thread(
    command: std::process::Command,
) -> std::io::Result<tokio::process::Child> {
    type Job = Box<dyn FnOnce() + Send>;
    static THREAD: OnceLock<Option<Mutex<mpsc::Sender<Job>>>> = OnceLock::new();
    let sender = THREAD.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("pincer-spawn".to_owned())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .map_err(|e| tracing::error!(error = %e, "could not start the spawn thread"))
            .ok()
            .map(|_| Mutex::new(tx))
    });
    let unavailable = || std::io::Error::other("the spawn thread is not running");
    let sender = sender.as_ref().ok_or_else(unavailable)?;
    let handle = tokio::runtime::Handle::current();
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _runtime = handle.enter();
        let mut command = tokio::process::Command::from(command);
        let _ = reply.send(command.kill_on_drop(true).spawn());
    });
    crate::sync::lock(sender)
        .send(job)
        .map_err(|_| unavailable())?;
    answer.await.map_err(|_| unavailable())?
}

/// A process in the command's group that kills the group when Pincer goes away: it waits
/// for end of file on a pipe whose write end only Pincer holds (close-on-exec, so no other
/// child inherits it). Dropping the guard closes the pipe, which also ends the guard.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct Guard {
    _stdin: tokio::process::ChildStdin,
    _child: tokio::process::Child,
}

impl Guard {
    fn start(pgid: u32) -> std::io::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let pgid = i32::try_from(pgid).map_err(std::io::Error::other)?;
        let mut command = std::process::Command::new("/bin/sh");
        command
            .args(["-c", "read -r _ || kill -KILL 0"])
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(pgid);
        let mut child = tokio::process::Command::from(command).spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("the guard has no stdin"))?;
        Ok(Self {
            _stdin: stdin,
            _child: child,
        })
    }
}
