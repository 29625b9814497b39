//! Shortening text for titles, labels, notifications, error details and the skill index,
//! and making foreign text safe to print to a terminal.
//!
//! Lengths count `char`s, not bytes, so a cut never splits a UTF-8 sequence and CJK text gets
//! as many characters as Latin text. A cut can still split a grapheme made of several chars
//! (a flag, a ZWJ emoji family); no caller shows these where that matters enough to pull in
//! a segmentation library.

use std::borrow::Cow;

/// Marks that something was cut off.
const ELLIPSIS: char = '…';

/// `text` trimmed, at most `max_chars` characters; a cut one ends in "…" (counted).
pub fn shorten(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{}{ELLIPSIS}", cut.trim_end())
}

/// The first non-blank line of `text`, shortened like [`shorten`]; "" when there is none.
pub fn first_line(text: &str, max_chars: usize) -> String {
    shorten(first_nonblank_line(text), max_chars)
}

/// The first non-blank line of `text`, ending at a sentence or word rather than mid-word: a
/// whole first sentence if it fits and is not too short, else the words that fit followed by
/// "…" (not counted in `max_chars`). For descriptions a reader skims in a list.
pub fn first_line_at_word(text: &str, max_chars: usize) -> String {
    match cut_at_word(text, max_chars) {
        (line, true) => format!("{line}{ELLIPSIS}"),
        (line, false) => line,
    }
}

/// [`first_line_at_word`] without the "…": for a list in the prompt whose heading says its
/// entries are cut short, where the mark would cost tokens on every line and tell the model
/// nothing more.
pub fn first_line_at_word_unmarked(text: &str, max_chars: usize) -> String {
    cut_at_word(text, max_chars).0
}

/// The cut line, and whether it was cut mid-sentence.
fn cut_at_word(text: &str, max_chars: usize) -> (String, bool) {
    let line = first_nonblank_line(text);
    let Some((cut, _)) = line.char_indices().nth(max_chars) else {
        return (line.to_owned(), false);
    };
    let head = &line[..cut];
    // A whole first sentence reads better than a cut one.
    if let Some(end) = head
        .find(". ")
        .filter(|end| chars_before(head, *end) >= max_chars / 3)
    {
        return (line[..=end].to_owned(), false);
    }
    let head = match head.rfind(' ') {
        Some(space) if chars_before(head, space) > max_chars / 2 => &head[..space],
        _ => head,
    };
    (
        head.trim_end_matches([',', ';', ':', '.', ' ']).to_owned(),
        true,
    )
}

fn first_nonblank_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}

/// Characters of `text` before byte offset `at` (a char boundary).
fn chars_before(text: &str, at: usize) -> usize {
    text[..at].chars().count()
}

