// Generated from the Rust types by crates/pincer-gateway/tests/ts_types.rs.
// Do not edit: run `PINCER_UPDATE_TYPES=1 cargo test -p pincer-gateway --test ts_types`.

export type Submission = { 
/**
 * Chosen by the surface: 1–64 letters, digits, '-', '_', '.' or ':'.
 */
id: string, op: Op, };

export type Op = { "type": "user_turn", session: string, text: string, 
/**
 * How this turn's approval requests are answered; default: the engine's (ask).
 */
approvals?: ApprovalMode, 
/**
 * Set by the scheduler for a background run: what it may do unattended, what it
 * may spend, which model it asks first.
 */
job?: JobTurn, } | { "type": "interrupt", session: string, } | { "type": "approve", session: string, call_id: string, decision: ApprovalDecision, } | { "type": "interrupt_all" } | { "type": "set_paused", paused: boolean, } | { "type": "delete_session", session: string, } | { "type": "reload_settings" } | { "type": "set_skill_enabled", name: string, enabled: boolean, } | { "type": "reload_skills" } | { "type": "status" } | { "type": "memory", change: MemoryOp, } | { "type": "import_sessions", path: string, } | { "type": "memory_index" } | { "type": "job", change: JobOp, } | { "type": "schedule_preview", schedule: string, };

export type ApprovalMode = "ask" | "auto" | "deny";

export type Reply = { "type": "accepted" } | { "type": "turn_queued", turn_id: string, } | { "type": "interrupted", turns: number, } | { "type": "status" } & EngineStatus | { "type": "memory", memory: Memory, changed: boolean, } | { "type": "imported", added: number, already: number, } | { "type": "job", job: JobInfo, } | { "type": "run_queued", run: Run, } | { "type": "schedule_preview", description: string, upcoming: Array<number>, } | { "type": "memory_index", status: MemoryIndexStatus | null, };

export type EngineStatus = { turns: Array<LiveTurn>, paused: boolean, };

export type OpError = { kind: OpErrorKind, message: string, };

export type OpErrorKind = "invalid" | "not_found" | "busy" | "settings" | "internal";

export type Failure = { kind: FailureKind, message: string, };

export type FailureKind = "auth" | "rate_limit" | "quota" | "not_found" | "context_too_long" | "network" | "server" | "bad_request" | "no_provider" | "spend_cap" | "cancelled" | "internal";

export type ToolDecision = "allow" | "deny";

export type ApprovalDecision = "once" | "session" | "always" | "deny";

export type DecidedBy = "policy" | "remembered" | "user" | "mode";

export type Event = { "type": "turn_started", turn_id: string, text: string, } | { "type": "recalled", turn_id: string, items: Array<Recalled>, } | { "type": "compacted", turn_id: string, messages: number, facts_saved: number, } | { "type": "model_request", step: number, provider: string, model: string, } | { "type": "text_delta", text: string, } | { "type": "reasoning_delta", text: string, } | { "type": "tool_call_requested", call_id: string, name: string, arguments: string, } | { "type": "approval_requested", call_id: string, tool: string, summary: string, pattern: string, } | { "type": "approval_resolved", call_id: string, decision: ApprovalDecision, by: DecidedBy, } | { "type": "tool_call_finished", call_id: string, name: string, outcome: ToolOutcome, output: string, 
/**
 * Absolute paths of images the tool produced (screenshots).
 */
images?: Array<string>, duration_ms: number, } | { "type": "provider_retry", provider: string, attempt: number, delay_ms: number, reason: Failure, } | { "type": "provider_fallback", from: string, to: string, reason: Failure, } | { "type": "usage", provider: string, model: string, usage: Usage, } | { "type": "turn_completed", turn_id: string, text: string, usage: Usage, steps: number, } | { "type": "turn_cancelled", turn_id: string, } | { "type": "step_limit_reached", turn_id: string, limit: number, } | { "type": "turn_failed", turn_id: string, error: Failure, } | { "type": "run_updated", run: Run, job_name: string, delivery: Delivery, };

