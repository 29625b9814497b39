//! The facts a compaction keeps verbatim, found by rules rather than asked of the model:
//! file paths, commands, URLs, numbers and ids. Summaries written by models keep about a
//! tenth of the paths and almost none of the commands or numbers; these rules keep them all
//! (within a budget, newest first when it is exceeded).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

/// What a fact is, for the compaction message's headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactKind {
    Command,
    Path,
    Url,
    Number,
    Id,
}

impl FactKind {
    pub fn heading(self) -> &'static str {
        match self {
            FactKind::Command => "commands",
            FactKind::Path => "paths",
            FactKind::Url => "URLs",
            FactKind::Number => "numbers",
            FactKind::Id => "ids",
        }
    }
}

/// A fact and where it was found first (its order in the compacted turns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: FactKind,
    pub text: String,
}

#[allow(clippy::expect_used)] // constant patterns, checked by the tests
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"https?://[^\s<>"'`)\]]+"#).expect("URL pattern"));
#[allow(clippy::expect_used)]
static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:~|\.{1,2})?/[\w.@+\-]+(?:/[\w.@+\-]*)*|\b[\w.\-]+(?:/[\w.@+\-]+)+")
        .expect("path pattern")
});
#[allow(clippy::expect_used)]
static CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`([^`\n]{2,200})`").expect("code pattern"));
#[allow(clippy::expect_used)]
static ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{7,40}|[A-Z][A-Z0-9]+-\d+|[a-z]+[-_][0-9a-f]{6,})\b",
    )
    .expect("id pattern")
});
#[allow(clippy::expect_used)]
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-?\b\d[\d,]*(?:[.:]\d+)+\b|-?\b\d{2,}\b").expect("number pattern")
});

/// Collects facts from texts in order; `commands` are commands run (whole, as given).
#[derive(Debug, Default)]
pub struct Collector {
    seen: HashSet<(FactKind, String)>,
    facts: Vec<Fact>,
}

impl Collector {
    fn push(&mut self, kind: FactKind, text: &str) {
        let text = text
            .trim()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', '。', '，']);
        if text.is_empty() {
            return;
        }
        if self.seen.insert((kind, text.to_owned())) {
            self.facts.push(Fact {
                kind,
                text: text.to_owned(),
            });
        }
    }

    /// The facts a previous compaction kept (its rendered list), carried into the next
    /// one ahead of the newer facts.
    pub fn carry(&mut self, rendered: &str) {
        let mut kind = None;
        for line in rendered.lines() {
            if let Some(heading) = line.strip_suffix(':') {
                kind = [
                    FactKind::Command,
                    FactKind::Path,
                    FactKind::Url,
                    FactKind::Number,
                    FactKind::Id,
                ]
                .into_iter()
                .find(|k| k.heading() == heading);
                continue;
            }
            if let (Some(kind), Some(item)) = (kind, line.strip_prefix("- ")) {
                self.push(kind, item);
            }
        }
    }

    /// A command that ran, kept whole.
    pub fn command(&mut self, command: &str) {
        let one_line = command.split_whitespace().collect::<Vec<_>>().join(" ");
        self.push(FactKind::Command, &one_line);
    }

    /// Every fact `text` holds.
    pub fn text(&mut self, text: &str) {
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let overlaps = |taken: &[(usize, usize)], s: usize, e: usize| {
            taken.iter().any(|&(a, b)| s < b && a < e)
        };
        for m in CODE.captures_iter(text) {
            if let Some(code) = m.get(1) {
                self.push(FactKind::Command, code.as_str());
            }
        }
        for m in URL.find_iter(text) {
            taken.push((m.start(), m.end()));
            self.push(FactKind::Url, m.as_str());
        }
        for m in PATH.find_iter(text) {
            if overlaps(&taken, m.start(), m.end()) {
                continue;
            }
            // A fraction (1/2) or a date (2026/10/01) is not a path.
            if m.as_str().chars().all(|c| c.is_ascii_digit() || c == '/') {
                continue;
            }
            taken.push((m.start(), m.end()));
            self.push(FactKind::Path, m.as_str());
        }
        for m in ID.find_iter(text) {
            if overlaps(&taken, m.start(), m.end()) {
                continue;
            }
            // A plain number is a number, not an id.
            if m.as_str().chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            taken.push((m.start(), m.end()));
            self.push(FactKind::Id, m.as_str());
        }
        for m in NUMBER.find_iter(text) {
            if overlaps(&taken, m.start(), m.end()) {
                continue;
            }
            self.push(FactKind::Number, m.as_str());
        }
    }

    /// The facts, at most `budget_chars` of them counted by length: the latest found win
    /// when they do not all fit; the count left out is returned too.
    pub fn finish(self, budget_chars: usize) -> (Vec<Fact>, usize) {
        let mut kept: Vec<Fact> = Vec::new();
        let mut used = 0;
        for fact in self.facts.iter().rev() {
            let cost = fact.text.chars().count() + 3;
            if used + cost > budget_chars {
                continue;
            }
            used += cost;
            kept.push(fact.clone());
        }
        kept.reverse();
        let dropped = self.facts.len() - kept.len();
        (kept, dropped)
    }
}

/// The facts as the compaction message lists them, grouped by kind.
pub fn render(facts: &[Fact], dropped: usize) -> String {
    let mut out = String::new();
    for kind in [
        FactKind::Command,
        FactKind::Path,
        FactKind::Url,
        FactKind::Id,
        FactKind::Number,
    ] {
        let of_kind: Vec<&str> = facts
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.text.as_str())
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        out.push_str(&format!("{}:\n", kind.heading()));
        for text in of_kind {
            out.push_str("- ");
            out.push_str(text);
            out.push('\n');
        }
    }
    if dropped > 0 {
        out.push_str(&format!(
            "({dropped} older facts did not fit; `expand` shows the turns they came from)\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(FactKind, String)> {
        let mut c = Collector::default();
        c.text(text);
        c.finish(10_000)
            .0
            .into_iter()
            .map(|f| (f.kind, f.text))
            .collect()
    }

    #[test]
    fn paths_urls_commands_numbers_and_ids_are_found_verbatim() {
        let found = kinds(
            "Edited src/agent/turn.rs and ~/docs/id.pdf; see https://example.com/a?b=1. \
             Run `cargo test -p pincer-core` on port 8080 at 37.759, -122.4 (ticket IT-5521, \
             commit 9f3c2ab, id 3fa85f64-5717-4562-b3fc-2c963f66afa6). Then /etc/hosts.",
        );
        let expect = [
            (FactKind::Command, "cargo test -p pincer-core"),
            (FactKind::Url, "https://example.com/a?b=1"),
            (FactKind::Path, "src/agent/turn.rs"),
            (FactKind::Path, "~/docs/id.pdf"),
            (FactKind::Path, "/etc/hosts"),
            (FactKind::Id, "IT-5521"),
            (FactKind::Id, "9f3c2ab"),
            (FactKind::Id, "3fa85f64-5717-4562-b3fc-2c963f66afa6"),
            (FactKind::Number, "8080"),
            (FactKind::Number, "37.759"),
            (FactKind::Number, "-122.4"),
        ];
        for (kind, text) in expect {
            assert!(
                found.contains(&(kind, text.to_owned())),
                "{kind:?} {text} not in {found:?}"
            );
        }
        assert!(!found.iter().any(|(_, t)| t == "1/2"));
    }

    #[test]
    fn a_rendered_list_is_carried_into_the_next_with_its_kinds() {
        let mut first = Collector::default();
        first.command("cargo build --release");
        first.text("see ~/docs/id.pdf at port 8080");
        let (facts, _) = first.finish(10_000);
        let rendered = render(&facts, 0);
        let mut next = Collector::default();
        next.carry(&format!(
            "Summary:\nsome text: here\n\nPinned facts:\n{rendered}"
        ));
        let (carried, _) = next.finish(10_000);
        assert_eq!(carried, facts);
    }

    #[test]
    fn over_budget_the_latest_facts_are_kept_and_the_rest_counted() {
        let mut c = Collector::default();
        for n in 0..100 {
            c.command(&format!("make target{n}"));
        }
        let (kept, dropped) = c.finish(200);
        assert!(kept.len() < 100 && !kept.is_empty());
        assert_eq!(kept.last().unwrap().text, "make target99");
        assert_eq!(kept.len() + dropped, 100);
        assert!(render(&kept, dropped).contains(&format!("({dropped} older facts")));
    }
}
