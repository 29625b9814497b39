//! Images the agent produced (screenshots), for the chat's thumbnails. Only image files
//! inside the engine's current workspace are served, judged by their real path, so neither
//! `..` nor a symlink can reach anything else.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Larger files are refused: a screenshot is a few megabytes at most.
const MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;

/// Images may be cached by this browser only; a path names one screenshot for good.
const CACHE_CONTROL: &str = "private, max-age=3600";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/images", get(serve))
}

#[derive(Deserialize)]
struct ImageQuery {
    path: String,
}

/// The image types served; anything else is refused.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The Content-Type of a served image, by extension (any case); None for anything else.
fn image_type(path: &Path) -> Option<&'static str> {
    mime_guess::from_path(path)
        .first_raw()
        .filter(|mime| IMAGE_TYPES.contains(mime))
}

async fn serve(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ImageQuery>,
) -> ApiResult<Response> {
    let requested = PathBuf::from(&query.path);
    if !requested.is_absolute() {
        return Err(ApiError::bad_request("the image path must be absolute"));
    }
    // Canonical already: the engine resolves it when settings are applied.
    let workspace = state.engine.settings().workspace;
    let real = tokio::fs::canonicalize(&requested)
        .await
        .map_err(|e| io_error(&query.path, &e))?;
    if !real.starts_with(&workspace) {
        tracing::warn!(path = %query.path, "refused an image outside the workspace");
        return Err(forbidden("only images inside the workspace are served"));
    }
    let Some(content_type) = image_type(&real) else {
        return Err(forbidden("only PNG, JPEG, GIF and WebP images are served"));
    };
    let meta = tokio::fs::metadata(&real)
        .await
        .map_err(|e| io_error(&query.path, &e))?;
    if !meta.is_file() {
        return Err(ApiError::not_found(format!(
            "{:?} is not a file",
            query.path
        )));
    }
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the image is larger than {} MB",
                MAX_IMAGE_BYTES / 1024 / 1024
            ),
        ));
    }
    let bytes = tokio::fs::read(&real)
        .await
        .map_err(|e| io_error(&query.path, &e))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, message)
}

fn io_error(path: &str, error: &std::io::Error) -> ApiError {
    match error.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => {
            ApiError::not_found(format!("there is no image at {path:?}"))
        }
        ErrorKind::PermissionDenied => forbidden("Pincer may not read that file"),
        _ => ApiError::internal(format!("could not read {path:?}: {error}")),
    }
}
