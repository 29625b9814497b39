//! What the web UI's Settings page can change in the desktop app, through the gateway.

use pincer_gateway::{DesktopHooks, DesktopStatus, DesktopUpdate};
use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt as _;

use crate::shell::shell;
use crate::{shortcuts, windows};

pub struct Hooks {
    pub app: AppHandle,
}

impl DesktopHooks for Hooks {
    fn status(&self) -> DesktopStatus {
        let prefs = shell(&self.app).prefs();
        let autostart = self.app.autolaunch().is_enabled().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the start-at-login setting");
            false
        });
        DesktopStatus {
            autostart,
            quick_ask_shortcut: prefs.quick_ask_shortcut,
            stop_shortcut: prefs.stop_shortcut,
            automation_unavailable: match pincer_desktop::availability() {
                pincer_desktop::Availability::Available => None,
                pincer_desktop::Availability::Unavailable(reason) => Some(reason),
            },
        }
    }

    fn update(&self, update: DesktopUpdate) -> Result<DesktopStatus, String> {
        if let Some(enable) = update.autostart {
            let autolaunch = self.app.autolaunch();
            let result = if enable {
                ensure_autostart_parent();
                autolaunch.enable()
            } else {
                autolaunch.disable()
            };
            result.map_err(|e| format!("could not change start at login: {e}"))?;
            tracing::info!(enable, "start at login changed");
        }
        if let Some(accelerator) = update.quick_ask_shortcut {
            shortcuts::set_quick_ask(&self.app, &accelerator)?;
        }
        Ok(self.status())
    }

    fn open_session(&self, id: &str) {
        windows::show_main(&self.app, Some(format!("#/chat/{id}")));
    }
}

/// The launcher writes `~/.config/autostart/` but only creates its last folder; on a fresh
/// account `~/.config` itself may be missing.
fn ensure_autostart_parent() {
    #[cfg(target_os = "linux")]
    if let Some(home) = dirs::home_dir() {
        let config = home.join(".config");
        if let Err(e) = std::fs::create_dir_all(&config) {
            tracing::warn!(error = %e, path = %config.display(), "could not create the config folder");
        }
    }
}
