//! Follows the engine and the control state: keeps the tray current, shows the control
//! indicator, and announces finished/failed work and waiting approvals.

use pincer_core::agent::Engine;
use pincer_desktop::notifications::{self, AppNotification};
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::status::{Notice, Tracker};
use crate::tray::Tray;
use crate::windows;

pub fn spawn(app: AppHandle, engine: Engine, control: pincer_desktop::Control) {
    tauri::async_runtime::spawn(async move {
        let (live, mut events) = engine.subscribe_live();
        let mut tracker = Tracker::from_live(&live);
        let mut controlling = control.watch();
        let mut paused = engine.watch_paused();
        // Copy the flags out first: a `borrow()` guard kept across `refresh` would hold the
        // channel's lock while the tray waits for the main thread, and the main thread
        // (the tray's Pause item) waits for that lock to write: a deadlock, seen in tests.
        let flag = |watch: &tokio::sync::watch::Receiver<bool>| -> bool { *watch.borrow() };
        let view = |tracker: &Tracker, controlling: bool, paused: bool| {
            refresh(&app, tracker, controlling, paused)
        };
        view(&tracker, flag(&controlling), flag(&paused));
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => {
                        let (changed, notice) = tracker.apply(&event);
                        if changed {
                            view(&tracker, flag(&controlling), flag(&paused));
                        }
                        if let Some(notice) = notice {
                            // A D-Bus round trip: not on the runtime's threads.
                            let app = app.clone();
                            tauri::async_runtime::spawn_blocking(move || announce(&app, notice));
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "the tray fell behind; starting from a fresh snapshot");
                        let (live, fresh) = engine.subscribe_live();
                        tracker = Tracker::from_live(&live);
                        events = fresh;
                        view(&tracker, flag(&controlling), flag(&paused));
                    }
                    Err(RecvError::Closed) => return,
                },
                changed = controlling.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let on = *controlling.borrow_and_update();
                    windows::set_indicator(&app, on);
                    view(&tracker, on, flag(&paused));
                }
                changed = paused.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let on = *paused.borrow_and_update();
                    view(&tracker, flag(&controlling), on);
                }
            }
        }
    });
}

fn refresh(app: &AppHandle, tracker: &Tracker, controlling: bool, paused: bool) {
    if let Some(tray) = app.try_state::<Tray>() {
        tray.show(app, tracker.status(), controlling, paused);
    }
}

/// A desktop notification, unless the user is looking at Pincer already.
fn announce(app: &AppHandle, notice: Notice) {
    let looking = app
        .get_webview_window(windows::MAIN)
        .is_some_and(|w| w.is_visible().unwrap_or(false) && w.is_focused().unwrap_or(false));
    if looking {
        return;
    }
    let (summary, body) = notice.text();
    let route = format!("#/chat/{}", notice.session());
    let on_click = {
        let app = app.clone();
        Box::new(move || windows::show_main(&app, Some(route))) as Box<dyn FnOnce() + Send>
    };
    let shown = notifications::show(
        AppNotification {
            summary: summary.clone(),
            body,
            action: Some("Open".to_owned()),
        },
        Some(on_click),
    );
    match shown {
        Ok(()) => tracing::info!(summary, "notification shown"),
        Err(e) => tracing::warn!(error = %e, "could not show a notification"),
    }
}
