//! REST resources. All of them need authentication (see `crate::auth`).

pub mod approvals;
pub mod desktop;
pub mod images;
pub mod jobs;
pub mod local_models;
pub mod memory;
pub mod sessions;
pub mod settings;
pub mod skills;
pub mod usage;

use crate::error::{ApiError, ApiResult};

/// Runs blocking work (file system, the desktop shell's GUI thread) off the async workers;
/// `what` names it in the error if it panics.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("{what} failed: {e}")))
}
