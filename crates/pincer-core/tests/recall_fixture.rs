#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Keyword recall@5 of memory and message search, measured on a shipped bilingual fixture
//! (tests/fixtures/recall_pairs.jsonl): facts a user tells an assistant in Chinese,
//! Japanese, Korean and English, each with a query a user would type to find it again.
//!
//! Every fact lives in one store twice: as a memory and as a user message (spread over
//! many sessions, each answered by the assistant), so every other fact is a distractor.
//! A pair is recalled when its fact is among the first five results of the store's public
//! search. `cargo test -p pincer-core --test recall_fixture -- --nocapture` prints the
//! figures.

use std::collections::{BTreeMap, HashSet};

use pincer_core::model::Message;
use pincer_core::store::search_terms::RecallQuery;
use pincer_core::store::{NewMemory, Provenance, Store};
use serde::Deserialize;

const FIXTURE: &str = include_str!("fixtures/recall_pairs.jsonl");

/// Results a pair's fact must be among.
const K: usize = 5;
/// The recall@5 every kind of query must reach on both surfaces.
const FLOOR: f64 = 0.95;
/// How many sessions the facts are spread over as messages.
const SESSIONS: usize = 50;

const LANGS: [&str; 4] = ["zh", "ja", "ko", "en"];
const KINDS: [&str; 4] = ["cjk1", "cjk2", "cjk3", "en"];
const SURFACES: [Surface; 2] = [Surface::Memories, Surface::Messages];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pair {
    lang: String,
    kind: String,
    query: String,
    evidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Surface {
    Memories,
    Messages,
}

impl Surface {
    fn name(self) -> &'static str {
        match self {
            Surface::Memories => "memories",
            Surface::Messages => "messages",
        }
    }
}

fn pairs() -> Vec<Pair> {
    FIXTURE
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("recall_pairs.jsonl line {}: {e}", n + 1))
        })
        .collect()
}

/// The assistant's answers between the facts: more text to search past.
fn acknowledgement(lang: &str, n: usize) -> &'static str {
    let choices: [&str; 2] = match lang {
        "zh" => ["好的，我记下了。", "明白，已经帮你记住。"],
        "ja" => ["わかりました、覚えておきます。", "了解です。メモしました。"],
        "ko" => ["네, 기억해 둘게요.", "알겠어요, 메모해 둘게요."],
        _ => [
            "Got it, I'll remember that.",
            "Noted, thanks for telling me.",
        ],
    };
    choices[n % choices.len()]
}

#[test]
fn the_fixture_is_large_varied_and_every_query_is_in_its_fact() {
    let pairs = pairs();
    assert!(
        pairs.len() >= 500,
        "{} pairs, want at least 500",
        pairs.len()
    );
    let mut seen = HashSet::new();
    let mut per_lang: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, pair) in pairs.iter().enumerate() {
        let at = format!("pair {} ({:?})", n + 1, pair.query);
        assert!(
            LANGS.contains(&pair.lang.as_str()),
            "{at}: lang {:?}",
            pair.lang
        );
        assert!(
            KINDS.contains(&pair.kind.as_str()),
            "{at}: kind {:?}",
            pair.kind
        );
        assert_eq!(
            pair.kind == "en",
            pair.lang == "en",
            "{at}: English pairs and only they are of kind en"
        );
        assert!(
            seen.insert(pair.evidence.as_str()),
            "{at}: evidence repeated"
        );
        let parts: Vec<&str> = pair.query.split_whitespace().collect();
        assert!(!parts.is_empty(), "{at}: empty query");
        let evidence = pair.evidence.to_lowercase();
        for part in &parts {
            assert!(
                evidence.contains(&part.to_lowercase()),
                "{at}: {part:?} is not in {:?}",
                pair.evidence
            );
        }
        assert!(
            pair.query.trim() != pair.evidence.trim(),
            "{at}: the query is the whole fact"
        );
        let chars = parts.iter().map(|p| p.chars().count()).sum::<usize>();
        match pair.kind.as_str() {
            "cjk1" => assert_eq!(chars, 1, "{at}: a cjk1 query is one character"),
            "cjk2" => assert_eq!(chars, 2, "{at}: a cjk2 query is two characters"),
            "cjk3" => assert!(chars >= 3, "{at}: a cjk3 query is three characters or more"),
            _ => assert!(parts.len() <= 3, "{at}: an en query is one to three words"),
        }
        *per_lang.entry(pair.lang.as_str()).or_default() += 1;
        *per_kind.entry(pair.kind.as_str()).or_default() += 1;
    }
    for lang in LANGS {
        let n = per_lang.get(lang).copied().unwrap_or(0);
        assert!(n >= 100, "{n} {lang} pairs, want at least 100");
    }
    for kind in ["cjk1", "cjk2", "cjk3"] {
        let n = per_kind.get(kind).copied().unwrap_or(0);
        assert!(n >= 60, "{n} {kind} pairs, want at least 60");
    }
}