export type SessionEvent = { session: string, 
/**
 * The id of the [`Op::UserTurn`] submission whose turn this event belongs to.
 */
submission: string, } & ({ "type": "turn_started", turn_id: string, text: string, } | { "type": "recalled", turn_id: string, items: Array<Recalled>, } | { "type": "compacted", turn_id: string, messages: number, facts_saved: number, } | { "type": "model_request", step: number, provider: string, model: string, } | { "type": "text_delta", text: string, } | { "type": "reasoning_delta", text: string, } | { "type": "tool_call_requested", call_id: string, name: string, arguments: string, } | { "type": "approval_requested", call_id: string, tool: string, summary: string, pattern: string, } | { "type": "approval_resolved", call_id: string, decision: ApprovalDecision, by: DecidedBy, } | { "type": "tool_call_finished", call_id: string, name: string, outcome: ToolOutcome, output: string, 
/**
 * Absolute paths of images the tool produced (screenshots).
 */
images?: Array<string>, duration_ms: number, } | { "type": "provider_retry", provider: string, attempt: number, delay_ms: number, reason: Failure, } | { "type": "provider_fallback", from: string, to: string, reason: Failure, } | { "type": "usage", provider: string, model: string, usage: Usage, } | { "type": "turn_completed", turn_id: string, text: string, usage: Usage, steps: number, } | { "type": "turn_cancelled", turn_id: string, } | { "type": "step_limit_reached", turn_id: string, limit: number, } | { "type": "turn_failed", turn_id: string, error: Failure, } | { "type": "run_updated", run: Run, job_name: string, delivery: Delivery, });

export type Recalled = { turn_id: string, kind: RecalledKind, 
/**
 * A memory's id (`mem-…`), or a past message's as `<session>/<message id>`.
 */
source: string, 
/**
 * The text as it was given to the model.
 */
text: string, };

export type RecalledKind = "memory" | "message";

export type MemoryOp = { "action": "save", content: string, 
/**
 * `fact` (default) or `preference`.
 */
kind?: string, 
/**
 * `global` (default), `contact:<id>` or `chat:<id>`.
 */
scope?: string, } | { "action": "edit", id: string, content: string, } | { "action": "pin", id: string, pinned: boolean, } | { "action": "forget", id: string, } | { "action": "undo", id: string, } | { "action": "import", markdown: string, };

export type Memory = { 
/**
 * Our id, `mem-…`.
 */
id: string, content: string, kind: string, scope: string, source_session: string | null, source_message: number | null, provenance: Provenance, created_at: string, updated_at: string, last_recalled: string | null, pinned: boolean, 
/**
 * The memory that replaced this one, if any.
 */
superseded_by: string | null, forgotten: boolean, };

export type Provenance = "user" | "agent" | "tool" | "untrusted";

export type MemoryChange = { 
/**
 * `create`, `edit`, `pin`, `unpin`, `forget`, `restore`, `replace` (this memory replaced
 * another; `before` is its id) or `supersede` (another replaced this one; `after` is
 * its id).
 */
action: string, before: string | null, after: string | null, at: string, };

export type MemoryIndexStatus = { 
/**
 * The endpoint's name and the model.
 */
endpoint: string, model: string, 
/**
 * Current memories with a vector, refused by the endpoint, and in all.
 */
embedded: number, refused: number, total: number, 
/**
 * The last failure, until something succeeds again.
 */
error: string | null, };

export type JobOp = { "action": "create", name: string, 
/**
 * What the job asks, as a user message.
 */
prompt: string, 
/**
 * E.g. `every 20m`, `cron "0 9 * * MON" Europe/Lisbon`, `at 2026-12-08T09:00
 * Europe/Lisbon`, `at startup`.
 */
schedule: string, 
/**
 * `{"missed": {"policy": "once"}, "lateness_secs": 3600, "timeout_secs": 600}`.
 */
options?: unknown, } | { "action": "update", id: string, name?: string, prompt?: string, schedule?: string, options?: unknown, } | { "action": "pause", id: string, } | { "action": "resume", id: string, } | { "action": "delete", id: string, } | { "action": "run_now", id: string, } | { "action": "cancel_run", run: string, };

