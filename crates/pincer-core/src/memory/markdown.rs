//! `MEMORY.md`: memories as a person reads and edits them, and as `pincer memory
//! export|import` writes and reads them.
//!
//! ```text
//! # Memory
//!
//! ## global
//!
//! - [pinned] Always answer in British English <!-- mem-… · user · 2026-10-01 -->
//! - [preference] Green tea, no sugar
//! - My passport is in ~/docs/id.pdf
//!
//! ## contact:ana
//!
//! - Her daughter is called Lucía
//! ```
//!
//! A `## scope` heading (`global`, `contact:<id>`, `chat:<id>`) sets the scope of the items
//! under it; items before one, or under any other heading, are global. Each
//! list item is one memory; lines indented under it continue it. `[pinned]`, `[fact]` and
//! `[preference]` at its start are marks, and an HTML comment is a note (an export writes
//! where the memory came from there). Other lines, such as headings and prose, are not
//! memories, so a hand-written file with notes around its list imports cleanly.

use crate::store::Memory;

/// One memory as a `MEMORY.md` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMemory {
    pub content: String,
    pub kind: String,
    pub scope: String,
    pub pinned: bool,
}

/// `memories` as a `MEMORY.md`, grouped by scope (global first).
pub fn export(memories: &[Memory]) -> String {
    let mut scopes: Vec<&str> = memories.iter().map(|m| m.scope.as_str()).collect();
    scopes.sort_by_key(|s| (*s != "global", *s));
    scopes.dedup();
    let mut out = String::from(
        "# Memory\n\n<!-- Written by `pincer memory export`. One memory per list item, under its scope; `pincer memory import` reads this file back. -->\n",
    );
    for scope in scopes {
        out.push_str(&format!("\n## {scope}\n\n"));
        for m in memories.iter().filter(|m| m.scope == scope) {
            out.push_str("- ");
            if m.pinned {
                out.push_str("[pinned] ");
            }
            if m.kind != "fact" {
                out.push_str(&format!("[{}] ", m.kind));
            }
            let mut lines = m.content.lines();
            out.push_str(lines.next().unwrap_or_default());
            for line in lines {
                out.push_str("\n  ");
                out.push_str(line);
            }
            out.push_str(&format!(
                " <!-- {} · {} · {} -->\n",
                m.id,
                m.provenance.as_str(),
                m.created_at.get(..10).unwrap_or(&m.created_at)
            ));
        }
    }
    out
}

/// The memories a `MEMORY.md` lists, in order.
pub fn parse(text: &str) -> Vec<ListedMemory> {
    let mut found: Vec<ListedMemory> = Vec::new();
    let mut scope = "global".to_owned();
    let mut open: Option<Vec<String>> = None;
    let close = |open: &mut Option<Vec<String>>, found: &mut Vec<ListedMemory>, scope: &str| {
        if let Some(lines) = open.take()
            && let Some(memory) = item(&lines.join("\n"), scope)
        {
            found.push(memory);
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(heading) = trimmed.strip_prefix("## ") {
            close(&mut open, &mut found, &scope);
            // A scope heading sets the scope; any other heading is a topic of the
            // user's, and its items are global.
            let heading = strip_comments(heading).trim().to_owned();
            scope = if is_scope(&heading) {
                heading
            } else {
                "global".to_owned()
            };
            continue;
        }
        if let Some(rest) = list_item(trimmed) {
            close(&mut open, &mut found, &scope);
            open = Some(vec![rest.to_owned()]);
            continue;
        }
        match &mut open {
            Some(lines)
                if !trimmed.is_empty() && (line.starts_with(' ') || line.starts_with('\t')) =>
            {
                lines.push(trimmed.to_owned());
            }
            _ => close(&mut open, &mut found, &scope),
        }
    }
    close(&mut open, &mut found, &scope);
    found
}

/// Whether `text` names a memory scope: `global`, `contact:<id>` or `chat:<id>`.
pub fn is_scope(text: &str) -> bool {
    text == "global"
        || ["contact:", "chat:"].iter().any(|prefix| {
            text.strip_prefix(prefix).is_some_and(|id| {
                !id.is_empty() && id.len() <= 200 && !id.chars().any(char::is_whitespace)
            })
        })
}

/// The text after a list marker (`- `, `* `, `+ `, `1. `), if `line` is a list item.
fn list_item(line: &str) -> Option<&str> {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest);
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        return line[digits..].strip_prefix(". ");
    }
    None
}

fn item(text: &str, scope: &str) -> Option<ListedMemory> {
    let mut rest = strip_comments(text);
    let mut pinned = false;
    let mut kind = "fact".to_owned();
    loop {
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix("[pinned]") {
            pinned = true;
            rest = after.to_owned();
        } else if let Some(after) = trimmed.strip_prefix("[preference]") {
            kind = "preference".to_owned();
            rest = after.to_owned();
        } else if let Some(after) = trimmed.strip_prefix("[fact]") {
            rest = after.to_owned();
        } else {
            break;
        }
    }
    let content = rest.trim().to_owned();
    (!content.is_empty()).then(|| ListedMemory {
        content,
        kind,
        scope: scope.to_owned(),
        pinned,
    })
}

/// `text` without `<!-- … -->` comments.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Provenance;

    fn memory(id: &str, content: &str, scope: &str, pinned: bool, kind: &str) -> Memory {
        Memory {
            id: id.to_owned(),
            content: content.to_owned(),
            kind: kind.to_owned(),
            scope: scope.to_owned(),
            source_session: None,
            source_message: None,
            provenance: Provenance::User,
            created_at: "2026-10-01T08:00:00Z".to_owned(),
            updated_at: "2026-10-01T08:00:00Z".to_owned(),
            last_recalled: None,
            pinned,
            superseded_by: None,
            forgotten: false,
        }
    }

    #[test]
    fn an_export_reads_back_as_the_same_memories() {
        let memories = vec![
            memory(
                "mem-b",
                "Her daughter is called Lucía",
                "contact:ana",
                false,
                "fact",
            ),
            memory(
                "mem-a",
                "Always answer in British English",
                "global",
                true,
                "fact",
            ),
            memory(
                "mem-c",
                "Green tea,\nno sugar",
                "global",
                false,
                "preference",
            ),
            memory("mem-d", "我每周六去杭州西湖散步", "global", false, "fact"),
        ];
        let text = export(&memories);
        assert!(text.contains("\n## global\n\n- [pinned] Always answer in British English <!-- mem-a · user · 2026-10-01 -->\n"), "{text}");
        assert!(text.find("## global").unwrap() < text.find("## contact:ana").unwrap());
        let parsed = parse(&text);
        let mut expected: Vec<ListedMemory> = memories
            .iter()
            .map(|m| ListedMemory {
                content: m.content.clone(),
                kind: m.kind.clone(),
                scope: m.scope.clone(),
                pinned: m.pinned,
            })
            .collect();
        expected.rotate_left(1);
        assert_eq!(parsed, expected);
    }

    #[test]
    fn a_hand_written_file_imports_its_list_items_only() {
        let text = "# Notes about me\n\nI wrote these by hand.\n\n* likes hiking\n1. allergic to peanuts\n   (severe)\n\n## work\n- [preference] stand-up at 9:30 <!-- from Slack -->\n-   \n";
        let parsed = parse(text);
        let got: Vec<(&str, &str, &str)> = parsed
            .iter()
            .map(|m| (m.content.as_str(), m.scope.as_str(), m.kind.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("likes hiking", "global", "fact"),
                ("allergic to peanuts\n(severe)", "global", "fact"),
                ("stand-up at 9:30", "global", "preference"),
            ]
        );
    }
}
