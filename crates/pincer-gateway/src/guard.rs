//! Checks on every request before auth: the Host header (DNS rebinding), the Origin of
//! WebSocket upgrades and state-changing requests (cross-site requests, the OpenClaw
//! CVE-2026-25253 class), and security headers on every response.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::host::Host;
use crate::state::AppState;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub async fn check(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let Some((host, parsed)) = request_host(&request) else {
        tracing::warn!(host = ?headers.get(header::HOST), "refused a request with a malformed Host");
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this Pincer only answers to a Host of the form name[:port]",
        );
    };
    if !state.allow_remote && !parsed.is_loopback() {
        tracing::warn!(host, "refused a request for a foreign Host");
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this Pincer only answers to localhost addresses",
        );
    }
    let needs_origin_check = is_websocket_upgrade(headers)
        || !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
    if needs_origin_check
        && let Some(origin) = headers.get(header::ORIGIN)
        && !origin_allowed(origin, &host, &state.extra_origins)
    {
        tracing::warn!(origin = ?origin, host, "refused a cross-origin request");
        return refuse(StatusCode::FORBIDDEN, "cross-origin request refused");
    }
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if is_api {
        response = json_errors(response).await;
    }
    add_security_headers(response.headers_mut(), is_api);
    response
}

/// axum answers requests it cannot parse (bad JSON, a missing field, a wrong content type)
/// in plain text; the API promises `{"error": …}` for every failure.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase()
    } else {
        text
    };
    let mut json = ApiError::new(status, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            json.headers_mut().insert(name.clone(), value.clone());
        }
    }
    json
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut response = ApiError::new(status, message).into_response();
    add_security_headers(response.headers_mut(), true);
    response
}

fn add_security_headers(headers: &mut HeaderMap, is_api: bool) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    // API answers are never cached, unless the handler chose otherwise (images).
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The request's one `Host` header, strictly parsed; `None` when it is missing, repeated,
/// malformed, or an absolute request URL names another authority.
fn request_host(request: &Request) -> Option<(String, Host)> {
    let mut values = request.headers().get_all(header::HOST).iter();
    let value = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    let parsed = Host::parse(value)?;
    if let Some(authority) = request.uri().authority()
        && !authority.as_str().eq_ignore_ascii_case(value)
    {
        return None;
    }
    Some((value.to_owned(), parsed))
}

/// Same origin as the page (scheme-agnostic: http or https on the same host and port), or
/// one of the configured extra origins (the desktop shell's webview).
fn origin_allowed(origin: &HeaderValue, host: &str, extra: &[String]) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if extra.iter().any(|allowed| allowed == origin) {
        return true;
    }
    let Some(origin_host) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_loopback_host(host: &str) -> bool {
        Host::parse(host).is_some_and(|h| h.is_loopback())
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost:7420",
            "127.0.0.1:1",
            "[::1]:8080",
            "localhost",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:7420",
            "192.168.1.2:7420",
            "localhost.evil.com",
            "127.0.0.1:1@evil",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn origins() {
        let host = "127.0.0.1:7420";
        let ok = |o: &'static str| origin_allowed(&HeaderValue::from_static(o), host, &[]);
        assert!(ok("http://127.0.0.1:7420"));
        assert!(!ok("http://127.0.0.1:7421"));
        assert!(!ok("https://evil.example"));
        assert!(!ok("null"));
        let extra = vec!["tauri://localhost".to_owned()];
        assert!(origin_allowed(
            &HeaderValue::from_static("tauri://localhost"),
            host,
            &extra
        ));
    }
}
