//! One tool call: look the tool up, check policy, ask if needed, run it, audit it.
//!
//! Nothing here fails the turn: unknown tools, bad arguments, refusals and tool errors all
//! become a tool result the model can read and react to.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::session::SessionShared;
use super::{Config, Shared};
use crate::model::{Message, ToolCall};
use crate::policy::Verdict;
use crate::protocol::{
    ApprovalDecision, ApprovalMode, DecidedBy, Event, ToolDecision, ToolOutcome,
};
use crate::skills::Catalog;
use crate::store::AuditRecord;
use crate::sync::lock;
use crate::tools::offload::{self, offload};
use crate::tools::{self, Tool, ToolOutput, ToolSettings, dispatch};

/// The result message and whether the call was cut short by cancellation.
pub(crate) struct Outcome {
    pub(crate) message: Message,
    pub(crate) cancelled: bool,
}

pub(crate) struct ToolRun<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) config: &'a Config,
    pub(crate) session: &'a SessionShared,
    /// The skills of this turn: their tools are looked up after the engine's own.
    pub(crate) catalog: &'a Catalog,
    pub(crate) session_id: &'a str,
    /// The submission whose turn this is; its events name it.
    pub(crate) submission: &'a str,
    pub(crate) turn_id: &'a str,
    /// How this turn's approval requests are answered.
    pub(crate) approvals: ApprovalMode,
    /// What a background run's job allows without asking.
    pub(crate) unattended: Option<&'a crate::scheduler::Unattended>,
    pub(crate) cancel: &'a CancellationToken,
}

/// How the policy check ended.
struct Decision {
    allowed: bool,
    by: DecidedBy,
    /// Why it was refused, for the model.
    reason: String,
}

