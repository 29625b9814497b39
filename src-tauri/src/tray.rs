//! The tray icon and its menu: Open, New chat, Quick ask, the running work and waiting
//! approvals, then the background runs running or waiting for an approval (each opens
//! its session), Stop everything, Quit. The icon shows idle /
//! working / needs attention / controlling the computer. Attached to a daemon, the menu
//! also names it, everything else is the same, and when it goes away the tray says so.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

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
    stop: MenuItem<Wry>,
    /// Position of the first listed item in the menu.
    list_at: usize,
    listed: Mutex<Vec<MenuItem<Wry>>>,
    /// What the icon shows now, so it is only swapped on a change.
    shown: Mutex<Option<(TrayState, bool)>>,
    /// The daemon's address when attached to one.
    attached_to: Option<String>,
    /// The daemon went away: the tray says so and nothing else changes it.
    gone: AtomicBool,
}

/// `icons_dir`: where the tray may write its icon files (on Linux the icon reaches the
/// panel as a file). It must be this user's and this instance's: the default, a shared
/// `/tmp/tray-icon`, breaks a second user's tray on the same machine.
pub fn build(app: &AppHandle, attached_to: Option<&str>, icons_dir: &Path) -> tauri::Result<Tray> {
    let open = MenuItem::with_id(app, "open", "Open Pincer", true, None::<&str>)?;
    let new_chat = MenuItem::with_id(app, "new-chat", "New chat", true, None::<&str>)?;
    let quick = MenuItem::with_id(app, "quick", "Quick ask…", true, None::<&str>)?;
    let summary = MenuItem::with_id(app, "summary", "Nothing running", false, None::<&str>)?;
    // Attached to a daemon, the menu says whose work it shows, first.
    let daemon = attached_to
        .map(|url| {
            MenuItem::with_id(
                app,
                "daemon",
                format!("Using the Pincer daemon at {url}"),
                false,
                None::<&str>,
            )
        })
        .transpose()?;
    let pause = MenuItem::with_id(app, "pause", "Pause background work", true, None::<&str>)?;
    let stop = MenuItem::with_id(app, "stop", "Stop everything now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Pincer", true, None::<&str>)?;
    let separators = [
        PredefinedMenuItem::separator(app)?,
        PredefinedMenuItem::separator(app)?,
        PredefinedMenuItem::separator(app)?,
    ];
    let mut items: Vec<&dyn IsMenuItem<Wry>> = vec![&open, &new_chat, &quick, &separators[0]];
    if let Some(daemon) = &daemon {
        items.push(daemon);
    }
    items.push(&summary);
    // The running work and waiting approvals are listed right after the summary.
    let list_at = items.len();
    items.extend([
        &separators[1] as &dyn IsMenuItem<Wry>,
        &pause,
        &stop,
        &separators[2],
        &quit,
    ]);
    let menu = Menu::with_items(app, &items)?;
    let tooltip = match attached_to {
        Some(url) => format!("Pincer (the daemon at {url})"),
        None => "Pincer".to_owned(),
    };
    let icon = TrayIconBuilder::with_id("pincer")
        .icon(Image::from_bytes(ICON_IDLE)?)
        .tooltip(&tooltip)
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
        stop,
        list_at,
        listed: Mutex::new(Vec::new()),
        shown: Mutex::new(None),
        attached_to: attached_to.map(str::to_owned),
        gone: AtomicBool::new(false),
    })
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref();
    tracing::info!(item = id, "tray menu");
    match id {
        "open" | "more-chats" | "more-tasks" => windows::show_main(app, None),
        "new-chat" => windows::show_main(app, Some("#/chat".to_owned())),
        "quick" => windows::toggle_quick(app),
        "stop" => shell(app).emergency_stop(),
        "pause" => shell(app).toggle_pause(),
        "quit" => shell(app).quit(app),
        other => {
            // A conversation, or a background run's session (its approval is answered
            // there, and its progress shows there).
            if let Some(session) = other
                .strip_prefix("run:")
                .or_else(|| other.strip_prefix("approval:"))
                .or_else(|| other.strip_prefix("task:"))
            {
                windows::show_main(app, Some(format!("#/chat/{session}")));
            }
        }
    }
}

