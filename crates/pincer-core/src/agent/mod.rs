//! The engine: one actor per session, turns serialized, every step published on the bus.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{broadcast, mpsc};

use crate::clock::{SystemWallClock, WallClock};
use crate::config::{ProcessEnv, Settings};
use crate::memory::embeddings::worker::{Embedder, MemoryIndexStatus};
use crate::model::ToolSpec;
pub use crate::protocol::ApprovalMode;
use crate::protocol::{
    EngineStatus, Event, JobOp, Op, OpError, OpErrorKind, Reply, SessionEvent, Submission,
    valid_id, valid_session_id,
};
use crate::provider::{self, Provider, ProviderError};
use crate::skills::{Library, SkillsError};
use crate::store::{Store, StoreError};
use crate::sync::{lock, read, write};
use crate::tools::{ToolRegistry, ToolSettings, offload, paths};

mod compact;
mod history;
mod idle_flush;
pub(crate) mod job_ops;
mod live;
mod memory_ops;
mod model_call;
mod prompt;
mod session;
mod tool_call;
mod turn;

pub use live::{LiveTurn, LiveTurns};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("could not prepare {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Events buffered per subscriber before a slow one starts missing them.
const BUS_CAPACITY: usize = 4096;

/// The headless engine. Cheap to clone; all clones share sessions and the bus.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    /// Replaced as a whole by [`Engine::reconfigure`]; a turn keeps the one it started with.
    config: RwLock<Arc<Config>>,
    pub(crate) store: Arc<Store>,
    pub(crate) tools: ToolRegistry,
    /// The registry's core tools, offered in full in every request.
    pub(crate) tool_specs: Vec<ToolSpec>,
    /// The skills; each turn takes the catalog current when it starts.
    pub(crate) skills: Library,
    /// How a turn's approvals are answered when its submission does not say.
    pub(crate) mode: ApprovalMode,
    /// Patterns granted "always", loaded from and saved to the store.
    pub(crate) always: Mutex<HashSet<String>>,
    bus: broadcast::Sender<SessionEvent>,
    /// The running turns' events, kept so a surface that connects late can catch up.
    /// Locked around every publish so a snapshot and the stream after it never overlap.
    live: Mutex<live::LiveTurns>,
    /// Running session actors. Ops are sent under this lock, and an idle actor removes
    /// itself under it, so no op can reach an actor that is stopping.
    sessions: Mutex<HashMap<String, mpsc::UnboundedSender<session::Command>>>,
    /// What outlives a session's actor: grants "for this session", pending approvals.
    session_shared: Mutex<HashMap<String, Arc<session::SessionShared>>>,
    /// While true, queued turns wait instead of starting (running ones finish).
    pub(crate) paused: tokio::sync::watch::Sender<bool>,
    /// Keeps memories embedded and embeds new messages, when `[memory.embeddings]` says.
    pub(crate) embedder: Arc<Embedder>,
    /// Jobs, the wall clock they are created and changed at (tests set their own), and the
    /// scheduler's wake-up when one changes.
    jobs: Arc<crate::scheduler::Jobs>,
}

/// What a turn runs with: settings and the providers and tool settings built from them.
pub(crate) struct Config {
    pub(crate) settings: Settings,
    pub(crate) providers: Vec<Box<dyn Provider>>,
    pub(crate) tool_settings: ToolSettings,
    /// Where long tool results are saved: `<home>/tool-output` (real path).
    pub(crate) output_root: PathBuf,
    /// The byte-stable head of every request.
    pub(crate) system_prompt: String,
    /// The head for a local model without tools (see `PromptProfile`).
    pub(crate) chat_only_prompt: String,
}

impl Config {
    fn build(mut settings: Settings) -> Result<Self, EngineError> {
        create_dir(&settings.workspace)?;
        settings.workspace =
            settings
                .workspace
                .canonicalize()
                .map_err(|source| EngineError::Io {
                    path: settings.workspace.display().to_string(),
                    source,
                })?;
        let providers = settings
            .providers
            .iter()
            .cloned()
            .map(|endpoint| provider::connect_with(endpoint, &settings.local))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tool_settings = ToolSettings::new(settings.workspace.clone());
        tool_settings.exec_timeout = settings.exec_timeout;
        tool_settings.fetch_allow_private = settings.web_fetch_allow_private;
        tool_settings.exec_rules = settings.policy.exec_rules.clone();
        tool_settings.key_env = settings.key_env.clone();
        // Outside the workspace whatever it is, even `~`: the data home holds the keys, the
        // config and the database, and the skill folders hold what runs without asking.
        tool_settings.protected = std::iter::once(&settings.home)
            .chain(&settings.skills.agents_dir)
            .chain(&settings.skills.extra_dirs)
            .map(|dir| real_path(dir))
            .collect();
        let home = real_path(&settings.home);
        Ok(Self {
            system_prompt: prompt::system_prompt(&settings.workspace),
            chat_only_prompt: prompt::chat_only_prompt(),
            output_root: home.join(offload::OUTPUT_DIR),
            settings,
            providers,
            tool_settings,
        })
    }
}

