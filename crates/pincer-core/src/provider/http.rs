//! The shared HTTP plumbing of the dialects: client, request sending and error mapping.

use std::time::{Duration, SystemTime};

use super::{ProviderError, retry_after};

pub(super) fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .user_agent(concat!("pincer/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends a request and turns any non-success status into a [`ProviderError`].
pub(super) async fn send(
    provider: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ProviderError> {
    let response = request
        .send()
        .await
        .map_err(|e| ProviderError::connect(provider, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| retry_after::parse(v.as_bytes(), SystemTime::now()));
    let body = response.text().await.unwrap_or_default();
    Err(ProviderError::from_status(
        provider,
        status.as_u16(),
        retry_after,
        &body,
    ))
}
