//! Sessions and their messages.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pincer_core::store::TurnRecord;

use crate::wire::{HistoryMessage, NewSession, RenameSession, SessionInfo};
use pincer_core::protocol::{Op, Submission, ToolOutcome};

/// Titles longer than this are cut; a title is a label, not a document.
const MAX_TITLE_CHARS: usize = 200;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/sessions", get(list).post(create))
        .route("/api/sessions/{id}", patch(rename).delete(delete))
        .route("/api/sessions/{id}/messages", get(messages))
        .route("/api/sessions/{id}/turns", get(turns))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
}

async fn list(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    let sessions = state.engine.store().search_sessions(&query.q)?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|summary| SessionInfo {
                running: state.engine.is_busy(&summary.id),
                summary,
            })
            .collect(),
    ))
}

async fn create(
    State(state): State<Arc<AppState>>,
    body: Option<Json<NewSession>>,
) -> ApiResult<(StatusCode, Json<SessionInfo>)> {
    let title = body.and_then(|Json(b)| b.title).unwrap_or_default();
    let id = pincer_core::store::new_session_id();
    let store = state.engine.store();
    store.ensure_session(&id)?;
    let title = clean_title(&title);
    if !title.is_empty() {
        store.rename_session(&id, &title)?;
    }
    let summary = store
        .session(&id)?
        .ok_or_else(|| ApiError::internal("the new session vanished"))?;
    state.notify_sessions_changed();
    Ok((
        StatusCode::CREATED,
        Json(SessionInfo {
            summary,
            running: false,
        }),
    ))
}

async fn rename(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Json(body): Json<RenameSession>,
) -> ApiResult<Json<SessionInfo>> {
    let title = clean_title(&body.title);
    if title.is_empty() {
        return Err(ApiError::bad_request("a title cannot be empty"));
    }
    let store = state.engine.store();
    if !store.rename_session(&id, &title)? {
        return Err(no_session(&id));
    }
    let summary = store.session(&id)?.ok_or_else(|| no_session(&id))?;
    state.notify_sessions_changed();
    Ok(Json(SessionInfo {
        running: state.engine.is_busy(&id),
        summary,
    }))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .engine
        .submit(Submission::fresh(Op::DeleteSession { session: id }))?;
    state.notify_sessions_changed();
    Ok(StatusCode::NO_CONTENT)
}

async fn messages(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<HistoryMessage>>> {
    let store = state.engine.store();
    if !store.session_exists(&id)? {
        return Err(no_session(&id));
    }
    let audit: HashMap<String, (u64, ToolOutcome)> = store
        .audit(&id)?
        .into_iter()
        .map(|record| (record.call_id, (record.duration_ms, record.outcome)))
        .collect();
    let messages = store.messages(&id)?;
    Ok(Json(
        messages
            .into_iter()
            .map(|stored| {
                let audited = stored
                    .message
                    .tool_call_id
                    .as_ref()
                    .and_then(|call| audit.get(call).copied());
                HistoryMessage {
                    duration_ms: audited.map(|(ms, _)| ms),
                    tool_outcome: audited.map(|(_, outcome)| outcome),
                    stored,
                }
            })
            .collect(),
    ))
}

/// How the session's turns ended (running turns are not listed).
async fn turns(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TurnRecord>>> {
    let store = state.engine.store();
    if !store.session_exists(&id)? {
        return Err(no_session(&id));
    }
    Ok(Json(store.turn_ends(&id)?))
}

fn no_session(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no session {id:?}"))
}

fn clean_title(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_TITLE_CHARS)
        .collect()
}
