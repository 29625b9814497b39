//! Global shortcuts: quick ask and the emergency stop, both configurable.

use tauri::AppHandle;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutEvent, ShortcutState};

use crate::prefs::Prefs;
use crate::shell::shell;
use crate::windows;

/// Parses an accelerator such as `CommandOrControl+Shift+Space`, with a message a user
/// can act on.
pub fn parse(accelerator: &str) -> Result<Shortcut, String> {
    accelerator.trim().parse::<Shortcut>().map_err(|e| {
        format!(
            "{accelerator:?} is not a shortcut ({e}); write modifiers and one key joined by +, e.g. CommandOrControl+Shift+Space"
        )
    })
}

/// What happens when a shortcut is pressed.
pub fn on_shortcut(app: &AppHandle, pressed: &Shortcut, event: ShortcutEvent) {
    if event.state != ShortcutState::Pressed {
        return;
    }
    let prefs = shell(app).prefs();
    let is = |accelerator: &str| parse(accelerator).is_ok_and(|s| s.id() == pressed.id());
    if is(&prefs.stop_shortcut) {
        shell(app).emergency_stop();
    } else if is(&prefs.quick_ask_shortcut) {
        windows::toggle_quick(app);
    }
}

/// Registers the shortcuts of `prefs`. A shortcut another program holds is logged, not
/// fatal: the app works without it and Settings shows the error when changed.
pub fn register_all(app: &AppHandle, prefs: &Prefs) {
    for accelerator in [&prefs.quick_ask_shortcut, &prefs.stop_shortcut] {
        match parse(accelerator) {
            Ok(shortcut) => {
                if let Err(e) = app.global_shortcut().register(shortcut) {
                    tracing::warn!(error = %e, accelerator, "could not register the shortcut");
                } else {
                    tracing::info!(accelerator, "shortcut registered");
                }
            }
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

/// Replaces the quick-ask shortcut and saves it.
pub fn set_quick_ask(app: &AppHandle, accelerator: &str) -> Result<(), String> {
    let new = parse(accelerator)?;
    let shell = shell(app);
    let old = shell.prefs();
    if parse(&old.stop_shortcut).is_ok_and(|s| s.id() == new.id()) {
        return Err("that is already the emergency stop shortcut".to_owned());
    }
    if let Ok(old_shortcut) = parse(&old.quick_ask_shortcut) {
        let _ = app.global_shortcut().unregister(old_shortcut);
    }
    if let Err(e) = app.global_shortcut().register(new) {
        // Put the old one back so the user is not left without any.
        if let Ok(old_shortcut) = parse(&old.quick_ask_shortcut) {
            let _ = app.global_shortcut().register(old_shortcut);
        }
        return Err(format!(
            "could not use {accelerator}: {e} (another program may have it)"
        ));
    }
    let mut prefs = old;
    prefs.quick_ask_shortcut = accelerator.trim().to_owned();
    let home = shell.backend.get().map(|b| b.home.clone());
    if let Some(home) = home {
        prefs.save(&home).map_err(|e| e.to_string())?;
    }
    *pincer_core::sync::lock(&shell.prefs) = prefs;
    Ok(())
}
