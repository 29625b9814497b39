//! `expand`: the messages a compaction stands for, read back from the store. Listed
//! nowhere (the compaction message names it), so it costs no prompt until it is needed.

use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::model::Role;
use crate::store::Store;
use crate::tools::{
    Access, Disclosure, MemoryAccess, ToolError, ToolOutput, ToolSettings, TypedTool, text_output,
};

/// Messages shown per call, and characters per message.
const PAGE: usize = 30;
const MESSAGE_CHARS: usize = 1500;

pub struct Expand {
    pub(crate) store: Arc<Store>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Show the compacted messages after this message number (from a previous page);
    /// default: from the start.
    #[serde(default)]
    after: Option<i64>,
}

impl TypedTool for Expand {
    type Args = Args;
    type Plan = (String, i64);

    fn name(&self) -> &'static str {
        "expand"
    }

    fn description(&self) -> &'static str {
        "Show the earlier messages of this conversation that were compacted, in full, a page at a time."
    }

    fn disclosure(&self) -> Disclosure {
        Disclosure::Hidden
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        let session = settings
            .session
            .clone()
            .ok_or_else(|| ToolError::Failed("expand works inside a conversation".to_owned()))?;
        Ok((
            Access::Memory {
                action: MemoryAccess::Read,
                summary: "show the compacted messages".to_owned(),
            },
            (session, args.after.unwrap_or(0)),
        ))
    }

    fn run<'a>(
        &'a self,
        (session, after): Self::Plan,
        _settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let failed = |e: crate::store::StoreError| ToolError::Failed(e.to_string());
            let Some(compaction) = self.store.latest_compaction(&session).map_err(failed)? else {
                return Ok("nothing in this conversation was compacted".to_owned());
            };
            let compacted: Vec<_> = self
                .store
                .messages(&session)
                .map_err(failed)?
                .into_iter()
                .filter(|m| m.id > after && m.id <= compaction.upto_message)
                .collect();
            if compacted.is_empty() {
                return Ok("no compacted messages after that one".to_owned());
            }
            let mut out = Vec::new();
            for stored in compacted.iter().take(PAGE) {
                let m = &stored.message;
                let who = match m.role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                    Role::Tool => "tool result",
                };
                let text = if m.content.chars().count() > MESSAGE_CHARS {
                    m.content.chars().take(MESSAGE_CHARS).collect::<String>() + " […]"
                } else {
                    m.content.clone()
                };
                let calls: Vec<String> = m
                    .tool_calls
                    .iter()
                    .map(|c| format!(" [called {} {}]", c.name, c.arguments))
                    .collect();
                out.push(format!(
                    "message {} ({who}, {}): {text}{}",
                    stored.id,
                    stored.created_at,
                    calls.join("")
                ));
            }
            if compacted.len() > PAGE {
                let last = compacted[PAGE - 1].id;
                out.push(format!(
                    "({} more: call expand with {{\"after\": {last}}})",
                    compacted.len() - PAGE
                ));
            }
            Ok(out.join("\n"))
        }))
    }
}
