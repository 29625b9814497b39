//! The engine: one actor per session, turns serialized, every step published on the bus.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{broadcast, mpsc};

use crate::config::Settings;
use crate::model::ToolSpec;
use crate::protocol::{Event, Op, SessionEvent};
use crate::provider::{self, Provider, ProviderError};
use crate::store::{Store, StoreError};
use crate::tools::{ToolRegistry, ToolSettings};

mod history;
mod model_call;
mod prompt;
mod session;
mod tool_call;
mod turn;

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
    #[error("no model provider is configured")]
    NoProvider,
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
    pub(crate) settings: Settings,
    pub(crate) store: Store,
    pub(crate) providers: Vec<Box<dyn Provider>>,
    pub(crate) tools: ToolRegistry,
    pub(crate) tool_settings: ToolSettings,
    /// Built once: the byte-stable head of every request.
    pub(crate) system_prompt: String,
    pub(crate) tool_specs: Vec<ToolSpec>,
    pub(crate) mode: ApprovalMode,
    /// Patterns granted "always", loaded from and saved to the store.
    pub(crate) always: Mutex<HashSet<String>>,
    bus: broadcast::Sender<SessionEvent>,
    sessions: Mutex<HashMap<String, SessionHandle>>,
}

impl Engine {
    /// Opens the data home (creating it and the workspace if needed) and connects providers.
    pub fn start(settings: Settings, mode: ApprovalMode) -> Result<Self, EngineError> {
        let store = {
            create_private_dir(&settings.home)?;
            Store::open(&settings.home.join("pincer.db"))?
        };
        Self::with_store(settings, store, ToolRegistry::builtin(), mode)
    }

    pub fn with_store(
        mut settings: Settings,
        store: Store,
        tools: ToolRegistry,
        mode: ApprovalMode,
    ) -> Result<Self, EngineError> {
        // The turn loop relies on at least one provider to ask.
        if settings.providers.is_empty() {
            return Err(EngineError::NoProvider);
        }
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
        let always = store.grants()?;
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        Ok(Self {
            shared: Arc::new(Shared {
                system_prompt: prompt::system_prompt(&settings.workspace),
                tool_specs: tools.specs(),
                settings,
                store,
                providers,
                tools,
                tool_settings,
                mode,
                always: Mutex::new(always),
                bus,
                sessions: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Every event of every session from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.shared.bus.subscribe()
    }

    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The handle of session `id`, starting its actor on first use. Needs a tokio runtime.
    pub fn session(&self, id: &str) -> SessionHandle {
        let mut sessions = lock(&self.shared.sessions);
        if let Some(handle) = sessions.get(id).filter(|h| !h.ops.is_closed()) {
            return handle.clone();
        }
        let (ops, receiver) = mpsc::unbounded_channel();
        let handle = SessionHandle {
            id: id.to_owned(),
            ops,
        };
        tokio::spawn(session::run(self.shared.clone(), id.to_owned(), receiver));
        sessions.insert(id.to_owned(), handle.clone());
        handle
    }
}

impl Shared {
    pub(crate) fn emit(&self, session: &str, event: Event) {
        tracing::debug!(session, ?event, "event");
        // No subscriber is not an error: a job may run with nobody watching.
        let _ = self.bus.send(SessionEvent {
            session: session.to_owned(),
            event,
        });
    }
}

/// Submits ops to one session's actor.
#[derive(Clone, Debug)]
pub struct SessionHandle {
    id: String,
    ops: mpsc::UnboundedSender<Op>,
}

impl SessionHandle {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Queues an op. Returns false if the session's actor has stopped.
    pub fn submit(&self, op: Op) -> bool {
        self.ops.send(op).is_ok()
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

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
