//! Sessions and their messages.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, now};
use crate::model::{ImageRef, Message, Role, ToolCall};

/// A message as stored, with when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoredMessage {
    pub id: i64,
    pub turn_id: String,
    pub created_at: String,
    #[serde(flatten)]
    pub message: Message,
    /// What was sent with a user message besides its text (recalled memories); the
    /// model's view only, never shown as the message.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub context: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionSummary {
    pub id: String,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
    pub messages: u64,
}

/// A session's default title: the first non-blank line of its first message, at most 80
/// characters.
fn title_from(text: &str) -> String {
    crate::text::first_line(text, 80)
}

/// A fresh session id: 12 hex characters, short enough to type after `--session`.
pub fn new_session_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..12].to_owned()
}

impl Store {
    /// Creates the session if it does not exist yet.
    pub fn ensure_session(&self, id: &str) -> Result<(), StoreError> {
        let now = now();
        self.conn().execute(
            "INSERT INTO sessions (id, created_at, updated_at) VALUES (?1, ?2, ?2) ON CONFLICT(id) DO NOTHING",
            params![id, now],
        )?;
        Ok(())
    }

    pub fn session_exists(&self, id: &str) -> Result<bool, StoreError> {
        let found = self
            .conn()
            .query_row("SELECT 1 FROM sessions WHERE id = ?1", params![id], |_| {
                Ok(())
            })
            .optional()?;
        Ok(found.is_some())
    }

    /// Appends a message; the first user message also names the session.
    pub fn append_message(
        &self,
        session: &str,
        turn_id: &str,
        message: &Message,
    ) -> Result<StoredMessage, StoreError> {
        self.append_message_with_context(session, turn_id, message, None)
    }

    /// Appends a message sent with `context` (see [`StoredMessage::context`]).
    pub fn append_message_with_context(
        &self,
        session: &str,
        turn_id: &str,
        message: &Message,
        context: Option<&str>,
    ) -> Result<StoredMessage, StoreError> {
        let tool_calls = if message.tool_calls.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&message.tool_calls)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )
        };
        let images = if message.images.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&message.images)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )
        };
        let now = now();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO messages (session_id, turn_id, role, content, tool_calls, tool_call_id, is_error, created_at, images, context)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                session,
                turn_id,
                message.role.as_str(),
                message.content,
                tool_calls,
                message.tool_call_id,
                message.is_error,
                now,
                images,
                context
            ],
        )?;
        let id = tx.last_insert_rowid();
        if message.role == Role::User {
            let title = title_from(&message.content);
            tx.execute(
                "UPDATE sessions SET title = ?2 WHERE id = ?1 AND title = ''",
                params![session, title],
            )?;
        }
        tx.execute(
            "UPDATE sessions SET updated_at = ?2 WHERE id = ?1",
            params![session, now],
        )?;
        tx.commit()?;
        Ok(StoredMessage {
            id,
            turn_id: turn_id.to_owned(),
            created_at: now,
            message: message.clone(),
            context: context.map(str::to_owned),
        })
    }

    pub fn messages(&self, session: &str) -> Result<Vec<StoredMessage>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, turn_id, role, content, tool_calls, tool_call_id, is_error, created_at, images, context
             FROM messages WHERE session_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![session], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, bool>(6)?,
                row.get::<_, String>(7)?,
                row.get::<_, Option<String>>(8)?,
                row.get::<_, Option<String>>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                turn_id,
                role,
                content,
                tool_calls,
                tool_call_id,
                is_error,
                created_at,
                images,
                context,
            ) = row?;
            let role = match role.as_str() {
                "user" => Role::User,
                "assistant" => Role::Assistant,
                "tool" => Role::Tool,
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "message {id} has role {other:?}"
                    )));
                }
            };
            let tool_calls: Vec<ToolCall> = match tool_calls {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("message {id} tool calls: {e}")))?,
                None => Vec::new(),
            };
            let images: Vec<ImageRef> = match images {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("message {id} images: {e}")))?,
                None => Vec::new(),
            };
            out.push(StoredMessage {
                id,
                turn_id,
                created_at,
                message: Message {
                    role,
                    content,
                    tool_calls,
                    tool_call_id,
                    is_error,
                    images,
                },
                context,
            });
        }
        Ok(out)
    }

    /// Sessions, most recently used first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>, StoreError> {
        self.search_sessions("")
    }

    /// Sessions whose title contains `query` or whose user and assistant messages match it
    /// through the full-text indexes (the path memory search takes: any language, 1-, 2-
    /// and 3+-character CJK queries, any text a valid query), most recently used first; an
    /// empty query lists all.
    pub fn search_sessions(&self, query: &str) -> Result<Vec<SessionSummary>, StoreError> {
        let query = query.trim();
        let conn = self.conn();
        let matching = if query.is_empty() {
            None
        } else {
            let ids = super::memory::matching_ids(&conn, "messages", query)?.unwrap_or_default();
            Some(serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        };
        let pattern = format!("%{}%", escape_like(query));
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.title, s.created_at, s.updated_at,
                    (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id)
             FROM sessions s
             WHERE ?1 IS NULL OR s.title LIKE ?2 ESCAPE '\\'
                OR s.id IN (SELECT m.session_id FROM messages m
                            WHERE m.id IN (SELECT value FROM json_each(?1)))
             ORDER BY s.updated_at DESC, s.rowid DESC",
        )?;
        let rows = stmt.query_map(params![matching, pattern], session_summary)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn session(&self, id: &str) -> Result<Option<SessionSummary>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT s.id, s.title, s.created_at, s.updated_at,
                        (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id)
                 FROM sessions s WHERE s.id = ?1",
                params![id],
                session_summary,
            )
            .optional()?)
    }

    /// Sets a session's title; false if there is no such session.
    pub fn rename_session(&self, id: &str, title: &str) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "UPDATE sessions SET title = ?2 WHERE id = ?1",
            params![id, title],
        )?;
        Ok(changed > 0)
    }

    /// Deletes a session with its messages; false if there is no such session.
    pub fn delete_session(&self, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .conn()
            .execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
        Ok(changed > 0)
    }
}

