//! `read_file`: the text of a file, or a range of its lines.

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::{Access, Tool, ToolError, ToolOutput, ToolSettings, parse_args, paths, text_output};

pub struct ReadFile;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    offset: Option<usize>,
    limit: Option<usize>,
}

impl Tool for ReadFile {
    fn name(&self) -> &'static str {
        "read_file"
    }

    fn description(&self) -> &'static str {
        "Read a text file. Optional offset (1-based first line) and limit (number of lines) select a range."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "offset": {"type": "integer", "minimum": 1, "description": "First line to return (1-based)"},
                "limit": {"type": "integer", "minimum": 1, "description": "Maximum number of lines to return"}
            },
            "required": ["path"],
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
            let path = paths::resolve(&settings.workspace, &args.path)?.path;
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
