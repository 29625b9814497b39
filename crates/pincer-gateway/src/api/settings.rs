//! The Settings page: providers (with keys stored server-side), approval rules, and a
//! connection test. Changes are written to the data home and applied to new turns at once.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use pincer_core::config::{Env, FileConfig, ProcessEnv, ProviderEntry, SavedKey, SavedKeys};
use pincer_core::policy::PolicyConfig;
use pincer_core::protocol::{Op, Submission};
use pincer_core::provider::{self, Dialect, presets};
use pincer_core::secrets::{SecretStore, StoreKind};

use crate::error::{ApiError, ApiResult};
use crate::settings_file::{self, Current};
use crate::state::AppState;
use crate::wire::{
    ConnectionTest, EffectiveProvider, EffectiveView, PresetView, ProviderInput, ProviderView,
    SecretStoreKind, SecretStoreView, SettingsView,
};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/settings", get(show))
        .route("/api/settings/effective", get(show_effective))
        .route("/api/settings/providers", put(save_providers))
        .route("/api/settings/policy", put(save_policy))
        .route("/api/settings/test", post(test))
}

const ENV_OVERRIDES: &[&str] = &[
    "PINCER_PROVIDER",
    "PINCER_BASE_URL",
    "PINCER_API_KEY",
    "PINCER_MODEL",
];

async fn show(State(state): State<Arc<AppState>>) -> ApiResult<Json<SettingsView>> {
    let current = settings_file::read(&state.home)?;
    Ok(Json(view(&state, &current)))
}

/// Only the provider that answers: no secret store, only the local model's header.
async fn show_effective(State(state): State<Arc<AppState>>) -> ApiResult<Json<EffectiveView>> {
    let configured = match FileConfig::read(&state.home) {
        Ok(file) => !file.providers.is_empty(),
        // A file that does not parse is shown on the Settings page; here it only means
        // the answer cannot be "nothing is configured".
        Err(_) => true,
    };
    Ok(Json(EffectiveView {
        effective: effective(&state, configured, !env_overrides().is_empty()),
    }))
}

async fn save_providers(
    State(state): State<Arc<AppState>>,
    Json(inputs): Json<Vec<ProviderInput>>,
) -> ApiResult<Json<SettingsView>> {
    let _guard = state.settings_lock.lock().await;
    let mut current = settings_file::read(&state.home)?;
    let mut entries: Vec<ProviderEntry> = inputs
        .iter()
        .map(|input| settings_file::provider_entry(input, &current.file.providers))
        .collect();
    let mut labels = Vec::new();
    for (index, (entry, input)) in entries.iter_mut().zip(&inputs).enumerate() {
        let label = entry.label();
        if labels.contains(&label) {
            return Err(ApiError::bad_request(format!(
                "provider {}: another provider is already called {label:?}; give one a different name",
                index + 1
            )));
        }
        let url = entry.effective_base_url();
        // A key written into config.toml by hand moves into the secret store: Pincer never
        // writes a key into config.toml. (It won over `api_key_env`, which goes with it.)
        let inline = entry.api_key.take();
        if inline.is_some() {
            entry.api_key_env = None;
        }
        match input
            .api_key
            .as_deref()
            .map(str::trim)
            .or(inline.as_deref())
        {
            Some("") => current.keys.set(&label, None),
            Some(key) => current.keys.set(
                &label,
                Some(SavedKey {
                    key: key.to_owned(),
                    base_url: url.clone(),
                }),
            ),
            // No key sent: the saved one stays only if the URL is the one it was saved for.
            None => {
                let bound = url
                    .as_deref()
                    .and_then(|url| current.keys.key_for(&label, url))
                    .is_some();
                if !bound {
                    current.keys.set(&label, None);
                }
            }
        }
        let mut check = entry.clone();
        check.api_key = check.api_key.or(url
            .as_deref()
            .and_then(|url| current.keys.key_for(&label, url))
            .map(str::to_owned));
        check
            .resolve_in(&state.home, &ProcessEnv)
            .map_err(|e| ApiError::bad_request(format!("provider {} ({label}): {e}", index + 1)))?;
        labels.push(label);
    }
    current.keys.retain(&labels);
    let text = settings_file::with_providers(&current.text, &entries)?;
    apply(&state, text, current).await
}