fn session_summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionSummary> {
    Ok(SessionSummary {
        id: row.get(0)?,
        title: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        messages: row.get(4)?,
    })
}

/// Makes `%` and `_` in user input match themselves in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sidebar_search_finds_sessions_by_title_and_by_any_message_in_any_script() {
        let store = Store::in_memory().unwrap();
        for (session, text) in [
            ("a", "我们决定下个月去西湖"),
            ("b", "Plan a trip to Lisbon"),
            ("c", "パスポートは机の中"),
        ] {
            store.ensure_session(session).unwrap();
            store
                .append_message(session, "t", &Message::user(text))
                .unwrap();
        }
        store
            .append_message(
                "b",
                "t",
                &Message::assistant("Booked: 37.759, -122.4", Vec::new()),
            )
            .unwrap();
        store.rename_session("c", "Documents").unwrap();
        let found = |q: &str| -> Vec<String> {
            let mut ids: Vec<String> = store
                .search_sessions(q)
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(found(""), ["a", "b", "c"]);
        assert_eq!(found("湖"), ["a"]);
        assert_eq!(found("西湖"), ["a"]);
        assert_eq!(found("lisbon"), ["b"]);
        assert_eq!(found("\"37.759"), ["b"]);
        assert_eq!(found("机"), ["c"]);
        assert_eq!(found("docu"), ["c"], "by title");
        assert!(found("北京").is_empty());
        for hostile in ["NEAR(", "*", "AND OR", "%", "_", "\"", "'"] {
            store.search_sessions(hostile).unwrap();
        }
    }

    #[test]
    fn titles_come_from_the_first_non_blank_line() {
        assert_eq!(title_from("\n  \n  Plan a trip \nto Lisbon"), "Plan a trip");
        let long = "word ".repeat(30);
        let title = title_from(&long);
        assert_eq!(title.chars().count(), 80, "{title}");
        assert!(title.ends_with('…'));
        assert_eq!(title_from(""), "");
    }
}
