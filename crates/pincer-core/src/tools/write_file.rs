//! `write_file`: create or overwrite a file.

use std::path::PathBuf;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, paths, text_output};

pub struct WriteFile;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    path: String,
    /// The whole new content
    content: String,
}

impl TypedTool for WriteFile {
    type Args = Args;
    type Plan = (PathBuf, Args);

    fn name(&self) -> &'static str {
        "write_file"
    }

    fn description(&self) -> &'static str {
        "Create or overwrite a file (and its folders). To change part of a file, use edit_file."
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        let resolved = paths::resolve(settings, &args.path)?;
        let path = resolved.path.clone();
        let access = Access::write_previewed(resolved, || {
            format!("new content:\n{}", super::preview(&args.content))
        });
        Ok((access, (path, args)))
    }

    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        _settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let (path, args) = plan;
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