export type JobInfo = { job: Job, 
/**
 * "every Monday at 09:00 Europe/Lisbon, next run Mon 7 Dec 09:00".
 */
description: string, 
/**
 * Unix seconds; none when paused, done (a one-shot that ran) or at start-up only.
 */
next_run: number | null, 
/**
 * The next runs (unix seconds), at most five, the first being `next_run`.
 */
upcoming: Array<number>, 
/**
 * Why the stored schedule cannot be used, if it cannot.
 */
problem: string | null, };

export type Job = { 
/**
 * Our id, `job-…`.
 */
id: string, name: string, prompt: string, 
/**
 * The schedule as the user wrote it (`scheduler::schedule` reads it).
 */
schedule: string, 
/**
 * Intervals count from here (unix seconds).
 */
anchor: number, 
/**
 * Skill, model, delivery, approvals, timeout, spend cap, missed-run policy: JSON the
 * scheduler owns.
 */
options: unknown, paused: boolean, 
/**
 * Every scheduled instant up to here (unix seconds) has its ledger row, or came
 * before the job existed.
 */
checked_until: number, created_at: number, updated_at: number, };

export type Run = { 
/**
 * Our id, `run-…`.
 */
id: string, job_id: string, 
/**
 * The instant it was due (unix seconds); none for "run now".
 */
scheduled_for: number | null, trigger: Trigger, status: RunStatus, 
/**
 * Why it ended as it did (or why it was not run).
 */
reason: string | null, 
/**
 * The session the run's turn lives in.
 */
session_id: string | null, queued_at: number, started_at: number | null, ended_at: number | null, input_tokens: number, output_tokens: number, cost_usd: number | null, 
/**
 * The run's final text.
 */
output: string | null, };

export type RunStatus = "queued" | "running" | "waiting_approval" | "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped" | "missed" | "lost";

export type Trigger = "schedule" | "catch_up" | "manual" | "startup";

export type Timing = { 
/**
 * What runs of the instants missed while nothing ran.
 */
missed: Missed, 
/**
 * How late a missed instant may still run, in seconds (default an hour).
 */
lateness_secs: number, 
/**
 * A run longer than this is stopped (default: the runner's, 10 minutes).
 */
timeout_secs?: number | null, };

export type Missed = { "policy": "skip" } | { "policy": "once" } | { "policy": "each", up_to: number, };

export type JobOptions = { kind: JobKind, approvals: Unattended, delivery: Delivery, 
/**
 * A run that has spent this much (US dollars, by the models' prices) is stopped
 * before its next model request.
 */
spend_cap_usd?: number, 
/**
 * A skill the run uses, as if the prompt began with `/skill`.
 */
skill?: string, 
/**
 * The name of a configured provider to ask first (e.g. a cheaper model); the others
 * stay its fallbacks.
 */
model?: string, 
/**
 * What runs of the instants missed while nothing ran.
 */
missed: Missed, 
/**
 * How late a missed instant may still run, in seconds (default an hour).
 */
lateness_secs: number, 
/**
 * A run longer than this is stopped (default: the runner's, 10 minutes).
 */
timeout_secs?: number | null, };

export type JobKind = "agent" | "reminder" | "heartbeat";

export type Unattended = { mode: UnattendedMode, 
/**
 * Allowed without asking in this job's runs: a tool's name (`web_fetch`: every call),
 * an approval pattern as an approval request shows it (`exec:git status`), or a
 * pattern's beginning followed by `*` (`exec:git *`). What the policy denies stays
 * denied.
 */
allow?: Array<string>, };

export type UnattendedMode = "ask" | "deny";

export type Delivery = "notify" | "none";

export type JobTurn = { 
/**
 * The ledger's run (`run-…`).
 */
run: string, 
/**
 * Approvals the job grants its runs (`JobOptions::approvals`).
 */
unattended: Unattended, 
/**
 * The run stops before a model request once it has spent this much (US dollars).
 */
spend_cap_usd?: number, 
/**
 * A configured provider's name to ask first.
 */
model?: string, 
/**
 * Nothing recalled from memory or other conversations: the heartbeat's minimal
 * context.
 */
minimal: boolean, };

