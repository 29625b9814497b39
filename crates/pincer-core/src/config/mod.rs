//! `config.toml` and environment overrides, resolved into the settings the engine runs with.

mod diagnostics;
mod env;
mod error;
mod file;
mod home;
mod providers;
mod saved_keys;
mod settings;

pub use env::{Env, ProcessEnv};
pub use error::ConfigError;
pub use file::{
    AgentSection, FileConfig, ModelPrice, ProviderEntry, RetrySection, SecretsSection,
    SkillsSection, ToolsSection,
};
pub use home::{home_dir, make_private};
pub use saved_keys::{LEGACY_SECRETS_FILE, SavedKey, SavedKeys, migrate_legacy_keys};
pub use settings::{Settings, SkillSettings};

/// The settings file, in the data home.
pub const CONFIG_FILE: &str = "config.toml";