/// `text` as it may reach a terminal: every character a terminal would act on instead of
/// print is shown as a visible tag like `⟨ESC⟩`, `⟨CR⟩` or `⟨U+202E⟩`. Newlines and tabs stay,
/// so streamed answers and file contents keep their layout (a CR right before a newline is
/// dropped).
///
/// Text from the model, files, web pages, skills and providers goes through this (or
/// [`for_terminal_line`]) before it is printed: a raw ESC lets it rewrite what is on screen
/// (an approval prompt showing `ls` while something else runs), set the window title or
/// write to the clipboard (OSC 52); a CR or bidi override can hide part of a line.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`for_terminal`] for text shown on one line, such as a command in an approval prompt:
/// newlines and zero-width characters are shown as tags too, so what is on the line is
/// all there is.
pub fn for_terminal_line(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, one_line: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| needs_tag(c, one_line)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // A Windows line end is a line end: nothing is left on the line to overwrite.
        if c == '\r' && !one_line && chars.peek() == Some(&'\n') {
            continue;
        }
        if needs_tag(c, one_line) {
            push_tag(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether `c` must not reach a terminal as itself.
fn needs_tag(c: char, one_line: bool) -> bool {
    match c {
        '\n' => one_line,
        '\t' => false,
        // C0 controls (ESC, CR, BEL, backspace, …), DEL and the C1 controls (CSI, OSC, …).
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidi marks, embeddings, overrides and isolates: they reorder what is shown.
        '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => true,
        // Line and paragraph separators.
        '\u{2028}' | '\u{2029}' => true,
        // Zero-width characters: harmless in prose (emoji sequences use ZWJ), but on one
        // line that is judged character by character nothing should be invisible.
        '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' => one_line,
        _ => false,
    }
}

const C0_NAMES: [&str; 32] = [
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
    "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
    "FS", "GS", "RS", "US",
];

fn push_tag(out: &mut String, c: char) {
    out.push('⟨');
    match C0_NAMES.get(c as usize) {
        Some(name) => out.push_str(name),
        None if c == '\u{7f}' => out.push_str("DEL"),
        None => out.push_str(&format!("U+{:04X}", c as u32)),
    }
    out.push('⟩');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_escape_sequences_instead_of_running_them() {
        // A CSI that clears the line and an OSC that writes the clipboard.
        let hostile = "ls -la\r\u{1b}[2Kls -la\u{1b}]52;c;cm0gLXJmIH4=\u{7}";
        let shown = for_terminal_line(hostile);
        assert_eq!(
            shown,
            "ls -la⟨CR⟩⟨ESC⟩[2Kls -la⟨ESC⟩]52;c;cm0gLXJmIH4=⟨BEL⟩"
        );
        assert!(!shown.contains(|c: char| c.is_control()));
    }

    #[test]
    fn streamed_text_keeps_newlines_and_tabs_but_not_carriage_returns() {
        assert_eq!(for_terminal("a\n\tb"), "a\n\tb");
        assert!(matches!(for_terminal("plain 東京 🦀"), Cow::Borrowed(_)));
        assert_eq!(for_terminal("a\rb\r"), "a⟨CR⟩b⟨CR⟩");
        assert_eq!(for_terminal("crlf\r\nfile\r\n"), "crlf\nfile\n");
        assert_eq!(for_terminal_line("ok\r\n"), "ok⟨CR⟩⟨LF⟩");
        assert_eq!(for_terminal("\u{0}\u{8}\u{7f}"), "⟨NUL⟩⟨BS⟩⟨DEL⟩");
    }

    #[test]
    fn one_line_text_shows_newlines() {
        assert_eq!(
            for_terminal_line("echo hi\nrm -rf ~\tx"),
            "echo hi⟨LF⟩rm -rf ~\tx"
        );
    }

    #[test]
    fn c1_controls_and_bidi_controls_are_shown_as_code_points() {
        // U+009B is the one-character CSI; U+202E reverses what follows on screen.
        assert_eq!(for_terminal("\u{9b}2J"), "⟨U+009B⟩2J");
        assert_eq!(for_terminal("\u{85}"), "⟨U+0085⟩");
        assert_eq!(
            for_terminal("rm \u{202e}txt.exe\u{202c}"),
            "rm ⟨U+202E⟩txt.exe⟨U+202C⟩"
        );
        for c in [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202d}', '\u{2066}',
            '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
        ] {
            let shown = for_terminal(&c.to_string()).into_owned();
            assert_eq!(shown, format!("⟨U+{:04X}⟩", c as u32));
        }
    }

    #[test]
    fn zero_width_characters_are_shown_only_on_one_line() {
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(for_terminal(family), family);
        assert_eq!(for_terminal_line("r\u{200b}m"), "r⟨U+200B⟩m");
    }

    #[test]
    fn nothing_a_terminal_acts_on_survives_either_form() {
        let every: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        for shown in [for_terminal(&every), for_terminal_line(&every)] {
            assert!(
                !shown
                    .chars()
                    .any(|c| c != '\n' && c != '\t' && (c.is_control() || needs_tag(c, false))),
                "a control got through"
            );
        }
        assert!(!for_terminal_line(&every).contains('\n'));
    }

    #[test]
    fn the_unmarked_cut_is_the_marked_one_without_its_mark() {
        let long = "Search the web for sources, read them and write a summary with citations for every claim made";
        let marked = first_line_at_word(long, 40);
        assert!(marked.ends_with(ELLIPSIS), "{marked}");
        assert_eq!(
            first_line_at_word_unmarked(long, 40),
            marked.trim_end_matches(ELLIPSIS)
        );
        assert_eq!(first_line_at_word_unmarked("Short.\nMore", 90), "Short.");
    }

    #[test]
    fn shorten_keeps_short_text_and_trims_it() {
        assert_eq!(shorten("  hello  ", 10), "hello");
        assert_eq!(shorten("line one\nline two", 40), "line one\nline two");
        assert_eq!(shorten("", 5), "");
    }

    #[test]
    fn shorten_cuts_to_the_limit_including_the_ellipsis() {
        assert_eq!(shorten("abcdefghij", 5), "abcd…");
        assert_eq!(shorten("abc defghij", 5), "abc…");
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdef", 0), "…");
    }

    #[test]
    fn shorten_counts_cjk_and_emoji_as_one_character_each() {
        assert_eq!(shorten("東京都の天気を教えて", 5), "東京都の…");
        assert_eq!(shorten("東京都の天", 5), "東京都の天");
        assert_eq!(shorten("🦀🦀🦀🦀🦀🦀", 3), "🦀🦀…");
        assert_eq!(shorten("a🦀b🦀c", 4), "a🦀b…");
    }

    #[test]
    fn first_line_takes_the_first_nonblank_line() {
        assert_eq!(first_line("\n  \n  Title here  \nrest", 80), "Title here");
        assert_eq!(first_line(" \n\t\n", 80), "");
        assert_eq!(first_line("abcdefghij\nmore", 5), "abcd…");
        assert_eq!(first_line("\n你好世界，今天\n", 4), "你好世…");
        assert_eq!(first_line("😀😃😄😁😆\n", 3), "😀😃…");
    }

    #[test]
    fn first_line_at_word_prefers_a_sentence_then_a_word() {
        assert_eq!(first_line_at_word("Short.\nMore", 90), "Short.");
        assert_eq!(
            first_line_at_word(
                "Forecasts for any city. Use when asked about the weather.",
                40
            ),
            "Forecasts for any city."
        );
        let long = "Search the web for sources, read them and write a summary with citations for every claim made";
        let cut = first_line_at_word(long, 40);
        assert_eq!(cut, "Search the web for sources, read them…");
        assert!(long.starts_with(cut.trim_end_matches('…')));
    }

    #[test]
    fn first_line_at_word_cuts_unspaced_text_on_a_char_boundary() {
        assert_eq!(first_line_at_word("東京都の天気を教えて", 4), "東京都の…");
        assert_eq!(first_line_at_word("🦀🦀🦀🦀🦀", 2), "🦀🦀…");
        assert_eq!(first_line_at_word("🦀🦀", 2), "🦀🦀");
    }

    #[test]
    fn first_line_at_word_measures_word_breaks_in_characters() {
        // In bytes the space sits past half of the 8-char limit; in characters it does not,
        // so the cut keeps the unbroken text instead of dropping back to one word.
        assert_eq!(
            first_line_at_word("日本 語語語語語語語語", 8),
            "日本 語語語語語…"
        );
        assert_eq!(
            first_line_at_word("日本語語語 語語語語語", 8),
            "日本語語語…"
        );
    }
}
