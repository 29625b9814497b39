//! Everything the gateway sends or receives as JSON. The TypeScript declarations in
//! `ui/src/generated/protocol.ts` are generated from these types and the engine's protocol
//! types (`tests/ts_types.rs`), never written by hand.

use pincer_core::agent::LiveTurn;
use pincer_core::policy::PolicyConfig;
use pincer_core::protocol::{Event, OpErrorKind, Reply};
pub use pincer_core::protocol::{Submission, ToolOutcome};
use pincer_core::provider::Dialect;
use pincer_core::skills::{Problem, SkillSource, SkillView};
use pincer_core::store::{SessionSummary, StoredMessage, UsageBucket};
use serde::{Deserialize, Serialize};

use crate::desktop::DesktopStatus;

/// Client → server on the WebSocket: a [`Submission`] (an op with the client's id for it).
pub type ClientMessage = Submission;

/// Server → client on the WebSocket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The first message on every connection, and again whenever the server had to drop
    /// events for a slow client: the running turns with their events so far. A client
    /// replaces its live state with this, so it never shows a silent gap.
    Snapshot {
        turns: Vec<LiveTurn>,
        /// Whether work is paused (no new turn starts).
        paused: bool,
    },
    /// An event of a turn; `submission` is the id of the `user_turn` that started it.
    Event {
        session: String,
        submission: String,
        event: Event,
    },
    /// A submission was accepted (and, for queries, its answer).
    Reply { submission: String, reply: Reply },
    /// Work was paused or resumed (by any surface).
    Paused { paused: bool },
    /// Sessions were created, renamed or deleted (by any client): reload the list.
    SessionsChanged,
    /// Skills were added, changed, removed, enabled or disabled: reload the Skills page.
    SkillsChanged,
    /// A submission was refused (bad id, empty message, no such approval …), or a message
    /// could not be read at all (`submission` is then absent). Nothing was changed.
    Error {
        submission: Option<String>,
        session: Option<String>,
        kind: OpErrorKind,
        message: String,
    },
}

/// A session in the sidebar.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionInfo {
    #[serde(flatten)]
    pub summary: SessionSummary,
    /// A turn is running in it now.
    pub running: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewSession {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RenameSession {
    pub title: String,
}

/// A stored message; tool results also say how the call went and how long it took.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryMessage {
    #[serde(flatten)]
    pub stored: StoredMessage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_outcome: Option<ToolOutcome>,
}

/// An approval request nobody has answered yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingApproval {
    pub session: String,
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    pub pattern: String,
}

/// A configured provider as the Settings page shows it. The key itself never leaves the
/// server; `key_hint` shows its last four characters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProviderView {
    pub name: String,
    pub preset: Option<String>,
    pub dialect: Dialect,
    pub base_url: String,
    pub model: String,
    pub has_key: bool,
    pub key_hint: Option<String>,
    /// The environment variable the key is read from, when that is where it comes from.
    pub key_env: Option<String>,
}

/// A provider as the Settings page sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProviderInput {
    pub preset: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub base_url: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub model: Option<String>,
    /// Absent: keep the saved key. Empty: remove it. Otherwise: the new key.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub api_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresetView {
    pub name: String,
    pub dialect: Dialect,
    pub base_url: String,
    pub default_model: String,
    /// The vendor's usual key variable; `None` for local servers that need no key.
    pub key_env: Option<String>,
}

