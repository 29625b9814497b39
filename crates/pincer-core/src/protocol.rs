//! The one protocol every surface speaks: surfaces send [`Submission`]s and receive
//! [`SessionEvent`]s (and a [`Reply`] or an [`OpError`] per submission).
//!
//! The CLI, the gateway's WebSocket and REST handlers, the desktop shell, bridges and tests
//! drive the engine only through these types, in-process or as JSON over the WebSocket.
//! Every submission carries an id the surface chose; the reply and every event of the turn
//! it started name that id, so no surface ever pairs a request with its answer by text.
//! The enums are `non_exhaustive` so surfaces keep compiling as the protocol grows.

use serde::{Deserialize, Serialize};

use crate::agent::LiveTurn;
use crate::model::Usage;

/// One request of a surface: an op and the id the surface chose for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Submission {
    /// Chosen by the surface: 1–64 letters, digits, '-', '_', '.' or ':'.
    pub id: String,
    pub op: Op,
}

impl Submission {
    pub fn new(id: impl Into<String>, op: Op) -> Self {
        Self { id: id.into(), op }
    }

    /// A submission with a fresh random id, for surfaces that need not choose one.
    pub fn fresh(op: Op) -> Self {
        Self::new(new_submission_id(), op)
    }
}

/// A fresh submission id.
pub fn new_submission_id() -> String {
    format!("sub-{}", uuid::Uuid::new_v4().simple())
}

/// What a surface asks of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Op {
    /// Run a turn with this user text in `session` (created if new). Turns of one session
    /// run one after another.
    UserTurn {
        session: String,
        text: String,
        /// How this turn's approval requests are answered; default: the engine's (ask).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        approvals: Option<ApprovalMode>,
        /// Set by the scheduler for a background run: what it may do unattended, what it
        /// may spend, which model it asks first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        job: Option<JobTurn>,
    },
    /// Stop the session's running turn; what happened so far is kept.
    Interrupt { session: String },
    /// Answer a pending [`Event::ApprovalRequested`].
    Approve {
        session: String,
        call_id: String,
        decision: ApprovalDecision,
    },
    /// The emergency stop: interrupt every running turn.
    InterruptAll,
    /// Pause or resume work: while paused no new turn starts (messages wait in their
    /// session's queue); running turns finish.
    SetPaused { paused: bool },
    /// Delete a session, its messages and its grants. Refused while a turn runs in it.
    DeleteSession { session: String },
    /// Read the settings again from the data home (config.toml, secrets, environment) and
    /// apply them to new turns; running turns finish with what they started with.
    ReloadSettings,
    /// Turn a skill on or off.
    SetSkillEnabled { name: String, enabled: bool },
    /// Read the skill folders again.
    ReloadSkills,
    /// What a surface needs to draw itself: running turns and whether work is paused.
    Status,
    /// Change long-term memory. Every change is kept in the memory's history and can be
    /// undone.
    Memory { change: MemoryOp },
    /// Bring past conversations in from a file on this machine (see `docs/memory.md` for
    /// the formats); each becomes a session, once.
    ImportSessions { path: String },
    /// How far memories are embedded for recall by meaning (`[memory.embeddings]`).
    MemoryIndex,
    /// Create, change, pause, delete or run a background job (`docs/scheduler.md`).
    Job { change: JobOp },
    /// How a schedule reads back and when it would run next, without saving anything (the
    /// Tasks page's schedule builder).
    SchedulePreview { schedule: String },
}

/// What makes a user turn a background run of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobTurn {
    /// The ledger's run (`run-…`).
    pub run: String,
    /// Approvals the job grants its runs (`JobOptions::approvals`).
    pub unattended: crate::scheduler::Unattended,
    /// The run stops before a model request once it has spent this much (US dollars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub spend_cap_usd: Option<f64>,
    /// A configured provider's name to ask first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub model: Option<String>,
    /// Nothing recalled from memory or other conversations: the heartbeat's minimal
    /// context.
    #[serde(default)]
    pub minimal: bool,
}

/// A change to a background job, as a surface (or the `schedule` tool) asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum JobOp {
    Create {
        name: String,
        /// What the job asks, as a user message.
        prompt: String,
        /// E.g. `every 20m`, `cron "0 9 * * MON" Europe/Lisbon`, `at 2026-12-08T09:00
        /// Europe/Lisbon`, `at startup`.
        schedule: String,
        /// `{"missed": {"policy": "once"}, "lateness_secs": 3600, "timeout_secs": 600}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional, type = "unknown"))]
        options: Option<serde_json::Value>,
    },
    Update {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        prompt: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        schedule: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional, type = "unknown"))]
        options: Option<serde_json::Value>,
    },
    Pause {
        id: String,
    },
    Resume {
        id: String,
    },
    Delete {
        id: String,
    },
    /// Queue a run now, outside the schedule.
    RunNow {
        id: String,
    },
    /// Stop a run: a queued one never starts, a running or waiting one is interrupted
    /// (its model request and tools stop at once). Either way it ends `cancelled`.
    CancelRun {
        run: String,
    },
}