impl Engine {
    /// Opens the data home (creating it and the workspace if needed) and connects providers.
    pub fn start(settings: Settings, mode: ApprovalMode) -> Result<Self, EngineError> {
        Self::start_with_tools(settings, ToolRegistry::builtin(), mode)
    }

    /// Like [`Engine::start`], with a tool set of the caller's (the desktop app adds its
    /// automation tools to the built-in ones).
    pub fn start_with_tools(
        settings: Settings,
        tools: ToolRegistry,
        mode: ApprovalMode,
    ) -> Result<Self, EngineError> {
        let store = {
            create_private_dir(&settings.home)?;
            Store::open(&settings.home.join("pincer.db"))?
        };
        // After opening, so a database just created with the umask's mode is covered too.
        crate::config::make_private(&settings.home);
        Self::with_store(settings, store, tools, mode)
    }

    /// An engine over `store`. With no provider configured it still starts (a daemon lets
    /// the user pick one in Settings); its turns then fail with a message saying so.
    pub fn with_store(
        settings: Settings,
        store: Store,
        mut tools: ToolRegistry,
        mode: ApprovalMode,
    ) -> Result<Self, EngineError> {
        let config = Config::build(settings)?;
        let store = Arc::new(store);
        for tool in crate::memory::tools::tools(Arc::clone(&store)) {
            tools.register(tool);
        }
        let jobs = Arc::new(crate::scheduler::Jobs {
            store: Arc::clone(&store),
            clock: RwLock::new(Arc::new(SystemWallClock)),
            changed: Arc::new(tokio::sync::Notify::new()),
        });
        tools.register(Arc::new(crate::scheduler::ScheduleTool {
            jobs: Arc::clone(&jobs),
        }));
        // No turn runs yet: a turn without an end was cut off by a process that died.
        for closed in store.close_unfinished_turns()? {
            tracing::warn!(
                session = closed.session,
                turn = closed.turn_id,
                outcome = ?closed.outcome,
                "a turn left open by a stopped process is marked as ended"
            );
        }
        let always = store.grants()?;
        let skills = Library::open(&config.settings, tools.names().map(str::to_owned).collect());
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        let embedder = Embedder::new(Arc::clone(&store));
        embedder.configure(config.settings.embeddings.clone());
        Ok(Self {
            shared: Arc::new(Shared {
                config: RwLock::new(Arc::new(config)),
                tool_specs: tools.core_specs(),
                skills,
                store,
                tools,
                mode,
                always: Mutex::new(always),
                bus,
                live: Mutex::new(live::LiveTurns::default()),
                sessions: Mutex::new(HashMap::new()),
                session_shared: Mutex::new(HashMap::new()),
                paused: tokio::sync::watch::Sender::new(false),
                embedder,
                jobs,
            }),
        })
    }

    /// Replaces settings and providers. Running turns finish with what they started with.
    /// Surfaces use [`Op::ReloadSettings`]; this is for hosts that resolve settings
    /// themselves (tests).
    pub fn reconfigure(&self, settings: Settings) -> Result<(), EngineError> {
        let config = Arc::new(Config::build(settings)?);
        if let Err(e) = self.shared.skills.reconfigure(&config.settings) {
            tracing::warn!(error = %e, "skills: could not apply the new settings");
        }
        self.shared
            .embedder
            .configure(config.settings.embeddings.clone());
        *write(&self.shared.config) = config;
        Ok(())
    }

    /// Uses `clock` for the date and time from now on (tests move it).
    pub fn use_wall_clock(&self, clock: Arc<dyn WallClock>) {
        *write(&self.shared.jobs.clock) = clock;
    }

    /// The date and time the engine goes by.
    pub fn wall_clock(&self) -> Arc<dyn WallClock> {
        self.shared.wall_clock()
    }

    /// Publishes `event` in `session` as part of `submission` (the scheduler's run
    /// updates).
    pub(crate) fn publish(&self, session: &str, submission: &str, event: Event) {
        self.shared.emit(session, submission, event);
    }