/// Where the secret store keeps saved keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SecretStoreKind {
    Keyring,
    EncryptedFile,
    /// The store cannot be used (a locked or failing keyring): `warning` says why.
    Unavailable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretStoreView {
    pub kind: SecretStoreKind,
    /// "the OS keyring (Secret Service)", or the encrypted file's path.
    pub location: String,
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingsView {
    /// Providers from config.toml, first = primary, the others fallbacks in order.
    pub providers: Vec<ProviderView>,
    /// Names of the providers turns actually use (the environment may add or replace one).
    pub active: Vec<String>,
    /// Set when PINCER_PROVIDER / PINCER_BASE_URL / … override the saved providers.
    pub env_override: Option<String>,
    pub policy: PolicyConfig,
    pub presets: Vec<PresetView>,
    /// Where saved keys are kept, with a warning when that is not the OS keyring.
    pub secret_store: SecretStoreView,
    /// The provider turns use now (the first of `active`); null when there is none.
    pub effective: Option<EffectiveProvider>,
}

/// The provider turns use now, and whether it is the local model that answers because
/// nothing else is configured. Also `GET /api/settings/effective`, which is cheap (no
/// secret store, no model files read) so an empty chat can ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EffectiveProvider {
    /// The provider's name, e.g. `deepseek`, `local`.
    pub name: String,
    /// The model it is asked for; for a local model, its registered name.
    pub model: String,
    /// The model as people know it: `SmolLM2-135M-Instruct` for a model of the catalog
    /// (`pincer model pull`), else `model`.
    pub model_title: String,
    /// A GGUF model run inside Pincer on this computer: nothing is sent anywhere.
    pub local: bool,
    /// The model is offered Pincer's tools (files, commands, the web). Always true for a
    /// server; a local model only when its chat template defines tool calls.
    pub tools: bool,
    /// No provider is saved or given in the environment, so the default local model
    /// answers.
    pub local_default: bool,
}

/// `GET /api/settings/effective`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EffectiveView {
    pub effective: Option<EffectiveProvider>,
}

/// `GET /api/local-models`: the GGUF models this data home has, and the ones
/// `pincer model pull NAME` can fetch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalModelsView {
    /// Sorted by name; at most one is the default.
    pub models: Vec<LocalModelView>,
    /// Where downloaded models are kept (`<home>/models`); every `*.gguf` there is listed.
    pub models_dir: String,
    /// The catalog, smallest first.
    pub known: Vec<KnownModelView>,
}

/// A GGUF model of this data home.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalModelView {
    /// What `config.toml` and `pincer model` call it, e.g. `smollm2-135m-instruct`.
    pub name: String,
    /// The model as people know it (see [`EffectiveProvider::model_title`]).
    pub title: String,
    pub path: String,
    /// File size in bytes.
    pub size: u64,
    /// Registered where it lies (`pincer model add PATH`) rather than found in `models_dir`.
    pub added: bool,
    /// Answers when no provider is configured.
    pub default: bool,
    /// The context window it was trained with, in tokens, when the header says.
    pub context_length: Option<u64>,
    pub architecture: Option<String>,
    /// Its chat template defines tool calls, so it can use Pincer's tools.
    pub tools: bool,
    /// Why it cannot be used (a missing file, not a GGUF …); such a model is never the
    /// default.
    pub problem: Option<String>,
}

/// A model `pincer model pull NAME` can fetch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KnownModelView {
    /// What to type: `pincer model pull NAME`.
    pub name: String,
    pub title: String,
    /// Download size in bytes.
    pub size: u64,
    /// Context length it was trained for, in tokens.
    pub context: u32,
    /// Can use tools.
    pub tools: bool,
    /// One line: what it is good for, and its licence.
    pub note: String,
    /// This data home has it already.
    pub installed: bool,
}

/// `POST /api/local-models/default`: the model to answer when no provider is configured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetDefaultModel {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectionTest {
    pub ok: bool,
    /// What happened, in a sentence.
    pub message: String,
    pub latency_ms: Option<u64>,
}

/// Usage per day, provider and model, with its cost where the model's price is known.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PricedBucket {
    #[serde(flatten)]
    pub bucket: UsageBucket,
    /// US dollars; `None` when no price is known for the model.
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UsageReport {
    /// First day included (`YYYY-MM-DD`, UTC).
    pub since: String,
    pub buckets: Vec<PricedBucket>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginRequest {
    pub code: String,
}

/// The answer to a login: besides the cookie, a key the page keeps in its own origin's
/// storage and sends as `X-Pincer-Key` on every request (and in the WebSocket's protocol
/// list); a cookie without it logs nobody in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginResult {
    pub key: String,
}

