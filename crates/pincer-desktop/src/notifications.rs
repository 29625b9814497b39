//! Desktop notifications from the app itself (work finished/failed, approval waiting), and
//! the one place notifications are built, so the `notify` tool's look the same.
//!
//! On Linux and the BSDs they go over D-Bus to `org.freedesktop.Notifications`; on Windows
//! as toasts; on macOS through the notification center.

/// The app name notifications are shown under.
pub const APP_NAME: &str = "Pincer";

/// The identifier of the default action (clicking the notification itself).
pub const DEFAULT_ACTION: &str = "default";

/// A notification from the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppNotification {
    pub summary: String,
    pub body: String,
    /// Label of the default action, e.g. "Open". Without one, clicking does nothing.
    pub action: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No notification service answered (on Linux: nothing owns
    /// `org.freedesktop.Notifications` on the session bus, or there is no session bus).
    #[error("could not show a desktop notification (is a notification service running?): {0}")]
    Show(String),
}

/// Shows `n`; when the user clicks it (and the platform supports actions), `on_click` runs
/// on a background thread. That thread waits until the notification is clicked or closed.
pub fn show(
    n: AppNotification,
    on_click: Option<Box<dyn FnOnce() + Send + 'static>>,
) -> Result<(), NotifyError> {
    let handle = build(&n.summary, &n.body, n.action.as_deref())
        .show()
        .map_err(|e| NotifyError::Show(e.to_string()))?;
    tracing::debug!(summary = %n.summary, "notification shown");
    if let (Some(on_click), Some(_)) = (on_click, &n.action) {
        let spawned = std::thread::Builder::new()
            .name("pincer-notification".to_owned())
            .spawn(move || {
                handle.wait_for_action(|action| {
                    if action != "__closed" {
                        tracing::debug!(action, "notification clicked");
                        on_click();
                    }
                });
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not wait for a click on the notification");
        }
    }
    Ok(())
}

/// Shows a notification without an action; used by the `notify` tool.
pub(crate) fn show_plain(summary: &str, body: &str) -> Result<(), NotifyError> {
    build(summary, body, None)
        .show()
        .map(drop)
        .map_err(|e| NotifyError::Show(e.to_string()))
}

fn build(summary: &str, body: &str, action: Option<&str>) -> notify_rust::Notification {
    let mut notification = notify_rust::Notification::new();
    notification.appname(APP_NAME).summary(summary).body(body);
    if let Some(label) = action {
        notification.action(DEFAULT_ACTION, label);
    }
    notification
}
