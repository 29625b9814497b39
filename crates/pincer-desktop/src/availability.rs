//! Whether screen and input automation can work in this session.
//!
//! On Linux the tools drive X11 (XTest for input, `GetImage` for screenshots). Under a
//! Wayland session an X11 client only reaches the XWayland windows and sees black where
//! native Wayland windows are, so Wayland counts as unavailable even when XWayland's
//! `DISPLAY` is set. Windows and macOS always have a desktop.

use std::fmt;

/// Whether screen/input automation can work in this session, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    /// The reason, in words for the user and the model.
    Unavailable(String),
}

impl Availability {
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Availability::Available => f.write_str("screen and input automation is available"),
            Availability::Unavailable(reason) => f.write_str(reason),
        }
    }
}

/// Reads `DISPLAY`, `WAYLAND_DISPLAY` and `XDG_SESSION_TYPE` from the process environment.
pub fn availability() -> Availability {
    availability_from(&|name| std::env::var(name).ok())
}

/// The testable core of [`availability`]: `env` answers for environment variables.
#[cfg(target_os = "linux")]
pub fn availability_from(env: &dyn Fn(&str) -> Option<String>) -> Availability {
    let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let session_type = set("XDG_SESSION_TYPE").map(|value| value.trim().to_ascii_lowercase());
    let display = set("DISPLAY");
    let wayland = session_type.as_deref() == Some("wayland")
        || (set("WAYLAND_DISPLAY").is_some() && session_type.as_deref() != Some("x11"));
    if wayland {
        let xwayland = match &display {
            Some(display) => format!(
                " (the X11 display {display} is XWayland, which reaches only X11 apps and cannot see or drive the rest of the desktop)"
            ),
            None => String::new(),
        };
        return Availability::Unavailable(format!(
            "this is a Wayland session: Pincer can only control the screen under X11 (log in to an 'Xorg' session to use screenshots, mouse and keyboard){xwayland}"
        ));
    }
    match display {
        Some(_) => Availability::Available,
        None => Availability::Unavailable(
            "no display: Pincer is running without a graphical session (DISPLAY is not set), so there is no screen to capture or control".to_owned(),
        ),
    }
}

/// The testable core of [`availability`]. Windows and macOS always have a desktop.
#[cfg(not(target_os = "linux"))]
pub fn availability_from(_env: &dyn Fn(&str) -> Option<String>) -> Availability {
    Availability::Available
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Availability {
        availability_from(&|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn an_empty_display_variable_counts_as_none() {
        assert!(!with(&[("DISPLAY", "  ")]).is_available());
    }

    #[test]
    fn an_x11_session_type_wins_over_a_stray_wayland_display() {
        let found = with(&[
            ("DISPLAY", ":0"),
            ("WAYLAND_DISPLAY", "wayland-0"),
            ("XDG_SESSION_TYPE", "x11"),
        ]);
        assert_eq!(found, Availability::Available);
    }
}
