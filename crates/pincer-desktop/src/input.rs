//! Mouse and keyboard with enigo. Blocking; call only from a blocking thread. Every function
//! checks the stop token between its steps and leaves no button or key held down.

use std::time::Duration;

use enigo::{Axis, Button, Coordinate, Direction, Enigo, Keyboard, Mouse, Settings};
use pincer_core::tools::ToolError;

use crate::control::{StopToken, stopped_after};
use crate::keys::{KeyCombo, KeyName};
use crate::x11_keymap::{KeyPosition, Keymap};

/// Characters typed between two checks of the emergency stop.
pub(crate) const TYPE_CHUNK: usize = 4;

/// Pause between the steps of a drag, so applications see the pointer travel.
const DRAG_STEP_PAUSE: Duration = Duration::from_millis(10);
const DRAG_STEPS: i32 = 10;

fn input_failed(e: impl std::fmt::Display) -> ToolError {
    ToolError::Failed(format!("the display refused simulated input: {e}"))
}

pub(crate) fn connect() -> Result<Enigo, ToolError> {
    Enigo::new(&Settings::default()).map_err(|e| {
        ToolError::Failed(format!(
            "could not connect to the display to drive the mouse and keyboard: {e}"
        ))
    })
}

pub(crate) fn move_to(enigo: &mut Enigo, (x, y): (i32, i32)) -> Result<(), ToolError> {
    enigo
        .move_mouse(x, y, Coordinate::Abs)
        .map_err(input_failed)
}

/// Where the pointer is now.
pub(crate) fn location(enigo: &Enigo) -> Option<(i32, i32)> {
    enigo.location().ok()
}

pub(crate) fn click(
    enigo: &mut Enigo,
    token: &StopToken,
    button: Button,
    count: u32,
) -> Result<(), ToolError> {
    for _ in 0..count {
        token.check()?;
        enigo
            .button(button, Direction::Click)
            .map_err(input_failed)?;
    }
    Ok(())
}

/// Presses `button`, moves to `to` in steps, releases, whatever happens in between.
pub(crate) fn drag(
    enigo: &mut Enigo,
    token: &StopToken,
    button: Button,
    to: (i32, i32),
) -> Result<(), ToolError> {
    let from = enigo.location().map_err(input_failed)?;
    enigo
        .button(button, Direction::Press)
        .map_err(input_failed)?;
    let travelled = (|| {
        for step in 1..=DRAG_STEPS {
            token.check()?;
            std::thread::sleep(DRAG_STEP_PAUSE);
            let x = from.0 + (to.0 - from.0) * step / DRAG_STEPS;
            let y = from.1 + (to.1 - from.1) * step / DRAG_STEPS;
            move_to(enigo, (x, y))?;
        }
        Ok(())
    })();
    let released = enigo
        .button(button, Direction::Release)
        .map_err(input_failed);
    travelled.and(released)
}

/// Scrolls one notch at a time: `dy` > 0 down, `dx` > 0 right.
pub(crate) fn scroll(
    enigo: &mut Enigo,
    token: &StopToken,
    dx: i32,
    dy: i32,
) -> Result<(), ToolError> {
    for (amount, axis) in [(dy, Axis::Vertical), (dx, Axis::Horizontal)] {
        for _ in 0..amount.unsigned_abs() {
            token.check()?;
            enigo.scroll(amount.signum(), axis).map_err(input_failed)?;
        }
    }
    Ok(())
}

/// How long a temporary key binding stays after the last key typed with it, so the focused
/// application has read the binding before it is removed (see [`crate::x11_keymap`]).
const REMAP_SETTLE: Duration = Duration::from_millis(100);

/// Types `text` [`TYPE_CHUNK`] characters at a time; a stop ends it between two chunks.
/// Characters on the keyboard layout are typed with its own keys (Shift as needed); only
/// the others go through enigo's temporary key bindings.
pub(crate) fn type_text(enigo: &mut Enigo, token: &StopToken, text: &str) -> Result<(), ToolError> {
    let keymap = Keymap::load().unwrap_or_default();
    let chars: Vec<char> = text.chars().filter(|c| *c != '\r').collect();
    let total = chars.len();
    let mut remapped = false;
    let typed = (|| {
        for (n, chunk) in chars.chunks(TYPE_CHUNK).enumerate() {
            if token.is_stopped() {
                let typed = n * TYPE_CHUNK;
                return Err(stopped_after(&format!(
                    "after typing {typed} of {total} characters"
                )));
            }
            for &c in chunk {
                match (c, keymap.find(c)) {
                    ('\n', _) => tap(enigo, enigo::Key::Return)?,
                    ('\t', _) => tap(enigo, enigo::Key::Tab)?,
                    (_, Some(position)) => type_with_layout(enigo, position)?,
                    (_, None) => {
                        remapped = true;
                        enigo.text(&c.to_string()).map_err(input_failed)?;
                    }
                }
            }
        }
        Ok(())
    })();
    if remapped && cfg!(target_os = "linux") {
        std::thread::sleep(REMAP_SETTLE);
    }
    typed
}

fn tap(enigo: &mut Enigo, key: enigo::Key) -> Result<(), ToolError> {
    enigo.key(key, Direction::Click).map_err(input_failed)
}

/// Presses the layout's own key for a character, holding Shift if it is on the second level.
fn type_with_layout(enigo: &mut Enigo, position: KeyPosition) -> Result<(), ToolError> {
    if !position.shift {
        return enigo
            .raw(u16::from(position.keycode), Direction::Click)
            .map_err(input_failed);
    }
    enigo
        .key(enigo::Key::Shift, Direction::Press)
        .map_err(input_failed)?;
    let typed = enigo
        .raw(u16::from(position.keycode), Direction::Click)
        .map_err(input_failed);
    let released = enigo
        .key(enigo::Key::Shift, Direction::Release)
        .map_err(input_failed);
    typed.and(released)
}

/// Holds the modifiers, clicks the key, releases the modifiers (always, in reverse order).
/// A character key on the layout is its own key (with Shift if it is on the second level,
/// so `ctrl+plus` is ctrl+shift+= on a US layout); others are bound for the moment.
pub(crate) fn press(
    enigo: &mut Enigo,
    token: &StopToken,
    combo: &KeyCombo,
) -> Result<(), ToolError> {
    let position = match combo.key {
        KeyName::Char(c) => Keymap::load().and_then(|keymap| keymap.find(c)),
        _ => None,
    };
    let mut modifiers: Vec<enigo::Key> = combo.modifiers.iter().map(|m| m.to_enigo()).collect();
    if position.is_some_and(|p| p.shift) && !combo.modifiers.contains(&KeyName::Shift) {
        modifiers.push(enigo::Key::Shift);
    }
    let mut held = Vec::new();
    let pressed = (|| {
        for key in modifiers {
            token.check()?;
            enigo.key(key, Direction::Press).map_err(input_failed)?;
            held.push(key);
        }
        token.check()?;
        match position {
            Some(position) => enigo
                .raw(u16::from(position.keycode), Direction::Click)
                .map_err(input_failed),
            None => enigo
                .key(combo.key.to_enigo(), Direction::Click)
                .map_err(input_failed),
        }
    })();
    let mut released = Ok(());
    for key in held.into_iter().rev() {
        if let Err(e) = enigo.key(key, Direction::Release) {
            released = Err(input_failed(e));
        }
    }
    if matches!(combo.key, KeyName::Char(_)) && position.is_none() && cfg!(target_os = "linux") {
        std::thread::sleep(REMAP_SETTLE);
    }
    pressed.and(released)
}