/// A change to long-term memory, as the user asks for it (the model has its tools).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum MemoryOp {
    /// Remember a fact the user states; the same fact again changes nothing.
    Save {
        content: String,
        /// `fact` (default) or `preference`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        kind: Option<String>,
        /// `global` (default), `contact:<id>` or `chat:<id>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        scope: Option<String>,
    },
    Edit {
        id: String,
        content: String,
    },
    /// Pinned memories are recalled in every conversation of their scope.
    Pin {
        id: String,
        pinned: bool,
    },
    Forget {
        id: String,
    },
    /// Revert the memory's latest change not yet undone; undoing again goes one change
    /// further back. A memory whose creation was undone (forgotten) comes back.
    Undo {
        id: String,
    },
    /// Save every memory a `MEMORY.md` (as `pincer memory export` writes it) lists.
    Import {
        markdown: String,
    },
}

impl Op {
    /// The session this op is about, if it is about one.
    pub fn session(&self) -> Option<&str> {
        match self {
            Op::UserTurn { session, .. }
            | Op::Interrupt { session }
            | Op::Approve { session, .. }
            | Op::DeleteSession { session } => Some(session),
            Op::InterruptAll
            | Op::SetPaused { .. }
            | Op::ReloadSettings
            | Op::SetSkillEnabled { .. }
            | Op::ReloadSkills
            | Op::Status
            | Op::Memory { .. }
            | Op::ImportSessions { .. }
            | Op::MemoryIndex
            | Op::Job { .. }
            | Op::SchedulePreview { .. } => None,
        }
    }
}

/// The engine's answer to an accepted submission. A turn's progress follows as events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reply {
    /// Done.
    Accepted,
    /// A user turn was queued: it starts when the session is free and work is not paused.
    /// `turn_id` is the id its events and stored messages will carry, so a surface can
    /// pair its message with the stored turn even before the turn's events reach it.
    TurnQueued { turn_id: String },
    /// [`Op::InterruptAll`]: how many running turns were told to stop.
    Interrupted { turns: u32 },
    /// [`Op::Status`].
    Status(EngineStatus),
    /// [`Op::Memory`]: the memory as it is now; `changed` is false when there was nothing
    /// to do (the fact was already remembered, the text was the same).
    Memory {
        memory: Box<crate::store::Memory>,
        changed: bool,
    },
    /// [`MemoryOp::Import`] and [`Op::ImportSessions`]: how many were added, and how many
    /// were there already.
    Imported { added: u64, already: u64 },
    /// [`Op::Job`]: the job as it is now, its schedule in words and its next run.
    Job { job: Box<crate::scheduler::JobInfo> },
    /// [`JobOp::RunNow`]: the run queued.
    RunQueued { run: Box<crate::store::Run> },
    /// [`Op::SchedulePreview`]: the schedule in words and its next runs (unix seconds, at
    /// most five; none for `at startup` or a time already past).
    SchedulePreview {
        description: String,
        upcoming: Vec<i64>,
    },
    /// [`Op::MemoryIndex`]: `None` when no embeddings endpoint is configured.
    MemoryIndex {
        status: Option<crate::memory::embeddings::worker::MemoryIndexStatus>,
    },
}

/// What a surface draws: the running turns with their events so far, and pause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EngineStatus {
    pub turns: Vec<LiveTurn>,
    pub paused: bool,
}

/// Why a submission was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{message}")]
pub struct OpError {
    pub kind: OpErrorKind,
    pub message: String,
}

impl OpError {
    pub fn new(kind: OpErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OpErrorKind {
    /// The submission id or session id is not well formed, or the message is empty.
    Invalid,
    /// No such session, skill or waiting approval.
    NotFound,
    /// The session has a running turn (delete it after the turn ends).
    Busy,
    /// The settings on disk do not resolve (the message says where).
    Settings,
    /// The engine could not do it (storage, a stopped actor); the message says why.
    Internal,
}

/// How approval requests of a turn are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// Publish [`Event::ApprovalRequested`] and wait for an [`Op::Approve`].
    Ask,
    /// Allow everything the policy would ask about (never what it denies).
    Auto,
    /// Refuse everything the policy would ask about.
    Deny,
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

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Policy, Self::Remembered, Self::User, Self::Mode]
            .into_iter()
            .find(|by| by.as_str() == name)
    }
}

