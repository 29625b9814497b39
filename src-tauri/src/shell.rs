//! The app's shared state, kept in Tauri's state manager.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use pincer_core::protocol::{Op, Reply, Submission};
use pincer_core::sync::lock;
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

    /// The emergency stop: every running turn and every mouse/keyboard action, at once.
    pub fn emergency_stop(&self) {
        self.control.emergency_stop();
        let stopped = self
            .backend
            .get()
            .and_then(|b| b.engine.as_ref())
            .map(
                |engine| match engine.submit(Submission::fresh(Op::InterruptAll)) {
                    Ok(Reply::Interrupted { turns }) => turns,
                    _ => 0,
                },
            )
            .unwrap_or(0);
        tracing::warn!(turns = stopped, "emergency stop");
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
