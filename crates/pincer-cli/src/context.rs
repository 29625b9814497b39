//! Settings, store and engine as every command needs them.

use anyhow::Context as _;
use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{self, FileConfig, ProcessEnv, Settings};
use pincer_core::store::Store;

use crate::cli::{Approve, Global};

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

/// Opens the store, creating the home if needed. Needs no provider.
pub fn store(global: &Global) -> anyhow::Result<Store> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    std::fs::create_dir_all(&home)
        .with_context(|| format!("could not create {}", home.display()))?;
    Ok(Store::open(&home.join("pincer.db"))?)
}

/// The engine, in this process. Each turn says how its approvals are answered.
pub fn engine(global: &Global) -> anyhow::Result<Engine> {
    let settings = settings(global)?;
    Ok(Engine::start(settings, ApprovalMode::Ask)?)
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