/// Whether a tool call was allowed to run; recorded in the audit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ToolDecision {
    Allow,
    Deny,
}

impl ToolDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolDecision::Allow => "allow",
            ToolDecision::Deny => "deny",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Allow, Self::Deny]
            .into_iter()
            .find(|d| d.as_str() == name)
    }
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ToolOutcome {
    /// It ran and succeeded.
    Ok,
    /// It ran (or could not start: unknown tool, bad arguments) and failed.
    Error,
    /// Refused by the policy or a person.
    Denied,
    /// The turn was stopped before or while it ran.
    Cancelled,
}

impl ToolOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolOutcome::Ok => "ok",
            ToolOutcome::Error => "error",
            ToolOutcome::Denied => "denied",
            ToolOutcome::Cancelled => "cancelled",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Ok, Self::Error, Self::Denied, Self::Cancelled]
            .into_iter()
            .find(|o| o.as_str() == name)
    }

    pub fn is_ok(self) -> bool {
        self == ToolOutcome::Ok
    }
}

/// What kind of failure ended a turn (or made a provider retry or fall back), so a surface
/// can offer the right fix ("open Settings to replace the key", "wait a minute", …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// The API key was missing or rejected.
    Auth,
    /// Too many requests for now.
    RateLimit,
    /// The account is out of credit or over its quota.
    Quota,
    /// The model or endpoint does not exist.
    NotFound,
    /// The conversation is longer than the model's context window.
    ContextTooLong,
    /// The provider could not be reached, or the connection broke.
    Network,
    /// The provider failed on its side, or sent something malformed.
    Server,
    /// The provider refused the request as malformed (a bug, or a setting it rejects).
    BadRequest,
    /// No model provider is configured.
    NoProvider,
    /// A background run reached its job's or the day's spend cap.
    SpendCap,
    Cancelled,
    /// Pincer itself failed (storage, a bug).
    Internal,
}

/// A failure: its kind and the human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
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
    /// What recall added to the turn's message from memory and past conversations; sent
    /// before the first model request, and only when something was recalled.
    Recalled {
        turn_id: String,
        items: Vec<crate::store::Recalled>,
    },
    /// Older turns of the session were summarised into one message to make room (their
    /// messages stay stored; the `expand` tool shows them). `facts_saved`: durable facts
    /// the flush before it saved to memory.
    Compacted {
        turn_id: String,
        messages: u64,
        facts_saved: u32,
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
    /// The model asked for a tool. `call_id` is the engine's own, unique in the data home.
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
        outcome: ToolOutcome,
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
        reason: Failure,
    },
    /// The provider gave up; the next configured one takes over.
    ProviderFallback {
        from: String,
        to: String,
        reason: Failure,
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
        error: Failure,
    },
    /// A background run changed state (started, waiting for an approval, ended), in the
    /// run's session: the tray, notifications and the Tasks page follow these.
    RunUpdated {
        run: Box<crate::store::Run>,
        job_name: String,
        delivery: crate::scheduler::Delivery,
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

/// An event with the session it belongs to and the submission that started its turn, as
/// published on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionEvent {
    pub session: String,
    /// The id of the [`Op::UserTurn`] submission whose turn this event belongs to.
    pub submission: String,
    #[serde(flatten)]
    pub event: Event,
}

/// Checks an id a surface chose (submission ids, session ids).
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// Checks a session id: 1–64 letters, digits, '-' or '_'.
pub fn valid_session_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_reads_as_the_wire_shows_it() {
        let text = r#"{"id":"web-1","op":{"type":"user_turn","session":"s1","text":"hi"}}"#;
        let submission: Submission = serde_json::from_str(text).unwrap();
        assert_eq!(
            submission,
            Submission::new(
                "web-1",
                Op::UserTurn {
                    session: "s1".into(),
                    text: "hi".into(),
                    approvals: None,
                    job: None,
                }
            )
        );
        assert_eq!(serde_json::to_string(&submission).unwrap(), text);
    }

    #[test]
    fn names_round_trip() {
        for outcome in [
            ToolOutcome::Ok,
            ToolOutcome::Error,
            ToolOutcome::Denied,
            ToolOutcome::Cancelled,
        ] {
            assert_eq!(ToolOutcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(DecidedBy::parse("remembered"), Some(DecidedBy::Remembered));
        assert_eq!(ToolDecision::parse("deny"), Some(ToolDecision::Deny));
        assert!(valid_id("web-1:2.x"));
        assert!(!valid_id(""));
        assert!(!valid_id("a b"));
    }
}
