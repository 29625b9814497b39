//! `write_file`: create or overwrite a file.

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::{Access, Tool, ToolError, ToolOutput, ToolSettings, parse_args, paths, text_output};

pub struct WriteFile;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    content: String,
}

impl Tool for WriteFile {
    fn name(&self) -> &'static str {
        "write_file"
    }

    fn description(&self) -> &'static str {
        "Create or overwrite a file with the given content, creating parent folders. Prefer edit_file for changing part of an existing file."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "content": {"type": "string", "description": "The whole new content"}
            },
            "required": ["path", "content"],
            "additionalProperties": false
        })
    }

    fn access(
        &self,
        args: &serde_json::Value,
        settings: &ToolSettings,
    ) -> Result<Access, ToolError> {
        let args: Args = parse_args(args)?;
        Ok(Access::write(paths::resolve(
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
            let path = paths::resolve(&settings.workspace, &args.path)?.path;
            if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
                return Err(ToolError::Failed(format!(
                    "{} is a directory",
                    path.display()
                )));
            }
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| ToolError::io("create directory", parent, e))?;
            }
            tokio::fs::write(&path, args.content.as_bytes())
                .await
                .map_err(|e| ToolError::io("write", &path, e))?;
            tracing::debug!(path = %path.display(), bytes = args.content.len(), "wrote file");
            Ok(format!(
                "wrote {} bytes to {}",
                args.content.len(),
                path.display()
            ))
        }))
    }
}
