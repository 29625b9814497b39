//! Resolving tool path arguments to real locations.
//!
//! The policy decides on whether a path is inside the workspace, so the answer has to hold
//! against `..` and symlinks: a lexical check alone would let `link/../../etc` or a symlink
//! pointing out of the workspace pass as "inside".

use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::ToolError;

/// Guards against symlink loops among dangling links, which `canonicalize` cannot catch for us.
const MAX_LINK_DEPTH: usize = 40;

/// A path argument resolved against the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Absolute path with every existing symlink resolved.
    pub path: PathBuf,
    /// Whether `path` lies inside the workspace.
    pub inside: bool,
}

/// Resolves `arg` (relative to `workspace`, or absolute) to where it really points.
///
/// Existing parts of the path are canonicalized (following symlinks); the parts that do not
/// exist yet are appended after lexical normalisation, so a file about to be written resolves
/// to where it will land.
pub fn resolve(workspace: &Path, arg: &str) -> Result<Resolved, ToolError> {
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
    let joined = workspace.join(arg);
    let path = resolve_path(&joined, 0).map_err(|e| ToolError::io("resolve", &joined, e))?;
    // The workspace is meant to be canonical already; canonicalizing again keeps the check
    // honest if a caller passed e.g. a path through a symlinked temp dir.
    let workspace = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_path_buf());
    let inside = path.starts_with(&workspace);
    Ok(Resolved { path, inside })
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
