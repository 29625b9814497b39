//! Ctrl-C as a stream. One listener lives for the whole command: a fresh
//! `tokio::signal::ctrl_c()` per loop iteration misses a Ctrl-C pressed while the loop is
//! busy between two polls, and the user's interrupt would be silently lost.

use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct Interrupts {
    signal: Option<Signal>,
}

impl Interrupts {
    /// Starts listening now; every Ctrl-C from here on is delivered by [`Interrupts::next`].
    pub fn listen() -> Self {
        let signal = signal(SignalKind::interrupt())
            .map_err(|e| tracing::warn!(error = %e, "cannot watch Ctrl-C"))
            .ok();
        Self { signal }
    }

    /// Waits for the next Ctrl-C (forever if they cannot be watched).
    pub async fn next(&mut self) {
        match &mut self.signal {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    }
}
