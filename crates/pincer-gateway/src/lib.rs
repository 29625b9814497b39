//! The gateway: REST resources and one WebSocket carrying the engine's Op/Event protocol,
//! plus the web UI, embedded in the binary. Loopback by default, every request
//! authenticated, WebSocket origins checked. See docs/protocol.md and docs/security.md.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::get;
use axum::serve::ListenerExt as _;
use axum::{Json, Router, middleware};
use pincer_core::agent::Engine;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

mod api;
mod assets;
pub mod auth;
pub mod client;
mod connections;
pub use pincer_core::clock;
mod desktop;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod guard;
mod host;
pub mod link;
mod settings_file;
mod state;
pub mod wire;
mod ws;

pub use desktop::{DesktopHooks, DesktopStatus, DesktopUpdate};
pub use error::GatewayError;
/// The lock moved to the engine's crate (the CLI holds it too); kept here for callers.
pub use pincer_core::instance;
use state::AppState;

/// Where Pincer listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7420";

#[derive(Clone)]
pub struct GatewayOptions {
    pub listen: SocketAddr,
    /// Required to listen on anything but loopback.
    pub allow_remote: bool,
    /// Origins besides the page's own allowed to open the WebSocket.
    pub extra_origins: Vec<String>,
    /// `--workspace`, kept when settings are reloaded.
    pub workspace_override: Option<PathBuf>,
    /// The desktop shell's hooks (autostart, shortcuts, showing the main window); `None`
    /// for the headless daemon.
    pub desktop: Option<Arc<dyn DesktopHooks>>,
}

impl std::fmt::Debug for GatewayOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayOptions")
            .field("listen", &self.listen)
            .field("allow_remote", &self.allow_remote)
            .field("extra_origins", &self.extra_origins)
            .field("workspace_override", &self.workspace_override)
            .field("desktop", &self.desktop.as_ref().map(|_| "<desktop hooks>"))
            .finish()
    }
}

/// Refuses a non-loopback address unless `allow_remote`.
pub fn check_listen(addr: SocketAddr, allow_remote: bool) -> Result<(), GatewayError> {
    if addr.ip().is_loopback() || allow_remote {
        Ok(())
    } else {
        Err(GatewayError::NotLoopback { addr })
    }
}

/// How long a connection may take to send a request's headers (and how long an idle
/// keep-alive connection stays open), and how many connections are served at once. See
/// `connections.rs` for what happens at the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_timeout: std::time::Duration,
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: std::time::Duration::from_secs(10),
            max_connections: 256,
        }
    }
}

/// A bound, not yet serving gateway.
pub struct Gateway {
    listener: TcpListener,
    state: Arc<AppState>,
    limits: ConnectionLimits,
}

impl Gateway {
    /// Checks the address, reads or creates the API token and binds.
    pub async fn bind(
        engine: Engine,
        home: PathBuf,
        options: GatewayOptions,
    ) -> Result<Self, GatewayError> {
        Self::bind_with_clock(engine, home, options, Arc::new(clock::SystemClock)).await
    }

    /// [`Gateway::bind`] with the clock that times the login codes, so tests can move
    /// time instead of waiting for a code to expire.
    pub async fn bind_with_clock(
        engine: Engine,
        home: PathBuf,
        options: GatewayOptions,
        clock: Arc<dyn clock::Clock>,
    ) -> Result<Self, GatewayError> {
        check_listen(options.listen, options.allow_remote)?;
        let token = auth::token::load_or_create(&home)?;
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| GatewayError::Bind {
                    addr: options.listen,
                    source,
                })?;
        let port = listener
            .local_addr()
            .map_err(|source| GatewayError::Bind {
                addr: options.listen,
                source,
            })?
            .port();
        let (sessions_changed, _) = broadcast::channel(64);
        let state = Arc::new(AppState {
            engine,
            home,
            workspace_override: options.workspace_override,
            auth: auth::Auth::new(token, clock, port),
            allow_remote: options.allow_remote,
            extra_origins: options.extra_origins,
            sessions_changed,
            settings_lock: tokio::sync::Mutex::new(()),
            desktop: options.desktop,
        });
        Ok(Self {
            listener,
            state,
            limits: ConnectionLimits::default(),
        })
    }

    /// Replaces the default [`ConnectionLimits`] (tests use short timeouts and small caps).
    pub fn set_connection_limits(&mut self, limits: ConnectionLimits) {
        self.limits = limits;
    }

    pub fn local_addr(&self) -> Result<SocketAddr, GatewayError> {
        self.listener.local_addr().map_err(GatewayError::Serve)
    }

    /// A one-time login code for a browser.
    pub fn login_code(&self) -> Result<String, GatewayError> {
        self.state.auth.codes.issue().map_err(|e| GatewayError::Io {
            path: "the system's random source".to_owned(),
            source: std::io::Error::other(e.to_string()),
        })
    }

    /// Serves until `shutdown` completes, then lets open requests finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        let app = router(self.state);
        // Small WebSocket frames (text deltas) must leave at once, not wait for Nagle.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        connections::serve(listener, app, self.limits, shutdown).await;
        Ok(())
    }
}

fn router(state: Arc<AppState>) -> Router {
    let protected = Router::new()
        .merge(api::sessions::routes())
        .merge(api::settings::routes())
        .merge(api::usage::routes())
        .merge(api::approvals::routes())
        .merge(api::skills::routes())
        .merge(api::desktop::routes())
        .merge(api::images::routes())
        .merge(api::local_models::routes())
        .merge(api::memory::routes())
        .merge(api::jobs::routes())
        .merge(auth::protected_routes())
        .route("/api/ws", get(ws::upgrade))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require));
    Router::new()
        .route("/api/health", get(health))
        .merge(auth::public_routes())
        .merge(protected)
        .fallback(assets::serve)
        .layer(middleware::from_fn_with_state(state.clone(), guard::check))
        .with_state(state)
}

async fn health() -> Json<wire::Health> {
    Json(wire::Health {
        service: "pincer".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}