/// One search: whether the pair's fact came back in the top five, and what did.
struct Outcome<'a> {
    pair: &'a Pair,
    surface: Surface,
    hit: bool,
    /// Whether it came first (reported, not asserted: the fixture's queries are not all
    /// unique to one fact, as real ones are not).
    first: bool,
    got: Vec<String>,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    hits: usize,
    firsts: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome<'_>) {
        self.total += 1;
        self.hits += usize::from(outcome.hit);
        self.firsts += usize::from(outcome.first);
    }

    fn ratio(part: usize, total: usize) -> f64 {
        if total == 0 {
            return 0.0;
        }
        part as f64 / total as f64
    }

    fn recall(self) -> f64 {
        Self::ratio(self.hits, self.total)
    }

    fn recall_at_1(self) -> f64 {
        Self::ratio(self.firsts, self.total)
    }
}

/// Where the fixture's facts are kept as memories.
const SCOPES: [&str; 3] = ["global", "contact:ana", "chat:family"];

/// Every pair's fact as a memory and as a user message answered by the assistant.
fn fixture_store(pairs: &[Pair]) -> Store {
    let store = Store::in_memory().unwrap();
    let scopes = SCOPES;
    for (n, pair) in pairs.iter().enumerate() {
        store
            .save_memory(&NewMemory {
                content: pair.evidence.clone(),
                kind: "fact".to_owned(),
                scope: scopes[n % scopes.len()].to_owned(),
                source_session: None,
                source_message: None,
                provenance: Provenance::User,
            })
            .unwrap();
        let session = format!("recall-{:02}", n % SESSIONS);
        let turn = format!("turn-{n}");
        store.ensure_session(&session).unwrap();
        store
            .append_message(&session, &turn, &Message::user(pair.evidence.as_str()))
            .unwrap();
        store
            .append_message(
                &session,
                &turn,
                &Message::assistant(acknowledgement(&pair.lang, n), Vec::new()),
            )
            .unwrap();
    }
    store
}

#[test]
fn keyword_recall_at_5_is_at_least_95_percent_for_every_kind_of_query() {
    let pairs = pairs();
    let store = fixture_store(&pairs);
    let mut outcomes = Vec::new();
    for pair in &pairs {
        let memories: Vec<String> = store
            .search_memories(&pair.query, None, K)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect();
        let messages: Vec<String> = store
            .search_messages(&pair.query, K)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect();
        for (surface, got) in [(Surface::Memories, memories), (Surface::Messages, messages)] {
            assert!(
                got.len() <= K,
                "{:?} gave {} results",
                pair.query,
                got.len()
            );
            outcomes.push(Outcome {
                pair,
                surface,
                hit: got.contains(&pair.evidence),
                first: got.first() == Some(&pair.evidence),
                got,
            });
        }
    }

    let mut by_kind: BTreeMap<(&str, Surface), Tally> = BTreeMap::new();
    let mut by_lang: BTreeMap<(&str, Surface), Tally> = BTreeMap::new();
    let mut overall: BTreeMap<Surface, Tally> = BTreeMap::new();
    for o in &outcomes {
        by_kind
            .entry((o.pair.kind.as_str(), o.surface))
            .or_default()
            .add(o);
        by_lang
            .entry((o.pair.lang.as_str(), o.surface))
            .or_default()
            .add(o);
        overall.entry(o.surface).or_default().add(o);
    }

    let mut table = format!(
        "keyword recall over {} pairs: each fact a memory and a user message \
         ({SESSIONS} sessions, assistant replies between)\n",
        pairs.len()
    );
    table.push_str(&format!(
        "{:<12} {:>6} {:>12} {:>12} {:>12} {:>12}\n",
        "", "pairs", "memories@5", "messages@5", "memories@1", "messages@1"
    ));
    let row = |label: &str, of: &dyn Fn(Surface) -> Tally| {
        let (mem, msg) = (of(Surface::Memories), of(Surface::Messages));
        format!(
            "{label:<12} {:>6} {:>12.3} {:>12.3} {:>12.3} {:>12.3}\n",
            mem.total,
            mem.recall(),
            msg.recall(),
            mem.recall_at_1(),
            msg.recall_at_1()
        )
    };
    for kind in KINDS {
        table.push_str(&row(&format!("kind {kind}"), &|s| {
            by_kind.get(&(kind, s)).copied().unwrap_or_default()
        }));
    }
    for lang in LANGS {
        table.push_str(&row(&format!("lang {lang}"), &|s| {
            by_lang.get(&(lang, s)).copied().unwrap_or_default()
        }));
    }
    table.push_str(&row("all", &|s| {
        overall.get(&s).copied().unwrap_or_default()
    }));
    eprintln!("{table}");

    let misses: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.hit)
        .map(|o| {
            format!(
                "  [{}] {} {} {:?} wants {:?}, got {:?}",
                o.surface.name(),
                o.pair.lang,
                o.pair.kind,
                o.pair.query,
                o.pair.evidence,
                o.got
            )
        })
        .collect();
    if !misses.is_empty() {
        eprintln!("missed ({}):\n{}", misses.len(), misses.join("\n"));
    }

    let below: Vec<String> = KINDS
        .iter()
        .flat_map(|kind| SURFACES.iter().map(move |s| (*kind, *s)))
        .filter_map(|(kind, surface)| {
            let tally = by_kind.get(&(kind, surface)).copied().unwrap_or_default();
            (tally.total == 0 || tally.recall() < FLOOR).then(|| {
                format!(
                    "{kind} on {}: {}/{} = {:.3}",
                    surface.name(),
                    tally.hits,
                    tally.total,
                    tally.recall()
                )
            })
        })
        .collect();
    assert!(
        below.is_empty(),
        "recall@{K} below {FLOOR}: {}\n{table}missed:\n{}",
        below.join("; "),
        misses.join("\n")
    );
}

