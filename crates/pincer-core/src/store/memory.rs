//! Long-term memories: saving (an identical fact in the same scope is a no-op), reading,
//! forgetting with history, and searching memories and stored messages through the same
//! CJK-aware full-text path (`search_terms`).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::search_terms::{Lookup, SearchQuery};
use super::{Store, StoreError, now};

/// Who a memory's text came from; recall marks all of it as data, and untrusted text (web
/// pages, files, other people) never gains authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    User,
    Agent,
    Tool,
    Untrusted,
}

impl Provenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::User => "user",
            Provenance::Agent => "agent",
            Provenance::Tool => "tool",
            Provenance::Untrusted => "untrusted",
        }
    }

    fn parse(text: &str) -> Provenance {
        match text {
            "user" => Provenance::User,
            "agent" => Provenance::Agent,
            "tool" => Provenance::Tool,
            _ => Provenance::Untrusted,
        }
    }
}

/// A memory to save.
#[derive(Debug, Clone)]
pub struct NewMemory {
    pub content: String,
    /// e.g. `fact`, `preference`.
    pub kind: String,
    /// `global`, `contact:<id>` or `chat:<id>`.
    pub scope: String,
    pub source_session: Option<String>,
    pub source_message: Option<i64>,
    pub provenance: Provenance,
}

/// A stored memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Memory {
    /// Our id, `mem-…`.
    pub id: String,
    pub content: String,
    pub kind: String,
    pub scope: String,
    pub source_session: Option<String>,
    pub source_message: Option<i64>,
    pub provenance: Provenance,
    pub created_at: String,
    pub updated_at: String,
    pub last_recalled: Option<String>,
    pub pinned: bool,
    /// The memory that replaced this one, if any.
    pub superseded_by: Option<String>,
    pub forgotten: bool,
}

/// What saving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Created(Memory),
    /// The same fact was already stored in that scope: nothing was written.
    Duplicate(Memory),
}

/// A stored message that matches a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageHit {
    pub message_id: i64,
    pub session_id: String,
    pub role: String,
    pub content: String,
    pub created_at: String,
}

/// How many candidates each index gives before the two are combined.
const CANDIDATES: usize = 500;

pub(super) const MEMORY_COLUMNS: &str =
    "m.uid, m.content, m.kind, m.scope, m.source_session, m.source_message,
     m.provenance, m.created_at, m.updated_at, m.last_recalled, m.pinned,
     (SELECT s.uid FROM memories s WHERE s.id = m.superseded_by), m.forgotten_at IS NOT NULL";

pub(super) fn memory_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Memory> {
    Ok(Memory {
        id: row.get(0)?,
        content: row.get(1)?,
        kind: row.get(2)?,
        scope: row.get(3)?,
        source_session: row.get(4)?,
        source_message: row.get(5)?,
        provenance: Provenance::parse(&row.get::<_, String>(6)?),
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
        last_recalled: row.get(9)?,
        pinned: row.get(10)?,
        superseded_by: row.get(11)?,
        forgotten: row.get(12)?,
    })
}

/// A `MessageHit` from `SELECT id, session_id, role, content, created_at FROM messages`.
pub(super) fn message_hit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageHit> {
    Ok(MessageHit {
        message_id: row.get(0)?,
        session_id: row.get(1)?,
        role: row.get(2)?,
        content: row.get(3)?,
        created_at: row.get(4)?,
    })
}

