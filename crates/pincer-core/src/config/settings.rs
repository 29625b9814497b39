//! The settings the engine runs with, resolved from the file and the environment.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::env::{expand_tilde, user_home};
use super::providers::resolve_providers;
use super::{CONFIG_FILE, ConfigError, Env, FileConfig, ModelPrice};
use crate::policy::PolicyConfig;
use crate::provider::Endpoint;
use crate::redact::Redactor;
use crate::retry::RetryPolicy;

/// Where skills are looked for, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillSettings {
    pub extra_dirs: Vec<PathBuf>,
    /// `~/.agents/skills`, the folder several agents share; none without a home folder.
    pub agents_dir: Option<PathBuf>,
    pub bundled: bool,
    pub watch: bool,
}

/// The effective settings after the file, the environment and the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub home: PathBuf,
    pub workspace: PathBuf,
    /// The workspace given on the command line (`--workspace`), which wins over the file
    /// and the environment; kept so settings read again later still honour it.
    pub workspace_override: Option<PathBuf>,
    /// The first is used; the others take over in order when it fails.
    pub providers: Vec<Endpoint>,
    pub max_steps: u32,
    pub max_tokens: Option<u32>,
    pub tool_output_limit: usize,
    /// How long a session without work keeps its actor (and history) in memory.
    pub session_idle: Duration,
    pub retry: RetryPolicy,
    pub exec_timeout: Duration,
    pub web_fetch_allow_private: bool,
    pub policy: PolicyConfig,
    pub skills: SkillSettings,
    /// `[pricing]` from config.toml, by model id or prefix.
    pub pricing: BTreeMap<String, ModelPrice>,
    /// Every key and secret Pincer knows (providers' keys from any source, the secret
    /// store), to take out of tool results before the model sees them.
    pub redactor: Redactor,
    /// Every environment variable a provider key may be read from: `PINCER_API_KEY`, the
    /// presets' vendor variables and each `api_key_env`. Commands never get them.
    pub key_env: Vec<String>,
    /// `[local]`: how local models run.
    pub local: crate::local::options::LocalOptions,
    /// `[memory]`: what recall adds to a message.
    pub memory: crate::memory::options::MemoryOptions,
    /// `[scheduler]`.
    pub scheduler: crate::scheduler::settings::SchedulerOptions,
    /// `[heartbeat]`.
    pub heartbeat: crate::scheduler::heartbeat::Heartbeat,
    /// `[memory.embeddings]`: the endpoint that embeds memories for recall by meaning.
    pub embeddings: Option<crate::memory::embeddings::EmbeddingsEndpoint>,
}

impl Settings {
    /// The settings the data home says now: its `config.toml` (with the keys saved in
    /// the secret store) and the environment, `workspace` (`--workspace`) over both. No
    /// provider is fine. What the daemon, the app, the CLI and `reload_settings` all read.
    pub fn load(
        home: PathBuf,
        env: &dyn Env,
        workspace: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let file = FileConfig::load(&home)?;
        Self::resolve_allowing_no_provider(home, file, env, workspace)
    }

    /// Resolves the file and the environment into settings. `workspace` overrides both.
    /// Fails when no provider is configured anywhere.
    pub fn resolve(
        home: PathBuf,
        file: FileConfig,
        env: &dyn Env,
        workspace: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let settings = Self::resolve_allowing_no_provider(home, file, env, workspace)?;
        if settings.providers.is_empty() {
            return Err(ConfigError::NoProvider {
                path: settings.home.join(CONFIG_FILE),
            });
        }
        Ok(settings)
    }

    /// Like [`Settings::resolve`], but an empty provider list is fine: the daemon starts
    /// without one and the user picks one in Settings.
    pub fn resolve_allowing_no_provider(
        home: PathBuf,
        file: FileConfig,
        env: &dyn Env,
        workspace: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let providers = resolve_providers(&home, &file.providers, env)?;
        let embeddings = file
            .memory
            .embeddings
            .as_ref()
            .map(|section| section.resolve(&providers, env))
            .transpose()
            .map_err(ConfigError::Embeddings)?;
        let mut redactor = file.stored_secrets.clone();
        redactor.extend(providers.iter().filter_map(|p| p.api_key.as_deref()));
        redactor.extend(embeddings.iter().filter_map(|e| e.api_key.as_deref()));
        let configured_key_env: Vec<String> = file
            .providers
            .iter()
            .filter_map(|entry| entry.api_key_env.clone())
            .chain(
                file.memory
                    .embeddings
                    .iter()
                    .filter_map(|section| section.api_key_env.clone()),
            )
            .collect();
        let heartbeat = file
            .heartbeat
            .resolve(&home)
            .map_err(ConfigError::Heartbeat)?;
        let workspace_override = workspace.clone();
        let workspace = workspace
            .or_else(|| env.var("PINCER_WORKSPACE").map(PathBuf::from))
            .or(file.workspace)
            .unwrap_or_else(|| home.join("workspace"));
        let timeout = Duration::from_secs(file.retry.timeout_secs.max(1));
        let providers = providers
            .into_iter()
            .map(|mut endpoint| {
                endpoint.timeout = timeout;
                endpoint
            })
            .collect();
        Ok(Self {
            home,
            workspace,
            workspace_override,
            providers,
            max_steps: file.agent.max_steps.max(1),
            max_tokens: file.agent.max_tokens,
            tool_output_limit: file.agent.tool_output_limit.max(1024),
            session_idle: Duration::from_secs(file.agent.session_idle_secs.max(1)),
            retry: RetryPolicy {
                max_attempts: file.retry.max_attempts.max(1),
                base_delay: Duration::from_millis(file.retry.base_delay_ms),
                max_delay: Duration::from_millis(file.retry.max_delay_ms),
            },
            exec_timeout: Duration::from_secs(file.tools.exec_timeout_secs.max(1)),
            web_fetch_allow_private: file.tools.web_fetch_allow_private,
            policy: file.policy,
            skills: SkillSettings {
                extra_dirs: file
                    .skills
                    .extra_dirs
                    .iter()
                    .map(|dir| expand_tilde(dir, env))
                    .collect(),
                agents_dir: user_home(env).map(|home| home.join(".agents").join("skills")),
                bundled: file.skills.bundled,
                watch: file.skills.watch,
            },
            pricing: file.pricing,
            redactor,
            key_env: crate::tools::secret_env::key_variables(&configured_key_env),
            local: file.local.resolve(),
            memory: file.memory.resolve(),
            scheduler: file.scheduler.resolve(),
            heartbeat,
            embeddings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_configured_says_what_to_set() {
        let env: [(&str, &str); 0] = [];
        let err =
            Settings::resolve(PathBuf::from("/h"), FileConfig::default(), &env, None).unwrap_err();
        assert!(err.to_string().contains("PINCER_PROVIDER"));
    }
}
