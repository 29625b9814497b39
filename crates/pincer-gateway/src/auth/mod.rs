//! Who may use the gateway: a bearer token from the data home, or a browser login obtained
//! with a one-time code. No long-lived secret ever appears in a URL.
//!
//! A browser login is two secrets, and every request needs both:
//! - a cookie named for this gateway's port (`pincer_session_7420`), `HttpOnly`: browsers
//!   send cookies to every port of a host, so a cookie alone would hand the login to any
//!   other local web server the browser visits;
//! - a per-login key returned by `POST /api/login`, which the page keeps in its origin's
//!   storage (per scheme, host *and port*) and sends as `X-Pincer-Key`, or for the
//!   WebSocket, which cannot carry headers, as a `pincer.key.<key>` protocol.
//!
//! The database keeps only SHA-256 hashes of both.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post};
use tokio::sync::watch;

use pincer_core::store::{Store, StoreError};

use crate::connections::ConnectionSlot;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::wire::{LoggedOut, LoginCode, LoginRequest, LoginResult};
use pincer_core::clock::Clock;

pub mod codes;
pub mod random;
pub mod token;

/// The header that carries a browser login's key.
pub const KEY_HEADER: &str = "x-pincer-key";
/// The WebSocket protocol the page asks for (and the server answers with).
pub const WS_PROTOCOL: &str = "pincer.v1";
/// A WebSocket protocol entry `pincer.key.<key>` carries the login's key.
pub const WS_KEY_PREFIX: &str = "pincer.key.";
/// How long a browser login lasts.
const LOGIN_DAYS: i64 = 30;

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A script, the CLI or the desktop shell, with the API token.
    Token,
    /// A browser login, by the hashes of its cookie and key.
    Browser {
        cookie_hash: String,
        key_hash: String,
    },
}

pub struct Auth {
    token: String,
    pub codes: codes::LoginCodes,
    cookie_name: String,
    /// Bumped whenever browser logins end, so open sockets check theirs again.
    logins_ended: watch::Sender<u64>,
}

impl Auth {
    /// `clock` times the login codes; `port` names the cookie.
    pub fn new(token: String, clock: Arc<dyn Clock>, port: u16) -> Self {
        Self {
            token,
            codes: codes::LoginCodes::new(clock),
            cookie_name: format!("pincer_session_{port}"),
            logins_ended: watch::Sender::new(0),
        }
    }

    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// Who the request comes from, if it carries the bearer token or a live browser login
    /// (cookie and key). A database failure is an error, not a "no": the user must not be
    /// sent to log in again for it.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        store: &Store,
    ) -> Result<Option<Caller>, StoreError> {
        if let Some(bearer) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            let ok = random::constant_time_eq(bearer.trim().as_bytes(), self.token.as_bytes());
            return Ok(ok.then_some(Caller::Token));
        }
        let (Some(cookie), Some(key)) = (cookie(headers, &self.cookie_name), login_key(headers))
        else {
            return Ok(None);
        };
        let caller = Caller::Browser {
            cookie_hash: random::sha256_hex(cookie),
            key_hash: random::sha256_hex(key),
        };
        Ok(self.still_valid(&caller, store)?.then_some(caller))
    }

    /// Whether `caller` may still act (a browser login may have ended since).
    pub fn still_valid(&self, caller: &Caller, store: &Store) -> Result<bool, StoreError> {
        match caller {
            Caller::Token => Ok(true),
            Caller::Browser {
                cookie_hash,
                key_hash,
            } => store.web_session_valid(cookie_hash, key_hash),
        }
    }

    /// Changes whenever browser logins end.
    pub fn logins_ended(&self) -> watch::Receiver<u64> {
        self.logins_ended.subscribe()
    }

    fn announce_logins_ended(&self) {
        self.logins_ended.send_modify(|n| *n += 1);
    }

    fn clear_cookie(&self) -> Result<HeaderValue, ApiError> {
        HeaderValue::from_str(&format!(
            "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
            self.cookie_name
        ))
        .map_err(ApiError::internal)
    }
}

