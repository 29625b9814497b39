//! Where Pincer keeps its data.

use std::path::{Path, PathBuf};

use super::Env;

/// The data home: `--home`, else `PINCER_HOME`, else the platform data folder.
pub fn home_dir(flag: Option<&Path>, env: &dyn Env) -> PathBuf {
    if let Some(flag) = flag {
        return flag.to_path_buf();
    }
    if let Some(home) = env.var("PINCER_HOME") {
        return PathBuf::from(home);
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("pincer")
}

/// Files in the data home that only the owner may read: keys, the API token, the lock
/// (which records the daemon's address) and the conversation history.
const PRIVATE_FILES: &[&str] = &[
    super::saved_keys::LEGACY_SECRETS_FILE,
    crate::secrets::INDEX_FILE,
    crate::secrets::STORE_FILE,
    crate::secrets::KEY_FILE,
    "gateway.token",
    "daemon.lock",
    "pincer.db",
    "pincer.db-wal",
    "pincer.db-shm",
    "pincer.db-journal",
];

/// Makes an existing data home owner-only: the folder 0700, [`PRIVATE_FILES`] 0600. A home
/// made by an older Pincer or copied with a loose umask keeps 0755/0644 otherwise. Each
/// change is logged; links are left alone (their targets are not ours to change), and a
/// failure is logged, not fatal.
#[cfg(unix)]
pub fn make_private(home: &Path) {
    restrict(home, 0o700, true);
    for name in PRIVATE_FILES {
        restrict(&home.join(name), 0o600, false);
    }
}

#[cfg(not(unix))]
pub fn make_private(_home: &Path) {}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32, dir: bool) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    let kind_matches = if dir { meta.is_dir() } else { meta.is_file() };
    let old = meta.permissions().mode() & 0o7777;
    if !kind_matches || old & !mode == 0 {
        return;
    }
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        // Pincer makes the folder 0700, but one the user made for `--home` has the
        // umask's mode: not worth a warning on every first run. A loose file is.
        Ok(()) if dir => tracing::info!(
            path = %path.display(),
            "the data home is now owner-only ({old:o} → {mode:o})"
        ),
        Ok(()) => tracing::warn!(
            path = %path.display(),
            "others could read this; it is now owner-only ({old:o} → {mode:o})"
        ),
        Err(e) => tracing::error!(
            path = %path.display(),
            error = %e,
            "others can read this and it could not be made owner-only"
        ),
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_loose_home_is_made_owner_only_and_other_files_are_left() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        for name in ["secrets.toml", "pincer.db", "config.toml"] {
            std::fs::write(home.join(name), "").unwrap();
            std::fs::set_permissions(home.join(name), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        // A link is not followed: what it points to is not the home's.
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&outside, home.join("gateway.token")).unwrap();
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();

        make_private(&home);

        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(&home.join("secrets.toml")), 0o600);
        assert_eq!(mode(&home.join("pincer.db")), 0o600);
        assert_eq!(mode(&home.join("config.toml")), 0o644);
        assert_eq!(mode(&outside), 0o644);
    }

    #[test]
    fn a_tighter_mode_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secrets.toml"), "").unwrap();
        let path = dir.path().join("secrets.toml");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        make_private(dir.path());
        assert_eq!(mode(&path), 0o400);
    }
}
