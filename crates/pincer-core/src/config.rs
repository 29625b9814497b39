//! `config.toml` and environment overrides, resolved into the settings the engine runs with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::policy::PolicyConfig;
use crate::provider::{Dialect, Endpoint, presets};
use crate::retry::RetryPolicy;
use crate::secrets::Secrets;

pub const CONFIG_FILE: &str = "config.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A syntax error, a value of the wrong type or an unknown key, with its place.
    #[error("{path}:{line}:{column}: {message}{key}", key = key.as_deref().map(|k| format!(" (key `{k}`)")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: Option<String>,
        message: String,
    },
    #[error("provider {index}: {message}")]
    Provider { index: usize, message: String },
    #[error(
        "no model provider is configured: set PINCER_PROVIDER (and PINCER_BASE_URL, PINCER_API_KEY, PINCER_MODEL), \
         a vendor key such as OPENAI_API_KEY or ANTHROPIC_API_KEY, or add [[providers]] to {path}"
    )]
    NoProvider { path: PathBuf },
    #[error(
        "unknown provider {name:?}; known: {known}, or 'openai' with PINCER_BASE_URL for any compatible server"
    )]
    UnknownProvider { name: String, known: String },
}

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
    /// Prices in US dollars per million tokens, by model id (or id prefix), for the usage
    /// page's cost; they win over the built-in list.
    #[serde(default)]
    pub pricing: BTreeMap<String, ModelPrice>,
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

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    /// A preset name: openai, anthropic, deepseek, qwen, kimi, openrouter, ollama, lmstudio, llamacpp.
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
}

impl ProviderEntry {
    /// The endpoint this entry describes, with its key from the entry or the environment.
    pub fn resolve(&self, env: &dyn Env) -> Result<Endpoint, String> {
        endpoint(self, env)
    }

    /// The name messages and saved keys use: `name`, else the preset, else the dialect.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.preset.clone())
            .unwrap_or_else(|| match self.dialect.unwrap_or(Dialect::OpenAi) {
                Dialect::OpenAi => "openai".to_owned(),
                Dialect::Anthropic => "anthropic".to_owned(),
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

/// Where skills are looked for, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillSettings {
    pub extra_dirs: Vec<PathBuf>,
    /// `~/.agents/skills`, the folder several agents share; none without a home folder.
    pub agents_dir: Option<PathBuf>,
    pub bundled: bool,
    pub watch: bool,
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
}

/// Reads environment variables; a seam so tests need not touch the process environment.
pub trait Env {
    fn var(&self, key: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// The data home: `--home`, else `PINCER_HOME`, else the platform data folder.
pub fn home_dir(flag: Option<&Path>, env: &dyn Env) -> PathBuf {
    if let Some(flag) = flag {
        return flag.to_path_buf();
    }
    if let Some(home) = env.var("PINCER_HOME") {
        return PathBuf::from(home);
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("pincer")
}

impl FileConfig {
    /// Reads `<home>/config.toml` (a missing file is an empty config) and fills in the keys
    /// saved in `<home>/secrets.toml` for providers that name no key of their own.
    pub fn load(home: &Path) -> Result<Self, ConfigError> {
        let path = home.join(CONFIG_FILE);
        let mut file = match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&path, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        file.apply_secrets(&Secrets::load(home)?);
        Ok(file)
    }

    /// Gives providers that name no key of their own the saved one.
    pub fn apply_secrets(&mut self, secrets: &Secrets) {
        for entry in &mut self.providers {
            if entry.api_key.is_none() && entry.api_key_env.is_none() {
                entry.api_key = secrets.key(&entry.label()).map(str::to_owned);
            }
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let (line, column) = line_column(text, offset);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                key: key_at(text, offset),
                message: e.message().trim().to_owned(),
            }
        })
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// The dotted key on the line of `offset`, with the table header above it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    let line = text[line_start..line_end].trim();
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let key = if line.starts_with('[') {
        return Some(
            line.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    } else {
        line.split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())?
    };
    Some(match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key,
    })
}

impl Settings {
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
        let providers = resolve_providers(&file.providers, env)?;
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
        })
    }
}

