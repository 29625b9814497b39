//! The sandbox `exec` commands and skill tools run in (Linux only), and the tether that
//! ends them with Pincer.
//!
//! A ladder, probed once per process and never skipped silently:
//! 1. **Landlock + seccomp**, applied in the child between fork and exec: the whole file
//!    system read-only, the workspace and a private temp folder writable, and, unless the
//!    command may use the network, no TCP (Landlock) and no `socket()` at all (seccomp).
//! 2. **bubblewrap** (`bwrap`) where unprivileged user namespaces work: the same view built
//!    from mounts, with a network namespace of its own.
//! 3. Otherwise nothing runs: the call fails with one line naming what is missing.
//!
//! Running without a sandbox is only ever an explicit choice of the owner (`sandbox =
//! false` on an exec rule), and the approval says so.

use std::path::PathBuf;

#[cfg(target_os = "linux")]
mod bwrap;
#[cfg(target_os = "linux")]
mod child;
#[cfg(target_os = "linux")]
mod landlock;
#[cfg(target_os = "linux")]
mod seccomp;
pub(crate) mod spawn;

/// Which rungs of the ladder may be used. Everything by default; tests take rungs away to
/// prove the next one (and the refusal at the bottom).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ladder {
    pub landlock: bool,
    pub bubblewrap: bool,
}

impl Default for Ladder {
    fn default() -> Self {
        Self {
            landlock: true,
            bubblewrap: true,
        }
    }
}

/// The mechanism that confines a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// Landlock (with this ABI version) and a seccomp filter.
    Landlock { abi: u32 },
    /// bubblewrap.
    Bubblewrap,
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mechanism::Landlock { abi } => write!(f, "Landlock (ABI {abi}) + seccomp"),
            Mechanism::Bubblewrap => f.write_str("bubblewrap (user namespaces)"),
        }
    }
}

/// What a confined command may do beyond reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Folders it may change (the workspace, its temp folder).
    pub writable: Vec<PathBuf>,
    /// Whether it may open sockets.
    pub network: bool,
}

/// Why no sandbox can be had here: one line naming what is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no sandbox is available, so the command was not run: {0}")]
pub struct Unavailable(pub String);

/// Why a command could not be confined.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    #[error("could not set up the sandbox: {0}")]
    Setup(String),
}

/// The mechanism the ladder picks here, or why there is none.
pub fn choose(ladder: Ladder) -> Result<Mechanism, Unavailable> {
    #[cfg(target_os = "linux")]
    {
        let landlock = if ladder.landlock {
            landlock::probe()
        } else {
            Err("Landlock turned off".to_owned())
        };
        let landlock = match landlock {
            Ok(abi) => return Ok(Mechanism::Landlock { abi }),
            Err(why) => why,
        };
        let bwrap = if ladder.bubblewrap {
            bwrap::probe()
        } else {
            Err("bubblewrap turned off".to_owned())
        };
        match bwrap {
            Ok(()) => Ok(Mechanism::Bubblewrap),
            Err(why) => Err(Unavailable(format!("{landlock}; {why}"))),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = ladder;
        Err(Unavailable(
            "commands can only be sandboxed on Linux (set `sandbox = false` on an exec rule to run it anyway)"
                .to_owned(),
        ))
    }
}

/// One line for `pincer doctor`.
pub fn describe(ladder: Ladder) -> String {
    match choose(ladder) {
        Ok(mechanism) => format!("exec runs sandboxed with {mechanism}"),
        Err(Unavailable(why)) => {
            format!("no sandbox: exec refuses every command without `sandbox = false` ({why})")
        }
    }
}