export type MessageHit = { message_id: number, session_id: string, role: string, content: string, created_at: string, };

export type Usage = { 
/**
 * All prompt tokens, cached ones included.
 */
input_tokens: number, 
/**
 * The part of `input_tokens` served from the provider's prompt cache.
 */
cached_input_tokens: number, output_tokens: number, 
/**
 * True when the provider sent no counts and these are Pincer's estimate
 * (about four characters a token). Never mixed up with reported figures.
 */
estimated?: boolean, };

export type Message = { role: Role, content: string, tool_calls?: Array<ToolCall>, 
/**
 * Set on `Role::Tool` messages: the call this result answers.
 */
tool_call_id?: string | null, 
/**
 * Set on `Role::Tool` messages when the tool failed.
 */
is_error?: boolean, 
/**
 * Images a tool produced (screenshots), sent to models that accept images.
 */
images?: Array<ImageRef>, };

export type ImageRef = { 
/**
 * Absolute path of the image file.
 */
path: string, 
/**
 * e.g. `image/png`.
 */
media_type: string, };

export type Role = "user" | "assistant" | "tool";

export type ToolCall = { 
/**
 * The engine's own id, unique in the data home: events, audit, approvals and the UI use
 * it. (Rows stored before engine ids existed hold the provider's id here.)
 */
id: string, 
/**
 * The id the provider gave the call, kept only to echo it back to that provider:
 * providers reuse theirs (`call_0` every turn), so it identifies nothing of ours.
 */
provider_id?: string, name: string, arguments: string, };

export type LiveTurn = { session: string, 
/**
 * The submission that started the turn; its events name it.
 */
submission: string, events: Array<Event>, };

export type PolicyConfig = { 
/**
 * Reads outside the workspace.
 */
outside_read: Verdict, 
/**
 * Writes outside the workspace.
 */
outside_write: Verdict, 
/**
 * Writes inside the workspace.
 */
write: Verdict, 
/**
 * `exec` commands no rule matches.
 */
exec: Verdict, web_fetch: Verdict, 
/**
 * Desktop automation: capturing the screen.
 */
screenshot: Verdict, 
/**
 * Desktop automation: moving and clicking the mouse, typing, pressing keys.
 */
input: Verdict, 
/**
 * Desktop notifications from the agent.
 */
notify: Verdict, 
/**
 * Tools declared by skills the user did not write (ones shipped with Pincer and ones
 * made with `pincer skills new` run without asking unless this is `deny`).
 */
skill_tools: Verdict, 
/**
 * Rules by command prefix; the longest matching prefix wins.
 */
exec_rules: Array<ExecRule>, };

export type Verdict = "allow" | "ask" | "deny";

export type ExecRule = { prefix: string, action: Verdict, 
/**
 * `false` runs matching commands outside the sandbox, with all the user's rights.
 */
sandbox?: boolean, 
/**
 * Matching commands may open network connections (sockets).
 */
network?: boolean, };

export type Dialect = "openai" | "anthropic" | "local";

export type SessionSummary = { id: string, title: string, created_at: string, updated_at: string, messages: number, };

export type StoredMessage = { id: number, turn_id: string, created_at: string, role: Role, content: string, tool_calls?: Array<ToolCall>, 
/**
 * Set on `Role::Tool` messages: the call this result answers.
 */
tool_call_id?: string | null, 
/**
 * Set on `Role::Tool` messages when the tool failed.
 */
is_error?: boolean, 
/**
 * Images a tool produced (screenshots), sent to models that accept images.
 */
images?: Array<ImageRef>, };

export type UsageTotals = { requests: number, failed_requests: number, input_tokens: number, cached_input_tokens: number, output_tokens: number, 
/**
 * Requests whose counts are Pincer's estimate because the provider sent none.
 */
estimated_requests: number, };

