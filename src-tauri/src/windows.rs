//! The app's windows: the main window (the web UI), the quick-ask window, and the
//! indicator shown while the agent controls the computer.
//!
//! The web UI windows load the gateway's page with a fresh one-time login code (never a
//! long-lived token). Closing them only hides them: Pincer stays in the tray.

use std::sync::atomic::{AtomicU32, Ordering};

use tauri::webview::{NewWindowResponse, PageLoadEvent};
use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder, Wry};
use tauri_plugin_opener::OpenerExt as _;

use crate::shell::shell;

pub const MAIN: &str = "main";
pub const QUICK: &str = "quick";
pub const INDICATOR: &str = "indicator";

/// Shows the main window (creating it on first use), at `route` if given (`#/chat/ID`).
pub fn show_main(app: &AppHandle, route: Option<String>) {
    tracing::info!(route = %route.as_deref().unwrap_or("#/"), "showing the Pincer window");
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
            // Asked twice while it was being created: the other request made it.
            if let Some(window) = app.get_webview_window(MAIN) {
                reveal(&window);
                return;
            }
            tracing::error!(error = %e, "could not open the Pincer window");
            tell_user("Pincer could not open its window", &format!("{e:#}"));
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
            if app.get_webview_window(QUICK).is_some() {
                return;
            }
            tracing::error!(error = %e, "could not open the quick-ask window");
            tell_user(
                "Pincer could not open the quick-ask window",
                &format!("{e:#}"),
            );
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
    let url: Url = backend.login_url(route).await?.parse()?;
    let builder = WebviewWindowBuilder::new(app, label, WebviewUrl::External(url.clone()))
        .visible(visible)
        .on_page_load(|window, payload| {
            if payload.event() == PageLoadEvent::Finished {
                tracing::info!(window = window.label(), "page loaded");
            }
        });
    let builder = keep_links_in_place(builder, app, &url);
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

/// Pincer's own pages stay in the app; every other link opens in the user's browser, so a
/// link in an answer never replaces the chat. A picture the agent took (a link with a
/// target) opens in a window of its own that shares the login.
fn keep_links_in_place<'a>(
    builder: WebviewWindowBuilder<'a, Wry, AppHandle>,
    app: &AppHandle,
    page: &Url,
) -> WebviewWindowBuilder<'a, Wry, AppHandle> {
    static VIEWERS: AtomicU32 = AtomicU32::new(0);
    let origin = page.origin();
    let (nav_app, nav_origin) = (app.clone(), origin.clone());
    let new_app = app.clone();
    builder
        .on_navigation(move |url| {
            if url.origin() == nav_origin || url.scheme() == "about" {
                return true;
            }
            open_in_browser(&nav_app, url);
            false
        })
        .on_new_window(move |url, features| {
            if url.origin() != origin {
                open_in_browser(&new_app, &url);
                return NewWindowResponse::Deny;
            }
            let label = format!("view-{}", VIEWERS.fetch_add(1, Ordering::Relaxed));
            let blank = WebviewUrl::External("about:blank".parse().unwrap_or_else(|_| url.clone()));
            match WebviewWindowBuilder::new(&new_app, label, blank)
                .window_features(features)
                .title("Pincer")
                .inner_size(960.0, 720.0)
                .build()
            {
                Ok(window) => NewWindowResponse::Create { window },
                Err(e) => {
                    tracing::warn!(error = %e, "could not open a window for {url}");
                    NewWindowResponse::Deny
                }
            }
        })
}

fn open_in_browser(app: &AppHandle, url: &Url) {
    if !matches!(url.scheme(), "http" | "https" | "mailto") {
        tracing::warn!(%url, "not opening a link of this kind");
        return;
    }
    if let Err(e) = app.opener().open_url(url.as_str(), None::<&str>) {
        tracing::warn!(error = %e, %url, "could not open the link in the browser");
    }
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

/// A failure the user must see even with no window and no terminal: a desktop
/// notification (and the log).
pub fn tell_user(summary: &str, reason: &str) {
    let shown = pincer_desktop::notifications::show(
        pincer_desktop::notifications::AppNotification {
            summary: summary.to_owned(),
            body: reason.to_owned(),
            action: None,
        },
        None,
    );
    if let Err(e) = shown {
        tracing::warn!(error = %e, "could not show the failure as a notification either");
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