/// Recall (what a new message brings back by itself, not the search tool) on the same
/// store, with each pair's query as the new message: whether its fact is among the five
/// memories `recall_memories` gives (all three scopes) and among five past messages
/// `recall_messages` gives. Recall looks for a message's content words and CJK pairs, not
/// for one-character words or two-letter ones, so a query it has nothing to look for in
/// counts as a miss. Held to search's floor.
#[test]
fn recall_brings_back_the_fact_a_message_is_about() {
    const RECALL_FLOOR: f64 = FLOOR;
    let pairs = pairs();
    let store = fixture_store(&pairs);
    let mut by_kind: BTreeMap<(&str, Surface), Tally> = BTreeMap::new();
    let mut overall: BTreeMap<Surface, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    for pair in &pairs {
        let query = RecallQuery::from_message(&pair.query);
        let memories: Vec<String> = store
            .recall_memories(query.as_ref(), &SCOPES, K)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect();
        let messages: Vec<String> = match &query {
            Some(q) => store
                .recall_messages(q, "none", K)
                .unwrap()
                .into_iter()
                .map(|m| m.content)
                .collect(),
            None => Vec::new(),
        };
        for (surface, got) in [(Surface::Memories, memories), (Surface::Messages, messages)] {
            let outcome = Outcome {
                pair,
                surface,
                hit: got.contains(&pair.evidence),
                first: got.first() == Some(&pair.evidence),
                got,
            };
            by_kind
                .entry((pair.kind.as_str(), surface))
                .or_default()
                .add(&outcome);
            overall.entry(surface).or_default().add(&outcome);
            if !outcome.hit {
                misses.push(format!(
                    "  [{}] {} {:?} wants {:?}, got {:?}",
                    surface.name(),
                    pair.kind,
                    pair.query,
                    pair.evidence,
                    outcome.got
                ));
            }
        }
    }
    let mut table = format!(
        "recall_memories / recall_messages with each of {} queries as the new message\n{:<12} {:>6} {:>12} {:>12} {:>12} {:>12}\n",
        pairs.len(),
        "",
        "pairs",
        "memories@5",
        "messages@5",
        "memories@1",
        "messages@1"
    );
    let mut below = Vec::new();
    for kind in KINDS.iter().copied().chain(["all"]) {
        let of = |s: Surface| {
            if kind == "all" {
                overall.get(&s).copied().unwrap_or_default()
            } else {
                by_kind.get(&(kind, s)).copied().unwrap_or_default()
            }
        };
        let (mem, msg) = (of(Surface::Memories), of(Surface::Messages));
        table.push_str(&format!(
            "{:<12} {:>6} {:>12.3} {:>12.3} {:>12.3} {:>12.3}\n",
            format!("kind {kind}"),
            mem.total,
            mem.recall(),
            msg.recall(),
            mem.recall_at_1(),
            msg.recall_at_1()
        ));
        for (surface, tally) in [(Surface::Memories, mem), (Surface::Messages, msg)] {
            if tally.total == 0 || tally.recall() < RECALL_FLOOR {
                below.push(format!(
                    "{kind} on {}: {:.3}",
                    surface.name(),
                    tally.recall()
                ));
            }
        }
    }
    eprintln!("{table}");
    if !misses.is_empty() {
        eprintln!("recall missed ({}):\n{}", misses.len(), misses.join("\n"));
    }
    assert!(
        below.is_empty(),
        "recall@{K} below {RECALL_FLOOR}: {}\n{table}",
        below.join("; ")
    );
}