export type UsageBucket = { 
/**
 * `YYYY-MM-DD`.
 */
day: string, provider: string, model: string, totals: UsageTotals, 
/**
 * Mean time to first token over the requests that produced one.
 */
avg_ttft_ms: number | null, avg_duration_ms: number | null, };

export type ServerMessage = { "type": "snapshot", turns: Array<LiveTurn>, 
/**
 * Whether work is paused (no new turn starts).
 */
paused: boolean, } | { "type": "event", session: string, submission: string, event: Event, } | { "type": "reply", submission: string, reply: Reply, } | { "type": "paused", paused: boolean, } | { "type": "sessions_changed" } | { "type": "skills_changed" } | { "type": "error", submission: string | null, session: string | null, kind: OpErrorKind, message: string, };

export type SessionInfo = { 
/**
 * A turn is running in it now.
 */
running: boolean, id: string, title: string, created_at: string, updated_at: string, messages: number, };

export type NewSession = { title?: string, };

export type RenameSession = { title: string, };

export type HistoryMessage = { duration_ms?: number | null, tool_outcome?: ToolOutcome | null, id: number, turn_id: string, created_at: string, role: Role, content: string, tool_calls?: Array<ToolCall>, 
/**
 * Set on `Role::Tool` messages: the call this result answers.
 */
tool_call_id?: string | null, 
/**
 * Set on `Role::Tool` messages when the tool failed.
 */
is_error?: boolean, 
/**
 * Images a tool produced (screenshots), sent to models that accept images.
 */
images?: Array<ImageRef>, };

export type MemoryList = { memories: Array<Memory>, messages: Array<MessageHit>, total: number, 
/**
 * How far memories are embedded for recall by meaning; absent without an endpoint.
 */
index?: MemoryIndexStatus, };

export type MemoryDetail = { memory: Memory, history: Array<MemoryChange>, };

export type JobView = { last_run: Run | null, job: Job, 
/**
 * "every Monday at 09:00 Europe/Lisbon, next run Mon 7 Dec 09:00".
 */
description: string, 
/**
 * Unix seconds; none when paused, done (a one-shot that ran) or at start-up only.
 */
next_run: number | null, 
/**
 * The next runs (unix seconds), at most five, the first being `next_run`.
 */
upcoming: Array<number>, 
/**
 * Why the stored schedule cannot be used, if it cannot.
 */
problem: string | null, };

export type NewJobRequest = { name: string, prompt: string, schedule: string, 
/**
 * Absent: the defaults. Unknown keys are refused by name.
 */
options?: Partial<JobOptions>, };

export type JobChange = { name?: string, prompt?: string, schedule?: string, 
/**
 * Replaces the options as a whole.
 */
options?: Partial<JobOptions>, };

export type RunView = { 
/**
 * Its job's name (a deleted job's too).
 */
job_name: string, 
/**
 * A run not ended yet: what its session's model requests used and cost so far.
 */
spend: RunSpend | null, 
/**
 * A run waiting for an approval: the request (answer it with `approve` on the
 * WebSocket, naming `session` and `call_id`).
 */
approval: PendingApproval | null, 
/**
 * Our id, `run-…`.
 */
id: string, job_id: string, 
/**
 * The instant it was due (unix seconds); none for "run now".
 */
scheduled_for: number | null, trigger: Trigger, status: RunStatus, 
/**
 * Why it ended as it did (or why it was not run).
 */
reason: string | null, 
/**
 * The session the run's turn lives in.
 */
session_id: string | null, queued_at: number, started_at: number | null, ended_at: number | null, input_tokens: number, output_tokens: number, cost_usd: number | null, 
/**
 * The run's final text.
 */
output: string | null, };

export type RunSpend = { requests: number, input_tokens: number, output_tokens: number, 
/**
 * US dollars by the models' prices; `None` when no request had a known price.
 */
cost_usd: number | null, };

export type SchedulePreviewRequest = { schedule: string, };

export type SchedulePreview = { description: string, upcoming: Array<number>, };

export type ToolOutcome = "ok" | "error" | "denied" | "cancelled";

