//! Resolving tool path arguments to real locations.
//!
//! The policy decides on whether a path is inside the workspace, so the answer has to hold
//! against `..` and symlinks: a lexical check alone would let `link/../../etc` or a symlink
//! pointing out of the workspace pass as "inside". It also has to hold whatever the
//! workspace is: with the workspace at `~`, the data home (secrets, config, the database)
//! and the user's skill folders lie below it, and they still count as outside.

use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{ToolError, ToolSettings};

/// Guards against symlink loops among dangling links, which `canonicalize` cannot catch for us.
const MAX_LINK_DEPTH: usize = 40;

/// A path argument resolved against the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Absolute path with every existing symlink resolved.
    pub path: PathBuf,
    /// Whether `path` lies inside the workspace and in none of the protected folders
    /// ([`ToolSettings::protected`]).
    pub inside: bool,
    /// Whether `path` lies in this session's offloaded outputs ([`ToolSettings::own_output`]),
    /// which the model may read like the workspace.
    pub own_output: bool,
    /// Whether `path` is a regular file with other hard links: writing it changes the file
    /// under every one of its names, which may be anywhere on the disk.
    pub hard_linked: bool,
}

impl Resolved {
    /// Whether reading `path` counts as reading inside the workspace.
    pub fn readable_inside(&self) -> bool {
        self.inside || self.own_output
    }

    /// Whether writing `path` counts as writing inside the workspace.
    pub fn writable_inside(&self) -> bool {
        self.inside && !self.hard_linked
    }
}

/// Resolves `arg` (relative to the workspace, or absolute) to where it really points.
///
/// Existing parts of the path are canonicalized (following symlinks); the parts that do not
/// exist yet are appended after lexical normalisation, so a file about to be written resolves
/// to where it will land.
pub fn resolve(settings: &ToolSettings, arg: &str) -> Result<Resolved, ToolError> {
    if arg.trim().is_empty() {
        return Err(ToolError::InvalidArguments(
            "path must not be empty".to_owned(),
        ));
    }
    if arg.contains('\0') {
        return Err(ToolError::InvalidArguments(
            "path must not contain NUL bytes".to_owned(),
        ));
    }
    let joined = settings.workspace.join(arg);
    let path = resolve_path(&joined, 0).map_err(|e| ToolError::io("resolve", &joined, e))?;
    // The workspace is meant to be canonical already; canonicalizing again keeps the check
    // honest if a caller passed e.g. a path through a symlinked temp dir.
    let workspace =
        std::fs::canonicalize(&settings.workspace).unwrap_or_else(|_| settings.workspace.clone());
    let inside = path.starts_with(&workspace) && !protected(settings, &workspace, &path);
    let own_output = settings
        .own_output
        .as_ref()
        .is_some_and(|dir| path.starts_with(dir));
    Ok(Resolved {
        hard_linked: has_other_links(&path),
        path,
        inside,
        own_output,
    })
}

/// Whether `path` (inside `workspace`) lies in a protected folder. The workspace may itself
/// sit in one (the default workspace is `<home>/workspace`): then only the rest of that
/// folder is protected, not the workspace in it.
fn protected(settings: &ToolSettings, workspace: &Path, path: &Path) -> bool {
    settings.protected.iter().any(|folder| {
        path.starts_with(folder) && !(workspace.starts_with(folder) && workspace != folder)
    })
}

/// Whether a walk from `root` must skip `entry`: it lies in a protected folder that `root`
/// is not in (a walk that starts in one was allowed to by the policy).
pub(crate) fn skipped_by_walk(protected: &[PathBuf], root: &Path, entry: &Path) -> bool {
    protected
        .iter()
        .any(|folder| entry.starts_with(folder) && !root.starts_with(folder))
}

#[cfg(unix)]
fn has_other_links(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file() && meta.nlink() > 1)
}

#[cfg(not(unix))]
fn has_other_links(_path: &Path) -> bool {
    false
}

/// Where `path` really is: existing parts canonicalized, the rest appended (see
/// [`resolve`]). For folders that may not exist yet, such as a skill folder.
pub fn real_path(path: &Path) -> io::Result<PathBuf> {
    resolve_path(path, 0)
}

fn resolve_path(path: &Path, depth: usize) -> io::Result<PathBuf> {
    if depth > MAX_LINK_DEPTH {
        return Err(io::Error::other("too many levels of symbolic links"));
    }
    let mut base = PathBuf::from("/");
    // Components below `base` that do not exist (yet).
    let mut missing: Vec<OsString> = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {}
            Component::CurDir => {}
            Component::ParentDir => {
                if missing.pop().is_none() {
                    // `base` is canonical, so its parent is the real parent directory, not the
                    // directory a symlink happened to live in.
                    base.pop();
                }
            }
            Component::Normal(name) => {
                if !missing.is_empty() {
                    missing.push(name.to_owned());
                    continue;
                }
                let candidate = base.join(name);
                match std::fs::canonicalize(&candidate) {
                    Ok(real) => base = real,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        // A dangling symlink would let a later write land wherever it points.
                        match std::fs::symlink_metadata(&candidate) {
                            Ok(meta) if meta.file_type().is_symlink() => {
                                let target = std::fs::read_link(&candidate)?;
                                base = resolve_path(&base.join(target), depth + 1)?;
                            }
                            _ => missing.push(name.to_owned()),
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    for name in missing {
        base.push(name);
    }
    Ok(base)
}

/// How a path is shown to the model: relative to the workspace when inside it (shorter, and
/// what the model would pass back), absolute otherwise.
pub fn display(workspace: &Path, path: &Path) -> String {
    match path.strip_prefix(workspace) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}
