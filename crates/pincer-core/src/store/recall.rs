//! What a new message brings back: memories and past messages that share its words, best
//! first, and the record of what each turn was given.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::memory::{
    MEMORY_COLUMNS, Memory, MessageHit, memory_row, message_hit_row, ranked_recent,
};
use super::search_terms::RecallQuery;
use super::{Store, StoreError, now};

/// How many of the newest index matches are scored, and how many of the best of those
/// are weighed (see `memory::ranked_recent`).
const NEWEST: usize = 500;
const WEIGHED: usize = 60;

/// One thing recall put into a turn's request, as the chat shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Recalled {
    pub turn_id: String,
    pub kind: RecalledKind,
    /// A memory's id (`mem-…`), or a past message's as `<session>/<message id>`.
    pub source: String,
    /// The text as it was given to the model.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RecalledKind {
    Memory,
    Message,
}

impl RecalledKind {
    fn as_str(self) -> &'static str {
        match self {
            RecalledKind::Memory => "memory",
            RecalledKind::Message => "message",
        }
    }
}

impl Store {
    /// Memories in `scopes` that share enough of the message's terms, best first; pinned
    /// ones in those scopes come first whether they match or not.
    pub fn recall_memories(
        &self,
        query: Option<&RecallQuery>,
        scopes: &[&str],
        limit: usize,
    ) -> Result<Vec<Memory>, StoreError> {
        let conn = self.conn();
        let mut found: Vec<Memory> = Vec::new();
        let in_scope = |m: &Memory| scopes.contains(&m.scope.as_str());
        {
            let mut pinned = conn.prepare_cached(&format!(
                "SELECT {MEMORY_COLUMNS} FROM memories m
                 WHERE m.pinned = 1 AND m.forgotten_at IS NULL AND m.superseded_by IS NULL
                 ORDER BY m.updated_at DESC, m.id DESC"
            ))?;
            for memory in pinned.query_map([], memory_row)? {
                let memory = memory?;
                if in_scope(&memory) && found.len() < limit {
                    found.push(memory);
                }
            }
        }
        let Some(query) = query else {
            return Ok(found);
        };
        let ids = ranked_recent(&conn, "memories_words", &query.words, NEWEST, WEIGHED)?;
        let mut row = conn.prepare_cached(&format!(
            "SELECT {MEMORY_COLUMNS} FROM memories m
             WHERE m.id = ?1 AND m.forgotten_at IS NULL AND m.superseded_by IS NULL"
        ))?;
        for id in ids {
            if found.len() >= limit {
                break;
            }
            let Some(memory) = row.query_row(params![id], memory_row).optional()? else {
                continue;
            };
            if in_scope(&memory)
                && !found.iter().any(|m| m.id == memory.id)
                && query.covered(&memory.content) >= query.enough()
            {
                found.push(memory);
            }
        }
        Ok(found)
    }

    /// User and assistant messages outside `except_session` that share enough of the
    /// message's terms, best first.
    pub fn recall_messages(
        &self,
        query: &RecallQuery,
        except_session: &str,
        limit: usize,
    ) -> Result<Vec<MessageHit>, StoreError> {
        let conn = self.conn();
        let ids = ranked_recent(&conn, "messages_words", &query.words, NEWEST, WEIGHED)?;
        let mut row = conn.prepare_cached(
            "SELECT id, session_id, role, content, created_at FROM messages
             WHERE id = ?1 AND role != 'tool' AND session_id != ?2",
        )?;
        let mut found: Vec<MessageHit> = Vec::new();
        for id in ids {
            if found.len() >= limit {
                break;
            }
            let hit = row
                .query_row(params![id, except_session], message_hit_row)
                .optional()?;
            if let Some(hit) = hit
                && query.covered(&hit.content) >= query.enough_for_messages()
            {
                found.push(hit);
            }
        }
        Ok(found)
    }