async fn save_policy(
    State(state): State<Arc<AppState>>,
    Json(policy): Json<PolicyConfig>,
) -> ApiResult<Json<SettingsView>> {
    if let Some(rule) = policy
        .exec_rules
        .iter()
        .find(|r| r.prefix.trim().is_empty())
    {
        return Err(ApiError::bad_request(format!(
            "an exec rule needs a command prefix (the rule with action {:?} has none)",
            rule.action
        )));
    }
    let _guard = state.settings_lock.lock().await;
    let current = settings_file::read(&state.home)?;
    let text = settings_file::with_policy(&current.text, &policy)?;
    apply(&state, text, current).await
}

/// Validates, writes and applies `text`; answers with the new view.
async fn apply(state: &AppState, text: String, current: Current) -> ApiResult<Json<SettingsView>> {
    let (settings, saved) =
        settings_file::save(&state.home, state.workspace_override.clone(), text, current)?;
    // The file is written; the engine reads it again, as it would for any surface.
    drop(settings);
    state.engine.submit(Submission::fresh(Op::ReloadSettings))?;
    tracing::info!("settings saved and applied");
    Ok(Json(view(state, &saved)))
}

async fn test(
    State(state): State<Arc<AppState>>,
    Json(input): Json<ProviderInput>,
) -> ApiResult<Json<ConnectionTest>> {
    let current = settings_file::read(&state.home)?;
    let mut entry = settings_file::provider_entry(&input, &current.file.providers);
    let label = entry.label();
    // A saved key goes only to the URL it was saved for; testing another URL sends none
    // unless the request carries one.
    let saved = entry
        .effective_base_url()
        .and_then(|url| current.keys.key_for(&label, &url).map(str::to_owned));
    entry.api_key = match input.api_key.as_deref().map(str::trim) {
        Some("") => None,
        Some(key) => Some(key.to_owned()),
        None => entry.api_key.or(saved),
    };
    let endpoint = match entry.resolve_in(&state.home, &ProcessEnv) {
        Ok(endpoint) => endpoint,
        Err(message) => {
            return Ok(Json(ConnectionTest {
                ok: false,
                message,
                latency_ms: None,
            }));
        }
    };
    Ok(Json(match provider::probe(&endpoint).await {
        Ok(latency) if endpoint.dialect == Dialect::Local => ConnectionTest {
            ok: true,
            message: format!(
                "{} is a readable model file ({}); it is loaded when a turn needs it",
                endpoint.model, endpoint.base_url
            ),
            latency_ms: Some(latency.as_millis() as u64),
        },
        Ok(latency) => ConnectionTest {
            ok: true,
            message: format!("{} answered at {}", endpoint.name, endpoint.base_url),
            latency_ms: Some(latency.as_millis() as u64),
        },
        Err(e) => ConnectionTest {
            ok: false,
            message: e.to_string(),
            latency_ms: None,
        },
    }))
}

/// The `PINCER_*` provider variables set in this process's environment.
fn env_overrides() -> Vec<&'static str> {
    ENV_OVERRIDES
        .iter()
        .copied()
        .filter(|k| ProcessEnv.var(k).is_some())
        .collect()
}

/// The provider new turns use. `configured`: config.toml has `[[providers]]`;
/// `env_override`: a `PINCER_*` provider variable is set.
fn effective(state: &AppState, configured: bool, env_override: bool) -> Option<EffectiveProvider> {
    let settings = state.engine.settings();
    let first = settings.providers.first()?;
    let local = first.dialect == Dialect::Local;
    Some(EffectiveProvider {
        name: first.name.clone(),
        model: first.model.clone(),
        model_title: if local {
            super::local_models::model_title(&first.model)
        } else {
            first.model.clone()
        },
        local,
        tools: !local
            || pincer_core::local::gguf::read_info(std::path::Path::new(&first.base_url))
                .is_ok_and(|info| info.template_has_tools()),
        local_default: local && !configured && !env_override,
    })
}

