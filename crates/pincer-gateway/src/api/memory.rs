//! The Memory page's API: memories listed, searched (with matching past messages) and shown
//! with their history, read from the store; every change submitted to the engine as
//! [`Op::Memory`], which checks it. And what recall gave each turn of a session, for the
//! chat's "remembered" chip.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::wire::{MemoryDetail, MemoryList};
use pincer_core::protocol::{MemoryOp, Op, Reply, Submission};
use pincer_core::store::{MemoryFilter, Provenance, Recalled};

/// The most a page asks for at once.
const MAX_LIMIT: usize = 500;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/memories", get(list).post(change))
        .route("/api/memories/{id}", get(show))
        .route("/api/sessions/{id}/recalls", get(recalls))
}

#[derive(Deserialize)]
struct ListQuery {
    /// Search text; empty lists.
    #[serde(default)]
    q: String,
    scope: Option<String>,
    provenance: Option<String>,
    /// Also forgotten and replaced memories (listing only: search finds current ones).
    #[serde(default)]
    all: bool,
    limit: Option<usize>,
}

fn provenance(text: Option<&str>) -> Result<Option<Provenance>, ApiError> {
    match text {
        None | Some("") => Ok(None),
        Some("user") => Ok(Some(Provenance::User)),
        Some("agent") => Ok(Some(Provenance::Agent)),
        Some("tool") => Ok(Some(Provenance::Tool)),
        Some("untrusted") => Ok(Some(Provenance::Untrusted)),
        Some(other) => Err(ApiError::bad_request(format!(
            "provenance {other:?}: use user, agent, tool or untrusted"
        ))),
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<MemoryList>> {
    let store = state.engine.store();
    let provenance = provenance(query.provenance.as_deref())?;
    let scope = query.scope.filter(|s| !s.is_empty());
    let limit = query.limit.unwrap_or(200).clamp(1, MAX_LIMIT);
    let q = query.q.trim();
    if q.is_empty() {
        let memories = store.list_memories(&MemoryFilter {
            scope,
            provenance,
            all: query.all,
            limit,
            offset: 0,
        })?;
        return Ok(Json(MemoryList {
            memories,
            messages: Vec::new(),
            total: store.memory_count()?,
            index: state.engine.memory_index(),
        }));
    }
    // Filtered before the limit, so a filter never empties a page that has matches.
    let memories = store
        .search_memories(q, scope.as_deref(), MAX_LIMIT)?
        .into_iter()
        .filter(|m| provenance.is_none_or(|p| m.provenance == p))
        .take(limit)
        .collect();
    Ok(Json(MemoryList {
        memories,
        messages: store.search_messages(q, 20)?,
        total: store.memory_count()?,
        index: state.engine.memory_index(),
    }))
}

async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<MemoryDetail>> {
    let store = state.engine.store();
    let memory = store
        .memory(&id)?
        .ok_or_else(|| ApiError::not_found(format!("there is no memory {id}")))?;
    let history = store.memory_history(&id)?.unwrap_or_default();
    Ok(Json(MemoryDetail { memory, history }))
}

/// A change, checked and carried out by the engine; the reply says what it did.
async fn change(
    State(state): State<Arc<AppState>>,
    Json(change): Json<MemoryOp>,
) -> ApiResult<Json<Reply>> {
    // A MEMORY.md import writes every memory it lists: off the async workers.
    let engine = state.engine.clone();
    let reply = super::blocking("the memory change", move || {
        engine.submit(Submission::fresh(Op::Memory { change }))
    })
    .await??;
    Ok(Json(reply))
}

async fn recalls(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Recalled>>> {
    let store = state.engine.store();
    if !store.session_exists(&id)? {
        return Err(ApiError::not_found(format!("there is no session {id:?}")));
    }
    Ok(Json(store.recalls(&id)?))
}
