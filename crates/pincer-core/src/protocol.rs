//! The one protocol every surface speaks: surfaces submit [`Op`]s and receive [`Event`]s.
//!
//! The CLI, the gateway, bridges and tests drive the engine only through these types. Both
//! enums are `non_exhaustive` so surfaces keep compiling as the protocol grows.

use serde::{Deserialize, Serialize};

use crate::model::Usage;

/// What a surface asks of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Op {
    /// Run a turn with this user text. Turns of one session run one after another.
    UserTurn { text: String },
    /// Stop the running turn; what happened so far is kept.
    Interrupt,
    /// Answer a pending [`Event::ApprovalRequested`].
    Approve {
        call_id: String,
        decision: ApprovalDecision,
    },
}

/// The user's answer to an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// Allow this one call.
    Once,
    /// Allow calls matching the same pattern for the rest of this session.
    Session,
    /// Allow calls matching the same pattern from now on (persisted).
    Always,
    Deny,
}

impl ApprovalDecision {
    pub fn allows(self) -> bool {
        !matches!(self, ApprovalDecision::Deny)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalDecision::Once => "once",
            ApprovalDecision::Session => "session",
            ApprovalDecision::Always => "always",
            ApprovalDecision::Deny => "deny",
        }
    }
}

/// Who or what settled a tool call's policy check; recorded in the audit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The policy allowed or denied it without asking.
    Policy,
    /// A grant remembered from an earlier answer (session or always).
    Remembered,
    /// The user answered an approval request.
    User,
    /// `--approve auto` or `--approve deny` answered on the user's behalf.
    Mode,
}

impl DecidedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::Policy => "policy",
            DecidedBy::Remembered => "remembered",
            DecidedBy::User => "user",
            DecidedBy::Mode => "mode",
        }
    }
}

/// Something that happened in a session; every step of a turn is one of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A turn began; `text` is what the user sent, so every surface can show it.
    TurnStarted {
        turn_id: String,
        text: String,
    },
    /// A request to a model is about to be sent (step counts from 1 within a turn).
    ModelRequest {
        step: u32,
        provider: String,
        model: String,
    },
    TextDelta {
        text: String,
    },
    ReasoningDelta {
        text: String,
    },
    /// The model asked for a tool.
    ToolCallRequested {
        call_id: String,
        name: String,
        arguments: String,
    },
    /// Policy wants the user to decide; answer with [`Op::Approve`].
    ApprovalRequested {
        call_id: String,
        tool: String,
        summary: String,
        pattern: String,
    },
    ApprovalResolved {
        call_id: String,
        decision: ApprovalDecision,
        by: DecidedBy,
    },
    ToolCallFinished {
        call_id: String,
        name: String,
        ok: bool,
        output: String,
        /// Absolute paths of images the tool produced (screenshots).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<String>,
        duration_ms: u64,
    },
    /// A request failed and will be sent again after `delay_ms`.
    ProviderRetry {
        provider: String,
        attempt: u32,
        delay_ms: u64,
        reason: String,
    },
    /// The provider gave up; the next configured one takes over.
    ProviderFallback {
        from: String,
        to: String,
        reason: String,
    },
    Usage {
        provider: String,
        model: String,
        usage: Usage,
    },
    /// The model's final text of this turn.
    TurnCompleted {
        turn_id: String,
        text: String,
        usage: Usage,
        steps: u32,
    },
    TurnCancelled {
        turn_id: String,
    },
    /// The turn stopped because it reached the configured step limit.
    StepLimitReached {
        turn_id: String,
        limit: u32,
    },
    TurnFailed {
        turn_id: String,
        error: String,
    },
}

impl Event {
    /// True for the four events that end a turn: completed, cancelled, step limit, failed.
    pub fn ends_turn(&self) -> bool {
        matches!(
            self,
            Event::TurnCompleted { .. }
                | Event::TurnCancelled { .. }
                | Event::StepLimitReached { .. }
                | Event::TurnFailed { .. }
        )
    }
}

/// An event together with the session it belongs to, as published on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionEvent {
    pub session: String,
    #[serde(flatten)]
    pub event: Event,
}
