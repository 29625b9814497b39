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

pub fn engine(global: &Global, approve: Approve) -> anyhow::Result<Engine> {
    let settings = settings(global)?;
    let mode = match approve {
        Approve::Ask => ApprovalMode::Ask,
        Approve::Auto => ApprovalMode::Auto,
        Approve::Deny => ApprovalMode::Deny,
    };
    Ok(Engine::start(settings, mode)?)
}

pub use pincer_core::store::new_session_id;
