#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The UI's TypeScript types are generated from the Rust types; this test fails when the
//! committed file is stale. `PINCER_UPDATE_TYPES=1 cargo test -p pincer-gateway --test
//! ts_types` rewrites it.

use pincer_core::agent::LiveTurn;
use pincer_core::memory::embeddings::worker::MemoryIndexStatus;
use pincer_core::model::{ImageRef, Message, Role, ToolCall, Usage};
use pincer_core::policy::{ExecRule, PolicyConfig, Verdict};
use pincer_core::protocol::{
    ApprovalDecision, ApprovalMode, DecidedBy, EngineStatus, Event, Failure, FailureKind, Op,
    OpError, OpErrorKind, Reply, SessionEvent, Submission, ToolDecision,
};
use pincer_core::protocol::{JobOp, JobTurn, MemoryOp};
use pincer_core::provider::Dialect;
use pincer_core::scheduler::misfire::Missed;
use pincer_core::scheduler::planner::Timing;
use pincer_core::scheduler::{Delivery, JobInfo, JobKind, JobOptions, Unattended, UnattendedMode};
use pincer_core::skills::{
    Finding, FindingKind, Problem, Shadowed, SkillSource, SkillStatus, SkillView,
};
use pincer_core::store::{Job, Run, RunStatus, Trigger};
use pincer_core::store::{
    Memory, MemoryChange, MessageHit, Provenance, Recalled, RecalledKind, SessionSummary,
    StoredMessage, TurnOutcome, TurnRecord, UsageBucket, UsageTotals,
};
use pincer_gateway::wire::*;
use pincer_gateway::{DesktopStatus, DesktopUpdate};
use ts_rs::{Config, TS};

fn render() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types by crates/pincer-gateway/tests/ts_types.rs.\n\
         // Do not edit: run `PINCER_UPDATE_TYPES=1 cargo test -p pincer-gateway --test ts_types`.\n\n",
    );
    macro_rules! decl {
        ($($t:ty),* $(,)?) => {
            $(
                out.push_str("export ");
                out.push_str(&<$t>::decl(&cfg));
                out.push_str("\n\n");
            )*
        };
    }
    decl!(
        Submission,
        Op,
        ApprovalMode,
        Reply,
        EngineStatus,
        OpError,
        OpErrorKind,
        Failure,
        FailureKind,
        ToolDecision,
        ApprovalDecision,
        DecidedBy,
        Event,
        SessionEvent,
        Recalled,
        RecalledKind,
        MemoryOp,
        Memory,
        Provenance,
        MemoryChange,
        MemoryIndexStatus,
        JobOp,
        JobInfo,
        Job,
        Run,
        RunStatus,
        Trigger,
        Timing,
        Missed,
        JobOptions,
        JobKind,
        Unattended,
        UnattendedMode,
        Delivery,
        JobTurn,
        MessageHit,
        Usage,
        Message,
        ImageRef,
        Role,
        ToolCall,
        LiveTurn,
        PolicyConfig,
        Verdict,
        ExecRule,
        Dialect,
        SessionSummary,
        StoredMessage,
        UsageTotals,
        UsageBucket,
        ServerMessage,
        SessionInfo,
        NewSession,
        RenameSession,
        HistoryMessage,
        MemoryList,
        MemoryDetail,
        JobView,
        NewJobRequest,
        JobChange,
        RunView,
        RunSpend,
        SchedulePreviewRequest,
        SchedulePreview,
        ToolOutcome,
        TurnOutcome,
        TurnRecord,
        PendingApproval,
        ProviderView,
        ProviderInput,
        PresetView,
        SecretStoreKind,
        SecretStoreView,
        SettingsView,
        EffectiveProvider,
        EffectiveView,
        LocalModelsView,
        LocalModelView,
        KnownModelView,
        SetDefaultModel,
        ConnectionTest,
        PricedBucket,
        UsageReport,
        LoginRequest,
        LoginResult,
        LoggedOut,
        LoginCode,
        Health,
        DesktopInfo,
        DesktopStatus,
        DesktopUpdate,
        OpenSession,
        SkillsReport,
        SkillFolder,
        SkillDetail,
        SkillView,
        SkillSource,
        SkillStatus,
        Shadowed,
        Problem,
        Finding,
        FindingKind,
        ApiError,
    );
    format!("{}\n", out.trim_end())
}

#[test]
fn generated_typescript_is_up_to_date() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/generated/protocol.ts");
    let fresh = render();
    if std::env::var_os("PINCER_UPDATE_TYPES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `PINCER_UPDATE_TYPES=1 cargo test -p pincer-gateway --test ts_types` and commit it",
        path.display()
    );
}
