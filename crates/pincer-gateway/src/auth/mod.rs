//! Who may use the gateway: a bearer token from the data home, or a browser holding a login
//! cookie obtained with a one-time code. No long-lived secret ever appears in a URL.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post};

use pincer_core::store::{Store, StoreError};

use crate::connections::ConnectionSlot;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::wire::{LoginCode, LoginRequest};
use pincer_core::clock::Clock;

pub mod codes;
pub mod random;
pub mod token;

pub const COOKIE: &str = "pincer_session";
/// How long a browser login lasts.
const LOGIN_DAYS: i64 = 30;

pub struct Auth {
    token: String,
    pub codes: codes::LoginCodes,
}

impl Auth {
    /// `clock` times the login codes.
    pub fn new(token: String, clock: Arc<dyn Clock>) -> Self {
        Self {
            token,
            codes: codes::LoginCodes::new(clock),
        }
    }

    /// Whether the request carries the bearer token or a live login cookie. A database
    /// failure is an error, not a "no": the user must not be sent to log in again for it.
    pub fn is_authenticated(&self, headers: &HeaderMap, store: &Store) -> Result<bool, StoreError> {
        if let Some(bearer) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            return Ok(random::constant_time_eq(
                bearer.trim().as_bytes(),
                self.token.as_bytes(),
            ));
        }
        match cookie(headers, COOKIE) {
            Some(value) => store.web_session_valid(&random::sha256_hex(value)),
            None => Ok(false),
        }
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

/// Refuses requests that are not authenticated.
pub async fn require(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    match state
        .auth
        .is_authenticated(request.headers(), state.engine.store())
    {
        Ok(true) => {
            if let Some(slot) = request.extensions().get::<Arc<ConnectionSlot>>() {
                slot.mark_authenticated();
            }
            next.run(request).await
        }
        Ok(false) => ApiError::unauthorized().into_response(),
        Err(e) => ApiError::internal(format!("could not check the login: {e}")).into_response(),
    }
}

/// Login and logout need no authentication; minting a code does.
pub fn public_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
}

pub fn protected_routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/login-codes", post(new_code))
}

async fn login(
    State(state): State<Arc<AppState>>,
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
    let value = random::hex_token(32).map_err(ApiError::internal)?;
    let expires = pincer_core::store::unix_now() + LOGIN_DAYS * 24 * 3600;
    state
        .engine
        .store()
        .add_web_session(&random::sha256_hex(&value), expires)?;
    let cookie = format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        LOGIN_DAYS * 24 * 3600
    );
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(value) = cookie(&headers, COOKIE) {
        state
            .engine
            .store()
            .delete_web_session(&random::sha256_hex(value))?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("pincer_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}

async fn new_code(State(state): State<Arc<AppState>>) -> ApiResult<Json<LoginCode>> {
    let code = state.auth.codes.issue().map_err(ApiError::internal)?;
    Ok(Json(LoginCode {
        code,
        expires_in_secs: codes::CODE_TTL.as_secs(),
    }))
}
