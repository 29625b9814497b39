//! Full-text search that finds Chinese, Japanese and Korean as well as English.
//!
//! Two FTS5 indexes cover each searchable text. `trigram` finds any substring of three or
//! more characters in any script (`杭州西湖`, `37.759`, `passport`), but nothing shorter.
//! The word index holds the text as [`index_terms`] writes it: words as `unicode61` splits
//! them, and every CJK character alone and with its neighbour, so a one- or two-character
//! CJK query (`湖`, `西湖`) is a whole token. (`unicode61` alone keeps a Han run as one token,
//! so `西湖` would not match `杭州西湖`.) [`SearchQuery::parse`] sends each part of a query to
//! the index that finds it fastest — Latin words as word-index tokens, the trigram index for
//! CJK of three or more characters and, when the tokens find nothing, for Latin text inside
//! words — quoted, so any text a user types is a query and never an FTS syntax error.

/// Whether `c` is written without spaces between words: Han, kana, Hangul, and their
/// compatibility and extension blocks.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3005}'..='\u{3007}' // 々 〆 〇: iteration mark, closing mark, zero
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

/// FTS5 `MATCH` expressions, one per index; `None` where that index has nothing to look
/// for. A row must match both when both are given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    pub trigram: Option<String>,
    pub words: Option<String>,
}

/// A user's query as index lookups. Every term is a quoted string, so operators and stray
/// quotes in the input are searched for as text.
///
/// `tokens` is asked first: Latin words and numbers as word-index tokens — a word of up to
/// three letters as that whole token (`"is"`, not every word starting so, which FTS5 would
/// have to gather first), a longer one as a prefix (`"passport"*` also finds `passports`),
/// a fragment with punctuation as the phrase of its tokens (`id.pdf` → `"id pdf"`,
/// `2025-11-26` → `"2025 11 26"`) — and CJK by length: one or two characters as
/// word-index tokens, three or more through the trigram index. Tokens are what the word
/// index is fast at: a trigram phrase whose trigrams are common (`day`, `202`) makes FTS5
/// read their whole position lists, however few rows hold the phrase.
///
/// `substrings`, when the query has a Latin run of three or more characters, is the same
/// query with those runs looked for anywhere in a word through the trigram index (`port`
/// in `passport`, `759` in `37.759`): asked only when `tokens` finds nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub tokens: Lookup,
    pub substrings: Option<Lookup>,
}

impl SearchQuery {
    /// `None` when the query holds nothing to search for (only punctuation, say).
    pub fn parse(query: &str) -> Option<SearchQuery> {
        let mut tokens = Terms::default();
        let mut substrings = Terms::default();
        let mut any_substring = false;
        for piece in query.split_whitespace() {
            let mut runs: Vec<(bool, String)> = Vec::new();
            for c in piece.chars() {
                let cjk = is_cjk(c);
                match runs.last_mut() {
                    Some((kind, run)) if *kind == cjk => run.push(c),
                    _ => runs.push((cjk, c.to_string())),
                }
            }
            for (cjk, run) in runs {
                if cjk {
                    let term = quote(&run);
                    if run.chars().count() >= 3 {
                        tokens.trigram.push(term.clone());
                        substrings.trigram.push(term);
                    } else {
                        tokens.words.push(term.clone());
                        substrings.words.push(term);
                    }
                    continue;
                }
                let Some(term) = latin_tokens(&run) else {
                    continue;
                };
                // Quotes, brackets and punctuation around a word are not the text sought
                // (`"37.759` means 37.759); inside a word they stay.
                let inner = run.trim_matches(|c: char| !c.is_alphanumeric());
                if inner.chars().count() >= 3 {
                    substrings.trigram.push(quote(inner));
                    any_substring = true;
                } else {
                    substrings.words.push(term.clone());
                }
                tokens.words.push(term);
            }
        }
        let tokens = tokens.lookup()?;
        Some(SearchQuery {
            tokens,
            substrings: substrings.lookup().filter(|_| any_substring),
        })
    }
}