export type TurnOutcome = "completed" | "cancelled" | "step_limit" | "failed";

export type TurnRecord = { turn_id: string, outcome: TurnOutcome, 
/**
 * The error of a failed turn; the limit of a step-limited one.
 */
detail: string | null, 
/**
 * What kind of failure ended a failed turn (absent for turns stored before kinds).
 */
failure_kind?: FailureKind, ended_at: string, };

export type PendingApproval = { session: string, call_id: string, tool: string, summary: string, pattern: string, };

export type ProviderView = { name: string, preset: string | null, dialect: Dialect, base_url: string, model: string, has_key: boolean, key_hint: string | null, 
/**
 * The environment variable the key is read from, when that is where it comes from.
 */
key_env: string | null, };

export type ProviderInput = { preset: string | null, name?: string, base_url?: string, model?: string, 
/**
 * Absent: keep the saved key. Empty: remove it. Otherwise: the new key.
 */
api_key?: string, };

export type PresetView = { name: string, dialect: Dialect, base_url: string, default_model: string, 
/**
 * The vendor's usual key variable; `None` for local servers that need no key.
 */
key_env: string | null, };

export type SecretStoreKind = "keyring" | "encrypted_file" | "unavailable";

export type SecretStoreView = { kind: SecretStoreKind, 
/**
 * "the OS keyring (Secret Service)", or the encrypted file's path.
 */
location: string, warning: string | null, };

export type SettingsView = { 
/**
 * Providers from config.toml, first = primary, the others fallbacks in order.
 */
providers: Array<ProviderView>, 
/**
 * Names of the providers turns actually use (the environment may add or replace one).
 */
active: Array<string>, 
/**
 * Set when PINCER_PROVIDER / PINCER_BASE_URL / … override the saved providers.
 */
env_override: string | null, policy: PolicyConfig, presets: Array<PresetView>, 
/**
 * Where saved keys are kept, with a warning when that is not the OS keyring.
 */
secret_store: SecretStoreView, 
/**
 * The provider turns use now (the first of `active`); null when there is none.
 */
effective: EffectiveProvider | null, };

export type EffectiveProvider = { 
/**
 * The provider's name, e.g. `deepseek`, `local`.
 */
name: string, 
/**
 * The model it is asked for; for a local model, its registered name.
 */
model: string, 
/**
 * The model as people know it: `SmolLM2-135M-Instruct` for a model of the catalog
 * (`pincer model pull`), else `model`.
 */
model_title: string, 
/**
 * A GGUF model run inside Pincer on this computer: nothing is sent anywhere.
 */
local: boolean, 
/**
 * The model is offered Pincer's tools (files, commands, the web). Always true for a
 * server; a local model only when its chat template defines tool calls.
 */
tools: boolean, 
/**
 * No provider is saved or given in the environment, so the default local model
 * answers.
 */
local_default: boolean, };

export type EffectiveView = { effective: EffectiveProvider | null, };

export type LocalModelsView = { 
/**
 * Sorted by name; at most one is the default.
 */
models: Array<LocalModelView>, 
/**
 * Where downloaded models are kept (`<home>/models`); every `*.gguf` there is listed.
 */
models_dir: string, 
/**
 * The catalog, smallest first.
 */
known: Array<KnownModelView>, };

export type LocalModelView = { 
/**
 * What `config.toml` and `pincer model` call it, e.g. `smollm2-135m-instruct`.
 */
name: string, 
/**
 * The model as people know it (see [`EffectiveProvider::model_title`]).
 */
title: string, path: string, 
/**
 * File size in bytes.
 */
size: number, 
/**
 * Registered where it lies (`pincer model add PATH`) rather than found in `models_dir`.
 */
added: boolean, 
/**
 * Answers when no provider is configured.
 */
default: boolean, 
/**
 * The context window it was trained with, in tokens, when the header says.
 */
context_length: number | null, architecture: string | null, 
/**
 * Its chat template defines tool calls, so it can use Pincer's tools.
 */
tools: boolean, 
/**
 * Why it cannot be used (a missing file, not a GGUF …); such a model is never the
 * default.
 */
problem: string | null, };

