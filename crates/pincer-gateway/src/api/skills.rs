//! The Skills page: every skill with its status, what it shadows and what vetting found;
//! one skill's instructions; turning skills on and off; reading the folders again.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use pincer_core::skills::{Catalog, Library, SkillsError};

use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::wire::{SkillDetail, SkillFolder, SkillsReport};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/skills", get(list))
        .route("/api/skills/reload", post(reload))
        .route("/api/skills/{name}", get(show))
        .route("/api/skills/{name}/enable", post(enable))
        .route("/api/skills/{name}/disable", post(disable))
}

fn report(library: &Library, catalog: &Catalog) -> SkillsReport {
    SkillsReport {
        skills: catalog.views(),
        problems: catalog.problems.clone(),
        folders: library
            .roots()
            .into_iter()
            .map(|root| SkillFolder {
                source: root.source,
                exists: root.dir.is_dir(),
                path: root.dir.to_string_lossy().into_owned(),
            })
            .collect(),
    }
}

async fn list(State(state): State<Arc<AppState>>) -> Json<SkillsReport> {
    let library = state.engine.skills();
    Json(report(library, &library.current()))
}

async fn reload(State(state): State<Arc<AppState>>) -> ApiResult<Json<SkillsReport>> {
    let library = state.engine.skills().clone();
    let (library, catalog) = blocking("reading the skills", move || {
        let catalog = library.reload();
        (library, catalog)
    })
    .await?;
    Ok(Json(report(&library, &catalog)))
}

async fn show(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<SkillDetail>> {
    let catalog = state.engine.skills().current();
    let skill = catalog
        .get(&name)
        .ok_or_else(|| ApiError::not_found(format!("there is no skill named `{name}`")))?;
    Ok(Json(SkillDetail {
        skill: skill.view(),
        body: skill.body.clone(),
    }))
}

async fn enable(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<SkillDetail>> {
    set(state, name, true).await
}

async fn disable(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<SkillDetail>> {
    set(state, name, false).await
}

async fn set(state: Arc<AppState>, name: String, enabled: bool) -> ApiResult<Json<SkillDetail>> {
    let library = state.engine.skills().clone();
    let lookup = name.clone();
    let view = blocking("reading the skills", move || {
        library.set_enabled(&lookup, enabled)
    })
    .await?
    .map_err(|e| match e {
        SkillsError::NotFound(_) => ApiError::not_found(e.to_string()),
        other => ApiError::internal(other),
    })?;
    let body = state
        .engine
        .skills()
        .current()
        .get(&name)
        .map(|s| s.body.clone())
        .unwrap_or_default();
    Ok(Json(SkillDetail { skill: view, body }))
}
