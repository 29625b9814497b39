//! Typing with the keys the keyboard layout already has.
//!
//! enigo types every character it does not find unshifted in the layout (`&`, `A`, `?` on a
//! US layout) by binding it to a spare keycode for a moment. An application translates a
//! key event with the mapping it fetched when it last saw a `MappingNotify`, so when enigo
//! rebinds or frees spare keycodes faster than the application reads its events, characters
//! come out wrong or not at all. Like xdotool, Pincer instead presses the layout's own key
//! (with Shift for the second column) whenever the character is on the keyboard, and leaves
//! only characters the layout lacks to enigo.

use std::collections::HashMap;

/// Where a character is on the current layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyPosition {
    pub(crate) keycode: u8,
    pub(crate) shift: bool,
}

/// The current layout's first group: keysym → key.
#[derive(Debug, Default)]
pub(crate) struct Keymap {
    keys: HashMap<u32, KeyPosition>,
}

impl Keymap {
    /// Reads the server's keyboard mapping; `None` without an X server.
    #[cfg(target_os = "linux")]
    pub(crate) fn load() -> Option<Keymap> {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::ConnectionExt as _;
        let (connection, _) = x11rb::connect(None).ok()?;
        let setup = connection.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let reply = connection
            .get_keyboard_mapping(min, max.checked_sub(min)?.checked_add(1)?)
            .ok()?
            .reply()
            .ok()?;
        Some(Keymap::from_table(
            min,
            usize::from(reply.keysyms_per_keycode),
            &reply.keysyms,
        ))
    }

    #[cfg(not(target_os = "linux"))]
    pub(crate) fn load() -> Option<Keymap> {
        None
    }

    /// Builds the lookup from a `GetKeyboardMapping` table: `per_keycode` keysyms for each
    /// keycode from `min_keycode` on. Only the first two columns (plain and Shift) count;
    /// the lowest keycode wins, and a plain key wins over a shifted one.
    pub(crate) fn from_table(min_keycode: u8, per_keycode: usize, keysyms: &[u32]) -> Keymap {
        let mut keys = HashMap::new();
        if per_keycode == 0 {
            return Keymap { keys };
        }
        for column in 0..per_keycode.min(2) {
            for (row, syms) in keysyms.chunks(per_keycode).enumerate() {
                let Some(&keysym) = syms.get(column) else {
                    continue;
                };
                let Some(keycode) = u8::try_from(row)
                    .ok()
                    .and_then(|row| min_keycode.checked_add(row))
                else {
                    continue;
                };
                if keysym != 0 {
                    keys.entry(keysym).or_insert(KeyPosition {
                        keycode,
                        shift: column == 1,
                    });
                }
            }
        }
        Keymap { keys }
    }

    /// The key that types `c`, if the layout has one.
    pub(crate) fn find(&self, c: char) -> Option<KeyPosition> {
        self.keys.get(&keysym(c)).copied()
    }
}

/// The X keysym of a character: Latin-1 keysyms are the code point, the rest of Unicode is
/// 0x0100_0000 + code point.
pub(crate) fn keysym(c: char) -> u32 {
    let code = u32::from(c);
    match code {
        0x20..=0x7e | 0xa0..=0xff => code,
        _ => 0x0100_0000 + code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_found_plain_or_with_shift() {
        // keycode 10: 7 / &, keycode 11: a / A, keycode 12: nothing, keycode 13: é only.
        let table = [
            '7' as u32, '&' as u32, 0, 0, //
            'a' as u32, 'A' as u32, 0, 0, //
            0, 0, 0, 0, //
            0xe9, 0, 0, 0,
        ];
        let keymap = Keymap::from_table(10, 4, &table);
        let at = |keycode, shift| Some(KeyPosition { keycode, shift });
        assert_eq!(keymap.find('7'), at(10, false));
        assert_eq!(keymap.find('&'), at(10, true));
        assert_eq!(keymap.find('a'), at(11, false));
        assert_eq!(keymap.find('A'), at(11, true));
        assert_eq!(keymap.find('é'), at(13, false));
        assert_eq!(keymap.find('?'), None);
    }

    #[test]
    fn a_plain_key_wins_over_a_shifted_one() {
        // keycode 8 has + only with Shift; keycode 9 (a keypad key) has it plain.
        let table = ['=' as u32, '+' as u32, '+' as u32, '+' as u32];
        let keymap = Keymap::from_table(8, 2, &table);
        assert_eq!(
            keymap.find('+'),
            Some(KeyPosition {
                keycode: 9,
                shift: false
            })
        );
    }

    #[test]
    fn keysyms_follow_the_x11_rules() {
        assert_eq!(keysym('a'), 0x61);
        assert_eq!(keysym(' '), 0x20);
        assert_eq!(keysym('é'), 0xe9);
        assert_eq!(keysym('€'), 0x0100_20ac);
        assert_eq!(keysym('ж'), 0x0100_0436);
    }
}
