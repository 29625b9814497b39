//! The local models of this data home (GGUF files run inside Pincer), for the Settings
//! page: which there are, which answers when nothing else is configured, and which the
//! catalog can fetch.

use std::path::Path;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use pincer_core::local::catalog;
use pincer_core::local::registry::{LocalModel, Registry, RegistryError};
use pincer_core::protocol::{Op, Submission};

use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::wire::{KnownModelView, LocalModelView, LocalModelsView, SetDefaultModel};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/local-models", get(list))
        .route("/api/local-models/default", post(set_default))
}

async fn list(State(state): State<Arc<AppState>>) -> ApiResult<Json<LocalModelsView>> {
    let home = state.home.clone();
    let view = blocking("listing the local models", move || view(&home)).await??;
    Ok(Json(view))
}

async fn set_default(
    State(state): State<Arc<AppState>>,
    Json(body): Json<SetDefaultModel>,
) -> ApiResult<Json<LocalModelsView>> {
    let name = body.name.trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::bad_request("name the model to make the default"));
    }
    let _guard = state.settings_lock.lock().await;
    let home = state.home.clone();
    let view = blocking("setting the default local model", move || {
        let registry = Registry::new(&home);
        let model = registry.resolve(&name).map_err(refused)?;
        // A file named by path is not one of this home's models; adding it is
        // `pincer model add`'s job, not a side effect of choosing a default.
        if !registry
            .list()
            .map_err(refused)?
            .iter()
            .any(|m| m.name == model.name)
        {
            return Err(ApiError::bad_request(format!(
                "no local model is called {name:?}: add the file with `pincer model add PATH` first"
            )));
        }
        if let Some(problem) = &model.problem {
            return Err(ApiError::bad_request(format!(
                "{} cannot be the default: {problem}",
                model.name
            )));
        }
        registry.set_default(&model.name).map_err(refused)?;
        view(&home)
    })
    .await??;
    // When no provider is configured the default model answers: the engine picks the new
    // one up as it does after any settings change.
    if let Err(e) = state.engine.submit(Submission::fresh(Op::ReloadSettings)) {
        tracing::warn!(error = %e, "default local model set, but the settings did not reload");
    }
    tracing::info!(model = %body.name.trim(), "default local model set");
    Ok(Json(view))
}

/// A registry error the user can act on (an unknown name, a file that is not a GGUF …).
fn refused(error: RegistryError) -> ApiError {
    match error {
        RegistryError::Write { .. } | RegistryError::Read { .. } => ApiError::internal(error),
        other => ApiError::bad_request(other.to_string()),
    }
}

fn view(home: &Path) -> ApiResult<LocalModelsView> {
    let registry = Registry::new(home);
    let models = registry.list().map_err(ApiError::internal)?;
    let known = catalog::KNOWN
        .iter()
        .map(|k| KnownModelView {
            name: k.name.to_owned(),
            title: file_title(k.file),
            size: k.size,
            context: k.context,
            tools: k.tools,
            note: k.note.to_owned(),
            installed: models.iter().any(|m| m.name == k.name),
        })
        .collect();
    Ok(LocalModelsView {
        models: models.iter().map(model_view).collect(),
        models_dir: registry.models_dir().display().to_string(),
        known,
    })
}

fn model_view(model: &LocalModel) -> LocalModelView {
    LocalModelView {
        name: model.name.clone(),
        title: model_title(&model.name),
        path: model.path.display().to_string(),
        size: model.size,
        added: model.added,
        default: model.default,
        context_length: model.context_length,
        architecture: model.architecture.clone(),
        tools: model.tools,
        problem: model.problem.clone(),
    }
}

/// How a model is shown: a catalog model by its proper name (`SmolLM2-135M-Instruct`,
/// from the file name without the quantization), anything else by its registered name.
pub(crate) fn model_title(name: &str) -> String {
    catalog::find(name)
        .map(|k| file_title(k.file))
        .unwrap_or_else(|| name.to_owned())
}

/// `SmolLM2-135M-Instruct.Q4_1.gguf` → `SmolLM2-135M-Instruct`; `Qwen3-4B-Q4_K_M.gguf` →
/// `Qwen3-4B`.
fn file_title(file: &str) -> String {
    let stem = file
        .len()
        .checked_sub(".gguf".len())
        .filter(|&at| file.is_char_boundary(at) && file[at..].eq_ignore_ascii_case(".gguf"))
        .map_or(file, |at| &file[..at]);
    let quantization = |tail: &str| {
        let tail = tail.to_ascii_lowercase();
        let mut chars = tail.chars();
        (chars.next() == Some('q') && chars.next().is_some_and(|c| c.is_ascii_digit()))
            || ["f16", "bf16", "f32"].contains(&tail.as_str())
    };
    match stem.rfind(['.', '-']) {
        Some(at) if at > 0 && quantization(&stem[at + 1..]) => stem[..at].to_owned(),
        _ => stem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_drop_the_extension_and_the_quantization() {
        assert_eq!(
            file_title("SmolLM2-135M-Instruct.Q4_1.gguf"),
            "SmolLM2-135M-Instruct"
        );
        assert_eq!(file_title("Qwen3-4B-Q4_K_M.gguf"), "Qwen3-4B");
        assert_eq!(
            file_title("qwen2.5-0.5b-instruct-q4_k_m.gguf"),
            "qwen2.5-0.5b-instruct"
        );
        assert_eq!(file_title("my-model.F16.GGUF"), "my-model");
        assert_eq!(file_title("plain.gguf"), "plain");
        assert_eq!(file_title("qwen2.5-3b"), "qwen2.5-3b");
        assert_eq!(
            model_title("smollm2-135m-instruct"),
            "SmolLM2-135M-Instruct"
        );
        assert_eq!(model_title("my-own"), "my-own");
        for known in catalog::KNOWN {
            let title = model_title(known.name);
            assert!(
                !title.is_empty() && !title.to_ascii_lowercase().ends_with("gguf"),
                "{title}"
            );
        }
    }
}