export type KnownModelView = { 
/**
 * What to type: `pincer model pull NAME`.
 */
name: string, title: string, 
/**
 * Download size in bytes.
 */
size: number, 
/**
 * Context length it was trained for, in tokens.
 */
context: number, 
/**
 * Can use tools.
 */
tools: boolean, 
/**
 * One line: what it is good for, and its licence.
 */
note: string, 
/**
 * This data home has it already.
 */
installed: boolean, };

export type SetDefaultModel = { name: string, };

export type ConnectionTest = { ok: boolean, 
/**
 * What happened, in a sentence.
 */
message: string, latency_ms: number | null, };

export type PricedBucket = { 
/**
 * US dollars; `None` when no price is known for the model.
 */
cost_usd: number | null, 
/**
 * `YYYY-MM-DD`.
 */
day: string, provider: string, model: string, totals: UsageTotals, 
/**
 * Mean time to first token over the requests that produced one.
 */
avg_ttft_ms: number | null, avg_duration_ms: number | null, };

export type UsageReport = { 
/**
 * First day included (`YYYY-MM-DD`, UTC).
 */
since: string, buckets: Array<PricedBucket>, };

export type LoginRequest = { code: string, };

export type LoginResult = { key: string, };

export type LoggedOut = { ended: number, };

export type LoginCode = { code: string, expires_in_secs: number, };

export type Health = { service: string, version: string, };

export type DesktopInfo = { app: false } | ({ app: true } & DesktopStatus);

export type DesktopStatus = { 
/**
 * Pincer starts when the user logs in.
 */
autostart: boolean, 
/**
 * Accelerator of the quick-ask shortcut, e.g. "CommandOrControl+Shift+Space".
 */
quick_ask_shortcut: string, 
/**
 * Accelerator of the emergency stop, e.g. "CommandOrControl+Shift+Escape".
 */
stop_shortcut: string, 
/**
 * None when screenshot/mouse/keyboard can work here; otherwise why not.
 */
automation_unavailable: string | null, };

export type DesktopUpdate = { autostart?: boolean, quick_ask_shortcut?: string, };

export type OpenSession = { session: string, };

export type SkillsReport = { skills: Array<SkillView>, problems: Array<Problem>, 
/**
 * Highest precedence first.
 */
folders: Array<SkillFolder>, };

export type SkillFolder = { source: SkillSource, path: string, exists: boolean, };

export type SkillDetail = { skill: SkillView, body: string, };

export type SkillView = { name: string, description: string, source: SkillSource, 
/**
 * The skill's folder.
 */
path: string, status: SkillStatus, 
/**
 * Why it is unavailable, one reason each ("needs the `gh` binary").
 */
unmet: Array<string>, findings: Array<Finding>, 
/**
 * Enabled by the user with its current findings.
 */
approved: boolean, shadows: Array<Shadowed>, emoji: string | null, homepage: string | null, license: string | null, compatibility: string | null, allowed_tools: Array<string>, user_invocable: boolean, model_invocable: boolean, always: boolean, primary_env: string | null, 
/**
 * How to install what it needs, as the skill suggests (never run by Pincer).
 */
install: Array<string>, 
/**
 * Names of the tools it adds.
 */
tools: Array<string>, warnings: Array<string>, authored: boolean, hash: string, };

export type SkillSource = "workspace" | "home" | "agents" | "extra" | "bundled";

export type SkillStatus = "ready" | "unavailable" | "needs_review" | "disabled";

export type Shadowed = { source: SkillSource, path: string, };

export type Problem = { path: string, line: number | null, message: string, };

export type Finding = { kind: FindingKind, 
/**
 * The file, relative to the skill folder.
 */
file: string, line: number, 
/**
 * The line, trimmed and cut to 160 characters.
 */
excerpt: string, why: string, };

export type FindingKind = "pipe_to_shell" | "base64_exec" | "credentials" | "env_dump" | "shell_startup" | "runtime_code" | "unvetted";

export type ApiError = { error: string, };
