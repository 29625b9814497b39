//! `find_files`: paths matching a glob, honouring .gitignore.

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use globset::{GlobBuilder, GlobMatcher};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, paths, text_output};

/// More paths than this are of no use to a model; it should narrow the search instead.
const MAX_RESULTS: usize = 1000;

pub struct FindFiles;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pattern: String,
    #[serde(default = "default_path")]
    path: String,
}

fn default_path() -> String {
    ".".to_owned()
}

/// A glob as the tools apply it: a pattern with a `/` matches the path relative to the search
/// root; one without matches the file name at any depth (as in .gitignore), because that is
/// what a model asking for `*.rs` almost always means.
pub struct PathGlob {
    matcher: GlobMatcher,
    on_name: bool,
}

impl PathGlob {
    pub(crate) fn new(pattern: &str) -> Result<Self, ToolError> {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| ToolError::InvalidArguments(format!("bad glob {pattern:?}: {e}")))?;
        Ok(Self {
            matcher: glob.compile_matcher(),
            on_name: !pattern.contains('/'),
        })
    }

    pub(crate) fn is_match(&self, root: &Path, path: &Path) -> bool {
        if self.on_name {
            return path
                .file_name()
                .is_some_and(|name| self.matcher.is_match(name));
        }
        let rel = path.strip_prefix(root).unwrap_or(path);
        self.matcher.is_match(rel)
    }
}

/// A gitignore-aware walker over `root`. `require_git(false)` because a plain folder's
/// .gitignore should count too; hidden files are skipped (that also keeps `.git` and
/// Pincer's own `.pincer` out).
/// Walks `root`, skipping the protected folders (see [`paths::skipped_by_walk`]): with the
/// workspace at `~`, a search must not read the data home.
pub(crate) fn walker(root: &Path, protected: &[PathBuf]) -> ignore::Walk {
    let (start, protected) = (root.to_path_buf(), protected.to_vec());
    ignore::WalkBuilder::new(root)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| !paths::skipped_by_walk(&protected, &start, entry.path()))
        .build()
}

impl TypedTool for FindFiles {
    type Args = Args;
    type Plan = (PathBuf, PathGlob, String);

    fn name(&self) -> &'static str {
        "find_files"
    }

    fn description(&self) -> &'static str {
        "Find files by glob (\"src/*.toml\"; without '/' matches names at any depth), skipping ignored and hidden files."
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        let resolved = paths::resolve(settings, &args.path)?;
        let glob = PathGlob::new(&args.pattern)?;
        let root = resolved.path.clone();
        Ok((Access::read(resolved), (root, glob, args.pattern)))
    }

    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let (root, glob, pattern) = plan;
            if !tokio::fs::metadata(&root)
                .await
                .map_err(|e| ToolError::io("search", &root, e))?
                .is_dir()
            {
                return Err(ToolError::Failed(format!(
                    "{} is not a directory",
                    root.display()
                )));
            }
            let workspace = settings.workspace.clone();
            let protected = settings.protected.clone();
            // The walk is blocking filesystem work; keep it off the async workers.
            tokio::task::spawn_blocking(move || {
                find(&workspace, &protected, &root, &glob, &pattern)
            })
            .await
            .map_err(|e| ToolError::Failed(format!("find_files failed: {e}")))
        }))
    }
}

fn find(
    workspace: &Path,
    protected: &[PathBuf],
    root: &Path,
    glob: &PathGlob,
    pattern: &str,
) -> String {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut total = 0usize;
    for entry in walker(root, protected) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                tracing::debug!(error = %e, "find_files: skipping unreadable entry");
                continue;
            }
        };
        let is_file = match entry.file_type() {
            // Links are listed by what they point to; the walker does not follow them.
            Some(t) if t.is_symlink() => entry.path().is_file(),
            Some(t) => t.is_file(),
            None => false,
        };
        if !is_file {
            continue;
        }
        if glob.is_match(root, entry.path()) {
            total += 1;
            if found.len() < MAX_RESULTS {
                found.push(entry.into_path());
            }
        }
    }
    if found.is_empty() {
        return format!("no files match {pattern:?} under {}", root.display());
    }
    let mut lines: Vec<String> = found.iter().map(|p| paths::display(workspace, p)).collect();
    lines.sort();
    let mut out = lines.join("\n");
    out.push('\n');
    if total > found.len() {
        out.push_str(&format!(
            "[showing the first {} of {total} matches; use a narrower pattern or path]\n",
            found.len()
        ));
    }
    out
}