    /// Notified whenever a job is created, changed or asked to run.
    pub fn jobs_changed(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.shared.jobs.changed)
    }

    /// How far memories are embedded for recall by meaning; `None` without an endpoint.
    pub fn memory_index(&self) -> Option<MemoryIndexStatus> {
        self.shared.embedder.status()
    }

    /// The skills this engine offers.
    pub fn skills(&self) -> &Library {
        &self.shared.skills
    }

    /// Reloads skills when their files change, if the settings ask for it (`[skills] watch`).
    pub fn watch_skills(&self) -> Result<(), SkillsError> {
        if self.shared.config().settings.skills.watch {
            self.shared.skills.watch()?;
        }
        Ok(())
    }

    /// Every event of every session from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.shared.bus.subscribe()
    }

    /// The settings new turns run with.
    pub fn settings(&self) -> Settings {
        self.shared.config().settings.clone()
    }

    /// Every event of every session from now on, after the events so far of the turns that
    /// are running now. Nothing is missed or repeated between the two.
    pub fn subscribe_live(&self) -> (Vec<LiveTurn>, broadcast::Receiver<SessionEvent>) {
        let live = lock(&self.shared.live);
        (live.snapshot(), self.shared.bus.subscribe())
    }

    /// The running turns with their events so far.
    pub fn live_turns(&self) -> Vec<LiveTurn> {
        lock(&self.shared.live).snapshot()
    }

    /// Whether session `id` has a turn running.
    pub fn is_busy(&self, id: &str) -> bool {
        lock(&self.shared.live).is_running(id)
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The handle of session `id`. Its actor starts on the first op and stops after
    /// `agent.session_idle_secs` without work; the handle stays valid across restarts.
    pub fn session(&self, id: &str) -> SessionHandle {
        SessionHandle {
            id: id.to_owned(),
            engine: self.clone(),
        }
    }

    /// How many session actors are running (idle ones stop after a while).
    pub fn active_sessions(&self) -> usize {
        lock(&self.shared.sessions).len()
    }

    pub fn is_paused(&self) -> bool {
        *self.shared.paused.borrow()
    }

    /// Changes of [`Engine::is_paused`].
    pub fn watch_paused(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shared.paused.subscribe()
    }

    /// Applies one submission: the single entry point of every surface, in-process or over
    /// the WebSocket. Validates it (ids, sessions, text), creates the session a user turn
    /// names, and answers at once; a turn's progress follows on the bus, each event naming
    /// `submission.id`. Needs a tokio runtime (a session's actor is a task).
    pub fn submit(&self, submission: Submission) -> Result<Reply, OpError> {
        let Submission { id, op } = submission;
        if !valid_id(&id) {
            return Err(OpError::new(
                OpErrorKind::Invalid,
                "a submission id is 1–64 letters, digits, '-', '_', '.' or ':'",
            ));
        }
        if let Some(session) = op.session()
            && !valid_session_id(session)
        {
            return Err(OpError::new(
                OpErrorKind::Invalid,
                "a session id is 1–64 letters, digits, '-' or '_'",
            ));
        }
        match op {
            Op::UserTurn {
                session,
                text,
                approvals,
                job,
            } => {
                if text.trim().is_empty() {
                    return Err(OpError::new(OpErrorKind::Invalid, "the message is empty"));
                }
                self.shared
                    .store
                    .ensure_session(&session)
                    .map_err(internal)?;
                let turn_id = uuid::Uuid::new_v4().simple().to_string();
                let queued = session::Queued {
                    submission: id,
                    turn_id: turn_id.clone(),
                    text,
                    approvals: approvals.unwrap_or(self.shared.mode),
                    job,
                };
                self.shared
                    .send(&session, session::Command::Turn(queued))
                    .then_some(Reply::TurnQueued { turn_id })
                    .ok_or_else(|| OpError::new(OpErrorKind::Internal, "the session stopped"))
            }
            Op::Interrupt { session } => {
                self.shared.interrupt(&session);
                Ok(Reply::Accepted)
            }
            Op::Approve {
                session,
                call_id,
                decision,
            } => {
                let shared = lock(&self.shared.session_shared).get(&session).cloned();
                let waiting = shared.and_then(|s| lock(&s.pending).remove(&call_id));
                match waiting {
                    Some(answer) => {
                        // The turn may end (cancelled) between the lookup and the send;
                        // then there is nobody left to answer, which is fine.
                        let _ = answer.send(decision);
                        Ok(Reply::Accepted)
                    }
                    None => Err(OpError::new(
                        OpErrorKind::NotFound,
                        format!("no approval is waiting for call {call_id} in session {session}"),
                    )),
                }
            }
            Op::InterruptAll => {
                let running: Vec<String> = self
                    .live_turns()
                    .into_iter()
                    .map(|turn| turn.session)
                    .collect();
                for session in &running {
                    self.shared.interrupt(session);
                }
                tracing::warn!(turns = running.len(), "every running turn was told to stop");
                Ok(Reply::Interrupted {
                    turns: u32::try_from(running.len()).unwrap_or(u32::MAX),
                })
            }
            Op::SetPaused { paused } => {
                self.shared.paused.send_replace(paused);
                tracing::info!(paused, "work paused or resumed");
                Ok(Reply::Accepted)
            }
            Op::DeleteSession { session } => {
                if self.is_busy(&session) {
                    return Err(OpError::new(
                        OpErrorKind::Busy,
                        "a turn is running in this session: stop it first",
                    ));
                }
                if !self
                    .shared
                    .store
                    .delete_session(&session)
                    .map_err(internal)?
                {
                    return Err(OpError::new(
                        OpErrorKind::NotFound,
                        format!("there is no session {session:?}"),
                    ));
                }
                let root = self.shared.config().output_root.clone();
                if let Err(e) = offload::remove_session(&root, &session) {
                    tracing::warn!(error = %e, session, "could not delete the session's saved tool output");
                }
                // A later message to this id starts afresh, without the old grants.
                lock(&self.shared.sessions).remove(&session);
                lock(&self.shared.session_shared).remove(&session);
                Ok(Reply::Accepted)
            }
            Op::ReloadSettings => {
                let settings = self.settings_from_home()?;
                self.reconfigure(settings)
                    .map_err(|e| OpError::new(OpErrorKind::Settings, e.to_string()))?;
                tracing::info!("settings reloaded");
                Ok(Reply::Accepted)
            }
            Op::SetSkillEnabled { name, enabled } => {
                match self.shared.skills.set_enabled(&name, enabled) {
                    Ok(_) => Ok(Reply::Accepted),
                    Err(SkillsError::NotFound(_)) => Err(OpError::new(
                        OpErrorKind::NotFound,
                        format!("there is no skill named `{name}`"),
                    )),
                    Err(e) => Err(internal(e)),
                }
            }
            Op::ReloadSkills => {
                self.shared.skills.reload();
                Ok(Reply::Accepted)
            }
            Op::Status => Ok(Reply::Status(EngineStatus {
                turns: self.live_turns(),
                paused: self.is_paused(),
            })),
            Op::Memory { change } => {
                let reply = memory_ops::apply(&self.shared.store, change);
                self.shared.embedder.wake();
                reply
            }
            Op::Job {
                change: JobOp::CancelRun { run },
            } => {
                let now = self.wall_clock().unix_now();
                match job_ops::cancel_run(&self.shared.store, &run, now)? {
                    job_ops::Cancel::Ended => {
                        crate::scheduler::runner::publish(self, &run);
                    }
                    // The runner records it `cancelled` when the turn stops.
                    job_ops::Cancel::Interrupt(session) => self.shared.interrupt(&session),
                }
                Ok(Reply::Accepted)
            }
            Op::Job { change } => self.shared.jobs.apply(change),
            Op::SchedulePreview { schedule } => {
                let now = self.wall_clock().unix_now();
                let (description, upcoming) = crate::scheduler::preview(&schedule, now)
                    .map_err(|e| OpError::new(OpErrorKind::Invalid, e.to_string()))?;
                Ok(Reply::SchedulePreview {
                    description,
                    upcoming,
                })
            }
            Op::MemoryIndex => Ok(Reply::MemoryIndex {
                status: self.memory_index(),
            }),
            Op::ImportSessions { path } => memory_ops::import_sessions(&self.shared.store, &path),
        }
    }

    /// The settings as the data home says now: config.toml with its secrets, the
    /// environment, and the workspace the engine was started with if it was given.
    fn settings_from_home(&self) -> Result<Settings, OpError> {
        let current = self.settings();
        Settings::load(current.home, &ProcessEnv, current.workspace_override)
            .map_err(|e| OpError::new(OpErrorKind::Settings, e.to_string()))
    }
}

