//! Compactions: a session's older turns replaced, for the model, by one summary message.
//! The messages themselves are never deleted.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, now};

/// One compaction of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Compaction {
    pub turn_id: String,
    /// The model sees [`Compaction::text`] in place of every message up to this id.
    pub upto_message: i64,
    pub text: String,
    /// How many messages it stands for (since the previous compaction).
    pub messages: u64,
    pub created_at: String,
}

impl Store {
    pub fn record_compaction(
        &self,
        session: &str,
        turn_id: &str,
        upto_message: i64,
        text: &str,
        messages: u64,
    ) -> Result<Compaction, StoreError> {
        let at = now();
        self.conn().execute(
            "INSERT INTO compactions (session_id, turn_id, upto_message, text, messages, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![session, turn_id, upto_message, text, messages as i64, at],
        )?;
        Ok(Compaction {
            turn_id: turn_id.to_owned(),
            upto_message,
            text: text.to_owned(),
            messages,
            created_at: at,
        })
    }

    /// The last message of `session` the flush has read (0: none).
    pub fn flushed_upto(&self, session: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT upto_message FROM memory_flushes WHERE session_id = ?1",
                params![session],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Records that the flush read `session` up to message `upto` and saved `saved` facts.
    /// The mark never moves back.
    pub fn record_flush(&self, session: &str, upto: i64, saved: u32) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO memory_flushes (session_id, upto_message, saved, at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (session_id) DO UPDATE SET
                 upto_message = max(upto_message, excluded.upto_message),
                 saved = saved + excluded.saved,
                 at = excluded.at",
            params![session, upto, saved, now()],
        )?;
        Ok(())
    }

    /// Every compaction of the session, oldest first.
    pub fn compactions(&self, session: &str) -> Result<Vec<Compaction>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT turn_id, upto_message, text, messages, created_at FROM compactions
             WHERE session_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![session], |r| {
            Ok(Compaction {
                turn_id: r.get(0)?,
                upto_message: r.get(1)?,
                text: r.get(2)?,
                messages: r.get::<_, i64>(3)? as u64,
                created_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The session's latest compaction, if any.
    pub fn latest_compaction(&self, session: &str) -> Result<Option<Compaction>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT turn_id, upto_message, text, messages, created_at FROM compactions
                 WHERE session_id = ?1 ORDER BY id DESC LIMIT 1",
                params![session],
                |r| {
                    Ok(Compaction {
                        turn_id: r.get(0)?,
                        upto_message: r.get(1)?,
                        text: r.get(2)?,
                        messages: r.get::<_, i64>(3)? as u64,
                        created_at: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}
