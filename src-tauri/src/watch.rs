//! Follows the engine — in this process or the daemon the app is attached to, through
//! the same [`EngineLink`] — and the control state: keeps the tray current, shows the
//! control indicator, and announces finished/failed work and waiting approvals — of the
//! user's conversations and of background runs alike (see [`crate::status`]). When an
//! attached daemon goes away, the tray and a notification say so.

use pincer_desktop::notifications::{self, AppNotification};
use pincer_gateway::link::{EngineLink, LinkEvent};
use tauri::{AppHandle, Manager};

use crate::status::Tracker;
use crate::tray::Tray;
use crate::windows;

pub fn spawn(app: AppHandle, link: EngineLink, control: pincer_desktop::Control) {
    tauri::async_runtime::spawn(async move {
        let (status, mut events) = link.subscribe_live();
        let mut tracker = Tracker::from_live(&status.turns);
        let mut controlling = control.watch();
        let mut paused = link.watch_paused();
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
                    Some(LinkEvent::Event(event)) => {
                        let (changed, notice) = tracker.apply(&event);
                        if changed {
                            view(&tracker, flag(&controlling), flag(&paused));
                        }
                        if let Some(notice) = notice {
                            let (summary, body) = notice.text();
                            let route = format!("#/chat/{}", notice.session());
                            // A D-Bus round trip: not on the runtime's threads.
                            let app = app.clone();
                            tauri::async_runtime::spawn_blocking(move || {
                                announce(&app, summary, body, Some(route));
                            });
                        }
                    }
                    Some(LinkEvent::Resync(status)) => {
                        // Fell behind, or the daemon started over: the status replaces
                        // all, but what was announced stays announced.
                        tracing::info!("the tray starts over from a fresh status");
                        tracker.resync(&status.turns);
                        view(&tracker, flag(&controlling), status.paused);
                    }
                    None => {
                        if let EngineLink::Remote(remote) = &link {
                            daemon_gone(&app, remote.url());
                        }
                        return;
                    }
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

/// The daemon the app was attached to is gone: the tray shows it, and a notification
/// says it even to someone not looking at the tray.
fn daemon_gone(app: &AppHandle, url: &str) {
    tracing::warn!(url, "the Pincer daemon went away");
    if let Some(tray) = app.try_state::<Tray>() {
        tray.daemon_gone();
    }
    let app = app.clone();
    let body = format!(
        "The Pincer daemon at {url} stopped, so this app shows no more work. Quit Pincer and start it again to continue."
    );
    tauri::async_runtime::spawn_blocking(move || {
        announce(&app, "The Pincer daemon stopped".to_owned(), body, None);
    });
}

fn refresh(app: &AppHandle, tracker: &Tracker, controlling: bool, paused: bool) {
    if let Some(tray) = app.try_state::<Tray>() {
        tray.show(app, tracker.status(), controlling, paused);
    }
}

/// A desktop notification, unless the user is looking at Pincer already; clicking it opens
/// `route` (or the main window).
fn announce(app: &AppHandle, summary: String, body: String, route: Option<String>) {
    let looking = app
        .get_webview_window(windows::MAIN)
        .is_some_and(|w| w.is_visible().unwrap_or(false) && w.is_focused().unwrap_or(false));
    if looking {
        return;
    }
    let on_click = {
        let app = app.clone();
        Box::new(move || windows::show_main(&app, route)) as Box<dyn FnOnce() + Send>
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
