//! `grep`: regex search through files, honouring .gitignore.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

use futures::future::BoxFuture;
use regex::Regex;
use serde::Deserialize;
use serde_json::json;

use super::find_files::{PathGlob, walker};
use super::{Access, Tool, ToolError, ToolOutput, ToolSettings, parse_args, paths, text_output};

/// Beyond this many matches the model should narrow its search instead.
const MAX_MATCHES: usize = 500;
/// Minified files have enormous lines; a match line is cut to this many chars.
const MAX_LINE_CHARS: usize = 300;
/// Files with a NUL byte in their first bytes are treated as binary, as ripgrep does.
const BINARY_SNIFF: usize = 8192;

pub struct Grep;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    pattern: String,
    #[serde(default = "default_path")]
    path: String,
    glob: Option<String>,
}

fn default_path() -> String {
    ".".to_owned()
}

impl Tool for Grep {
    fn name(&self) -> &'static str {
        "grep"
    }

    fn description(&self) -> &'static str {
        "Search file contents with a regex (Rust syntax). Returns file:line:text. Skips gitignored, hidden and binary files; glob filters files (e.g. \"*.rs\")."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Regular expression; (?i) for case-insensitive"},
                "path": {"type": "string", "description": "File or folder to search, default \".\" (the workspace)"},
                "glob": {"type": "string", "description": "Only search files matching this glob"}
            },
            "required": ["pattern"],
            "additionalProperties": false
        })
    }

    fn access(
        &self,
        args: &serde_json::Value,
        settings: &ToolSettings,
    ) -> Result<Access, ToolError> {
        let args: Args = parse_args(args)?;
        Ok(Access::read(paths::resolve(
            &settings.workspace,
            &args.path,
        )?))
    }

    fn run<'a>(
        &'a self,
        args: serde_json::Value,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let args: Args = parse_args(&args)?;
            let regex = Regex::new(&args.pattern)
                .map_err(|e| ToolError::InvalidArguments(format!("bad regex: {e}")))?;
            let glob = args.glob.as_deref().map(PathGlob::new).transpose()?;
            let root = paths::resolve(&settings.workspace, &args.path)?.path;
            tokio::fs::metadata(&root)
                .await
                .map_err(|e| ToolError::io("search", &root, e))?;
            let workspace = settings.workspace.clone();
            let max_file = settings.read_limit;
            // Walking and reading files is blocking work; keep it off the async workers.
            tokio::task::spawn_blocking(move || {
                search(&workspace, &root, &regex, glob.as_ref(), max_file)
            })
            .await
            .map_err(|e| ToolError::Failed(format!("grep failed: {e}")))
        }))
    }
}

fn search(
    workspace: &Path,
    root: &Path,
    regex: &Regex,
    glob: Option<&PathGlob>,
    max_file: usize,
) -> String {
    let mut out = String::new();
    let mut matches = 0usize;
    let mut capped = false;
    let mut skipped_large = 0usize;
    'files: for entry in walker(root) {
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