/// The value of cookie `name` in the request, if any.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The login key from `X-Pincer-Key`, or from a `pincer.key.<key>` WebSocket protocol.
fn login_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get(KEY_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(key.trim());
    }
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|protocol| protocol.trim().strip_prefix(WS_KEY_PREFIX))
}

/// Refuses requests that are not authenticated; hands the [`Caller`] to the handler.
pub async fn require(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    match state
        .auth
        .authenticate(request.headers(), state.engine.store())
    {
        Ok(Some(caller)) => {
            if let Some(slot) = request.extensions().get::<Arc<ConnectionSlot>>() {
                slot.mark_authenticated();
            }
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Ok(None) => ApiError::unauthorized().into_response(),
        Err(e) => ApiError::internal(format!("could not check the login: {e}")).into_response(),
    }
}

/// Login and logout need no authentication; minting a code and logging out everywhere do.
pub fn public_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
}

pub fn protected_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/login-codes", post(new_code))
        .route("/api/logout-all", post(logout_all))
}

async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Json(body): Json<LoginRequest>,
) -> ApiResult<Response> {
    match state.auth.codes.redeem(&body.code) {
        codes::Redeemed::Ok => {}
        refused => {
            if let codes::Redeemed::WrongSecret { burnt } = refused {
                tracing::warn!(
                    burnt,
                    "a login with a live code's id but a wrong secret was refused"
                );
            }
            // The same answer whatever went wrong, so a guesser cannot tell live ids.
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "that login code is wrong, expired or already used: run `pincer login` for a new one",
            ));
        }
    }
    let store = state.engine.store();
    // A browser logged in already (another tab, another app window) keeps its cookie, so
    // the pages it shows, which share the cookie but may hold an older key, stay logged
    // in. Only a cookie of a live login is kept: a planted value is replaced.
    let kept = match cookie(&headers, state.auth.cookie_name()) {
        Some(value) if store.web_cookie_known(&random::sha256_hex(value))? => {
            Some(value.to_owned())
        }
        _ => None,
    };
    let cookie_value = match kept {
        Some(value) => value,
        None => random::hex_token(32).map_err(ApiError::internal)?,
    };
    let key = random::hex_token(32).map_err(ApiError::internal)?;
    let expires = pincer_core::store::unix_now() + LOGIN_DAYS * 24 * 3600;
    store.add_web_session(
        &random::sha256_hex(&cookie_value),
        &random::sha256_hex(&key),
        expires,
    )?;
    let set_cookie = format!(
        "{}={cookie_value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        state.auth.cookie_name(),
        LOGIN_DAYS * 24 * 3600
    );
    let mut response = Json(LoginResult { key }).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// Ends this browser's login (every tab's) when the request proves it (cookie and key);
/// always clears the cookie. A cookie alone, perhaps leaked, ends nothing.
async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    let store = state.engine.store();
    if let Some(Caller::Browser { cookie_hash, .. }) = state.auth.authenticate(&headers, store)? {
        store.delete_web_sessions_of_cookie(&cookie_hash)?;
        state.auth.announce_logins_ended();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, state.auth.clear_cookie()?);
    Ok(response)
}

/// Ends every browser login, this one included; open browser sockets close. The API token
/// keeps working.
async fn logout_all(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let ended = state.engine.store().delete_all_web_sessions()?;
    state.auth.announce_logins_ended();
    tracing::info!(ended, "every browser login was ended");
    let mut response = Json(LoggedOut {
        ended: ended as u64,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, state.auth.clear_cookie()?);
    Ok(response)
}

async fn new_code(State(state): State<Arc<AppState>>) -> ApiResult<Json<LoginCode>> {
    let code = state.auth.codes.issue().map_err(ApiError::internal)?;
    Ok(Json(LoginCode {
        code,
        expires_in_secs: codes::CODE_TTL.as_secs(),
    }))
}
