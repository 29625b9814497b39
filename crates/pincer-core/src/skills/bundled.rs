//! The skills that ship inside the binary (the repository's `skills/` folder), written out
//! to `<home>/bundled-skills` so they are ordinary folders with files the agent can read and
//! scripts it can run. Rewritten only when the binary carries different ones.

use std::path::{Path, PathBuf};

use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../skills"]
struct Files;

pub const DIR: &str = "bundled-skills";
const STAMP: &str = ".pincer-bundle";

/// Writes the bundled skills under `home` if they are missing or stale; returns the folder.
pub fn materialize(home: &Path) -> std::io::Result<PathBuf> {
    let target = home.join(DIR);
    let stamp = stamp();
    if std::fs::read_to_string(target.join(STAMP)).is_ok_and(|s| s == stamp) {
        return Ok(target);
    }
    std::fs::create_dir_all(home)?;
    let staging = home.join(format!(".{DIR}.tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = write_all(&staging, &stamp);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if target.exists() {
        let old = home.join(format!(".{DIR}.old-{}", uuid::Uuid::new_v4().simple()));
        // Another process may have replaced it meanwhile; then its copy is as good.
        if std::fs::rename(&target, &old).is_ok() {
            let _ = std::fs::remove_dir_all(&old);
        }
    }
    match std::fs::rename(&staging, &target) {
        Ok(()) => Ok(target),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if std::fs::read_to_string(target.join(STAMP)).is_ok_and(|s| s == stamp) {
                Ok(target)
            } else {
                Err(e)
            }
        }
    }
}

fn write_all(dir: &Path, stamp: &str) -> std::io::Result<()> {
    for name in Files::iter() {
        let Some(file) = Files::get(&name) else {
            continue;
        };
        let path = dir.join(name.as_ref());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, file.data.as_ref())?;
        #[cfg(unix)]
        if name.split('/').any(|part| part == "scripts") {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    std::fs::write(dir.join(STAMP), stamp)
}

/// A hash of every bundled file's name and bytes.
fn stamp() -> String {
    let mut names: Vec<_> = Files::iter().collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        if let Some(file) = Files::get(&name) {
            hasher.update(file.data.as_ref());
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