/// The terms gathered for each index.
#[derive(Default)]
struct Terms {
    trigram: Vec<String>,
    words: Vec<String>,
}

impl Terms {
    fn lookup(self) -> Option<Lookup> {
        if self.trigram.is_empty() && self.words.is_empty() {
            return None;
        }
        let join = |terms: Vec<String>| (!terms.is_empty()).then(|| terms.join(" AND "));
        Some(Lookup {
            trigram: join(self.trigram),
            words: join(self.words),
        })
    }
}

/// A run of non-CJK text as a word-index expression, split where `unicode61` splits it:
/// one short token whole, one longer token as a prefix, several as a phrase; `None` when
/// it holds no letter or digit.
fn latin_tokens(run: &str) -> Option<String> {
    let parts: Vec<&str> = run
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    match parts.as_slice() {
        [] => None,
        [one] if one.chars().count() <= 3 => Some(quote(one)),
        [one] => Some(format!("{}*", quote(one))),
        many => Some(quote(&many.join(" "))),
    }
}

/// Words too common in a message to say what it is about.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "bye", "hello", "hey", "hi", "okay", "ok", "thank", "sure", "yeah", "good", "great", "be",
    "been", "but", "by", "can", "could", "did", "do", "does", "doing", "done", "for", "from",
    "get", "got", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "just", "know", "let", "like", "me", "my", "need", "no", "not",
    "now", "of", "on", "one", "or", "our", "out", "please", "she", "should", "so", "some", "tell",
    "than", "thanks", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "to", "too", "up", "us", "was", "we", "were", "what", "when", "where", "which", "who",
    "why", "will", "with", "would", "yes", "you", "your",
];

/// Character pairs that say nothing about a message's subject (pronouns, question words,
/// particles and endings in Chinese, Japanese and Korean).
const STOP_PAIRS: &[&str] = &[
    "什么",
    "我们",
    "你们",
    "他们",
    "怎么",
    "为什",
    "一下",
    "一个",
    "这个",
    "那个",
    "可以",
    "没有",
    "是不",
    "不是",
    "知道",
    "现在",
    "的时",
    "时候",
    "吗？",
    "请问",
    "です",
    "ます",
    "した",
    "して",
    "ってい",
    "てい",
    "いる",
    "ない",
    "ので",
    "から",
    "まし",
    "でし",
    "この",
    "その",
    "あの",
    "何を",
    "ください",
    "くだ",
    "さい",
    "입니",
    "니다",
    "해요",
    "어요",
    "에서",
    "무엇",
    "뭐였",
    "있어",
    "했어",
    "나요",
];

/// How many terms of a message recall looks for, at most: enough for what a message is
/// about, few enough to keep the lookup fast.
const RECALL_TERMS: usize = 24;

/// A message as a recall lookup: its content words (stop words aside) and its CJK
/// character pairs, each looked up on its own (see `store::recall`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallQuery {
    /// Each term's `MATCH` expression on the word index, in the order of `terms`: a word of
    /// four or more letters with its common English endings, anything else as itself.
    pub exprs: Vec<String>,
    /// The terms, lowercased, to tell how much of the message a candidate covers.
    pub terms: Vec<String>,
}

