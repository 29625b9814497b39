//! Shortening text for titles, labels, notifications, error details and the skill index.
//!
//! Lengths count `char`s, not bytes, so a cut never splits a UTF-8 sequence and CJK text gets
//! as many characters as Latin text. A cut can still split a grapheme made of several chars
//! (a flag, a ZWJ emoji family); no caller shows these where that matters enough to pull in
//! a segmentation library.

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

#[cfg(test)]
mod tests {
    use super::*;

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