fn internal(error: impl std::fmt::Display) -> OpError {
    OpError::new(OpErrorKind::Internal, error.to_string())
}

impl Shared {
    pub(crate) fn config(&self) -> Arc<Config> {
        read(&self.config).clone()
    }

    pub(crate) fn wall_clock(&self) -> Arc<dyn WallClock> {
        read(&self.jobs.clock).clone()
    }

    pub(crate) fn emit(&self, session: &str, submission: &str, event: Event) {
        tracing::debug!(session, submission, ?event, "event");
        let mut live = lock(&self.live);
        live.record(session, submission, &event);
        // No subscriber is not an error: a job may run with nobody watching.
        let _ = self.bus.send(SessionEvent {
            session: session.to_owned(),
            submission: submission.to_owned(),
            event,
        });
    }

    /// Sends `command` to session `id`'s actor, starting one if none runs. Needs a tokio
    /// runtime.
    fn send(self: &Arc<Self>, id: &str, command: session::Command) -> bool {
        let mut sessions = lock(&self.sessions);
        if let Some(commands) = sessions.get(id).filter(|c| !c.is_closed()) {
            return commands.send(command).is_ok();
        }
        let (commands, receiver) = mpsc::unbounded_channel();
        let sent = commands.send(command).is_ok();
        let shared = lock(&self.session_shared)
            .entry(id.to_owned())
            .or_default()
            .clone();
        tokio::spawn(session::run(self.clone(), id.to_owned(), receiver, shared));
        sessions.insert(id.to_owned(), commands);
        sent
    }

