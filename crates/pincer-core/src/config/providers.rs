//! Turning `[[providers]]` entries and the `PINCER_*` / vendor key variables into the ordered
//! list of endpoints the engine tries.

use std::path::Path;
use std::time::Duration;

use super::{ConfigError, Env, ProviderEntry};
use crate::local::registry::{LocalModel, Registry};
use crate::provider::{Dialect, Endpoint, presets};

impl ProviderEntry {
    /// The endpoint this entry describes, with its key from the entry or the environment.
    pub fn resolve(&self, env: &dyn Env) -> Result<Endpoint, String> {
        endpoint(self, env)
    }

    /// Like [`ProviderEntry::resolve`], but a `local` entry is looked up in the model
    /// registry of `home` (its endpoint's `base_url` is then the GGUF file's path), as the
    /// engine does when it loads the settings.
    pub fn resolve_in(&self, home: &Path, env: &dyn Env) -> Result<Endpoint, String> {
        resolve_entry(&Registry::new(home), self, env)
    }

    /// Whether this entry names a model run in-process (`preset = "local"` or
    /// `dialect = "local"`) rather than a server.
    pub fn is_local(&self) -> bool {
        self.dialect == Some(Dialect::Local)
            || self
                .preset
                .as_deref()
                .and_then(presets::find)
                .is_some_and(|p| p.dialect == Dialect::Local)
    }

    /// The URL requests go to: `base_url`, else the preset's.
    pub fn effective_base_url(&self) -> Option<String> {
        self.base_url.clone().or_else(|| {
            self.preset
                .as_deref()
                .and_then(presets::find)
                .map(|p| p.base_url.to_owned())
        })
    }
}

pub(super) fn resolve_providers(
    home: &Path,
    entries: &[ProviderEntry],
    env: &dyn Env,
) -> Result<Vec<Endpoint>, ConfigError> {
    let models = Registry::new(home);
    let endpoint = |entry: &ProviderEntry, env: &dyn Env| resolve_entry(&models, entry, env);
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
    if endpoints.is_empty() {
        // Nothing configured anywhere: the default local model answers, offline.
        // A broken models.toml is said, not read as "no model": the user would only see
        // "no provider is configured" and never learn why.
        let default = models.default_model().map_err(|e| ConfigError::Provider {
            index: 0,
            message: e.to_string(),
        })?;
        if let Some(model) = default {
            endpoints.push(local_endpoint(&model));
        }
    }
    Ok(endpoints)
}

fn local_endpoint(model: &LocalModel) -> Endpoint {
    Endpoint {
        name: "local".to_owned(),
        dialect: Dialect::Local,
        base_url: model.path.display().to_string(),
        api_key: None,
        model: model.name.clone(),
        images: false,
        timeout: Duration::from_secs(120),
        // The loaded model says (`Provider::profile`).
        context_window: None,
    }
}

/// An entry's endpoint; a local one names a registered model or a GGUF path.
fn resolve_entry(
    models: &Registry,
    entry: &ProviderEntry,
    env: &dyn Env,
) -> Result<Endpoint, String> {
    if !entry.is_local() {
        return endpoint(entry, env);
    }
    let model = match entry.model.as_deref().filter(|m| !m.trim().is_empty()) {
        Some(name) => models.resolve(name).map_err(|e| e.to_string())?,
        None => models.default_model().map_err(|e| e.to_string())?.ok_or(
            "no local model is installed: `pincer model pull NAME` or `pincer model add PATH`",
        )?,
    };
    let mut resolved = local_endpoint(&model);
    if let Some(name) = &entry.name {
        resolved.name = name.clone();
    }
    Ok(resolved)
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
    let context_window = entry
        .context_window
        .filter(|w| *w >= 1024)
        .or_else(|| preset.and_then(|p| preset_window(p, &model)));
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
        context_window,
    })
}

/// What a preset knows of `model`'s window: a vendor's, for its default model only (other
/// models differ); a local server's (Ollama, LM Studio, llama.cpp), whatever the model, as
/// the context is the server's setting.
fn preset_window(preset: &presets::Preset, model: &str) -> Option<u64> {
    let local_server = preset.key_env.is_none();
    if local_server || preset.default_model == model {
        preset.context_window
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use pretty_assertions::assert_eq;

    use crate::config::{FileConfig, Settings};

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
    fn with_nothing_configured_the_default_local_model_answers_and_a_broken_registry_is_said() {
        let home = tempfile::tempdir().unwrap();
        let env: [(&str, &str); 0] = [];
        let resolve = || {
            Settings::resolve_allowing_no_provider(
                home.path().to_path_buf(),
                FileConfig::default(),
                &env,
                None,
            )
        };
        assert!(resolve().unwrap().providers.is_empty());
        let models = home.path().join("models");
        std::fs::create_dir_all(&models).unwrap();
        crate::local::registry::tests::tiny_gguf(&models.join("tiny.gguf"), 2048);
        let settings = resolve().unwrap();
        assert_eq!(
            settings.providers[0].dialect,
            crate::provider::Dialect::Local
        );
        assert_eq!(settings.providers[0].model, "tiny");
        std::fs::write(home.path().join("models.toml"), "default = [").unwrap();
        let err = resolve().unwrap_err().to_string();
        assert!(err.contains("models.toml"), "{err}");
    }

    #[test]
    fn a_window_comes_from_the_entry_else_from_what_the_preset_knows_of_the_model() {
        let env: [(&str, &str); 0] = [];
        let window = |preset: &str, model: Option<&str>, explicit: Option<u64>| {
            super::ProviderEntry {
                preset: Some(preset.to_owned()),
                model: model.map(str::to_owned),
                context_window: explicit,
                ..super::ProviderEntry::default()
            }
            .resolve(&env)
            .unwrap()
            .context_window
        };
        assert_eq!(window("anthropic", None, None), Some(200_000));
        assert_eq!(
            window("deepseek", Some("deepseek-chat"), None),
            Some(128_000)
        );
        // Another model of the vendor: not known, so not guessed.
        assert_eq!(window("openai", Some("gpt-3.5-turbo"), None), None);
        // A local server's context is its own setting, whatever the model.
        assert_eq!(window("ollama", Some("qwen3:8b"), None), Some(4_096));
        assert_eq!(
            window("ollama", Some("qwen3:8b"), Some(32_768)),
            Some(32_768)
        );
        // Nonsense is ignored rather than compacting every turn.
        assert_eq!(window("anthropic", None, Some(10)), Some(200_000));
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
}
