//! The engine: one actor per session, turns serialized, every step published on the bus.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{broadcast, mpsc};

use crate::config::Settings;
use crate::model::ToolSpec;
use crate::protocol::{Event, Op, SessionEvent};
use crate::provider::{self, Provider, ProviderError};
use crate::skills::{Library, SkillsError};
use crate::store::{Store, StoreError};
use crate::sync::{lock, read, write};
use crate::tools::{ToolRegistry, ToolSettings};

mod history;
mod live;
mod model_call;
mod prompt;
mod session;
mod tool_call;
mod turn;

pub use live::LiveTurn;

/// How approval requests are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalMode {
    /// Publish [`Event::ApprovalRequested`] and wait for an [`Op::Approve`].
    Ask,
    /// Allow everything the policy would ask about (never what it denies).
    Auto,
    /// Refuse everything the policy would ask about.
    Deny,
}

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
    pub(crate) store: Store,
    pub(crate) tools: ToolRegistry,
    pub(crate) tool_specs: Vec<ToolSpec>,
    /// The skills; each turn takes the catalog current when it starts.
    pub(crate) skills: Library,
    pub(crate) mode: ApprovalMode,
    /// Patterns granted "always", loaded from and saved to the store.
    pub(crate) always: Mutex<HashSet<String>>,
    bus: broadcast::Sender<SessionEvent>,
    /// The running turns' events, kept so a surface that connects late can catch up.
    /// Locked around every publish so a snapshot and the stream after it never overlap.
    live: Mutex<live::LiveTurns>,
    /// Running session actors. Ops are sent under this lock, and an idle actor removes
    /// itself under it, so no op can reach an actor that is stopping.
    sessions: Mutex<HashMap<String, mpsc::UnboundedSender<Op>>>,
    /// What outlives a session's actor: grants "for this session", pending approvals.
    session_shared: Mutex<HashMap<String, Arc<session::SessionShared>>>,
    /// While true, queued turns wait instead of starting (running ones finish).
    pub(crate) paused: tokio::sync::watch::Sender<bool>,
}

/// What a turn runs with: settings and the providers and tool settings built from them.
pub(crate) struct Config {
    pub(crate) settings: Settings,
    pub(crate) providers: Vec<Box<dyn Provider>>,
    pub(crate) tool_settings: ToolSettings,
    /// The byte-stable head of every request.
    pub(crate) system_prompt: String,
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
            .map(provider::connect)
            .collect::<Result<Vec<_>, _>>()?;
        let mut tool_settings = ToolSettings::new(settings.workspace.clone());
        tool_settings.exec_timeout = settings.exec_timeout;
        tool_settings.fetch_allow_private = settings.web_fetch_allow_private;
        Ok(Self {
            system_prompt: prompt::system_prompt(&settings.workspace),
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
        Self::with_store(settings, store, tools, mode)
    }

    /// An engine over `store`. With no provider configured it still starts (a daemon lets
    /// the user pick one in Settings); its turns then fail with a message saying so.
    pub fn with_store(
        settings: Settings,
        store: Store,
        tools: ToolRegistry,
        mode: ApprovalMode,
    ) -> Result<Self, EngineError> {
        let config = Config::build(settings)?;
        let always = store.grants()?;
        let skills = Library::open(&config.settings, tools.names().map(str::to_owned).collect());
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        Ok(Self {
            shared: Arc::new(Shared {
                config: RwLock::new(Arc::new(config)),
                tool_specs: tools.specs(),
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
            }),
        })
    }

    /// Replaces settings and providers. Running turns finish with what they started with.
    pub fn reconfigure(&self, settings: Settings) -> Result<(), EngineError> {
        let config = Arc::new(Config::build(settings)?);
        if let Err(e) = self.shared.skills.reconfigure(&config.settings) {
            tracing::warn!(error = %e, "skills: could not apply the new settings");
        }
        *write(&self.shared.config) = config;
        Ok(())
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
            shared: self.shared.clone(),
        }
    }

    /// How many session actors are running (idle ones stop after a while).
    pub fn active_sessions(&self) -> usize {
        lock(&self.shared.sessions).len()
    }

    /// Pauses or resumes work: while paused, no new turn starts (messages wait in their
    /// session's queue and start on resume); running turns finish.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.send_replace(paused);
        tracing::info!(paused, "work paused or resumed");
    }

    pub fn is_paused(&self) -> bool {
        *self.shared.paused.borrow()
    }

    /// Changes of [`Engine::is_paused`].
    pub fn watch_paused(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shared.paused.subscribe()
    }

    /// Stops every running turn (the emergency stop); returns how many were running.
    pub fn interrupt_all(&self) -> usize {
        let running: Vec<String> = self
            .live_turns()
            .into_iter()
            .map(|turn| turn.session)
            .collect();
        for id in &running {
            self.session(id).submit(Op::Interrupt);
        }
        running.len()
    }

    /// Stops session `id`'s actor (after its running turn, if any) and forgets it and its
    /// grants; used when a session is deleted so a later message starts afresh.
    pub fn close_session(&self, id: &str) {
        lock(&self.shared.sessions).remove(id);
        lock(&self.shared.session_shared).remove(id);
    }
}

impl Shared {
    pub(crate) fn config(&self) -> Arc<Config> {
        read(&self.config).clone()
    }

    pub(crate) fn emit(&self, session: &str, event: Event) {
        tracing::debug!(session, ?event, "event");
        let mut live = lock(&self.live);
        live.record(session, &event);
        // No subscriber is not an error: a job may run with nobody watching.
        let _ = self.bus.send(SessionEvent {
            session: session.to_owned(),
            event,
        });
    }

    /// Sends `op` to session `id`'s actor, starting one if none runs. Needs a tokio runtime.
    fn submit(self: &Arc<Self>, id: &str, op: Op) -> bool {
        let mut sessions = lock(&self.sessions);
        if let Some(ops) = sessions.get(id).filter(|ops| !ops.is_closed()) {
            return ops.send(op).is_ok();
        }
        let (ops, receiver) = mpsc::unbounded_channel();
        let sent = ops.send(op).is_ok();
        let shared = lock(&self.session_shared)
            .entry(id.to_owned())
            .or_default()
            .clone();
        tokio::spawn(session::run(self.clone(), id.to_owned(), receiver, shared));
        sessions.insert(id.to_owned(), ops);
        sent
    }

    /// Called by an idle actor: takes an op that arrived meanwhile, or else deregisters
    /// the actor, atomically with respect to [`Shared::submit`].
    pub(crate) fn retire_or_take(
        &self,
        id: &str,
        ops: &mut mpsc::UnboundedReceiver<Op>,
    ) -> Option<Op> {
        let mut sessions = lock(&self.sessions);
        match ops.try_recv() {
            Ok(op) => Some(op),
            Err(_) => {
                sessions.remove(id);
                None
            }
        }
    }
}

/// Submits ops to one session. Cheap to clone; never goes stale: if the session's actor
/// stopped while idle, the next op starts a new one that reloads the history.
#[derive(Clone)]
pub struct SessionHandle {
    id: String,
    shared: Arc<Shared>,
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

    /// Queues an op. Returns false only if the op could not be delivered at all.
    pub fn submit(&self, op: Op) -> bool {
        self.shared.submit(&self.id, op)
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

fn create_dir(path: &std::path::Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(path).map_err(|source| EngineError::Io {
        path: path.display().to_string(),
        source,
    })
}