impl RecallQuery {
    /// `None` when the message has nothing to look for ("hi", "ok?").
    pub fn from_message(text: &str) -> Option<RecallQuery> {
        let mut terms: Vec<(String, bool)> = Vec::new();
        let mut push = |term: String, prefix: bool| {
            if terms.len() < RECALL_TERMS && !terms.iter().any(|(t, _)| *t == term) {
                terms.push((term, prefix));
            }
        };
        let mut run: Vec<char> = Vec::new();
        let mut word = String::new();
        let flush_run = |run: &mut Vec<char>, push: &mut dyn FnMut(String, bool)| {
            match run.len() {
                0 => {}
                1 => push(run[0].to_string(), false),
                _ => {
                    for pair in run.windows(2) {
                        let pair: String = pair.iter().collect();
                        if !STOP_PAIRS.contains(&pair.as_str()) {
                            push(pair, false);
                        }
                    }
                }
            }
            run.clear();
        };
        let flush_word = |word: &mut String, push: &mut dyn FnMut(String, bool)| {
            let lower = word.to_lowercase();
            let letters = lower.chars().count();
            let numeric = lower.chars().any(|c| c.is_ascii_digit());
            if (letters >= 3 || numeric) && !STOP_WORDS.contains(&lower.as_str()) {
                // A word finds its other forms (`trip` → `trips`); a number is itself.
                push(lower, letters >= 4 && !numeric);
            }
            word.clear();
        };
        for c in text.chars() {
            if is_cjk(c) {
                flush_word(&mut word, &mut push);
                run.push(c);
            } else if c.is_alphanumeric() {
                flush_run(&mut run, &mut push);
                word.push(c);
            } else {
                flush_run(&mut run, &mut push);
                flush_word(&mut word, &mut push);
            }
        }
        flush_run(&mut run, &mut push);
        flush_word(&mut word, &mut push);
        if terms.is_empty() {
            return None;
        }
        let exprs = terms
            .iter()
            .map(|(term, forms)| {
                if *forms {
                    word_forms(term)
                } else {
                    quote(term)
                }
            })
            .collect();
        Some(RecallQuery {
            exprs,
            terms: terms.into_iter().map(|(term, _)| term).collect(),
        })
    }

    /// How many of the terms `text` holds.
    pub fn covered(&self, text: &str) -> usize {
        let lower = text.to_lowercase();
        self.terms
            .iter()
            .filter(|term| lower.contains(term.as_str()))
            .count()
    }

    /// How many terms a candidate must hold to be recalled: one of a short message's, two
    /// of a longer one's, so a single common word does not pull in unrelated memories.
    pub fn enough(&self) -> usize {
        if self.terms.len() <= 3 { 1 } else { 2 }
    }

    /// The same for past messages, which are many and loosely worded: two terms whenever
    /// the message has two ("first question" does not bring back every message saying
    /// "first").
    pub fn enough_for_messages(&self) -> usize {
        self.terms.len().min(2)
    }
}

/// Endings that make another form of an English word (`trip` → `trips`, `remind` →
/// `reminder`).
const ENDINGS: &[&str] = &["s", "es", "d", "ed", "ing", "er", "ers"];

