//! `list_dir`: the entries of one folder.

use std::path::PathBuf;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, paths, text_output};

pub struct ListDir;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default = "default_path")]
    path: String,
}

fn default_path() -> String {
    ".".to_owned()
}

impl TypedTool for ListDir {
    type Args = Args;
    type Plan = PathBuf;

    fn name(&self) -> &'static str {
        "list_dir"
    }

    fn description(&self) -> &'static str {
        "List a folder (not recursive): folders end with '/', files show their size."
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        let resolved = paths::resolve(settings, &args.path)?;
        let path = resolved.path.clone();
        Ok((Access::read(resolved), path))
    }

    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        _settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let path = plan;
            let meta = tokio::fs::metadata(&path)
                .await
                .map_err(|e| ToolError::io("list", &path, e))?;
            if !meta.is_dir() {
                return Err(ToolError::Failed(format!(
                    "{} is not a directory; use read_file for files",
                    path.display()
                )));
            }
            let mut dir = tokio::fs::read_dir(&path)
                .await
                .map_err(|e| ToolError::io("list", &path, e))?;
            let mut entries: Vec<(String, String)> = Vec::new();
            while let Some(entry) = dir
                .next_entry()
                .await
                .map_err(|e| ToolError::io("list", &path, e))?
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                let file_type = entry
                    .file_type()
                    .await
                    .map_err(|e| ToolError::io("list", &entry.path(), e))?;
                let line = if file_type.is_symlink() {
                    let target = tokio::fs::read_link(entry.path())
                        .await
                        .map(|t| t.display().to_string())
                        .unwrap_or_else(|_| "?".to_owned());
                    // Follow the link so the model sees whether it can list or read it.
                    match tokio::fs::metadata(entry.path()).await {
                        Ok(m) if m.is_dir() => format!("{name}/ -> {target}"),
                        Ok(m) => format!("{name} -> {target} ({} bytes)", m.len()),
                        Err(_) => format!("{name} -> {target} (broken link)"),
                    }
                } else if file_type.is_dir() {
                    format!("{name}/")
                } else {
                    let size = entry.metadata().await.map(|m| m.len()).unwrap_or(0);
                    format!("{name} ({size} bytes)")
                };
                entries.push((name, line));
            }
            if entries.is_empty() {
                return Ok(format!("{} is empty", path.display()));
            }
            entries.sort();
            let mut out = String::new();
            for (_, line) in entries {
                out.push_str(&line);
                out.push('\n');
            }
            Ok(out)
        }))
    }
}
