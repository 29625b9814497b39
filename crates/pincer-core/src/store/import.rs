//! Conversations brought in from elsewhere: each becomes a session of ours (our id, our
//! turn ids), written in one transaction so it is there whole or not at all, and keyed by
//! what identifies it in its source so that importing the same file again adds nothing.

use rusqlite::{OptionalExtension, params};

use super::messages::new_session_id;
use super::{Store, StoreError, now};
use crate::model::Role;

/// One message of an imported conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMessage {
    /// User or assistant; tool traffic is not imported.
    pub role: Role,
    pub content: String,
    /// RFC 3339, as the source had it (normalised by the reader); `None` takes the import's
    /// time.
    pub created_at: Option<String>,
}

/// A conversation to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedSession {
    /// What identifies the conversation in its source (for example `openclaw:<their id>` or
    /// `jsonl:<hash of its messages>`): the same key is never imported twice.
    pub source_key: String,
    /// The title to show; the first user message names it otherwise.
    pub title: Option<String>,
    pub messages: Vec<ImportedMessage>,
}

/// What importing one conversation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// A new session with this id and this many messages.
    Created { session_id: String, messages: usize },
    /// Imported before, as this session: nothing was written.
    AlreadyImported { session_id: String },
}

impl Store {
    /// Writes `session` as a new session, unless its source key was imported before.
    pub fn import_session(&self, session: &ImportedSession) -> Result<Imported, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some(session_id) = tx
            .query_row(
                "SELECT session_id FROM imported_sessions WHERE source_key = ?1",
                params![session.source_key],
                |row| row.get::<_, String>(0),
            )
            .optional()?
        {
            return Ok(Imported::AlreadyImported { session_id });
        }
        let at = now();
        let id = new_session_id();
        let first_at = session
            .messages
            .iter()
            .find_map(|m| m.created_at.clone())
            .unwrap_or_else(|| at.clone());
        let last_at = session
            .messages
            .iter()
            .rev()
            .find_map(|m| m.created_at.clone())
            .unwrap_or_else(|| first_at.clone());
        let title = session.title.clone().unwrap_or_else(|| {
            session
                .messages
                .iter()
                .find(|m| m.role == Role::User)
                .map(|m| crate::text::first_line(&m.content, 80))
                .unwrap_or_default()
        });
        tx.execute(
            "INSERT INTO sessions (id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, title, first_at, last_at],
        )?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (session_id, turn_id, role, content, is_error, created_at)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            )?;
            // A user message starts a turn; the answers that follow belong to it.
            let mut turn = format!("imp-{}", uuid::Uuid::new_v4().simple());
            let mut seen_user = false;
            for message in &session.messages {
                if message.role == Role::User && seen_user {
                    turn = format!("imp-{}", uuid::Uuid::new_v4().simple());
                }
                seen_user |= message.role == Role::User;
                let created = message.created_at.as_deref().unwrap_or(&at);
                insert.execute(params![
                    id,
                    turn,
                    message.role.as_str(),
                    message.content,
                    created
                ])?;
            }
        }
        tx.execute(
            "INSERT INTO imported_sessions (source_key, session_id, imported_at) VALUES (?1, ?2, ?3)",
            params![session.source_key, id, at],
        )?;
        tx.commit()?;
        Ok(Imported::Created {
            session_id: id,
            messages: session.messages.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(key: &str) -> ImportedSession {
        ImportedSession {
            source_key: key.to_owned(),
            title: None,
            messages: vec![
                ImportedMessage {
                    role: Role::User,
                    content: "下个月去杭州西湖，记得订酒店".to_owned(),
                    created_at: Some("2026-10-01T08:00:00Z".to_owned()),
                },
                ImportedMessage {
                    role: Role::Assistant,
                    content: "好的，我会提醒你订酒店。".to_owned(),
                    created_at: Some("2026-10-01T08:00:05Z".to_owned()),
                },
                ImportedMessage {
                    role: Role::User,
                    content: "and book the train".to_owned(),
                    created_at: None,
                },
            ],
        }
    }

    #[test]
    fn an_imported_conversation_is_a_searchable_session_and_is_imported_once() {
        let store = Store::in_memory().unwrap();
        let Imported::Created {
            session_id,
            messages,
        } = store.import_session(&conversation("jsonl:a")).unwrap()
        else {
            panic!("first import creates")
        };
        assert_eq!(messages, 3);
        let sessions = store.sessions().unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].title, "下个月去杭州西湖，记得订酒店");
        assert_eq!(sessions[0].created_at, "2026-10-01T08:00:00Z");
        let stored = store.messages(&session_id).unwrap();
        assert_eq!(stored.len(), 3);
        assert_eq!(stored[0].turn_id, stored[1].turn_id);
        assert_ne!(stored[1].turn_id, stored[2].turn_id);
        assert_eq!(store.search_messages("西湖", 5).unwrap().len(), 1);
        assert_eq!(
            store.import_session(&conversation("jsonl:a")).unwrap(),
            Imported::AlreadyImported { session_id }
        );
        assert_eq!(store.sessions().unwrap().len(), 1);
        assert_eq!(store.search_messages("酒店", 5).unwrap().len(), 2);
    }
}
