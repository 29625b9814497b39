//! Key names and combinations like `ctrl+shift+t`, as the keyboard tool's `press` takes them.

use std::fmt;

/// One key the keyboard tool can press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyName {
    Control,
    Shift,
    Alt,
    /// Super / Windows / Command.
    Meta,
    Enter,
    Tab,
    Escape,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Space,
    /// F1 to F12.
    F(u8),
    /// A key that types this character.
    Char(char),
}

/// The names `press` understands, for error messages and the tool description.
pub const VALID_KEYS: &str = "ctrl (control), shift, alt, super (meta, win, cmd), enter (return), tab, esc (escape), backspace, delete (del), up, down, left, right, home, end, pageup, pagedown, space, f1 to f12, plus (the + key), or one character such as a, 7 or /";

impl KeyName {
    /// Parses one key name (case-insensitive) or a single character.
    pub fn parse(name: &str) -> Option<KeyName> {
        let mut chars = name.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return (!c.is_control() && !c.is_whitespace()).then_some(KeyName::Char(c));
        }
        let lower = name.to_ascii_lowercase();
        let key = match lower.as_str() {
            "ctrl" | "control" => KeyName::Control,
            "shift" => KeyName::Shift,
            "alt" | "option" => KeyName::Alt,
            "super" | "meta" | "win" | "windows" | "cmd" | "command" => KeyName::Meta,
            "enter" | "return" => KeyName::Enter,
            "tab" => KeyName::Tab,
            "esc" | "escape" => KeyName::Escape,
            "backspace" => KeyName::Backspace,
            "delete" | "del" => KeyName::Delete,
            "up" => KeyName::Up,
            "down" => KeyName::Down,
            "left" => KeyName::Left,
            "right" => KeyName::Right,
            "home" => KeyName::Home,
            "end" => KeyName::End,
            "pageup" | "page_up" | "pgup" => KeyName::PageUp,
            "pagedown" | "page_down" | "pgdn" => KeyName::PageDown,
            "space" => KeyName::Space,
            "plus" => KeyName::Char('+'),
            _ => {
                let number: u8 = lower.strip_prefix('f')?.parse().ok()?;
                return (1..=12).contains(&number).then_some(KeyName::F(number));
            }
        };
        Some(key)
    }

    pub fn is_modifier(self) -> bool {
        matches!(
            self,
            KeyName::Control | KeyName::Shift | KeyName::Alt | KeyName::Meta
        )
    }

    /// The key as enigo names it.
    pub(crate) fn to_enigo(self) -> enigo::Key {
        use enigo::Key;
        match self {
            KeyName::Control => Key::Control,
            KeyName::Shift => Key::Shift,
            KeyName::Alt => Key::Alt,
            KeyName::Meta => Key::Meta,
            KeyName::Enter => Key::Return,
            KeyName::Tab => Key::Tab,
            KeyName::Escape => Key::Escape,
            KeyName::Backspace => Key::Backspace,
            KeyName::Delete => Key::Delete,
            KeyName::Up => Key::UpArrow,
            KeyName::Down => Key::DownArrow,
            KeyName::Left => Key::LeftArrow,
            KeyName::Right => Key::RightArrow,
            KeyName::Home => Key::Home,
            KeyName::End => Key::End,
            KeyName::PageUp => Key::PageUp,
            KeyName::PageDown => Key::PageDown,
            KeyName::Space => Key::Space,
            KeyName::F(n) => match n {
                1 => Key::F1,
                2 => Key::F2,
                3 => Key::F3,
                4 => Key::F4,
                5 => Key::F5,
                6 => Key::F6,
                7 => Key::F7,
                8 => Key::F8,
                9 => Key::F9,
                10 => Key::F10,
                11 => Key::F11,
                _ => Key::F12,
            },
            KeyName::Char(c) => Key::Unicode(c),
        }
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            KeyName::Control => "ctrl",
            KeyName::Shift => "shift",
            KeyName::Alt => "alt",
            KeyName::Meta => "super",
            KeyName::Enter => "enter",
            KeyName::Tab => "tab",
            KeyName::Escape => "esc",
            KeyName::Backspace => "backspace",
            KeyName::Delete => "delete",
            KeyName::Up => "up",
            KeyName::Down => "down",
            KeyName::Left => "left",
            KeyName::Right => "right",
            KeyName::Home => "home",
            KeyName::End => "end",
            KeyName::PageUp => "pageup",
            KeyName::PageDown => "pagedown",
            KeyName::Space => "space",
            KeyName::F(n) => return write!(f, "f{n}"),
            KeyName::Char('+') => "plus",
            KeyName::Char(c) => return write!(f, "{c}"),
        };
        f.write_str(name)
    }
}

