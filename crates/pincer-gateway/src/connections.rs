//! Serving connections with limits: a header read timeout, and a cap on open connections
//! that a flood of half-open sockets cannot use to lock the owner out.
//!
//! - **Header timeout.** A connection must send a request's complete headers within
//!   [`ConnectionLimits::header_timeout`] of starting to wait for them; this also closes
//!   idle keep-alive connections after the same time. A slow-loris client (a header byte
//!   now and then) is dropped when the time is up, not when its headers end.
//! - **Cap.** At most [`ConnectionLimits::max_connections`] connections are open. A new
//!   one over the cap closes the oldest connection that has never carried an
//!   authenticated request; only when every open connection has (the owner's own) is the
//!   newcomer refused. A flood of idle sockets therefore pushes out only itself: the
//!   owner's client connects, is admitted by closing a flood socket, and sends its request
//!   at once; once authenticated its connection is never pushed out. A flood could only
//!   close a newcomer by opening more than the cap's worth of connections between its
//!   connect and its first request. WebSocket connections leave the count when upgraded
//!   (they needed a login to get there).
//!
//! Memory stays bounded: each connection's read buffer is capped at [`MAX_BUF`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use pincer_core::sync::lock;
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

use crate::ConnectionLimits;

/// The largest read buffer of one connection (hyper's default is about 400 KiB, which a
/// cap's worth of clients trickling huge headers would multiply).
pub const MAX_BUF: usize = 64 * 1024;

/// One open connection as the cap sees it. Handed to every request on the connection as
/// an extension, so authentication can mark it.
pub struct ConnectionSlot {
    authenticated: AtomicBool,
    evicted: Notify,
}

impl ConnectionSlot {
    /// The connection carried an authenticated request: it is never pushed out.
    pub fn mark_authenticated(&self) {
        self.authenticated.store(true, Ordering::Relaxed);
    }
}

/// The open connections, oldest first.
struct Registry {
    max: usize,
    open: Mutex<BTreeMap<u64, Arc<ConnectionSlot>>>,
}

impl Registry {
    /// A slot for a new connection, closing the oldest unauthenticated one if the cap is
    /// reached; `None` when every open connection is authenticated.
    fn admit(self: &Arc<Self>, id: u64) -> Option<Registered> {
        let mut open = lock(&self.open);
        if open.len() >= self.max {
            let oldest = open
                .iter()
                .find(|(_, slot)| !slot.authenticated.load(Ordering::Relaxed))
                .map(|(id, _)| *id);
            let Some(victim) = oldest.and_then(|id| open.remove(&id)) else {
                tracing::warn!(
                    open = open.len(),
                    "refused a connection: every open connection is logged in"
                );
                return None;
            };
            victim.evicted.notify_one();
            tracing::debug!("closed the oldest idle connection to make room");
        }
        let slot = Arc::new(ConnectionSlot {
            authenticated: AtomicBool::new(false),
            evicted: Notify::new(),
        });
        open.insert(id, slot.clone());
        Some(Registered {
            registry: self.clone(),
            id,
            slot,
        })
    }
}

/// Removes its connection from the registry when the connection ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
    slot: Arc<ConnectionSlot>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.registry.open).remove(&self.id);
    }
}

/// Accepts connections until `shutdown` completes, then lets open requests finish.
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    L: Listener,
    L::Addr: std::fmt::Debug,
{
    let registry = Arc::new(Registry {
        max: limits.max_connections.max(1),
        open: Mutex::default(),
    });
    let mut next_id = 0u64;
    // `stopping` tells connections to finish; `done` closes when the last one has.
    let (stopping, stop_signal) = watch::channel(false);
    let (done, _) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (io, remote) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        next_id += 1;
        let Some(registered) = registry.admit(next_id) else {
            drop(io);
            continue;
        };
        tracing::trace!(?remote, "connection accepted");
        let router = router.clone();
        let stop_signal = stop_signal.clone();
        let done = done.subscribe();
        tokio::spawn(async move {
            serve_connection(io, router, limits, registered, stop_signal).await;
            drop(done);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    done.closed().await;
}

async fn serve_connection<Io>(
    io: Io,
    router: Router,
    limits: ConnectionLimits,
    registered: Registered,
    mut stop_signal: watch::Receiver<bool>,
) where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let slot = registered.slot.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(slot.clone());
        let router = router.clone();
        async move {
            let request: Request = request.map(axum::body::Body::new);
            Ok::<_, Infallible>(router.oneshot(request).await.unwrap_or_else(|e| match e {}))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_BUF);
    let mut connection = pin!(
        builder
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades()
    );
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended");
                }
                break;
            }
            () = registered.slot.evicted.notified() => break,
            changed = stop_signal.wait_for(|stop| *stop), if !stopping => {
                stopping = true;
                // A dropped sender means the server is gone: finish either way.
                let _ = changed;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