    /// Records what recall gave a turn, and when each memory was last recalled. Memories
    /// are otherwise untouched: being recalled is not a change.
    pub fn record_recall(&self, session: &str, items: &[Recalled]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let at = now();
        for item in items {
            tx.execute(
                "INSERT INTO turn_recalls (turn_id, session_id, kind, ref, text)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    item.turn_id,
                    session,
                    item.kind.as_str(),
                    item.source,
                    item.text
                ],
            )?;
            if item.kind == RecalledKind::Memory {
                tx.execute(
                    "UPDATE memories SET last_recalled = ?2 WHERE uid = ?1",
                    params![item.source, at],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The sources recalled into `session` by turns whose messages come after message
    /// `after` (what its request still carries, a compaction aside).
    pub fn recalled_since(&self, session: &str, after: i64) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT r.ref FROM turn_recalls r
             WHERE r.session_id = ?1 AND r.turn_id IN
                   (SELECT m.turn_id FROM messages m WHERE m.session_id = ?1 AND m.id > ?2)",
        )?;
        let rows = stmt.query_map(params![session, after], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What recall gave each turn of `session`, in order.
    pub fn recalls(&self, session: &str) -> Result<Vec<Recalled>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT turn_id, kind, ref, text FROM turn_recalls WHERE session_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![session], |row| {
            Ok(Recalled {
                turn_id: row.get(0)?,
                kind: if row.get::<_, String>(1)? == "memory" {
                    RecalledKind::Memory
                } else {
                    RecalledKind::Message
                },
                source: row.get(2)?,
                text: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Message;
    use crate::store::{NewMemory, Provenance};

    fn save(store: &Store, content: &str, scope: &str) -> Memory {
        match store
            .save_memory(&NewMemory {
                content: content.to_owned(),
                kind: "fact".to_owned(),
                scope: scope.to_owned(),
                source_session: None,
                source_message: None,
                provenance: Provenance::User,
            })
            .unwrap()
        {
            crate::store::Saved::Created(m) | crate::store::Saved::Duplicate(m) => m,
        }
    }

    fn recall(store: &Store, message: &str, scopes: &[&str]) -> Vec<String> {
        let query = RecallQuery::from_message(message);
        store
            .recall_memories(query.as_ref(), scopes, 5)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect()
    }

    #[test]
    fn a_message_recalls_the_memories_it_is_about_in_its_scopes_only() {
        let store = Store::in_memory().unwrap();
        save(&store, "我每周六去杭州西湖散步", "global");
        save(&store, "My passport is in ~/docs/id.pdf", "global");
        save(&store, "Ana's daughter is called Lucía", "contact:ana");
        save(&store, "The Kyoto trip is booked for May", "global");
        assert_eq!(
            recall(&store, "这个周六我去哪里散步？", &["global"]),
            ["我每周六去杭州西湖散步"]
        );
        assert_eq!(
            recall(&store, "where is my passport?", &["global"]),
            ["My passport is in ~/docs/id.pdf"]
        );
        assert!(recall(&store, "what is Lucía's name again?", &["global"]).is_empty());
        assert_eq!(
            recall(
                &store,
                "what is Lucía's name again?",
                &["global", "contact:ana"]
            ),
            ["Ana's daughter is called Lucía"]
        );
        assert!(recall(&store, "hello there", &["global"]).is_empty());
    }

    #[test]
    fn pinned_memories_come_back_every_time_and_forgotten_ones_never() {
        let store = Store::in_memory().unwrap();
        let pinned = save(&store, "Always answer in British English", "global");
        store
            .conn()
            .execute(
                "UPDATE memories SET pinned = 1 WHERE uid = ?1",
                params![pinned.id],
            )
            .unwrap();
        let gone = save(&store, "The wifi password is in the drawer", "global");
        assert_eq!(
            recall(&store, "hello there", &["global"]),
            ["Always answer in British English"]
        );
        store.forget_memory(&gone.id).unwrap();
        assert_eq!(
            recall(&store, "where is the wifi password?", &["global"]),
            ["Always answer in British English"]
        );
    }

    #[test]
    fn past_messages_come_from_other_sessions_and_recall_is_recorded() {
        let store = Store::in_memory().unwrap();
        for (session, text) in [
            (
                "old",
                "We decided to take the night train to Kyoto next month",
            ),
            ("now", "Which train did we decide on?"),
        ] {
            store.ensure_session(session).unwrap();
            store
                .append_message(session, "t", &Message::user(text))
                .unwrap();
        }
        let query = RecallQuery::from_message("Which train did we decide on?").unwrap();
        let hits = store.recall_messages(&query, "now", 5).unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].session_id, "old");
        let memory = save(&store, "Kyoto trip in May", "global");
        let items = vec![
            Recalled {
                turn_id: "t2".to_owned(),
                kind: RecalledKind::Memory,
                source: memory.id.clone(),
                text: memory.content.clone(),
            },
            Recalled {
                turn_id: "t2".to_owned(),
                kind: RecalledKind::Message,
                source: format!("old/{}", hits[0].message_id),
                text: hits[0].content.clone(),
            },
        ];
        store.record_recall("now", &items).unwrap();
        assert_eq!(store.recalls("now").unwrap(), items);
        let after = store.memory(&memory.id).unwrap().unwrap();
        assert!(after.last_recalled.is_some());
        assert_eq!(after.updated_at, memory.updated_at);
    }
}
