//! The control API under `/__testkit/`, served on the same port as the fake
//! LLM so tests in other languages can script it over HTTP. Control requests
//! are never captured as LLM requests.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::reply_spec::parse_replies;
use crate::{Inner, lock};

pub(crate) const PREFIX: &str = "/__testkit/";

pub(crate) fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/__testkit/replies", post(push_replies))
        .route("/__testkit/requests", get(list_requests))
        .route("/__testkit/pending", get(pending))
        .route("/__testkit/violations", get(violations))
        .route("/__testkit/reset", post(reset))
}

fn control_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

pub(crate) fn unknown_route(method: &axum::http::Method, path: &str) -> Response {
    let message = format!(
        "scripted LLM control API: no route for {method} {path} (have POST /__testkit/replies, \
         GET /__testkit/requests, GET /__testkit/pending, GET /__testkit/violations, POST /__testkit/reset)"
    );
    control_error(StatusCode::NOT_FOUND, &message)
}

/// The body is parsed whatever its content type, so a bare `fetch` works.
async fn push_replies(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    match parse_replies(&body) {
        Ok(replies) => {
            let count = replies.len();
            let pending = {
                let mut queue = lock(&inner.queue);
                queue.extend(replies);
                queue.len()
            };
            tracing::debug!("queued {count} scripted repl(ies), {pending} pending");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            tracing::warn!("rejected scripted replies: {e}");
            control_error(StatusCode::BAD_REQUEST, &e.to_string())
        }
    }
}

async fn list_requests(State(inner): State<Arc<Inner>>) -> Response {
    let requests = lock(&inner.requests).clone();
    axum::Json(requests).into_response()
}

async fn pending(State(inner): State<Arc<Inner>>) -> Response {
    let pending = lock(&inner.queue).len();
    axum::Json(json!({ "pending": pending })).into_response()
}

/// Each violation with its problems spelled out in `message`, so a harness
/// can print them as they are.
async fn violations(State(inner): State<Arc<Inner>>) -> Response {
    let violations: Vec<_> = lock(&inner.violations)
        .iter()
        .map(|v| {
            json!({
                "request": v.request,
                "path": v.path,
                "problems": v.problems,
                "message": v.to_string(),
            })
        })
        .collect();
    axum::Json(violations).into_response()
}

async fn reset(State(inner): State<Arc<Inner>>) -> Response {
    inner.reset();
    tracing::debug!("scripted LLM reset");
    StatusCode::NO_CONTENT.into_response()
}
