//! Pincer's OS automation tools: `screenshot`, `mouse`, `keyboard` and `notify`, the shared
//! [`Control`] (emergency stop, "controlling the computer" indicator) and the app's own
//! [`notifications`].
//!
//! The tools implement [`pincer_core::tools::Tool`]; the engine's policy decides from their
//! [`Access::Desktop`](pincer_core::tools::Access::Desktop) answer (screen and input ask by
//! default, notify is allowed). Screen and input need an X11 session on Linux (see
//! [`availability`]); without one they are still registered and their `access()` fails
//! with the reason, so the model learns why instead of the user being asked for something
//! impossible.
//!
//! Every enigo/xcap call is blocking and runs on a blocking thread, one action at a time.

use std::sync::Arc;

use pincer_core::tools::{Tool, ToolError, ToolRegistry};

mod availability;
mod capture;
mod control;
mod input;
mod keyboard;
pub mod keys;
pub mod mapping;
mod mouse;
pub mod notifications;
mod notify;
mod save;
mod screenshot;
mod window_title;
mod x11_keymap;

pub use availability::{Availability, availability, availability_from};
pub use control::Control;
pub use mapping::ScreenMapping;
pub use save::SCREENSHOT_DIR;

/// The one line `screenshot`, `mouse` and `keyboard` share in `use_tool`'s listing: a
/// whole line each cost the prompt three times as much and was cut mid-sentence.
pub(crate) const SCREEN_TOOLS: &str = "see the screen, click and type in its windows";

/// What every desktop tool shares.
pub(crate) struct Desktop {
    pub(crate) control: Control,
    pub(crate) availability: Availability,
}

impl Desktop {
    /// Fails with the reason when the screen cannot be captured or controlled here.
    pub(crate) fn require_display(&self) -> Result<(), ToolError> {
        match &self.availability {
            Availability::Available => Ok(()),
            Availability::Unavailable(reason) => Err(ToolError::Failed(format!(
                "screen and input tools are unavailable: {reason}"
            ))),
        }
    }
}

/// Adds screenshot, mouse, keyboard and notify to `registry`. Screen/input tools are
/// registered even when unavailable: their `access()` then fails with the availability
/// reason, so the model is told clearly why (and no approval is asked for something
/// impossible).
pub fn register_tools(registry: &mut ToolRegistry, control: &Control) {
    let availability = availability();
    if let Availability::Unavailable(reason) = &availability {
        tracing::info!(%reason, "screen and input tools are unavailable");
    }
    register_tools_with(registry, control, availability);
}

/// [`register_tools`] with the availability given instead of read from the environment.
pub fn register_tools_with(
    registry: &mut ToolRegistry,
    control: &Control,
    availability: Availability,
) {
    for tool in tools(control, availability) {
        registry.register(tool);
    }
}

/// The four desktop tools.
pub fn tools(control: &Control, availability: Availability) -> Vec<Arc<dyn Tool>> {
    let desktop = Arc::new(Desktop {
        control: control.clone(),
        availability,
    });
    vec![
        Arc::new(screenshot::Screenshot {
            desktop: desktop.clone(),
        }),
        Arc::new(mouse::MouseTool {
            desktop: desktop.clone(),
        }),
        Arc::new(keyboard::KeyboardTool {
            desktop: desktop.clone(),
        }),
        Arc::new(notify::NotifyTool { desktop }),
    ]
}
