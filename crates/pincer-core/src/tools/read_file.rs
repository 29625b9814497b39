//! `read_file`: the text of a file, or a range of its lines.

use std::path::PathBuf;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, paths, text_output};

pub struct ReadFile;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    path: String,
    /// First line, 1-based
    offset: Option<usize>,
    /// Number of lines
    limit: Option<usize>,
}

impl TypedTool for ReadFile {
    type Args = Args;
    type Plan = (PathBuf, Args);

    fn name(&self) -> &'static str {
        "read_file"
    }

    fn description(&self) -> &'static str {
        "Read a text file, or a range of its lines."
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        if args.offset == Some(0) {
            return Err(ToolError::InvalidArguments(
                "offset is 1-based; the first line is 1".to_owned(),
            ));
        }
        if args.limit == Some(0) {
            return Err(ToolError::InvalidArguments(
                "limit must be at least 1".to_owned(),
            ));
        }
        let resolved = paths::resolve(settings, &args.path)?;
        let path = resolved.path.clone();
        Ok((Access::read(resolved), (path, args)))
    }

    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let (path, args) = plan;
            let meta = tokio::fs::metadata(&path)
                .await
                .map_err(|e| ToolError::io("read", &path, e))?;
            if meta.is_dir() {
                return Err(ToolError::Failed(format!(
                    "{} is a directory; use list_dir or find_files",
                    path.display()
                )));
            }
            if meta.len() > settings.read_limit as u64 {
                return Err(ToolError::Failed(format!(
                    "{} is {} bytes, over the read limit of {} bytes; use grep to find the relevant part",
                    path.display(),
                    meta.len(),
                    settings.read_limit
                )));
            }
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| ToolError::io("read", &path, e))?;
            if bytes.contains(&0) {
                return Err(ToolError::Failed(format!(
                    "{} looks like a binary file (it contains NUL bytes); read_file only returns text",
                    path.display()
                )));
            }
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            if args.offset.is_none() && args.limit.is_none() {
                return Ok(text);
            }
            select_lines(&text, args.offset.unwrap_or(1), args.limit)
        }))
    }
}

fn select_lines(text: &str, offset: usize, limit: Option<usize>) -> Result<String, ToolError> {
    let total = text.lines().count();
    if offset > total.max(1) {
        return Err(ToolError::Failed(format!(
            "offset {offset} is past the end of the file, which has {total} lines"
        )));
    }
    // split_inclusive keeps each line's own terminator, so the range is returned byte-exact.
    let selected: String = text
        .split_inclusive('\n')
        .skip(offset - 1)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    Ok(selected)
}
