//! How each turn ended, so a conversation read back later can say "stopped" or show the
//! error instead of an unexplained question without an answer.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TurnOutcome {
    Completed,
    Cancelled,
    StepLimit,
    Failed,
}

impl TurnOutcome {
    fn as_str(self) -> &'static str {
        match self {
            TurnOutcome::Completed => "completed",
            TurnOutcome::Cancelled => "cancelled",
            TurnOutcome::StepLimit => "step_limit",
            TurnOutcome::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "completed" => TurnOutcome::Completed,
            "cancelled" => TurnOutcome::Cancelled,
            "step_limit" => TurnOutcome::StepLimit,
            "failed" => TurnOutcome::Failed,
            _ => return None,
        })
    }
}

/// The end of one turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TurnRecord {
    pub turn_id: String,
    pub outcome: TurnOutcome,
    /// The error of a failed turn; the limit of a step-limited one.
    pub detail: Option<String>,
    pub ended_at: String,
}

impl Store {
    pub fn record_turn_end(
        &self,
        session: &str,
        turn_id: &str,
        outcome: TurnOutcome,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO turns (turn_id, session_id, outcome, detail, ended_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![turn_id, session, outcome.as_str(), detail, now()],
        )?;
        Ok(())
    }

    /// The ended turns of `session`, oldest first.
    pub fn turn_ends(&self, session: &str) -> Result<Vec<TurnRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT turn_id, outcome, detail, ended_at FROM turns WHERE session_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![session], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (turn_id, outcome, detail, ended_at) = row?;
            let outcome = TurnOutcome::parse(&outcome)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown turn outcome {outcome:?}")))?;
            out.push(TurnRecord {
                turn_id,
                outcome,
                detail,
                ended_at,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_ends_are_kept_per_session_and_go_with_it() {
        let store = Store::in_memory().unwrap();
        store.ensure_session("s").unwrap();
        store
            .record_turn_end("s", "t1", TurnOutcome::Failed, Some("HTTP 401"))
            .unwrap();
        store
            .record_turn_end("s", "t2", TurnOutcome::Cancelled, None)
            .unwrap();
        let ends = store.turn_ends("s").unwrap();
        assert_eq!(ends.len(), 2);
        assert_eq!(ends[0].outcome, TurnOutcome::Failed);
        assert_eq!(ends[0].detail.as_deref(), Some("HTTP 401"));
        assert_eq!(ends[1].turn_id, "t2");
        store.delete_session("s").unwrap();
        assert!(store.turn_ends("s").unwrap().is_empty());
    }
}
