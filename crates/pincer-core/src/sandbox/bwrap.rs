//! Rung 2: bubblewrap, for kernels without a usable Landlock.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::Profile;

/// Where the command's private temp folder appears inside the sandbox.
pub(super) const TMP: &str = "/tmp";

/// The bwrap program, if it can build a sandbox here.
pub(super) fn probe() -> Result<(), String> {
    static PROBED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PROBED
        .get_or_init(|| {
            let program = which::which("bwrap").map_err(|_| {
                "bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap)".to_owned()
            })?;
            let profile = Profile {
                writable: Vec::new(),
                network: false,
            };
            let mut args = args(&profile, &[], None, Path::new("/"));
            args.push("true".into());
            let output = Command::new(&program)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .map_err(|e| format!("bubblewrap could not start ({e})"))?;
            if !output.status.success() {
                let why = String::from_utf8_lossy(&output.stderr);
                return Err(format!(
                    "bubblewrap cannot create user namespaces here ({})",
                    why.trim()
                ));
            }
            Ok(program)
        })
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
}

pub(super) fn program() -> Option<PathBuf> {
    which::which("bwrap").ok()
}

/// bwrap's arguments up to and including `--`: the command follows. The whole file system
/// read-only, fresh `/dev` and `/proc`, `tmp` (if given) as `/tmp`, the writable folders
/// bound writable with the `read_only` folders inside them bound read-only on top, and
/// without network a network namespace of its own and an empty `/run`
/// (which holds the sockets of local daemons). `--die-with-parent` and a PID namespace end
/// everything inside when bwrap is killed.
pub(super) fn args(
    profile: &Profile,
    read_only: &[PathBuf],
    tmp: Option<&Path>,
    cwd: &Path,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "--die-with-parent",
        "--new-session",
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    if !profile.network {
        args.push("--unshare-net".into());
        if Path::new("/run").is_dir() {
            args.extend(["--tmpfs".into(), "/run".into()]);
        }
    }
    if let Some(tmp) = tmp {
        args.extend(["--bind".into(), tmp.into(), TMP.into()]);
    }
    for dir in &profile.writable {
        if Some(dir.as_path()) != tmp {
            args.extend(["--bind".into(), dir.into(), dir.into()]);
        }
    }
    for dir in read_only {
        args.extend(["--ro-bind".into(), dir.into(), dir.into()]);
    }
    args.extend(["--chdir".into(), cwd.into(), "--".into()]);
    args
}