/// Modifiers held down while one key is pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCombo {
    /// Pressed in this order, released in reverse.
    pub modifiers: Vec<KeyName>,
    pub key: KeyName,
}

impl KeyCombo {
    /// Parses `ctrl+shift+t`, `enter`, `alt+f4`, `ctrl++`. Modifiers come first; the last
    /// key may be a modifier on its own (`super`). Letters pressed with a modifier are
    /// case-insensitive (`ctrl+C` is `ctrl+c`; add `shift` for a capital).
    pub fn parse(text: &str) -> Result<KeyCombo, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("keys is empty; valid keys: {VALID_KEYS}"));
        }
        // A trailing "+" after a separator (or alone) is the + key itself.
        let (names, plus) = match text.strip_suffix('+') {
            Some("") => (None, true),
            Some(rest) => match rest.trim_end().strip_suffix('+') {
                Some(rest) => (Some(rest), true),
                None => {
                    return Err(format!(
                        "`{text}` ends with a lone +; write the + key as `plus`, e.g. ctrl+plus"
                    ));
                }
            },
            None => (Some(text), false),
        };
        let mut keys = Vec::new();
        for name in names.into_iter().flat_map(|names| names.split('+')) {
            let name = name.trim();
            if name.is_empty() {
                return Err(format!(
                    "`{text}` has an empty key name between two +; write keys like ctrl+shift+t"
                ));
            }
            let Some(key) = KeyName::parse(name) else {
                return Err(format!("unknown key `{name}`; valid keys: {VALID_KEYS}"));
            };
            keys.push(key);
        }
        if plus {
            keys.push(KeyName::Char('+'));
        }
        let Some(mut key) = keys.pop() else {
            return Err(format!("keys is empty; valid keys: {VALID_KEYS}"));
        };
        let mut modifiers = Vec::new();
        for modifier in keys {
            if !modifier.is_modifier() {
                return Err(format!(
                    "`{text}` presses `{modifier}` before `{key}`, but only ctrl, shift, alt and super can be held down; press one key (with modifiers) per call, e.g. ctrl+shift+t"
                ));
            }
            if !modifiers.contains(&modifier) {
                modifiers.push(modifier);
            }
        }
        if let KeyName::Char(c) = key
            && !modifiers.is_empty()
        {
            key = KeyName::Char(c.to_ascii_lowercase());
        }
        Ok(KeyCombo { modifiers, key })
    }
}

impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for modifier in &self.modifiers {
            write!(f, "{modifier}+")?;
        }
        write!(f, "{}", self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn combo(text: &str) -> (Vec<KeyName>, KeyName) {
        let combo = KeyCombo::parse(text).unwrap();
        (combo.modifiers, combo.key)
    }

    #[test]
    fn modifiers_and_a_letter() {
        assert_eq!(
            combo("ctrl+shift+t"),
            (vec![KeyName::Control, KeyName::Shift], KeyName::Char('t'))
        );
        assert_eq!(
            combo("Control + Alt + Delete"),
            (vec![KeyName::Control, KeyName::Alt], KeyName::Delete)
        );
        assert_eq!(combo("alt+f4"), (vec![KeyName::Alt], KeyName::F(4)));
    }

    #[test]
    fn every_alias_names_its_key() {
        for (name, key) in [
            ("ctrl", KeyName::Control),
            ("control", KeyName::Control),
            ("shift", KeyName::Shift),
            ("alt", KeyName::Alt),
            ("super", KeyName::Meta),
            ("meta", KeyName::Meta),
            ("win", KeyName::Meta),
            ("cmd", KeyName::Meta),
            ("enter", KeyName::Enter),
            ("return", KeyName::Enter),
            ("tab", KeyName::Tab),
            ("esc", KeyName::Escape),
            ("escape", KeyName::Escape),
            ("backspace", KeyName::Backspace),
            ("delete", KeyName::Delete),
            ("up", KeyName::Up),
            ("down", KeyName::Down),
            ("left", KeyName::Left),
            ("right", KeyName::Right),
            ("home", KeyName::Home),
            ("end", KeyName::End),
            ("pageup", KeyName::PageUp),
            ("pagedown", KeyName::PageDown),
            ("space", KeyName::Space),
            ("f1", KeyName::F(1)),
            ("F12", KeyName::F(12)),
            ("ENTER", KeyName::Enter),
            ("a", KeyName::Char('a')),
            ("7", KeyName::Char('7')),
            ("/", KeyName::Char('/')),
            ("é", KeyName::Char('é')),
        ] {
            assert_eq!(combo(name), (vec![], key), "{name}");
        }
    }

    #[test]
    fn the_plus_key() {
        assert_eq!(
            combo("ctrl++"),
            (vec![KeyName::Control], KeyName::Char('+'))
        );
        assert_eq!(
            combo("ctrl+plus"),
            (vec![KeyName::Control], KeyName::Char('+'))
        );
        assert_eq!(combo("+"), (vec![], KeyName::Char('+')));
        assert_eq!(KeyCombo::parse("ctrl++").unwrap().to_string(), "ctrl+plus");
    }

    #[test]
    fn letters_with_modifiers_are_case_insensitive_alone_they_keep_their_case() {
        assert_eq!(
            combo("ctrl+C"),
            (vec![KeyName::Control], KeyName::Char('c'))
        );
        assert_eq!(combo("A"), (vec![], KeyName::Char('A')));
    }

    #[test]
    fn a_modifier_alone_is_a_key() {
        assert_eq!(combo("super"), (vec![], KeyName::Meta));
        assert_eq!(
            combo("ctrl+shift"),
            (vec![KeyName::Control], KeyName::Shift)
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_the_valid_names() {
        for bad in ["ctrl+foo", "hyper+a", "f13", "f0", "enterr"] {
            let err = KeyCombo::parse(bad).unwrap_err();
            assert!(err.contains("unknown key"), "{bad}: {err}");
            assert!(
                err.contains("pagedown") && err.contains("f1 to f12"),
                "{err}"
            );
        }
    }

    #[test]
    fn malformed_combinations_say_how_to_write_them() {
        let err = KeyCombo::parse("a+b").unwrap_err();
        assert!(err.contains("one key"), "{err}");
        let err = KeyCombo::parse("ctrl++shift").unwrap_err();
        assert!(err.contains("empty key name"), "{err}");
        let err = KeyCombo::parse("  ").unwrap_err();
        assert!(err.contains("empty"), "{err}");
        let err = KeyCombo::parse("ctrl+").unwrap_err();
        assert!(err.contains("plus"), "{err}");
    }

    #[test]
    fn combinations_print_back_in_canonical_names() {
        let combo = KeyCombo::parse("Control+Return").unwrap();
        assert_eq!(combo.to_string(), "ctrl+enter");
        assert_eq!(
            KeyCombo::parse("cmd+shift+Z").unwrap().to_string(),
            "super+shift+z"
        );
    }
}
