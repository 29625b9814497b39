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

/// The most of an error body read: vendors' messages are a few hundred bytes, and a server
/// that streams an endless one must not hold the turn or fill memory.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Sends a request and turns any non-success status into a [`ProviderError`] with `key`
/// taken out of its message (vendors echo a rejected key).
pub(super) async fn send(
    provider: &str,
    key: Option<&str>,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ProviderError> {
    let redact = |error: ProviderError| match key {
        Some(key) => error.redact(key),
        None => error,
    };
    let response = request
        .send()
        .await
        .map_err(|e| redact(ProviderError::connect(provider, &e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| retry_after::parse(v.as_bytes(), SystemTime::now()));
    let body = error_body(response).await;
    Err(redact(ProviderError::from_status(
        provider,
        status.as_u16(),
        retry_after,
        &body,
    )))
}

/// At most [`MAX_ERROR_BODY`] bytes of the body, as text; what could not be read is left
/// out (the status alone still says what failed).
async fn error_body(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ERROR_BODY - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}
