//! `notify`: show a desktop notification to the user.

use std::sync::Arc;

use futures::future::BoxFuture;
use pincer_core::tools::{
    Access, DesktopAccess, Tool, ToolError, ToolOutput, ToolSettings, parse_args,
};
use serde::Deserialize;
use serde_json::json;

use crate::Desktop;
use crate::notifications;

/// Longer summaries are refused; notification popups cut them anyway.
const MAX_SUMMARY_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 2_000;

pub(crate) struct NotifyTool {
    pub(crate) desktop: Arc<Desktop>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    summary: String,
    body: Option<String>,
}

fn checked(args: &serde_json::Value) -> Result<(String, String), ToolError> {
    let Args { summary, body } = parse_args(args)?;
    let summary = summary.trim().to_owned();
    let body = body.unwrap_or_default();
    if summary.is_empty() {
        return Err(ToolError::InvalidArguments(
            "summary must not be empty: it is the notification's title".to_owned(),
        ));
    }
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err(ToolError::InvalidArguments(format!(
            "summary is longer than {MAX_SUMMARY_CHARS} characters; put the details in body"
        )));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ToolError::InvalidArguments(format!(
            "body is longer than {MAX_BODY_CHARS} characters; notifications are for short messages"
        )));
    }
    Ok((summary, body))
}

impl Tool for NotifyTool {
    fn name(&self) -> &'static str {
        "notify"
    }

    fn description(&self) -> &'static str {
        "Show the user a desktop notification, e.g. when a long task is done."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "summary": {"type": "string", "description": "Title"},
                "body": {"type": "string"}
            },
            "required": ["summary"],
            "additionalProperties": false
        })
    }

    fn access(
        &self,
        args: &serde_json::Value,
        _settings: &ToolSettings,
    ) -> Result<Access, ToolError> {
        let (summary, _) = checked(args)?;
        Ok(Access::Desktop {
            kind: DesktopAccess::Notify,
            summary: format!("show a desktop notification: {summary:?}"),
        })
    }

    fn run<'a>(
        &'a self,
        args: serde_json::Value,
        _settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let token = self.desktop.control.stop_token();
            let (summary, body) = checked(&args)?;
            token.check()?;
            let shown = summary.clone();
            tokio::task::spawn_blocking(move || {
                token.check()?;
                notifications::show_plain(&summary, &body)
                    .map_err(|e| ToolError::Failed(e.to_string()))
            })
            .await
            .map_err(|e| ToolError::Failed(format!("showing the notification crashed: {e}")))??;
            Ok(ToolOutput::from(format!("Notification shown: {shown:?}")))
        })
    }
}
