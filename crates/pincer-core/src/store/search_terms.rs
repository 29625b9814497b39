//! Full-text search that finds Chinese, Japanese and Korean as well as English.
//!
//! Two FTS5 indexes cover each searchable text. `trigram` finds any substring of three or
//! more characters in any script (`杭州西湖`, `37.759`, `passport`), but nothing shorter.
//! The word index holds the text as [`index_terms`] writes it: words as `unicode61` splits
//! them, and every CJK character alone and with its neighbour, so a one- or two-character
//! CJK query (`湖`, `西湖`) is a whole token. (`unicode61` alone keeps a Han run as one token,
//! so `西湖` would not match `杭州西湖`.) [`SearchQuery::parse`] sends each part of a query to
//! the index that can find it, quoted, so any text a user types is a query and never an FTS
//! syntax error.

/// Whether `c` is written without spaces between words: Han, kana, Hangul, and their
/// compatibility and extension blocks.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3100}'..='\u{312F}' // Bopomofo
        | '\u{3130}'..='\u{318F}' // Hangul compatibility jamo
        | '\u{31F0}'..='\u{31FF}' // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{1100}'..='\u{11FF}' // Hangul jamo
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9D}' // half-width Katakana
        | '\u{20000}'..='\u{2FA1F}' // extensions B to F, compatibility supplement
    )
}

/// The word index's text for `text`: everything outside CJK runs as it is (for
/// `unicode61` to split), and each CJK run as its characters and its adjacent pairs.
pub fn index_terms(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        if run.is_empty() {
            return;
        }
        out.push(' ');
        for c in run.iter() {
            out.push(*c);
            out.push(' ');
        }
        for pair in run.windows(2) {
            out.push(pair[0]);
            out.push(pair[1]);
            out.push(' ');
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A user's query as FTS5 `MATCH` expressions, one per index; `None` where that index has
/// nothing to look for. Every term is a quoted string, so operators and stray quotes in the
/// input are searched for as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub trigram: Option<String>,
    pub words: Option<String>,
}

impl SearchQuery {
    /// `None` when the query holds nothing to search for (only punctuation, say).
    pub fn parse(query: &str) -> Option<SearchQuery> {
        let mut trigram: Vec<String> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        for piece in query.split_whitespace() {
            // Quotes and brackets around a word are the user's syntax, not the text sought
            // (`"37.759` means 37.759); inside a word they stay.
            let piece = piece.trim_matches(|c: char| {
                matches!(
                    c,
                    '"' | '\''
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | '“'
                        | '”'
                        | '「'
                        | '」'
                        | '《'
                        | '》'
                )
            });
            let mut runs: Vec<(bool, String)> = Vec::new();
            for c in piece.chars() {
                let cjk = is_cjk(c);
                match runs.last_mut() {
                    Some((kind, run)) if *kind == cjk => run.push(c),
                    _ => runs.push((cjk, c.to_string())),
                }
            }
            for (cjk, run) in runs {
                let chars = run.chars().count();
                if chars >= 3 {
                    trigram.push(quote(&run));
                } else if cjk {
                    words.push(quote(&run));
                } else {
                    // One or two letters: the start of a word.
                    let kept: String = run.chars().filter(|c| c.is_alphanumeric()).collect();
                    if !kept.is_empty() {
                        words.push(format!("{}*", quote(&kept)));
                    }
                }
            }
        }
        if trigram.is_empty() && words.is_empty() {
            return None;
        }
        let join = |terms: Vec<String>| (!terms.is_empty()).then(|| terms.join(" AND "));
        Some(SearchQuery {
            trigram: join(trigram),
            words: join(words),
        })
    }
}

/// An FTS5 string: double quotes, with any inside doubled.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_characters_and_pairs_and_the_rest_stays() {
        assert_eq!(
            index_terms("我每周六去杭州西湖 walk 37.759"),
            " 我 每 周 六 去 杭 州 西 湖 我每 每周 周六 六去 去杭 杭州 州西 西湖  walk 37.759"
        );
        assert_eq!(
            index_terms("パスポート"),
            " パ ス ポ ー ト パス スポ ポー ート "
        );
        assert_eq!(index_terms("plain"), "plain");
    }

    #[test]
    fn each_part_of_a_query_goes_to_the_index_that_finds_it() {
        let q = SearchQuery::parse("西湖 杭州西湖 湖 passport id").unwrap();
        assert_eq!(q.trigram.as_deref(), Some("\"杭州西湖\" AND \"passport\""));
        assert_eq!(q.words.as_deref(), Some("\"西湖\" AND \"湖\" AND \"id\"*"));
        let mixed = SearchQuery::parse("abc西湖").unwrap();
        assert_eq!(mixed.trigram.as_deref(), Some("\"abc\""));
        assert_eq!(mixed.words.as_deref(), Some("\"西湖\""));
    }

    #[test]
    fn operators_quotes_and_punctuation_are_text() {
        let q = SearchQuery::parse("\"37.759 NEAR( AND OR").unwrap();
        assert_eq!(
            q.trigram.as_deref(),
            Some("\"37.759\" AND \"NEAR\" AND \"AND\"")
        );
        let inner = SearchQuery::parse("a\"b\"c").unwrap();
        assert_eq!(inner.trigram.as_deref(), Some("\"a\"\"b\"\"c\""));
        assert_eq!(q.words.as_deref(), Some("\"OR\"*"));
        assert_eq!(SearchQuery::parse("* ( \" -"), None);
        assert_eq!(SearchQuery::parse("   "), None);
    }
}