impl Tray {
    /// Shows `status` in the icon and the menu.
    pub fn show(&self, app: &AppHandle, status: &Status, controlling: bool, paused: bool) {
        if self.gone.load(Ordering::SeqCst) {
            return;
        }
        self.set_icon(status.tray_state(), controlling);
        let mut summary = summary(status);
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
        let entries = entries(status);
        let mut listed = self.clear_list();
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

    /// The daemon the app was attached to went away: nothing it ran is shown any more, and
    /// the tray says what happened and what to do, instead of a stale "Nothing running".
    pub fn daemon_gone(&self) {
        self.gone.store(true, Ordering::SeqCst);
        drop(self.clear_list());
        let url = self.attached_to.as_deref().unwrap_or("its address");
        if let Err(e) = self
            .summary
            .set_text("The Pincer daemon stopped: quit and start Pincer again")
        {
            tracing::warn!(error = %e, "could not update the tray menu");
        }
        for item in [&self.pause, &self.stop] {
            if let Err(e) = item.set_enabled(false) {
                tracing::warn!(error = %e, "could not update the tray menu");
            }
        }
        match Image::from_bytes(ICON_ATTENTION) {
            Ok(image) => {
                if let Err(e) = self.icon.set_icon(Some(image)) {
                    tracing::warn!(error = %e, "could not change the tray icon");
                }
            }
            Err(e) => tracing::warn!(error = %e, "bad tray icon"),
        }
        let _ = self
            .icon
            .set_tooltip(Some(format!("Pincer: the daemon at {url} stopped")));
        tracing::warn!(url, "tray state: the daemon went away");
    }

    /// Takes the listed work and approvals out of the menu; the list stays locked.
    fn clear_list(&self) -> std::sync::MutexGuard<'_, Vec<MenuItem<Wry>>> {
        let mut listed = lock(&self.listed);
        for item in listed.drain(..) {
            let _ = self.menu.remove(&item);
        }
        listed
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
        let tooltip = match &self.attached_to {
            Some(url) => format!("{tooltip} (the daemon at {url})"),
            None => tooltip.to_owned(),
        };
        let _ = self.icon.set_tooltip(Some(tooltip));
        tracing::info!(?state, controlling, "tray state");
        *shown = Some((state, controlling));
    }
}

/// The line under the menu's top items: how much runs and waits.
fn summary(status: &Status) -> String {
    match (status.running_count(), status.waiting_count()) {
        (0, 0) => "Nothing running".to_owned(),
        (r, 0) => format!("{r} running"),
        (0, w) => format!("{w} waiting for your approval"),
        (r, w) => format!("{r} running, {w} waiting for your approval"),
    }
}

/// The listed items, (menu id, label): first the conversations' waiting approvals and
/// running turns, then the background runs (waiting ones first), each part cut at
/// [`LISTED`] with a count of the rest, so a busy chat never hides a run that waits.
fn entries(status: &Status) -> Vec<(String, String)> {
    let mut chats: Vec<(String, String)> = status
        .approvals
        .iter()
        .map(|a| {
            (
                format!("approval:{}", a.session),
                format!("Approve: {}", line(&a.summary)),
            )
        })
        .collect();
    chats.extend(
        status
            .running
            .iter()
            .map(|(session, text)| (format!("run:{session}"), format!("Running: {}", line(text)))),
    );
    let waiting = status.runs.iter().filter(|(_, run)| run.waiting);
    let running = status.runs.iter().filter(|(_, run)| !run.waiting);
    let runs: Vec<(String, String)> = waiting
        .chain(running)
        .map(|(session, run)| {
            let label = if run.waiting {
                format!("⏸ {} — waiting for your approval", line(&run.title))
            } else {
                format!("▶ {} — running", line(&run.title))
            };
            (format!("task:{session}"), label)
        })
        .collect();
    let mut entries = capped(chats, "more-chats");
    entries.extend(capped(runs, "more-tasks"));
    entries
}

/// `entries` cut at [`LISTED`], with an item counting the rest (`more_id` opens Pincer).
fn capped(mut entries: Vec<(String, String)>, more_id: &str) -> Vec<(String, String)> {
    let extra = entries.len().saturating_sub(LISTED);
    entries.truncate(LISTED);
    if extra > 0 {
        entries.push((more_id.to_owned(), format!("… and {extra} more")));
    }
    entries
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::status::{BackgroundRun, WaitingApproval};

    fn run(title: &str, waiting: bool) -> BackgroundRun {
        BackgroundRun {
            title: title.to_owned(),
            waiting,
        }
    }

    #[test]
    fn background_runs_follow_the_conversations_waiting_ones_first() {
        let mut status = Status::default();
        status
            .running
            .insert("photos".into(), "sort my photos".into());
        status.approvals.push(WaitingApproval {
            session: "photos".into(),
            call_id: "c1".into(),
            summary: "write note.txt".into(),
        });
        status
            .runs
            .insert("run-a".into(), run("Morning brief", false));
        status.runs.insert("run-b".into(), run("Price check", true));
        assert_eq!(
            entries(&status),
            [
                ("approval:photos", "Approve: write note.txt"),
                ("run:photos", "Running: sort my photos"),
                ("task:run-b", "⏸ Price check — waiting for your approval"),
                ("task:run-a", "▶ Morning brief — running"),
            ]
            .map(|(id, label)| (id.to_owned(), label.to_owned()))
        );
        assert_eq!(summary(&status), "3 running, 2 waiting for your approval");
    }

    #[test]
    fn many_chats_do_not_hide_the_runs() {
        let mut status = Status::default();
        for i in 0..LISTED + 2 {
            status.running.insert(format!("s{i}"), format!("task {i}"));
        }
        status
            .runs
            .insert("run-a".into(), run("Morning brief", false));
        let entries = entries(&status);
        assert_eq!(entries.len(), LISTED + 2);
        assert_eq!(
            entries[LISTED],
            ("more-chats".to_owned(), "… and 2 more".to_owned())
        );
        assert_eq!(entries[LISTED + 1].0, "task:run-a");
        assert_eq!(summary(&Status::default()), "Nothing running");
    }
}
