//! What the desktop shell lets the web UI change about the app: starting at login, the
//! quick-ask shortcut, and showing the main window at a session. The shell (src-tauri)
//! implements [`DesktopHooks`] and passes it in `GatewayOptions::desktop`; a headless
//! `pincer daemon` has none, and the Settings page then shows no Desktop section.

use serde::{Deserialize, Serialize};

/// Implemented by the desktop shell. The gateway calls these from a blocking thread, so an
/// implementation may wait for the GUI thread.
pub trait DesktopHooks: Send + Sync + 'static {
    /// What the Settings page shows.
    fn status(&self) -> DesktopStatus;
    /// Applies a change; Err(message) is shown to the user (400).
    fn update(&self, update: DesktopUpdate) -> Result<DesktopStatus, String>;
    /// Shows the main window at session `id` (used by the quick-ask window).
    fn open_session(&self, id: &str);
}

/// The desktop app's own settings, as the Settings page shows them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DesktopStatus {
    /// Pincer starts when the user logs in.
    pub autostart: bool,
    /// Accelerator of the quick-ask shortcut, e.g. "CommandOrControl+Shift+Space".
    pub quick_ask_shortcut: String,
    /// Accelerator of the emergency stop, e.g. "CommandOrControl+Shift+Escape".
    pub stop_shortcut: String,
    /// None when screenshot/mouse/keyboard can work here; otherwise why not.
    pub automation_unavailable: Option<String>,
}

/// A change to the desktop settings; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DesktopUpdate {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub autostart: Option<bool>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub quick_ask_shortcut: Option<String>,
}
