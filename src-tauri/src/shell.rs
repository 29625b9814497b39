//! The app's shared state, kept in Tauri's state manager.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use pincer_core::protocol::{Op, Reply, Submission};
use pincer_core::sync::lock;
use pincer_gateway::link::EngineLink;
use tauri::{AppHandle, Manager};

use crate::backend::Backend;
use crate::prefs::Prefs;

pub struct Shell {
    /// Set once the engine/gateway is up (a moment after the app starts).
    pub backend: OnceLock<Arc<Backend>>,
    pub control: pincer_desktop::Control,
    pub prefs: Mutex<Prefs>,
    /// True once the user chose Quit: closing windows no longer keeps the app alive.
    quitting: AtomicBool,
}

impl Shell {
    pub fn new(control: pincer_desktop::Control, prefs: Prefs) -> Self {
        Self {
            backend: OnceLock::new(),
            control,
            prefs: Mutex::new(prefs),
            quitting: AtomicBool::new(false),
        }
    }

    pub fn prefs(&self) -> Prefs {
        lock(&self.prefs).clone()
    }

    pub fn is_quitting(&self) -> bool {
        self.quitting.load(Ordering::SeqCst)
    }

    /// The emergency stop: every mouse/keyboard action of this process at once, and every
    /// running turn of the engine — in this process or in the daemon the app is attached
    /// to (the submission goes out on the runtime; the desktop actions stop right here).
    pub fn emergency_stop(&self) {
        self.control.emergency_stop();
        let Some(link) = self.link() else {
            tracing::warn!("emergency stop before the engine was up: no turn to stop");
            return;
        };
        tauri::async_runtime::spawn(async move {
            match link.submit(Submission::fresh(Op::InterruptAll)).await {
                Ok(Reply::Interrupted { turns }) => tracing::warn!(turns, "emergency stop"),
                Ok(other) => tracing::warn!(?other, "emergency stop: unexpected answer"),
                Err(e) => tracing::error!(error = %e, "emergency stop: could not stop the turns"),
            }
        });
    }

    /// Pauses background work if it runs, resumes it if paused; in the engine the app
    /// drives, wherever it runs.
    pub fn toggle_pause(&self) {
        let Some(link) = self.link() else {
            return;
        };
        tauri::async_runtime::spawn(async move {
            let paused = !link.is_paused();
            match link
                .submit(Submission::fresh(Op::SetPaused { paused }))
                .await
            {
                Ok(_) => tracing::info!(paused, "background work paused or resumed"),
                Err(e) => tracing::warn!(error = %e, "could not pause or resume"),
            }
        });
    }

    /// The link to the engine, once it is up.
    pub fn link(&self) -> Option<EngineLink> {
        self.backend.get().map(|b| b.link.clone())
    }

    /// Leaves for good: stops the gateway and ends the event loop.
    pub fn quit(&self, app: &AppHandle) {
        self.quitting.store(true, Ordering::SeqCst);
        tracing::info!("quitting");
        if let Some(backend) = self.backend.get() {
            backend.stop();
        }
        app.exit(0);
    }
}

/// The shell of `app`.
pub fn shell(app: &AppHandle) -> Arc<Shell> {
    app.state::<Arc<Shell>>().inner().clone()
}