/// The user's home folder: `HOME` (`USERPROFILE` on Windows).
fn user_home(env: &dyn Env) -> Option<PathBuf> {
    env.var("HOME")
        .or_else(|| env.var("USERPROFILE"))
        .map(PathBuf::from)
}

/// `~/x` → `<home>/x`; other paths as written.
fn expand_tilde(path: &Path, env: &dyn Env) -> PathBuf {
    match (path.strip_prefix("~"), user_home(env)) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

fn resolve_providers(
    entries: &[ProviderEntry],
    env: &dyn Env,
) -> Result<Vec<Endpoint>, ConfigError> {
    let mut endpoints = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            endpoint(entry, env).map_err(|message| ConfigError::Provider {
                index: index + 1,
                message,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let env_entry = ProviderEntry {
        preset: env.var("PINCER_PROVIDER"),
        base_url: env.var("PINCER_BASE_URL"),
        api_key: env.var("PINCER_API_KEY"),
        model: env.var("PINCER_MODEL"),
        ..ProviderEntry::default()
    };
    let env_names_any = env_entry.preset.is_some()
        || env_entry.base_url.is_some()
        || env_entry.api_key.is_some()
        || env_entry.model.is_some();

    if let Some(name) = &env_entry.preset {
        if presets::find(name).is_none() {
            return Err(ConfigError::UnknownProvider {
                name: name.clone(),
                known: presets::names().collect::<Vec<_>>().join(", "),
            });
        }
        // PINCER_PROVIDER replaces the primary; configured ones stay as fallbacks.
        let primary = endpoint(&env_entry, env)
            .map_err(|message| ConfigError::Provider { index: 0, message })?;
        endpoints.retain(|e| e.name != primary.name || e.base_url != primary.base_url);
        endpoints.insert(0, primary);
    } else if env_names_any {
        match endpoints.first_mut() {
            Some(first) => {
                if let Some(url) = env_entry.base_url {
                    first.base_url = url;
                }
                if let Some(key) = env_entry.api_key {
                    first.api_key = Some(key);
                }
                if let Some(model) = env_entry.model {
                    first.model = model;
                }
            }
            None => {
                // Without a provider name, a base URL means "any OpenAI-compatible server".
                let entry = ProviderEntry {
                    preset: Some("openai".to_owned()),
                    ..env_entry
                };
                endpoints.push(
                    endpoint(&entry, env)
                        .map_err(|message| ConfigError::Provider { index: 0, message })?,
                );
            }
        }
    }

    if endpoints.is_empty() {
        // Fall back to the first vendor whose key is in the environment.
        if let Some(preset) = presets::PRESETS
            .iter()
            .find(|p| p.key_env.and_then(|k| env.var(k)).is_some())
        {
            let entry = ProviderEntry {
                preset: Some(preset.name.to_owned()),
                ..ProviderEntry::default()
            };
            endpoints.push(
                endpoint(&entry, env)
                    .map_err(|message| ConfigError::Provider { index: 0, message })?,
            );
        }
    }
    Ok(endpoints)
}

fn endpoint(entry: &ProviderEntry, env: &dyn Env) -> Result<Endpoint, String> {
    let preset = match &entry.preset {
        Some(name) => Some(presets::find(name).ok_or_else(|| {
            format!(
                "unknown preset {name:?}; known: {}",
                presets::names().collect::<Vec<_>>().join(", ")
            )
        })?),
        None => None,
    };
    let dialect = entry
        .dialect
        .or(preset.map(|p| p.dialect))
        .unwrap_or(Dialect::OpenAi);
    let base_url = entry
        .base_url
        .clone()
        .or(preset.map(|p| p.base_url.to_owned()))
        .ok_or("base_url is missing (or name a preset)")?;
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!(
            "base_url {base_url:?} must start with http:// or https://"
        ));
    }
    let model = entry
        .model
        .clone()
        .or(preset.map(|p| p.default_model.to_owned()))
        .ok_or("model is missing")?;
    // A preset's vendor variable is only sent to that vendor's own URL: OPENAI_API_KEY must
    // never reach some other OpenAI-compatible server just because it speaks the dialect.
    let vendor_env = preset
        .filter(|p| p.base_url == base_url)
        .and_then(|p| p.key_env);
    let key_env = entry.api_key_env.as_deref().or(vendor_env);
    let api_key = entry
        .api_key
        .clone()
        .or_else(|| key_env.and_then(|k| env.var(k)));
    Ok(Endpoint {
        name: entry.label(),
        dialect,
        base_url,
        api_key,
        model,
        images: entry
            .images
            .unwrap_or_else(|| preset.is_some_and(|p| p.images)),
        timeout: Duration::from_secs(120),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "[agent]\nmax_steps = 3\nmax_stepz = 4\n";
        let err = FileConfig::parse(Path::new("/h/config.toml"), text).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("/h/config.toml:3:1: unknown field `max_stepz`"),
            "{message}"
        );
        assert!(message.ends_with("(key `agent.max_stepz`)"), "{message}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let text = "[retry]\nmax_attempts = \"many\"\n";
        let err = FileConfig::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:2:16: invalid type"), "{err}");
        assert!(err.contains("(key `retry.max_attempts`)"), "{err}");
    }

    #[test]
    fn env_provider_overrides_and_keeps_file_providers_as_fallback() {
        let file = FileConfig::parse(
            Path::new("c.toml"),
            "[[providers]]\npreset = \"deepseek\"\n",
        )
        .unwrap();
        let env = [
            ("PINCER_PROVIDER", "anthropic"),
            ("PINCER_BASE_URL", "http://127.0.0.1:9/v1"),
            ("PINCER_MODEL", "m"),
            ("DEEPSEEK_API_KEY", "sk-ds"),
        ];
        let settings = Settings::resolve(PathBuf::from("/h"), file, &env, None).unwrap();
        let names: Vec<_> = settings
            .providers
            .iter()
            .map(|p| (p.name.as_str(), p.model.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![("anthropic", "m"), ("deepseek", "deepseek-chat")]
        );
        assert_eq!(settings.providers[1].api_key.as_deref(), Some("sk-ds"));
        assert_eq!(settings.workspace, PathBuf::from("/h/workspace"));
    }

    #[test]
    fn vendor_keys_never_go_to_another_server() {
        let env = [
            ("PINCER_PROVIDER", "openai"),
            ("PINCER_BASE_URL", "http://127.0.0.1:9/v1"),
            ("OPENAI_API_KEY", "sk-real-openai"),
        ];
        let settings =
            Settings::resolve(PathBuf::from("/h"), FileConfig::default(), &env, None).unwrap();
        assert_eq!(settings.providers[0].api_key, None);
        let env = [
            ("PINCER_PROVIDER", "openai"),
            ("OPENAI_API_KEY", "sk-real-openai"),
        ];
        let settings =
            Settings::resolve(PathBuf::from("/h"), FileConfig::default(), &env, None).unwrap();
        assert_eq!(
            settings.providers[0].api_key.as_deref(),
            Some("sk-real-openai")
        );
        assert!(
            !format!("{:?}", settings.providers[0]).contains("sk-real"),
            "Debug redacts"
        );
    }

    #[test]
    fn vendor_key_alone_selects_the_vendor() {
        let env = [("DEEPSEEK_API_KEY", "sk")];
        let settings =
            Settings::resolve(PathBuf::from("/h"), FileConfig::default(), &env, None).unwrap();
        assert_eq!(
            settings.providers[0].base_url,
            "https://api.deepseek.com/v1"
        );
    }

    #[test]
    fn nothing_configured_says_what_to_set() {
        let env: [(&str, &str); 0] = [];
        let err =
            Settings::resolve(PathBuf::from("/h"), FileConfig::default(), &env, None).unwrap_err();
        assert!(err.to_string().contains("PINCER_PROVIDER"));
    }
}
