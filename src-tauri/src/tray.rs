//! The tray icon and its menu: Open, New chat, Quick ask, the running work and waiting
//! approvals (each opens its session), Stop everything, Quit. The icon shows idle /
//! working / needs attention / controlling the computer.

use std::path::Path;
use std::sync::Mutex;

use pincer_core::protocol::{Op, Submission};
use pincer_core::sync::lock;
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::shell::shell;
use crate::status::{Status, TrayState};
use crate::windows;

const ICON_IDLE: &[u8] = include_bytes!("../../assets/icons/tray-idle.png");
const ICON_WORKING: &[u8] = include_bytes!("../../assets/icons/tray-working.png");
const ICON_ATTENTION: &[u8] = include_bytes!("../../assets/icons/tray-attention.png");
const ICON_CONTROLLING: &[u8] = include_bytes!("../../assets/icons/tray-controlling.png");

/// At most this many running sessions and approvals are listed; the rest are counted.
const LISTED: usize = 6;

pub struct Tray {
    icon: TrayIcon,
    menu: Menu<Wry>,
    summary: MenuItem<Wry>,
    pause: MenuItem<Wry>,
    /// Position of the first listed item in the menu.
    list_at: usize,
    listed: Mutex<Vec<MenuItem<Wry>>>,
    /// What the icon shows now, so it is only swapped on a change.
    shown: Mutex<Option<(TrayState, bool)>>,
}

/// `icons_dir`: where the tray may write its icon files (on Linux the icon reaches the
/// panel as a file). It must be this user's and this instance's: the default, a shared
/// `/tmp/tray-icon`, breaks a second user's tray on the same machine.
pub fn build(app: &AppHandle, attached_to: Option<&str>, icons_dir: &Path) -> tauri::Result<Tray> {
    let open = MenuItem::with_id(app, "open", "Open Pincer", true, None::<&str>)?;
    let new_chat = MenuItem::with_id(app, "new-chat", "New chat", true, None::<&str>)?;
    let quick = MenuItem::with_id(app, "quick", "Quick ask…", true, None::<&str>)?;
    let summary_text = match attached_to {
        Some(url) => format!("Using the Pincer daemon at {url}"),
        None => "Nothing running".to_owned(),
    };
    let summary = MenuItem::with_id(app, "summary", summary_text, false, None::<&str>)?;
    let pause = MenuItem::with_id(
        app,
        "pause",
        "Pause background work",
        attached_to.is_none(),
        None::<&str>,
    )?;
    let stop = MenuItem::with_id(app, "stop", "Stop everything now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Pincer", true, None::<&str>)?;
    let items: [&dyn IsMenuItem<Wry>; 10] = [
        &open,
        &new_chat,
        &quick,
        &PredefinedMenuItem::separator(app)?,
        &summary,
        &PredefinedMenuItem::separator(app)?,
        &pause,
        &stop,
        &PredefinedMenuItem::separator(app)?,
        &quit,
    ];
    let menu = Menu::with_items(app, &items)?;
    let icon = TrayIconBuilder::with_id("pincer")
        .icon(Image::from_bytes(ICON_IDLE)?)
        .tooltip("Pincer")
        .title("Pincer")
        .menu(&menu)
        .temp_dir_path(icons_dir)
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(Tray {
        icon,
        menu,
        summary,
        pause,
        list_at: 5,
        listed: Mutex::new(Vec::new()),
        shown: Mutex::new(None),
    })
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref();
    tracing::info!(item = id, "tray menu");
    match id {
        "open" => windows::show_main(app, None),
        "new-chat" => windows::show_main(app, Some("#/chat".to_owned())),
        "quick" => windows::toggle_quick(app),
        "stop" => shell(app).emergency_stop(),
        "pause" => {
            if let Some(engine) = shell(app).backend.get().and_then(|b| b.engine.clone()) {
                let op = Op::SetPaused {
                    paused: !engine.is_paused(),
                };
                if let Err(e) = engine.submit(Submission::fresh(op)) {
                    tracing::warn!(error = %e, "could not pause or resume");
                }
            }
        }
        "quit" => shell(app).quit(app),
        other => {
            if let Some(session) = other
                .strip_prefix("run:")
                .or_else(|| other.strip_prefix("approval:"))
            {
                windows::show_main(app, Some(format!("#/chat/{session}")));
            }
        }
    }
}

