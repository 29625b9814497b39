//! The skills that ship inside the binary (the repository's `skills/` folder), written out
//! to `<home>/bundled-skills` so they are ordinary folders with files the agent can read and
//! scripts it can run. Each load checks the folder against the embedded copy and writes it
//! out again when anything differs: a file edited, added, removed or replaced by a link.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use super::vetting::{self, ContentHasher};

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../skills"]
struct Files;

pub const DIR: &str = "bundled-skills";
const STAMP: &str = ".pincer-bundle";

/// Writes the bundled skills under `home` unless the folder there holds exactly the
/// embedded copy; returns the folder.
pub fn materialize(home: &Path) -> std::io::Result<PathBuf> {
    let target = home.join(DIR);
    let stamp = stamp();
    if intact(&target, &stamp) {
        return Ok(target);
    }
    std::fs::create_dir_all(home)?;
    let staging = home.join(format!(".{DIR}.tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = write_all(&staging, &stamp);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if target.exists() || target.is_symlink() {
        let old = home.join(format!(".{DIR}.old-{}", uuid::Uuid::new_v4().simple()));
        // Another process may have replaced it meanwhile; then its copy is as good.
        if std::fs::rename(&target, &old).is_ok() {
            let _ = std::fs::remove_dir_all(&old);
            let _ = std::fs::remove_file(&old);
        }
    }
    match std::fs::rename(&staging, &target) {
        Ok(()) => Ok(target),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if intact(&target, &stamp) {
                Ok(target)
            } else {
                Err(e)
            }
        }
    }
}

/// Whether `target` is a real folder holding the embedded files and the stamp, and nothing
/// else.
fn intact(target: &Path, stamp: &str) -> bool {
    if !std::fs::symlink_metadata(target).is_ok_and(|m| m.is_dir()) {
        return false;
    }
    let mut entries: Vec<(String, Vec<u8>)> = Files::iter()
        .filter_map(|name| Files::get(&name).map(|f| (name.into_owned(), f.data.into_owned())))
        .collect();
    entries.push((STAMP.to_owned(), stamp.as_bytes().to_vec()));
    entries.sort();
    let mut hasher = ContentHasher::default();
    for (name, bytes) in &entries {
        hasher.file(name, bytes);
    }
    vetting::read_dir(target, false).hash == hasher.finish()
}

/// The content hash (as [`vetting::read_dir`] computes it) of each bundled skill folder as
/// embedded, by folder name.
static FOLDER_HASHES: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| {
    let mut names: Vec<String> = Files::iter().map(|n| n.into_owned()).collect();
    names.sort();
    let mut folders: BTreeMap<String, ContentHasher> = BTreeMap::new();
    for name in names {
        let Some((folder, relative)) = name.split_once('/') else {
            continue;
        };
        if let Some(file) = Files::get(&name) {
            folders
                .entry(folder.to_owned())
                .or_default()
                .file(relative, &file.data);
        }
    }
    folders
        .into_iter()
        .map(|(folder, hasher)| (folder, hasher.finish()))
        .collect()
});

/// The content hash the bundled skill folder `folder` has when it is exactly as shipped;
/// `None` for a folder that is not one of them.
pub fn folder_hash(folder: &str) -> Option<String> {
    FOLDER_HASHES.get(folder).cloned()
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
