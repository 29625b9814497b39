//! The schema of `config.toml` as the user writes it, and reading it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::saved_keys::{self, SavedKeys};
use super::{CONFIG_FILE, ConfigError, diagnostics};
use crate::policy::PolicyConfig;
use crate::provider::Dialect;
use crate::redact::Redactor;
use crate::secrets::{SecretStore, StoreChoice};

/// The file as written by the user. Unknown keys are errors, so typos never pass silently.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The agent's working folder; default `<home>/workspace`.
    pub workspace: Option<PathBuf>,
    #[serde(default)]
    pub providers: Vec<ProviderEntry>,
    #[serde(default)]
    pub agent: AgentSection,
    #[serde(default)]
    pub retry: RetrySection,
    #[serde(default)]
    pub tools: ToolsSection,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub skills: SkillsSection,
    /// Prices in US dollars per million tokens, by model id (or id prefix), for the cost on
    /// the Usage page and in `pincer usage`; they win over the built-in list.
    #[serde(default)]
    pub pricing: BTreeMap<String, ModelPrice>,
    #[serde(default)]
    pub secrets: SecretsSection,
    /// `[local]`: how the in-process model runs.
    #[serde(default)]
    pub local: crate::local::options::LocalSection,
    /// `[memory]`: what recall adds to a message.
    #[serde(default)]
    pub memory: crate::memory::options::MemorySection,
    /// `[scheduler]`: background work's concurrency, daily spend cap and ledger retention.
    #[serde(default)]
    pub scheduler: crate::scheduler::settings::SchedulerSection,
    /// `[heartbeat]`: a periodic check-in against a checklist (off by default).
    #[serde(default)]
    pub heartbeat: crate::scheduler::heartbeat::HeartbeatSection,
    /// Every value in the secret store, to take out of tool results; filled by `load`.
    #[serde(skip)]
    pub stored_secrets: Redactor,
}

/// `[secrets]`: where keys and passwords saved by Pincer are kept.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsSection {
    /// `"auto"` (the OS keyring, else an encrypted file with a warning), `"keyring"` or
    /// `"file"`.
    pub store: StoreChoice,
}

/// What a model costs, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub input: f64,
    /// Input tokens served from the provider's cache; default: the `input` price.
    pub cached_input: Option<f64>,
    pub output: f64,
}

/// `Debug` shows whether a key is set, never the key.
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    /// A preset name: local, openai, anthropic, deepseek, qwen, kimi, openrouter, ollama,
    /// lmstudio, llamacpp. For `local`, `model` is a local model's name or a GGUF path.
    pub preset: Option<String>,
    /// Label used in messages; defaults to the preset name or the dialect.
    pub name: Option<String>,
    pub dialect: Option<Dialect>,
    pub base_url: Option<String>,
    /// Name of the environment variable that holds the key.
    pub api_key_env: Option<String>,
    /// The key itself; wins over `api_key_env`. Prefer the variable: config files get shared.
    pub api_key: Option<String>,
    pub model: Option<String>,
    /// Whether the model accepts images (screenshots); default: what the preset knows.
    pub images: Option<bool>,
    /// The model's context window in tokens, which decides when a conversation is
    /// compacted; default: what the preset knows of its default model (or of the local
    /// server's usual context), else `[memory] context_window`, else 32,000.
    pub context_window: Option<u64>,
}

impl std::fmt::Debug for ProviderEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderEntry")
            .field("preset", &self.preset)
            .field("name", &self.name)
            .field("dialect", &self.dialect)
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("images", &self.images)
            .field("context_window", &self.context_window)
            .finish()
    }
}

impl ProviderEntry {
    /// The name messages and saved keys use: `name`, else the preset, else the dialect.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.preset.clone())
            .unwrap_or_else(|| match self.dialect.unwrap_or(Dialect::OpenAi) {
                Dialect::OpenAi => "openai".to_owned(),
                Dialect::Anthropic => "anthropic".to_owned(),
                Dialect::Local => "local".to_owned(),
            })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentSection {
    /// Model round trips one turn may take before it stops.
    pub max_steps: u32,
    pub max_tokens: Option<u32>,
    /// Tool results longer than this many bytes go to a file; the model gets head and tail.
    pub tool_output_limit: usize,
    /// Seconds a session without work keeps its history in memory.
    pub session_idle_secs: u64,
}

impl Default for AgentSection {
    fn default() -> Self {
        Self {
            max_steps: 25,
            max_tokens: None,
            tool_output_limit: 16 * 1024,
            session_idle_secs: 600,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySection {
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Seconds of silence after which a request counts as failed.
    pub timeout_secs: u64,
}

impl Default for RetrySection {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay_ms: 500,
            max_delay_ms: 30_000,
            timeout_secs: 120,
        }
    }
}

/// `[skills]`: where skills come from besides the standard folders.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SkillsSection {
    /// More folders of skills, below `~/.agents/skills` and above the bundled ones.
    pub extra_dirs: Vec<PathBuf>,
    /// Offer the skills that ship with Pincer.
    pub bundled: bool,
    /// Reload skills when their files change (the daemon and the app).
    pub watch: bool,
}

impl Default for SkillsSection {
    fn default() -> Self {
        Self {
            extra_dirs: Vec::new(),
            bundled: true,
            watch: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ToolsSection {
    pub exec_timeout_secs: u64,
    pub web_fetch_allow_private: bool,
}

impl Default for ToolsSection {
    fn default() -> Self {
        Self {
            exec_timeout_secs: 120,
            web_fetch_allow_private: false,
        }
    }
}

impl FileConfig {
    /// Reads `<home>/config.toml` (a missing file is an empty config) and fills in the keys
    /// saved in the secret store for providers that name no key of their own, each only for
    /// the URL it was saved for. Moves a plain-text `secrets.toml` into the store first.
    pub fn load(home: &Path) -> Result<Self, ConfigError> {
        let mut file = Self::read(home)?;
        let mut store = SecretStore::open(home, file.secrets.store)?;
        saved_keys::migrate_legacy_keys(home, &file, &mut store)?;
        let all = store.all()?;
        let keys = SavedKeys::from_secrets(&all)?;
        file.apply_saved_keys(&keys);
        // A provider's entry holds its key and URL; the key is the secret.
        file.stored_secrets = Redactor::new(all.iter().map(|(name, value)| {
            match name
                .strip_prefix("provider:")
                .and_then(|label| keys.get(label))
            {
                Some(saved) => saved.key.as_str(),
                None => value.as_str(),
            }
        }));
        Ok(file)
    }

    /// Reads `<home>/config.toml` alone (a missing file is an empty config), without
    /// opening the secret store: for commands that need no key, such as `pincer usage`,
    /// which must work while a keyring is locked.
    pub fn read(home: &Path) -> Result<Self, ConfigError> {
        let path = home.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Gives providers that name no key of their own the key saved for their URL.
    pub fn apply_saved_keys(&mut self, keys: &SavedKeys) {
        for entry in &mut self.providers {
            if entry.api_key.is_none() && entry.api_key_env.is_none() {
                entry.api_key = entry
                    .effective_base_url()
                    .and_then(|url| keys.key_for(&entry.label(), &url))
                    .map(str::to_owned);
            }
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| diagnostics::invalid(path, text, &e))
    }
}