impl Tray {
    /// Shows `status` in the icon and the menu.
    pub fn show(&self, app: &AppHandle, status: &Status, controlling: bool, paused: bool) {
        self.set_icon(status.tray_state(), controlling);
        let running = status.running.len();
        let waiting = status.approvals.len();
        let mut summary = match (running, waiting) {
            (0, 0) => "Nothing running".to_owned(),
            (r, 0) => format!("{r} running"),
            (0, w) => format!("{w} waiting for your approval"),
            (r, w) => format!("{r} running, {w} waiting for your approval"),
        };
        if paused {
            summary = format!("Paused: nothing new starts · {summary}");
        }
        let pause_text = if paused {
            "Resume background work"
        } else {
            "Pause background work"
        };
        if let Err(e) = self.pause.set_text(pause_text) {
            tracing::warn!(error = %e, "could not update the tray menu");
        }
        if let Err(e) = self.summary.set_text(&summary) {
            tracing::warn!(error = %e, "could not update the tray menu");
        }
        let mut entries: Vec<(String, String)> = status
            .approvals
            .iter()
            .map(|a| {
                (
                    format!("approval:{}", a.session),
                    format!("Approve: {}", line(&a.summary)),
                )
            })
            .collect();
        entries.extend(
            status.running.iter().map(|(session, text)| {
                (format!("run:{session}"), format!("Running: {}", line(text)))
            }),
        );
        let extra = entries.len().saturating_sub(LISTED);
        entries.truncate(LISTED);
        if extra > 0 {
            entries.push(("open".to_owned(), format!("… and {extra} more")));
        }
        let mut listed = lock(&self.listed);
        for item in listed.drain(..) {
            let _ = self.menu.remove(&item);
        }
        for (offset, (id, text)) in entries.into_iter().enumerate() {
            match MenuItem::with_id(app, id, text, true, None::<&str>) {
                Ok(item) => {
                    if let Err(e) = self.menu.insert(&item, self.list_at + offset) {
                        tracing::warn!(error = %e, "could not update the tray menu");
                    }
                    listed.push(item);
                }
                Err(e) => tracing::warn!(error = %e, "could not update the tray menu"),
            }
        }
    }

    fn set_icon(&self, state: TrayState, controlling: bool) {
        let mut shown = lock(&self.shown);
        if *shown == Some((state, controlling)) {
            return;
        }
        let (bytes, tooltip) = match (controlling, state) {
            (true, _) => (ICON_CONTROLLING, "Pincer is controlling the computer"),
            (false, TrayState::Attention) => (ICON_ATTENTION, "Pincer needs your approval"),
            (false, TrayState::Working) => (ICON_WORKING, "Pincer is working"),
            (false, TrayState::Idle) => (ICON_IDLE, "Pincer"),
        };
        match Image::from_bytes(bytes) {
            Ok(image) => {
                if let Err(e) = self.icon.set_icon(Some(image)) {
                    tracing::warn!(error = %e, "could not change the tray icon");
                }
            }
            Err(e) => tracing::warn!(error = %e, "bad tray icon"),
        }
        let _ = self.icon.set_tooltip(Some(tooltip));
        tracing::info!(?state, controlling, "tray state");
        *shown = Some((state, controlling));
    }
}

/// One short line of a text, for a menu label.
fn line(text: &str) -> String {
    let line = pincer_core::text::first_line(text, 48);
    if line.is_empty() {
        "…".to_owned()
    } else {
        line
    }
}

/// Keeps the tray in the app's state so it lives as long as the app.
pub fn keep(app: &AppHandle, tray: Tray) {
    app.manage(tray);
}