/// What makes two facts the same: case, spacing and punctuation aside ("I like green tea."
/// and "i like green-tea" are one fact).
pub fn content_hash(content: &str) -> String {
    let spaced: String = content
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let normalized = spaced
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let digest = Sha256::digest(normalized.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Saves a memory, unless the same fact is already remembered in that scope.
    pub fn save_memory(&self, new: &NewMemory) -> Result<Saved, StoreError> {
        let hash = content_hash(&new.content);
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let existing = tx
            .query_row(
                &format!(
                    "SELECT {MEMORY_COLUMNS} FROM memories m
                     WHERE m.scope = ?1 AND m.content_hash = ?2 AND m.forgotten_at IS NULL
                       AND m.superseded_by IS NULL"
                ),
                params![new.scope, hash],
                memory_row,
            )
            .optional()?;
        if let Some(memory) = existing {
            return Ok(Saved::Duplicate(memory));
        }
        let uid = format!("mem-{}", uuid::Uuid::new_v4().simple());
        let at = now();
        tx.execute(
            "INSERT INTO memories (uid, content, content_hash, kind, scope, source_session,
                                   source_message, provenance, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                uid,
                new.content,
                hash,
                new.kind,
                new.scope,
                new.source_session,
                new.source_message,
                new.provenance.as_str(),
                at
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO memory_history (memory_id, action, before, after, at)
             VALUES (?1, 'create', NULL, ?2, ?3)",
            params![id, new.content, at],
        )?;
        let memory = tx.query_row(
            &format!("SELECT {MEMORY_COLUMNS} FROM memories m WHERE m.id = ?1"),
            params![id],
            memory_row,
        )?;
        tx.commit()?;
        Ok(Saved::Created(memory))
    }

    /// The memory with our id `uid`.
    pub fn memory(&self, uid: &str) -> Result<Option<Memory>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {MEMORY_COLUMNS} FROM memories m WHERE m.uid = ?1"),
                params![uid],
                memory_row,
            )
            .optional()?)
    }

    /// Takes a memory out of recall and search; it stays in history. False if there is no
    /// such memory or it was already forgotten.
    pub fn forget_memory(&self, uid: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let at = now();
        let changed = tx.execute(
            "UPDATE memories SET forgotten_at = ?2, updated_at = ?2
             WHERE uid = ?1 AND forgotten_at IS NULL",
            params![uid, at],
        )?;
        if changed > 0 {
            tx.execute(
                "INSERT INTO memory_history (memory_id, action, before, after, at)
                 SELECT id, 'forget', content, NULL, ?2 FROM memories WHERE uid = ?1",
                params![uid, at],
            )?;
        }
        tx.commit()?;
        Ok(changed > 0)
    }

    /// Memories matching `query` (any text: see `search_terms`), best first; forgotten and
    /// superseded ones left out; only `scope` when given.
    pub fn search_memories(
        &self,
        query: &str,
        scope: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Memory>, StoreError> {
        let conn = self.conn();
        let Some(ids) = matching_ids(&conn, "memories", query)?.filter(|_| limit > 0) else {
            return Ok(Vec::new());
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT {MEMORY_COLUMNS} FROM memories m
             WHERE m.id = ?1 AND m.forgotten_at IS NULL AND m.superseded_by IS NULL
               AND (?2 IS NULL OR m.scope = ?2)"
        ))?;
        let mut found = Vec::new();
        for id in ids {
            if let Some(memory) = stmt.query_row(params![id, scope], memory_row).optional()? {
                found.push(memory);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Stored user and assistant messages matching `query`, best first.
    pub fn search_messages(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<MessageHit>, StoreError> {
        let conn = self.conn();
        let Some(ids) = matching_ids(&conn, "messages", query)?.filter(|_| limit > 0) else {
            return Ok(Vec::new());
        };
        let mut stmt = conn.prepare(
            "SELECT id, session_id, role, content, created_at FROM messages
             WHERE id = ?1 AND role != 'tool'",
        )?;
        let mut found = Vec::new();
        for id in ids {
            let hit = stmt.query_row(params![id], message_hit_row).optional()?;
            if let Some(hit) = hit {
                found.push(hit);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }
}

/// The rowids of `index` matching `expr`: the newest `newest` matches, then the best
/// `keep` of those by BM25. FTS5 walks an index in rowid order and stops at the limit, but
/// `ORDER BY rank` scores and sorts every match first — 200+ ms for a character in 200,000
/// of a million messages (docs/benchmarks.md); scoring only the newest bounds that, and a
/// term that common is found in recent conversations anyway.
fn ranked_recent(
    conn: &rusqlite::Connection,
    index: &str,
    expr: &str,
    newest: usize,
    keep: usize,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT rowid, rank FROM {index} WHERE {index} MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
    ))?;
    let mut rows: Vec<(i64, f64)> = stmt
        .query_map(params![expr, newest as i64], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    // BM25 as FTS5 gives it: lower is better.
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    rows.truncate(keep);
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// The rowids of `table` (`memories` or `messages`) matching `query`, best first; `None`
/// when the query has nothing to search for. Its words are looked up as tokens first and,
/// when that finds nothing, as substrings (see [`SearchQuery`]).
pub(super) fn matching_ids(
    conn: &rusqlite::Connection,
    table: &str,
    query: &str,
) -> Result<Option<Vec<i64>>, StoreError> {
    let Some(parsed) = SearchQuery::parse(query) else {
        return Ok(None);
    };
    let found = lookup_ids(conn, table, &parsed.tokens)?;
    match &parsed.substrings {
        Some(substrings) if found.is_empty() => Ok(Some(lookup_ids(conn, table, substrings)?)),
        _ => Ok(Some(found)),
    }
}

/// The rowids of `table` matching `lookup`, best first: each index answers the parts it
/// can find, and a row must match both when both are asked.
fn lookup_ids(
    conn: &rusqlite::Connection,
    table: &str,
    lookup: &Lookup,
) -> Result<Vec<i64>, StoreError> {
    let ranked = |index: &str, expr: &str| {
        ranked_recent(
            conn,
            &format!("{table}_{index}"),
            expr,
            CANDIDATES,
            CANDIDATES,
        )
    };
    let trigram = lookup
        .trigram
        .as_deref()
        .map(|e| ranked("tri", e))
        .transpose()?;
    // When one index finds nothing the other need not be asked.
    if trigram.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let words = lookup
        .words
        .as_deref()
        .map(|e| ranked("words", e))
        .transpose()?;
    Ok(match (trigram, words) {
        (Some(t), Some(w)) => {
            let in_words: std::collections::HashSet<i64> = w.into_iter().collect();
            t.into_iter().filter(|id| in_words.contains(id)).collect()
        }
        (Some(only), None) | (None, Some(only)) => only,
        (None, None) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Message;

    fn fact(content: &str) -> NewMemory {
        NewMemory {
            content: content.to_owned(),
            kind: "fact".to_owned(),
            scope: "global".to_owned(),
            source_session: None,
            source_message: None,
            provenance: Provenance::User,
        }
    }

    fn found(store: &Store, query: &str) -> Vec<String> {
        store
            .search_memories(query, None, 5)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect()
    }

    #[test]
    fn cjk_memories_are_found_by_one_two_and_longer_queries() {
        let store = Store::in_memory().unwrap();
        for text in [
            "我每周六去杭州西湖散步",
            "パスポートは机の引き出しにある",
            "여권은 서랍에 있어요",
            "my passport number is in ~/docs/id.pdf",
            "上海的天气很热",
        ] {
            store.save_memory(&fact(text)).unwrap();
        }
        for (query, expected) in [
            ("湖", "我每周六去杭州西湖散步"),
            ("西湖", "我每周六去杭州西湖散步"),
            ("杭州西湖", "我每周六去杭州西湖散步"),
            ("周六 散步", "我每周六去杭州西湖散步"),
            ("机", "パスポートは机の引き出しにある"),
            ("パスポート", "パスポートは机の引き出しにある"),
            ("서랍", "여권은 서랍에 있어요"),
            ("passport", "my passport number is in ~/docs/id.pdf"),
            ("PASS", "my passport number is in ~/docs/id.pdf"),
            ("id.pdf", "my passport number is in ~/docs/id.pdf"),
        ] {
            assert_eq!(
                found(&store, query),
                vec![expected.to_owned()],
                "query {query:?}"
            );
        }
        assert!(found(&store, "北京").is_empty());
        assert!(
            store.search_memories("西湖", None, 0).unwrap().is_empty(),
            "a limit of 0"
        );
    }

    #[test]
    fn latin_words_are_tokens_and_inside_a_word_only_when_no_word_matches() {
        let store = Store::in_memory().unwrap();
        for text in [
            "my passport number: see ~/docs/id.pdf",
            "the flight on 2025-11-26 leaves at 07:40, call 555-0142",
            "we met at 37.759, -122.428 by the pier",
            "it is a small island",
        ] {
            store.save_memory(&fact(text)).unwrap();
        }
        for (query, expected) in [
            ("id.pdf", "my passport number: see ~/docs/id.pdf"),
            ("~/docs/id.pdf", "my passport number: see ~/docs/id.pdf"),
            ("docs/id", "my passport number: see ~/docs/id.pdf"),
            ("passports", ""),
            ("passp", "my passport number: see ~/docs/id.pdf"),
            // No word starts with `port`: found inside `passport` through the trigram index.
            ("port", "my passport number: see ~/docs/id.pdf"),
            (
                "2025-11-26",
                "the flight on 2025-11-26 leaves at 07:40, call 555-0142",
            ),
            (
                "555-0142",
                "the flight on 2025-11-26 leaves at 07:40, call 555-0142",
            ),
            (
                "0142",
                "the flight on 2025-11-26 leaves at 07:40, call 555-0142",
            ),
            ("\"37.759", "we met at 37.759, -122.428 by the pier"),
            ("122.428", "we met at 37.759, -122.428 by the pier"),
            // `759` is a whole token; `59` is not, and too short to look for inside one.
            ("759", "we met at 37.759, -122.428 by the pier"),
            ("59", ""),
            // A short word is that word, not the start of longer ones (`is` in `island`).
            ("is", "it is a small island"),
            ("isl", "it is a small island"),
            ("isla", "it is a small island"),
        ] {
            let expected: Vec<String> = Some(expected)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .into_iter()
                .collect();
            assert_eq!(found(&store, query), expected, "query {query:?}");
        }
        store
            .save_memory(&fact("the island ferry leaves at noon"))
            .unwrap();
        assert_eq!(found(&store, "is").len(), 1, "`is` is a word in one memory");
        assert_eq!(
            found(&store, "isl").len(),
            2,
            "and `isl` inside a word in two"
        );
        // A word that starts some word is not looked for inside others.
        store.save_memory(&fact("the port of Genoa")).unwrap();
        assert_eq!(found(&store, "port"), ["the port of Genoa"]);
    }

    #[test]
    fn any_text_is_a_query_and_never_an_error() {
        let store = Store::in_memory().unwrap();
        store
            .save_memory(&fact("the point is at 37.759, -122.4"))
            .unwrap();
        for query in [
            "\"37.759",
            "NEAR(",
            "*",
            "\"",
            "((",
            "AND OR",
            "NOT",
            "a\"b",
            "-",
            "^",
            "{}",
            "col:value",
            "",
            "   ",
            "'; DROP TABLE memories; --",
        ] {
            store.search_memories(query, None, 5).unwrap();
            store.search_messages(query, 5).unwrap();
        }
        assert_eq!(
            found(&store, "\"37.759"),
            vec!["the point is at 37.759, -122.4"]
        );
    }

    #[test]
    fn the_same_fact_twice_is_one_memory_and_forgetting_takes_it_out_of_search() {
        let store = Store::in_memory().unwrap();
        let Saved::Created(first) = store.save_memory(&fact("I like green tea.")).unwrap() else {
            panic!("first save creates")
        };
        let again = store.save_memory(&fact("i like  green-tea")).unwrap();
        assert_eq!(again, Saved::Duplicate(first.clone()));
        let mut other_scope = fact("I like green tea.");
        other_scope.scope = "contact:ana".to_owned();
        assert!(matches!(
            store.save_memory(&other_scope).unwrap(),
            Saved::Created(_)
        ));
        assert_eq!(
            store
                .search_memories("green", Some("global"), 5)
                .unwrap()
                .len(),
            1
        );
        assert!(store.forget_memory(&first.id).unwrap());
        assert!(!store.forget_memory(&first.id).unwrap());
        assert!(
            store
                .search_memories("green", Some("global"), 5)
                .unwrap()
                .is_empty()
        );
        assert!(store.memory(&first.id).unwrap().unwrap().forgotten);
    }

    #[test]
    fn stored_messages_are_searchable_the_same_way_and_tool_output_is_not() {
        let store = Store::in_memory().unwrap();
        store.ensure_session("s1").unwrap();
        store
            .append_message("s1", "t1", &Message::user("我们决定下个月去西湖"))
            .unwrap();
        store
            .append_message(
                "s1",
                "t1",
                &Message::tool_result("c1", "西湖 tool output", false),
            )
            .unwrap();
        let hits = store.search_messages("西湖", 5).unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].session_id, "s1");
        assert_eq!(hits[0].role, "user");
        assert_eq!(store.search_messages("下个月", 5).unwrap().len(), 1);
        store
            .conn()
            .execute_batch("INSERT INTO messages_tri(messages_tri) VALUES ('integrity-check')")
            .unwrap();
        // Deleting the session (tool output included) leaves both indexes consistent.
        assert!(store.delete_session("s1").unwrap());
        assert!(store.search_messages("西湖", 5).unwrap().is_empty());
        let conn = store.conn();
        for index in ["messages_tri", "memories_tri"] {
            conn.execute_batch(&format!(
                "INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)"
            ))
            .unwrap();
        }
    }

    #[test]
    fn conversations_stored_before_the_search_index_existed_become_searchable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pincer.db");
        {
            // A database as the build before this schema left it, with a conversation.
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            let migrations = super::super::migrations::MIGRATIONS;
            // Migration 9 added the search indexes.
            let before = 8;
            assert!(migrations.len() > before);
            let tx = conn.transaction().unwrap();
            for sql in &migrations[..before] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", before as i64)
                .unwrap();
            tx.execute(
                "INSERT INTO sessions (id, created_at, updated_at) VALUES ('old', 'x', 'x')",
                [],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO messages (session_id, turn_id, role, content, created_at)
                 VALUES ('old', 't', 'user', '上个月我们决定去西湖', 'x')",
                [],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let store = Store::open(&path).unwrap();
        let hits = store.search_messages("西湖", 5).unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].session_id, "old");
        assert_eq!(store.search_messages("上个月", 5).unwrap().len(), 1);
    }
}
