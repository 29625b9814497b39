//! What a new message brings back: memories and past messages that share its words, best
//! first, and the record of what each turn was given.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use rusqlite::Connection;

use super::memory::{MEMORY_COLUMNS, Memory, MessageHit, memory_row, message_hit_row};
use super::search_terms::RecallQuery;
use super::{Store, StoreError, now};

/// How many of each term's newest matches recall reads: all of a rarer term's, the most
/// recent of a common one's.
const PER_TERM: usize = 500;
/// How many of the best candidates may be read and checked against the message.
const WEIGHED: usize = 60;
/// How many times as many as asked for are read, in candidate order, for BM25 over their
/// text to choose among: each read is a row fetched from a large table (at 100k memories
/// sixty of them cost more than the lookups).
const CHOOSE_AMONG: usize = 2;

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
        let (ids, weights) = candidates(&conn, "memories", query, query.enough())?;
        let mut row = conn.prepare_cached(&format!(
            "SELECT {MEMORY_COLUMNS} FROM memories m
             WHERE m.id = ?1 AND m.forgotten_at IS NULL AND m.superseded_by IS NULL"
        ))?;
        let room = limit.saturating_sub(found.len());
        let mut matched: Vec<(i64, Memory)> = Vec::new();
        for id in ids {
            if matched.len() >= room * CHOOSE_AMONG {
                break;
            }
            let Some(memory) = row.query_row(params![id], memory_row).optional()? else {
                continue;
            };
            if in_scope(&memory)
                && !found.iter().any(|m| m.id == memory.id)
                && query.covered(&memory.content) >= query.enough()
            {
                matched.push((id, memory));
            }
        }
        found.extend(best(query, &weights, matched, |m| &m.content, room));
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
        let (ids, weights) = candidates(&conn, "messages", query, query.enough_for_messages())?;
        let mut row = conn.prepare_cached(
            "SELECT id, session_id, role, content, created_at FROM messages
             WHERE id = ?1 AND role != 'tool' AND session_id != ?2",
        )?;
        let mut matched: Vec<(i64, MessageHit)> = Vec::new();
        for id in ids {
            if matched.len() >= limit * CHOOSE_AMONG {
                break;
            }
            let hit = row
                .query_row(params![id, except_session], message_hit_row)
                .optional()?;
            if let Some(hit) = hit
                && query.covered(&hit.content) >= query.enough_for_messages()
            {
                matched.push((id, hit));
            }
        }
        Ok(best(query, &weights, matched, |h| &h.content, limit))
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

/// The rows of `table` (`memories` or `messages`) most worth checking against `query`,
/// best first, at most [`WEIGHED`], and each term's weight (its inverse document
/// frequency, in the order of `query.terms`).
///
/// Each term is looked up on its own, newest first, at most [`PER_TERM`] rows: FTS5 walks
/// one term's list in rowid order and stops there, where ranking an `OR` of all terms
/// (bm25) would read every term's whole list to count its rows — 20+ ms for a message with
/// common words among a million messages (docs/benchmarks.md). A term with fewer rows than
/// that is read whole, so an old message or memory sharing a rare word with the new message
/// is found however many rows share its common words. A row scores the inverse document
/// frequency of each term found in it (a term's frequency estimated, when it has more rows
/// than were read, from how many rowids its newest ones span). Rows holding `enough`
/// of the terms (as many as recall asks for) come first, then by score,
/// then the newest.
fn candidates(
    conn: &Connection,
    table: &str,
    query: &RecallQuery,
    enough: usize,
) -> Result<(Vec<i64>, Vec<f64>), StoreError> {
    let newest: i64 = conn.query_row(
        &format!("SELECT coalesce(max(id), 0) FROM {table}"),
        [],
        |row| row.get(0),
    )?;
    if newest <= 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT rowid FROM {table}_words WHERE {table}_words MATCH ?1
         ORDER BY rowid DESC LIMIT ?2"
    ))?;
    // rowid → (terms found, score)
    let mut found: HashMap<i64, (usize, f64)> = HashMap::new();
    let rows = newest as f64;
    let mut weights = Vec::with_capacity(query.exprs.len());
    for expr in &query.exprs {
        let ids: Vec<i64> = stmt
            .query_map(params![expr, PER_TERM as i64 + 1], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let read = ids.len().min(PER_TERM);
        let Some(&oldest) = ids.get(read.wrapping_sub(1)) else {
            weights.push(0.0);
            continue;
        };
        let frequency = if ids.len() > PER_TERM {
            // Its newest PER_TERM rows span rowids oldest..=newest: as dense elsewhere.
            PER_TERM as f64 * rows / (newest - oldest + 1).max(1) as f64
        } else {
            ids.len() as f64
        };
        // BM25's inverse document frequency.
        let weight = ((rows - frequency + 0.5) / (frequency + 0.5))
            .ln_1p()
            .max(0.0);
        weights.push(weight);
        for id in ids.into_iter().take(read) {
            let entry = found.entry(id).or_insert((0, 0.0));
            entry.0 += 1;
            entry.1 += weight;
        }
    }
    let mut ranked: Vec<(i64, usize, f64)> = found
        .into_iter()
        .map(|(id, (terms, score))| (id, terms.min(enough), score))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.total_cmp(&a.2)).then(b.0.cmp(&a.0)));
    ranked.truncate(WEIGHED);
    Ok((ranked.into_iter().map(|(id, _, _)| id).collect(), weights))
}

/// BM25's term-frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The `limit` best of the candidates that hold enough of the message: by BM25 over their
/// text, with each term's weight from [`candidates`] and the candidates' mean length as
/// the average; the newest first among equals.
fn best<T>(
    query: &RecallQuery,
    weights: &[f64],
    matched: Vec<(i64, T)>,
    text: impl Fn(&T) -> &str,
    limit: usize,
) -> Vec<T> {
    let texts: Vec<String> = matched
        .iter()
        .map(|(_, m)| text(m).to_lowercase())
        .collect();
    let lengths: Vec<f64> = texts.iter().map(|t| t.chars().count() as f64).collect();
    let average = (lengths.iter().sum::<f64>() / lengths.len().max(1) as f64).max(1.0);
    let mut scored: Vec<(f64, i64, T)> = matched
        .into_iter()
        .zip(texts.iter().zip(&lengths))
        .map(|((id, item), (text, length))| {
            let norm = K1 * (1.0 - B + B * length / average);
            let score = query
                .terms
                .iter()
                .zip(weights)
                .map(|(term, weight)| {
                    let tf = text.matches(term.as_str()).count() as f64;
                    weight * tf * (K1 + 1.0) / (tf + norm)
                })
                .sum::<f64>();
            (score, id, item)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, _, item)| item)
        .collect()
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
    fn pinned_memories_are_found_through_their_index_not_a_table_scan() {
        let store = Store::in_memory().unwrap();
        let conn = store.conn();
        let plan: Vec<String> = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT {MEMORY_COLUMNS} FROM memories m
                 WHERE m.pinned = 1 AND m.forgotten_at IS NULL AND m.superseded_by IS NULL
                 ORDER BY m.updated_at DESC, m.id DESC"
            ))
            .unwrap()
            .query_map([], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("memories_pinned")),
            "{plan:?}"
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