/// The answer to "log out everywhere": how many browser logins ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoggedOut {
    pub ended: u64,
}

/// A fresh one-time login code (for `pincer login` and the desktop shell).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginCode {
    pub code: String,
    pub expires_in_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Health {
    pub service: String,
    pub version: String,
}

/// `GET /api/desktop`: whether the page runs inside the desktop app and, if so, its
/// settings. A headless daemon answers `{"app": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(type = "{ app: false } | ({ app: true } & DesktopStatus)")
)]
pub struct DesktopInfo {
    pub app: bool,
    /// Present exactly when `app` is true.
    #[serde(flatten)]
    pub status: Option<DesktopStatus>,
}

/// `POST /api/desktop/open`: show the main window at this session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenSession {
    pub session: String,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiError {
    pub error: String,
}

/// `GET /api/skills`: every skill, the files that did not load, and the folders searched.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillsReport {
    pub skills: Vec<SkillView>,
    pub problems: Vec<Problem>,
    /// Highest precedence first.
    pub folders: Vec<SkillFolder>,
}

/// A folder skills are read from.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillFolder {
    pub source: SkillSource,
    pub path: String,
    pub exists: bool,
}

/// `GET /api/skills/{name}`: one skill and its instructions as written.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillDetail {
    pub skill: SkillView,
    pub body: String,
}

/// The Memory page's list: memories (and, for a search, matching past messages), and how
/// many memories are current in all.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemoryList {
    pub memories: Vec<pincer_core::store::Memory>,
    pub messages: Vec<pincer_core::store::MessageHit>,
    pub total: u64,
    /// How far memories are embedded for recall by meaning; absent without an endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub index: Option<pincer_core::memory::embeddings::worker::MemoryIndexStatus>,
}

/// One memory with every change it went through, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemoryDetail {
    pub memory: pincer_core::store::Memory,
    pub history: Vec<pincer_core::store::MemoryChange>,
}

/// A job as the Tasks page lists it: the job, its schedule in words, its next runs, and
/// its latest run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobView {
    #[serde(flatten)]
    pub info: pincer_core::scheduler::JobInfo,
    pub last_run: Option<pincer_core::store::Run>,
}

/// `POST /api/jobs`: a job to create (the engine checks it: a schedule that cannot run is
/// refused with what to write instead).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewJobRequest {
    pub name: String,
    pub prompt: String,
    pub schedule: String,
    /// Absent: the defaults. Unknown keys are refused by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "Partial<JobOptions>"))]
    pub options: Option<serde_json::Value>,
}

/// `PATCH /api/jobs/{id}`: what changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub schedule: Option<String>,
    /// Replaces the options as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "Partial<JobOptions>"))]
    pub options: Option<serde_json::Value>,
}

/// A run of the ledger as the Tasks page shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunView {
    #[serde(flatten)]
    pub run: pincer_core::store::Run,
    /// Its job's name (a deleted job's too).
    pub job_name: String,
    /// A run not ended yet: what its session's model requests used and cost so far.
    pub spend: Option<RunSpend>,
    /// A run waiting for an approval: the request (answer it with `approve` on the
    /// WebSocket, naming `session` and `call_id`).
    pub approval: Option<PendingApproval>,
}

/// What a running run has used so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunSpend {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// US dollars by the models' prices; `None` when no request had a known price.
    pub cost_usd: Option<f64>,
}

/// `POST /api/schedule-preview`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SchedulePreviewRequest {
    pub schedule: String,
}

/// How a schedule reads back and its next runs (unix seconds, at most five; none for
/// `at startup` or a time already past).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SchedulePreview {
    pub description: String,
    pub upcoming: Vec<i64>,
}
