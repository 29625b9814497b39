//! `notify`: show a desktop notification to the user.

use std::sync::Arc;

use futures::future::BoxFuture;
use pincer_core::tools::{
    Access, DesktopAccess, Disclosure, ToolError, ToolOutput, ToolSettings, TypedTool,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::Desktop;
use crate::notifications;

/// Longer summaries are refused; notification popups cut them anyway.
const MAX_SUMMARY_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 2_000;

pub(crate) struct NotifyTool {
    pub(crate) desktop: Arc<Desktop>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Title
    summary: String,
    body: Option<String>,
}

fn checked(args: Args) -> Result<(String, String), ToolError> {
    let Args { summary, body } = args;
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

impl TypedTool for NotifyTool {
    type Args = Args;
    type Plan = (String, String);

    fn name(&self) -> &'static str {
        "notify"
    }

    fn disclosure(&self) -> Disclosure {
        Disclosure::OnRequest
    }

    fn description(&self) -> &'static str {
        "Show the user a desktop notification, for example when a long task is done."
    }

    fn plan(
        &self,
        args: Args,
        _settings: &ToolSettings,
    ) -> Result<(Access, (String, String)), ToolError> {
        let (summary, body) = checked(args)?;
        let access = Access::Desktop {
            kind: DesktopAccess::Notify,
            summary: format!("show a desktop notification: {summary:?}"),
        };
        Ok((access, (summary, body)))
    }

    fn run<'a>(
        &'a self,
        (summary, body): (String, String),
        _settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let token = self.desktop.control.stop_token();
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
