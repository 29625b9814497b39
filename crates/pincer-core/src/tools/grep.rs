//! `grep`: regex search through files, honouring .gitignore.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;

use super::find_files::{PathGlob, walker};
use super::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, paths, text_output};

/// Beyond this many matches the model should narrow its search instead.
const MAX_MATCHES: usize = 500;
/// Minified files have enormous lines; a match line is cut to this many chars.
const MAX_LINE_CHARS: usize = 300;
/// Files with a NUL byte in their first bytes are treated as binary, as ripgrep does.
const BINARY_SNIFF: usize = 8192;

pub struct Grep;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pattern: String,
    #[serde(default = "default_path")]
    path: String,
    /// Only files matching this glob, e.g. "*.rs"
    glob: Option<String>,
}

fn default_path() -> String {
    ".".to_owned()
}

impl TypedTool for Grep {
    type Args = Args;
    type Plan = (PathBuf, Regex, Option<PathGlob>);

    fn name(&self) -> &'static str {
        "grep"
    }

    fn description(&self) -> &'static str {
        "Search files for a Rust regex ((?i) ignores case); returns file:line:text. Skips ignored, hidden and binary files."
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        let resolved = paths::resolve(settings, &args.path)?;
        let regex = Regex::new(&args.pattern)
            .map_err(|e| ToolError::InvalidArguments(format!("bad regex: {e}")))?;
        let glob = args.glob.as_deref().map(PathGlob::new).transpose()?;
        let root = resolved.path.clone();
        Ok((Access::read(resolved), (root, regex, glob)))
    }

    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let (root, regex, glob) = plan;
            tokio::fs::metadata(&root)
                .await
                .map_err(|e| ToolError::io("search", &root, e))?;
            let workspace = settings.workspace.clone();
            let protected = settings.protected.clone();
            let max_file = settings.read_limit;
            // Walking and reading files is blocking work; keep it off the async workers.
            tokio::task::spawn_blocking(move || {
                let walk = walker(&root, &protected);
                search(&workspace, walk, &root, &regex, glob.as_ref(), max_file)
            })
            .await
            .map_err(|e| ToolError::Failed(format!("grep failed: {e}")))
        }))
    }
}

fn search(
    workspace: &Path,
    walk: ignore::Walk,
    root: &Path,
    regex: &Regex,
    glob: Option<&PathGlob>,
    max_file: usize,
) -> String {
    let mut out = String::new();
    let mut matches = 0usize;
    let mut capped = false;
    let mut skipped_large = 0usize;
    'files: for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                tracing::debug!(error = %e, "grep: skipping unreadable entry");
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if glob.is_some_and(|g| !g.is_match(root, entry.path())) {
            continue;
        }
        let Some(bytes) = read_text(entry.path(), max_file, &mut skipped_large) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let shown = paths::display(workspace, entry.path());
        for (index, line) in text.lines().enumerate() {
            if !regex.is_match(line) {
                continue;
            }
            if matches == MAX_MATCHES {
                capped = true;
                break 'files;
            }
            matches += 1;
            let line = truncate_chars(line, MAX_LINE_CHARS);
            let _ = writeln!(out, "{shown}:{}:{line}", index + 1);
        }
    }
    if matches == 0 {
        out = format!(
            "no matches for {:?} under {}\n",
            regex.as_str(),
            root.display()
        );
    }
    if capped {
        let _ = writeln!(
            out,
            "[stopped at {MAX_MATCHES} matches; narrow the pattern, path or glob]"
        );
    }
    if skipped_large > 0 {
        let _ = writeln!(
            out,
            "[skipped {skipped_large} file(s) larger than {max_file} bytes]"
        );
    }
    out
}

/// The file's bytes, or None if it is unreadable, binary or too large.
fn read_text(path: &Path, max_file: usize, skipped_large: &mut usize) -> Option<Vec<u8>> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len > max_file as u64 {
        *skipped_large += 1;
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut bytes).ok()?;
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF)];
    if sniff.contains(&0) {
        None
    } else {
        Some(bytes)
    }
}

fn truncate_chars(line: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]).into(),
        None => line.into(),
    }
}
