//! Settings, store and engine as every command needs them.

use anyhow::Context as _;
use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{self, FileConfig, ProcessEnv, Settings};
use pincer_core::instance::{self, Claim, HolderKind, InstanceLock};
use pincer_core::store::Store;
use pincer_gateway::link::{EngineLink, RemoteEngine};

use crate::cli::{Approve, Global};
use crate::interrupts::Interrupts;

/// Resolves the settings; fails when no provider is configured.
pub fn settings(global: &Global) -> anyhow::Result<Settings> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    let file = FileConfig::load(&home)?;
    Ok(Settings::resolve(
        home,
        file,
        &ProcessEnv,
        global.workspace.clone(),
    )?)
}

/// The settings for reading the data home (skills, display); a missing provider is fine.
pub fn settings_allowing_no_provider(global: &Global) -> anyhow::Result<Settings> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    Ok(Settings::load(home, &ProcessEnv, global.workspace.clone())?)
}

/// Told once per holder while the data home is busy: why nothing happens yet.
pub fn say_waiting(holder: &instance::Holder) {
    eprintln!(
        "pincer: {} is using this data home; waiting for it to finish… (Ctrl-C to give up)",
        holder.describe()
    );
}

/// Opens the store, creating the home if needed. Needs no provider.
pub fn store(global: &Global) -> anyhow::Result<Store> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    std::fs::create_dir_all(&home)
        .with_context(|| format!("could not create {}", home.display()))?;
    Ok(Store::open(&home.join("pincer.db"))?)
}

/// The engine a command that runs turns drives, and what keeps it ours.
pub struct Linked {
    pub link: EngineLink,
    /// Held while the engine runs in this process, so a daemon (or another CLI) started
    /// meanwhile waits instead of opening a second engine on the same database.
    _lock: Option<InstanceLock>,
}

/// The data home's one engine: the daemon's (or the app's) when one serves it, reached
/// over its WebSocket; otherwise an engine in this process, holding the data home's lock.
/// Waits, saying so on stderr, while another CLI runs the engine in-process. `None` when
/// Ctrl-C ended the wait.
pub async fn link(
    global: &Global,
    command: &str,
    interrupts: &mut Interrupts,
) -> anyhow::Result<Option<Linked>> {
    link_with(global, command, interrupts, true).await
}

/// Like [`link`], for commands that run no turn (memory changes, imports): an engine
/// started here needs no provider.
pub async fn link_without_provider(
    global: &Global,
    command: &str,
    interrupts: &mut Interrupts,
) -> anyhow::Result<Option<Linked>> {
    link_with(global, command, interrupts, false).await
}

async fn link_with(
    global: &Global,
    command: &str,
    interrupts: &mut Interrupts,
    needs_provider: bool,
) -> anyhow::Result<Option<Linked>> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    std::fs::create_dir_all(&home)
        .with_context(|| format!("could not create {}", home.display()))?;
    let claimed = tokio::select! {
        claimed = instance::claim(&home, HolderKind::Cli, Some(command), say_waiting) => claimed?,
        () = interrupts.next() => return Ok(None),
    };
    match claimed {
        Claim::Mine(lock) => {
            let settings = if needs_provider {
                settings(global)?
            } else {
                settings_allowing_no_provider(global)?
            };
            let engine = Engine::start(settings, ApprovalMode::Ask)?;
            Ok(Some(Linked {
                link: EngineLink::Local(engine),
                _lock: Some(lock),
            }))
        }
        Claim::Served(running) => {
            if global.workspace.is_some() {
                eprintln!(
                    "pincer: --workspace is ignored: the Pincer at {} works in its own workspace",
                    running.url
                );
            }
            tracing::info!(url = running.url, pid = running.pid, "attaching");
            let remote = RemoteEngine::connect(&home, &running.url).await?;
            Ok(Some(Linked {
                link: EngineLink::Remote(remote),
                _lock: None,
            }))
        }
    }
}

impl Approve {
    pub fn mode(self) -> ApprovalMode {
        match self {
            Approve::Ask => ApprovalMode::Ask,
            Approve::Auto => ApprovalMode::Auto,
            Approve::Deny => ApprovalMode::Deny,
        }
    }
}

pub use pincer_core::store::new_session_id;
