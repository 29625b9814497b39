//! How each turn ended, so a conversation read back later can say "stopped" or show the
//! error instead of an unexplained question without an answer.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, now};
use crate::protocol::FailureKind;

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
    /// What kind of failure ended a failed turn (absent for turns stored before kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub failure_kind: Option<FailureKind>,
    pub ended_at: String,
}

impl Store {
    pub fn record_turn_end(
        &self,
        session: &str,
        turn_id: &str,
        outcome: TurnOutcome,
        detail: Option<&str>,
        failure_kind: Option<FailureKind>,
    ) -> Result<(), StoreError> {
        let kind = failure_kind.and_then(|kind| {
            serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        });
        self.conn().execute(
            "INSERT OR REPLACE INTO turns (turn_id, session_id, outcome, detail, ended_at, failure_kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![turn_id, session, outcome.as_str(), detail, now(), kind],
        )?;
        Ok(())
    }

    /// The ended turns of `session`, oldest first.
    pub fn turn_ends(&self, session: &str) -> Result<Vec<TurnRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT turn_id, outcome, detail, ended_at, failure_kind FROM turns WHERE session_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![session], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (turn_id, outcome, detail, ended_at, kind) = row?;
            // A kind this build does not know reads as none: the message still says it.
            let failure_kind = kind.and_then(|k| serde_json::from_value(k.into()).ok());
            let outcome = TurnOutcome::parse(&outcome)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown turn outcome {outcome:?}")))?;
            out.push(TurnRecord {
                turn_id,
                outcome,
                detail,
                failure_kind,
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
            .record_turn_end(
                "s",
                "t1",
                TurnOutcome::Failed,
                Some("HTTP 401"),
                Some(FailureKind::Auth),
            )
            .unwrap();
        store
            .record_turn_end("s", "t2", TurnOutcome::Cancelled, None, None)
            .unwrap();
        let ends = store.turn_ends("s").unwrap();
        assert_eq!(ends.len(), 2);
        assert_eq!(ends[0].outcome, TurnOutcome::Failed);
        assert_eq!(ends[0].detail.as_deref(), Some("HTTP 401"));
        assert_eq!(ends[0].failure_kind, Some(FailureKind::Auth));
        assert_eq!(ends[1].failure_kind, None);
        assert_eq!(ends[1].turn_id, "t2");
        store.delete_session("s").unwrap();
        assert!(store.turn_ends("s").unwrap().is_empty());
    }
}
