//! The desktop app's settings and the quick-ask window's "open in Pincer". Answered only
//! when the gateway runs inside the desktop shell (`GatewayOptions::desktop`); a headless
//! daemon says `{"app": false}` and 404s the rest.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::blocking;
use crate::desktop::{DesktopHooks, DesktopStatus, DesktopUpdate};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::wire::{DesktopInfo, OpenSession};
use pincer_core::protocol::valid_session_id;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/desktop", get(show).put(update))
        .route("/api/desktop/open", post(open))
}

async fn show(State(state): State<Arc<AppState>>) -> ApiResult<Json<DesktopInfo>> {
    let Some(hooks) = state.desktop.clone() else {
        return Ok(Json(DesktopInfo {
            app: false,
            status: None,
        }));
    };
    let status = blocking("the desktop app", move || hooks.status()).await?;
    Ok(Json(DesktopInfo {
        app: true,
        status: Some(status),
    }))
}

async fn update(
    State(state): State<Arc<AppState>>,
    Json(update): Json<DesktopUpdate>,
) -> ApiResult<Json<DesktopStatus>> {
    let hooks = hooks(&state)?;
    match blocking("the desktop app", move || hooks.update(update)).await? {
        Ok(status) => Ok(Json(status)),
        Err(message) if message.trim().is_empty() => Err(ApiError::bad_request(
            "the desktop app refused the change without saying why",
        )),
        Err(message) => Err(ApiError::bad_request(message)),
    }
}

async fn open(
    State(state): State<Arc<AppState>>,
    Json(body): Json<OpenSession>,
) -> ApiResult<StatusCode> {
    let hooks = hooks(&state)?;
    if !valid_session_id(&body.session) {
        return Err(ApiError::bad_request(
            "a session id is 1–64 letters, digits, '-' or '_'",
        ));
    }
    if !state.engine.store().session_exists(&body.session)? {
        return Err(ApiError::not_found(format!(
            "there is no session {:?}",
            body.session
        )));
    }
    blocking("the desktop app", move || hooks.open_session(&body.session)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn hooks(state: &AppState) -> ApiResult<Arc<dyn DesktopHooks>> {
    state.desktop.clone().ok_or_else(|| {
        ApiError::not_found("this Pincer runs without the desktop app (headless daemon)")
    })
}