    /// Tells session `id`'s running turn to stop; nothing to do when no actor runs.
    fn interrupt(&self, id: &str) {
        if let Some(commands) = lock(&self.sessions).get(id) {
            let _ = commands.send(session::Command::Interrupt);
        }
    }

    /// Called by an idle actor: takes a command that arrived meanwhile, or else
    /// deregisters the actor, atomically with respect to [`Shared::send`].
    pub(crate) fn retire_or_take(
        &self,
        id: &str,
        commands: &mut mpsc::UnboundedReceiver<session::Command>,
    ) -> Option<session::Command> {
        let mut sessions = lock(&self.sessions);
        match commands.try_recv() {
            Ok(command) => Some(command),
            Err(_) => {
                sessions.remove(id);
                None
            }
        }
    }
}

/// Submits ops about one session through [`Engine::submit`], each with a fresh submission
/// id. Cheap to clone; never goes stale: if the session's actor stopped while idle, the
/// next op starts a new one that reloads the history.
#[derive(Clone)]
pub struct SessionHandle {
    id: String,
    engine: Engine,
}

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl SessionHandle {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Queues a user turn; returns its submission id, which its events name.
    pub fn user_turn(&self, text: impl Into<String>) -> Result<String, OpError> {
        self.user_turn_with(text, None)
    }

    /// Queues a user turn whose approvals are answered by `approvals` (`None`: ask).
    pub fn user_turn_with(
        &self,
        text: impl Into<String>,
        approvals: Option<ApprovalMode>,
    ) -> Result<String, OpError> {
        let submission = Submission::fresh(Op::UserTurn {
            session: self.id.clone(),
            text: text.into(),
            approvals,
            job: None,
        });
        let id = submission.id.clone();
        self.engine.submit(submission).map(|_| id)
    }

    pub fn interrupt(&self) {
        // An interrupt of a well-formed session id is never refused.
        let _ = self.engine.submit(Submission::fresh(Op::Interrupt {
            session: self.id.clone(),
        }));
    }

    pub fn approve(
        &self,
        call_id: impl Into<String>,
        decision: crate::protocol::ApprovalDecision,
    ) -> Result<(), OpError> {
        self.engine
            .submit(Submission::fresh(Op::Approve {
                session: self.id.clone(),
                call_id: call_id.into(),
                decision,
            }))
            .map(|_| ())
    }
}

/// The data home holds conversations and approvals: only its owner may read it.
fn create_private_dir(path: &std::path::Path) -> Result<(), EngineError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(|source| EngineError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Where `path` really is, for comparing with resolved tool paths; as written if that
/// cannot be told (a folder that cannot be read is still protected by its name).
fn real_path(path: &std::path::Path) -> PathBuf {
    paths::real_path(path).unwrap_or_else(|e| {
        tracing::warn!(path = %path.display(), error = %e, "could not resolve a protected folder");
        path.to_path_buf()
    })
}

fn create_dir(path: &std::path::Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(path).map_err(|source| EngineError::Io {
        path: path.display().to_string(),
        source,
    })
}
