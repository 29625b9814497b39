//! `edit_file`: replace one exact, unique piece of text in a file.

use std::path::PathBuf;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, paths, text_output};

pub struct EditFile;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    path: String,
    /// Include enough context to be unique
    old_text: String,
    new_text: String,
}

impl TypedTool for EditFile {
    type Args = Args;
    type Plan = (PathBuf, Args);

    fn name(&self) -> &'static str {
        "edit_file"
    }

    fn description(&self) -> &'static str {
        "Replace old_text (must occur exactly once, whitespace included) with new_text."
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        if args.old_text.is_empty() {
            return Err(ToolError::InvalidArguments(
                "old_text must not be empty; use write_file to create a file".to_owned(),
            ));
        }
        let resolved = paths::resolve(settings, &args.path)?;
        let path = resolved.path.clone();
        let access = Access::write_previewed(resolved, || {
            format!(
                "replace:\n{}\nwith:\n{}",
                super::preview(&args.old_text),
                super::preview(&args.new_text)
            )
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
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| ToolError::io("read", &path, e))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                ToolError::Failed(format!(
                    "{} is not UTF-8 text; edit_file cannot edit it",
                    path.display()
                ))
            })?;
            let positions = occurrences(&text, &args.old_text);
            let at = match positions.as_slice() {
                [at] => *at,
                [] => {
                    return Err(ToolError::Failed(format!(
                        "old_text found 0 times ({}); it must match the file exactly, whitespace included (read the file again)",
                        path.display()
                    )));
                }
                many => {
                    return Err(ToolError::Failed(format!(
                        "old_text found {} times, add context to make it unique ({})",
                        many.len(),
                        path.display()
                    )));
                }
            };
            let mut edited = String::with_capacity(text.len() + args.new_text.len());
            edited.push_str(&text[..at]);
            edited.push_str(&args.new_text);
            edited.push_str(&text[at + args.old_text.len()..]);
            tokio::fs::write(&path, edited.as_bytes())
                .await
                .map_err(|e| ToolError::io("write", &path, e))?;
            let line = text[..at].matches('\n').count() + 1;
            Ok(format!(
                "edited {} (replacement starts at line {line})",
                path.display()
            ))
        }))
    }
}

/// Start offsets of every occurrence, overlapping ones included: with "aa" in "aaa" the match
/// is ambiguous even though a non-overlapping search would count it once.
fn occurrences(haystack: &str, needle: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = haystack[from..].find(needle) {
        let at = from + pos;
        found.push(at);
        // Step one char, not one byte, so the next slice starts on a char boundary.
        from = at + haystack[at..].chars().next().map_or(1, char::len_utf8);
        if from > haystack.len() {
            break;
        }
    }
    found
}