fn view(state: &AppState, current: &Current) -> SettingsView {
    let env = ProcessEnv;
    let providers = current
        .file
        .providers
        .iter()
        .map(|entry| provider_view(&state.home, entry, &current.keys, &env))
        .collect();
    let set = env_overrides();
    let configured = !current.file.providers.is_empty();
    let env_override = (!set.is_empty()).then(|| {
        let one = set.len() == 1;
        format!(
            "{} {} set in the environment of the running Pincer and {}",
            set.join(", "),
            if one { "is" } else { "are" },
            match (configured, one) {
                (true, true) => "takes precedence over the saved providers",
                (true, false) => "take precedence over the saved providers",
                (false, true) => "chooses the provider",
                (false, false) => "choose the provider",
            },
        )
    });
    SettingsView {
        effective: effective(state, configured, env_override.is_some()),
        providers,
        active: state
            .engine
            .settings()
            .providers
            .iter()
            .map(|p| p.name.clone())
            .collect(),
        env_override,
        policy: current.file.policy.clone(),
        secret_store: secret_store_view(&current.store),
        presets: presets::PRESETS
            .iter()
            .map(|p| PresetView {
                name: p.name.to_owned(),
                dialect: p.dialect,
                base_url: p.base_url.to_owned(),
                default_model: p.default_model.to_owned(),
                key_env: p.key_env.map(str::to_owned),
            })
            .collect(),
    }
}

fn secret_store_view(store: &SecretStore) -> SecretStoreView {
    match store.status() {
        Ok(status) => SecretStoreView {
            kind: match status.kind {
                StoreKind::Keyring => SecretStoreKind::Keyring,
                StoreKind::EncryptedFile => SecretStoreKind::EncryptedFile,
            },
            location: status.location,
            warning: status.warning,
        },
        Err(e) => SecretStoreView {
            kind: SecretStoreKind::Unavailable,
            location: String::new(),
            warning: Some(e.to_string()),
        },
    }
}

fn provider_view(
    home: &std::path::Path,
    entry: &ProviderEntry,
    keys: &SavedKeys,
    env: &dyn Env,
) -> ProviderView {
    let label = entry.label();
    if entry.is_local() {
        // A model run in-process: no URL, no key. `model` is what the entry names ("" =
        // the default local model); `base_url` the file it resolves to now, if any.
        return ProviderView {
            name: label,
            preset: entry.preset.clone(),
            dialect: Dialect::Local,
            base_url: entry
                .resolve_in(home, env)
                .map(|e| e.base_url)
                .unwrap_or_default(),
            model: entry.model.clone().unwrap_or_default(),
            has_key: false,
            key_hint: None,
            key_env: None,
        };
    }
    let saved = entry
        .effective_base_url()
        .and_then(|url| keys.key_for(&label, &url).map(str::to_owned));
    let mut with_key = entry.clone();
    with_key.api_key = entry.api_key.clone().or_else(|| saved.clone());
    let resolved = with_key.resolve(env);
    let key = resolved.as_ref().ok().and_then(|e| e.api_key.clone());
    let key_env = if entry.api_key.is_none() && saved.is_none() && key.is_some() {
        entry.api_key_env.clone().or_else(|| {
            entry
                .preset
                .as_deref()
                .and_then(presets::find)
                .and_then(|p| p.key_env.map(str::to_owned))
        })
    } else {
        None
    };
    let preset = entry.preset.as_deref().and_then(presets::find);
    ProviderView {
        name: label,
        preset: entry.preset.clone(),
        dialect: resolved
            .as_ref()
            .ok()
            .map(|e| e.dialect)
            .or(entry.dialect)
            .or(preset.map(|p| p.dialect))
            .unwrap_or(Dialect::OpenAi),
        base_url: resolved
            .as_ref()
            .map(|e| e.base_url.clone())
            .unwrap_or_else(|_| entry.base_url.clone().unwrap_or_default()),
        model: resolved
            .as_ref()
            .map(|e| e.model.clone())
            .unwrap_or_else(|_| entry.model.clone().unwrap_or_default()),
        has_key: key.is_some(),
        key_hint: key
            .as_deref()
            .map(|k| pincer_core::secrets::key_hint(k).unwrap_or_else(|| "(short key)".to_owned())),
        key_env,
    }
}
