//! The app's windows: the main window (the web UI), the quick-ask window, and the
//! indicator shown while the agent controls the computer.
//!
//! The web UI windows load the gateway's page with a fresh one-time login code (never a
//! long-lived token). Closing them only hides them: Pincer stays in the tray.

use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use crate::shell::shell;

pub const MAIN: &str = "main";
pub const QUICK: &str = "quick";
pub const INDICATOR: &str = "indicator";

/// Shows the main window (creating it on first use), at `route` if given (`#/chat/ID`).
pub fn show_main(app: &AppHandle, route: Option<String>) {
    if let Some(window) = app.get_webview_window(MAIN) {
        if let Some(route) = route {
            navigate(&window, &route);
        }
        reveal(&window);
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = create(&app, MAIN, route.as_deref().unwrap_or(""), true).await {
            tracing::error!(error = %e, "could not open the Pincer window");
        }
    });
}

/// Opens the quick-ask window, or hides it when it is in front already.
pub fn toggle_quick(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(QUICK) {
        let visible = window.is_visible().unwrap_or(false);
        let focused = window.is_focused().unwrap_or(false);
        if visible && focused {
            let _ = window.hide();
        } else {
            reveal(&window);
        }
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = create(&app, QUICK, "#/quick", true).await {
            tracing::error!(error = %e, "could not open the quick-ask window");
        }
    });
}

/// Creates the main window without showing it (start at login: Pincer starts in the tray),
/// so that it is logged in and ready when opened.
pub async fn prepare_main_hidden(app: &AppHandle) -> anyhow::Result<()> {
    create(app, MAIN, "", false).await.map(|_| ())
}

async fn create(
    app: &AppHandle,
    label: &str,
    route: &str,
    visible: bool,
) -> anyhow::Result<WebviewWindow> {
    let Some(backend) = shell(app).backend.get().cloned() else {
        anyhow::bail!("Pincer is still starting");
    };
    let url = backend.login_url(route).await?;
    let builder = WebviewWindowBuilder::new(app, label, WebviewUrl::External(url.parse()?))
        .visible(visible)
        .on_page_load(|window, payload| {
            if payload.event() == PageLoadEvent::Finished {
                tracing::info!(window = window.label(), "page loaded");
            }
        });
    let builder = if label == QUICK {
        builder
            .title("Ask Pincer")
            .inner_size(640.0, 360.0)
            .min_inner_size(360.0, 200.0)
            .always_on_top(true)
            .skip_taskbar(true)
            .center()
    } else {
        builder
            .title("Pincer")
            .inner_size(1100.0, 760.0)
            .min_inner_size(360.0, 480.0)
    };
    let window = builder.build()?;
    if visible {
        reveal(&window);
    }
    Ok(window)
}

fn reveal(window: &WebviewWindow) {
    let _ = window.unminimize();
    if let Err(e) = window.show() {
        tracing::warn!(error = %e, window = window.label(), "could not show the window");
    }
    let _ = window.set_focus();
}

fn navigate(window: &WebviewWindow, route: &str) {
    // The route comes from our own code (a session id in a hash route), and goes in as a
    // JSON string literal, so it cannot break out of the assignment.
    let literal = serde_json::Value::String(route.to_owned()).to_string();
    if let Err(e) = window.eval(format!("window.location.hash = {literal};")) {
        tracing::warn!(error = %e, "could not open {route}");
    }
}

/// Shows or hides the "Pincer is controlling your computer" indicator.
pub fn set_indicator(app: &AppHandle, controlling: bool) {
    let existing = app.get_webview_window(INDICATOR);
    match (controlling, existing) {
        (true, Some(window)) => {
            let _ = window.show();
        }
        (true, None) => {
            let built =
                WebviewWindowBuilder::new(app, INDICATOR, WebviewUrl::App("indicator.html".into()))
                    .title("Pincer is controlling the computer")
                    .inner_size(420.0, 52.0)
                    .resizable(false)
                    .decorations(false)
                    .always_on_top(true)
                    .skip_taskbar(true)
                    .focused(false)
                    .position(16.0, 16.0)
                    .build();
            if let Err(e) = built {
                tracing::error!(error = %e, "could not show the control indicator");
            }
        }
        (false, Some(window)) => {
            let _ = window.hide();
        }
        (false, None) => {}
    }
}
