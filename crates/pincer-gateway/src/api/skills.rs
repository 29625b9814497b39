//! The Skills page: every skill with its status, what it shadows and what vetting found;
//! one skill's instructions; turning skills on and off; reading the folders again.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use pincer_core::protocol::{Op, Submission};
use pincer_core::skills::{Catalog, Library};

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
    let engine = state.engine.clone();
    blocking("reading the skills", move || {
        engine.submit(Submission::fresh(Op::ReloadSkills))
    })
    .await??;
    let library = state.engine.skills();
    Ok(Json(report(library, &library.current())))
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
    let engine = state.engine.clone();
    let op = Op::SetSkillEnabled {
        name: name.clone(),
        enabled,
    };
    blocking("reading the skills", move || {
        engine.submit(Submission::fresh(op))
    })
    .await??;
    let catalog = state.engine.skills().current();
    let skill = catalog
        .get(&name)
        .ok_or_else(|| ApiError::not_found(format!("there is no skill named `{name}`")))?;
    Ok(Json(SkillDetail {
        skill: skill.view(),
        body: skill.body.clone(),
    }))
}