impl ToolRun<'_> {
    /// Runs a call the model made, with the tool of that name.
    pub(crate) async fn run(&self, call: &ToolCall) -> Outcome {
        // `use_tool` stands for the tool it names: policy, approval, events and audit see
        // that tool and its arguments, as if the model had called it directly.
        let unwrapped = dispatch::unwrap(call);
        let call = unwrapped.as_ref().unwrap_or(call);
        let tool = dispatch::find(&self.shared.tools, self.catalog, &call.name);
        self.run_with(call, tool).await
    }

    /// Runs `call` with `tool` (`None`: there is no such tool): policy, approval, events,
    /// offload and audit, as for every call.
    pub(crate) async fn run_with(&self, call: &ToolCall, tool: Option<Arc<dyn Tool>>) -> Outcome {
        let started = Instant::now();
        self.emit(Event::ToolCallRequested {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        let (output, decision, outcome) = self.execute(call, tool).await;
        let ok = outcome.is_ok();
        let cancelled = outcome == ToolOutcome::Cancelled;
        let ToolOutput {
            text: content,
            images,
        } = output;
        let content = self.redact(&call.name, content);
        let content = if ok {
            offload(
                &self.config.output_root,
                self.session_id,
                &call.id,
                content,
                self.config.settings.tool_output_limit,
            )
        } else {
            content
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        let audit = AuditRecord {
            session: self.session_id.to_owned(),
            turn_id: self.turn_id.to_owned(),
            call_id: call.id.clone(),
            tool: call.name.clone(),
            arguments: call.arguments.clone(),
            decision: if decision.allowed {
                ToolDecision::Allow
            } else {
                ToolDecision::Deny
            },
            decided_by: decision.by,
            outcome,
            duration_ms,
        };
        if let Err(e) = self.shared.store.record_audit(&audit) {
            tracing::error!(error = %e, "could not write the audit record");
        }
        self.emit(Event::ToolCallFinished {
            call_id: call.id.clone(),
            name: call.name.clone(),
            outcome,
            output: content.clone(),
            images: images.iter().map(|image| image.path.clone()).collect(),
            duration_ms,
        });
        let mut message = Message::tool_result(&call.id, content, !ok);
        message.images = images;
        Outcome { message, cancelled }
    }

    /// The output with every known secret taken out, before the offload file, the event,
    /// the history and the model see it.
    fn redact(&self, tool: &str, content: String) -> String {
        let settings = &self.config.settings;
        let redactor = settings.redactor.with_home_files(&settings.home);
        match redactor.redact(&content) {
            std::borrow::Cow::Borrowed(_) => content,
            std::borrow::Cow::Owned(redacted) => {
                tracing::warn!(
                    tool,
                    "a tool result contained a saved secret; it was redacted"
                );
                redacted
            }
        }
    }

    fn emit(&self, event: Event) {
        self.shared.emit(self.session_id, self.submission, event);
    }

    /// Returns the output, how the policy check ended and how the call ended.
    async fn execute(
        &self,
        call: &ToolCall,
        tool: Option<Arc<dyn Tool>>,
    ) -> (ToolOutput, Decision, ToolOutcome) {
        let policy_decision = |allowed| Decision {
            allowed,
            by: DecidedBy::Policy,
            reason: String::new(),
        };
        if call.name == crate::local::output::MALFORMED_CALL {
            // A local model wrote a tool call that could not be read: say why, quote it,
            // and show the form, so the model can write it again.
            let detail: serde_json::Value =
                serde_json::from_str(&call.arguments).unwrap_or_default();
            let message = format!(
                "error: your tool call could not be read: {}. You wrote: {}. Write one call as \
                 <tool_call>\n{{\"name\": \"TOOL\", \"arguments\": {{...}}}}\n</tool_call>",
                detail["error"].as_str().unwrap_or("it is malformed"),
                detail["written"].as_str().unwrap_or_default()
            );
            return (message.into(), policy_decision(false), ToolOutcome::Error);
        }
        let Some(tool) = tool else {
            let known: Vec<&str> = self
                .shared
                .tools
                .names()
                .chain(self.catalog.tools.keys().map(String::as_str))
                .collect();
            let message = format!(
                "error: there is no tool named `{}`; available tools: {}",
                call.name,
                known.join(", ")
            );
            return (message.into(), policy_decision(false), ToolOutcome::Error);
        };
        let args = match tools::arguments_object(&call.arguments) {
            Ok(args) => args,
            Err(e) => {
                let message = format!("error: {e}");
                return (message.into(), policy_decision(false), ToolOutcome::Error);
            }
        };
        // This session's reads may reach its own offloaded outputs, no other session's.
        let settings = ToolSettings {
            own_output: Some(offload::session_dir(
                &self.config.output_root,
                self.session_id,
            )),
            session: Some(self.session_id.to_owned()),
            ..self.config.tool_settings.clone()
        };
        let prepared = match tool.prepare(&args, &settings) {
            Ok(prepared) => prepared,
            Err(e) => {
                return (
                    format!("error: {e}").into(),
                    policy_decision(false),
                    ToolOutcome::Error,
                );
            }
        };
        let check = self
            .config
            .settings
            .policy
            .check(tool.name(), &prepared.access);
        let decision = match check.verdict {
            Verdict::Allow => policy_decision(true),
            Verdict::Deny => Decision {
                allowed: false,
                by: DecidedBy::Policy,
                reason: format!("the policy does not allow this: {}", check.summary),
            },
            Verdict::Ask => match self.ask(call, &check.pattern, &check.summary).await {
                Some(decision) => decision,
                None => {
                    let message = "error: cancelled before the user answered; not run".to_owned();
                    let decision = Decision {
                        allowed: false,
                        by: DecidedBy::User,
                        reason: String::new(),
                    };
                    return (message.into(), decision, ToolOutcome::Cancelled);
                }
            },
        };
        if !decision.allowed {
            let message = format!("error: denied: {}", decision.reason);
            return (message.into(), decision, ToolOutcome::Denied);
        }
        tokio::select! {
            () = self.cancel.cancelled() => {
                ("error: cancelled by the user while running; it may not have finished, or may have done part of its work".to_owned().into(), decision, ToolOutcome::Cancelled)
            }
            result = prepared.run() => match result {
                Ok(output) => (output, decision, ToolOutcome::Ok),
                Err(e) => (format!("error: {e}").into(), decision, ToolOutcome::Error),
            }
        }
    }

    /// Settles an "ask" verdict; `None` if the turn was cancelled while waiting.
    async fn ask(&self, call: &ToolCall, pattern: &str, summary: &str) -> Option<Decision> {
        let remembered = lock(&self.session.granted).contains(pattern)
            || lock(&self.shared.always).contains(pattern)
            || self
                .unattended
                .is_some_and(|job| job.allows(&call.name, pattern));
        let (decision, by) = if remembered {
            (ApprovalDecision::Once, DecidedBy::Remembered)
        } else {
            match self.approvals {
                ApprovalMode::Auto => (ApprovalDecision::Once, DecidedBy::Mode),
                ApprovalMode::Deny => (ApprovalDecision::Deny, DecidedBy::Mode),
                ApprovalMode::Ask => (
                    self.wait_for_answer(call, pattern, summary).await?,
                    DecidedBy::User,
                ),
            }
        };
        match decision {
            ApprovalDecision::Session => {
                lock(&self.session.granted).insert(pattern.to_owned());
            }
            ApprovalDecision::Always => {
                lock(&self.shared.always).insert(pattern.to_owned());
                if let Err(e) = self.shared.store.add_grant(pattern) {
                    tracing::error!(error = %e, "could not save the approval");
                }
            }
            ApprovalDecision::Once | ApprovalDecision::Deny => {}
        }
        if by != DecidedBy::User {
            self.emit(Event::ApprovalResolved {
                call_id: call.id.clone(),
                decision,
                by,
            });
        }
        let reason = match by {
            DecidedBy::Mode => format!("approvals are set to deny; {summary} needs approval"),
            _ => format!("the user did not allow: {summary}"),
        };
        Some(Decision {
            allowed: decision.allows(),
            by,
            reason,
        })
    }

    async fn wait_for_answer(
        &self,
        call: &ToolCall,
        pattern: &str,
        summary: &str,
    ) -> Option<ApprovalDecision> {
        let (answer, answered) = oneshot::channel();
        lock(&self.session.pending).insert(call.id.clone(), answer);
        self.emit(Event::ApprovalRequested {
            call_id: call.id.clone(),
            tool: call.name.clone(),
            summary: summary.to_owned(),
            pattern: pattern.to_owned(),
        });
        let decision = tokio::select! {
            () = self.cancel.cancelled() => None,
            decision = answered => decision.ok(),
        };
        lock(&self.session.pending).remove(&call.id);
        if let Some(decision) = decision {
            self.emit(Event::ApprovalResolved {
                call_id: call.id.clone(),
                decision,
                by: DecidedBy::User,
            });
        }
        decision
    }
}
