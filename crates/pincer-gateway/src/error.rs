//! Errors: the gateway's own (start-up) and the API's (one JSON body per failed request).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

use crate::wire;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "refusing to listen on {addr}: it is reachable from other machines. Pass --allow-remote to do it anyway (anyone who can reach it can try to log in)"
    )]
    NotLoopback { addr: SocketAddr },
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("could not prepare {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// A failed API request: a status and one sentence for the user.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, what)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "not logged in: open the login link `pincer daemon` printed, or run `pincer login`",
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl From<pincer_core::store::StoreError> for ApiError {
    fn from(error: pincer_core::store::StoreError) -> Self {
        Self::internal(error)
    }
}

/// A refused submission as an HTTP status: the REST handlers and the WebSocket apply ops
/// through the same `Engine::submit`, so they refuse for the same reasons.
impl From<pincer_core::protocol::OpError> for ApiError {
    fn from(error: pincer_core::protocol::OpError) -> Self {
        use pincer_core::protocol::OpErrorKind;
        let status = match error.kind {
            OpErrorKind::Invalid | OpErrorKind::Settings => StatusCode::BAD_REQUEST,
            OpErrorKind::NotFound => StatusCode::NOT_FOUND,
            OpErrorKind::Busy => StatusCode::CONFLICT,
            _ => return Self::internal(error),
        };
        Self::new(status, error.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(wire::ApiError {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