/// `word` or one of its forms, as an `OR` of whole tokens. Not a prefix (`"place"*`):
/// FTS5 gathers every token starting so into one list before the first row, which was
/// most of recall's time (p95 6.4 against 1.4 ms for a message's lookups over a million
/// messages, docs/benchmarks.md).
fn word_forms(word: &str) -> String {
    let mut forms = vec![quote(word)];
    forms.extend(ENDINGS.iter().map(|end| quote(&format!("{word}{end}"))));
    // `place` → `placing`.
    if let Some(stem) = word.strip_suffix('e') {
        forms.push(quote(&format!("{stem}ing")));
    }
    forms.join(" OR ")
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

    fn lookup(trigram: Option<&str>, words: Option<&str>) -> Lookup {
        Lookup {
            trigram: trigram.map(str::to_owned),
            words: words.map(str::to_owned),
        }
    }

    #[test]
    fn each_part_of_a_query_goes_to_the_index_that_finds_it() {
        let q = SearchQuery::parse("西湖 杭州西湖 湖 passport id").unwrap();
        // Tokens first: CJK of one or two characters and every Latin word through the
        // word index, longer CJK through the trigram index.
        assert_eq!(
            q.tokens,
            lookup(
                Some("\"杭州西湖\""),
                Some("\"西湖\" AND \"湖\" AND \"passport\"* AND \"id\"")
            )
        );
        // Then, if that finds nothing, Latin words of three or more characters anywhere.
        assert_eq!(
            q.substrings,
            Some(lookup(
                Some("\"杭州西湖\" AND \"passport\""),
                Some("\"西湖\" AND \"湖\" AND \"id\"")
            ))
        );
        let mixed = SearchQuery::parse("abc西湖").unwrap();
        assert_eq!(mixed.tokens, lookup(None, Some("\"abc\" AND \"西湖\"")));
        assert_eq!(
            mixed.substrings,
            Some(lookup(Some("\"abc\""), Some("\"西湖\"")))
        );
        // Nothing to look for inside words: no second lookup.
        let cjk = SearchQuery::parse("湖 id").unwrap();
        assert_eq!(cjk.tokens, lookup(None, Some("\"湖\" AND \"id\"")));
        assert_eq!(cjk.substrings, None);
    }

    #[test]
    fn punctuated_fragments_are_phrases_of_their_tokens() {
        for (query, tokens, substring) in [
            ("id.pdf", "\"id pdf\"", "\"id.pdf\""),
            ("~/docs/id.pdf", "\"docs id pdf\"", "\"docs/id.pdf\""),
            ("2025-11-26", "\"2025 11 26\"", "\"2025-11-26\""),
            ("37.759,", "\"37 759\"", "\"37.759\""),
            ("555-0142", "\"555 0142\"", "\"555-0142\""),
        ] {
            let q = SearchQuery::parse(query).unwrap();
            assert_eq!(q.tokens, lookup(None, Some(tokens)), "{query}");
            assert_eq!(q.substrings, Some(lookup(Some(substring), None)), "{query}");
        }
    }

    #[test]
    fn operators_quotes_and_punctuation_are_text() {
        let q = SearchQuery::parse("\"37.759 NEAR( AND OR").unwrap();
        assert_eq!(
            q.tokens,
            lookup(
                None,
                Some("\"37 759\" AND \"NEAR\"* AND \"AND\" AND \"OR\"")
            )
        );
        assert_eq!(
            q.substrings,
            Some(lookup(
                Some("\"37.759\" AND \"NEAR\" AND \"AND\""),
                Some("\"OR\"")
            ))
        );
        let inner = SearchQuery::parse("a\"b\"c").unwrap();
        assert_eq!(inner.tokens, lookup(None, Some("\"a b c\"")));
        assert_eq!(
            inner.substrings,
            Some(lookup(Some("\"a\"\"b\"\"c\""), None))
        );
        assert_eq!(SearchQuery::parse("* ( \" -"), None);
        assert_eq!(SearchQuery::parse("'; --"), None);
        assert_eq!(SearchQuery::parse("   "), None);
    }

    #[test]
    fn a_message_becomes_its_content_words_and_cjk_pairs() {
        let q = RecallQuery::from_message("What did we decide about the trip last month?").unwrap();
        assert_eq!(q.terms, ["decide", "trip", "last", "month"]);
        assert_eq!(
            q.exprs[1],
            "\"trip\" OR \"trips\" OR \"tripes\" OR \"tripd\" OR \"triped\" OR \"triping\" \
             OR \"triper\" OR \"tripers\""
        );
        assert!(q.exprs[0].starts_with("\"decide\" OR \"decides\" OR "));
        assert!(q.exprs[0].ends_with(" OR \"deciding\""));
        let zh = RecallQuery::from_message("我周六要去哪里散步？").unwrap();
        assert_eq!(
            zh.terms,
            [
                "我周", "周六", "六要", "要去", "去哪", "哪里", "里散", "散步"
            ]
        );
        assert_eq!(zh.enough(), 2);
        let short = RecallQuery::from_message("湖 and 37.759, id").unwrap();
        assert_eq!(short.terms, ["湖", "37", "759"]);
        assert_eq!(short.enough(), 1);
        assert_eq!(
            RecallQuery::from_message("hi, ok? 的"),
            Some(RecallQuery {
                exprs: vec!["\"的\"".to_owned()],
                terms: vec!["的".to_owned()],
            })
        );
        assert_eq!(RecallQuery::from_message("ok? is it"), None);
        let hostile = RecallQuery::from_message("\" NEAR( * AND OR)").unwrap();
        assert_eq!(hostile.terms, ["near"]);
        assert!(hostile.exprs[0].starts_with("\"near\" OR \"nears\" OR "));
    }
}
