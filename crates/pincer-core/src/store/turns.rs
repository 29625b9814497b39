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

/// Why a turn that a killed or crashed process left open ended, as recorded at the next
/// start.
pub const STOPPED_BEFORE_THE_END: &str = "Pincer stopped before this turn finished (it was closed, killed or crashed); a tool call it had started may not have finished";

/// A turn left open by a process that died, closed by [`Store::close_unfinished_turns`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedTurn {
    pub session: String,
    pub turn_id: String,
    pub outcome: TurnOutcome,
}

impl Store {
    /// Records an end for every turn a previous process left without one (it was killed or
    /// crashed mid-turn), so neither the model nor a person reads it as still going: a turn
    /// whose last message is the model's answer is `completed`, any other `failed` with
    /// [`STOPPED_BEFORE_THE_END`]. Only the last turn of a session can be open; call this
    /// before any turn runs (the engine does, at start).
    pub fn close_unfinished_turns(&self) -> Result<Vec<ClosedTurn>, StoreError> {
        let open: Vec<(String, String, bool)> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(
                // One index seek per session for its last message (a GROUP BY over all
                // messages took 4× as long on 200k messages).
                "SELECT m.session_id, m.turn_id,
                        m.role = 'assistant' AND m.tool_calls IS NULL AND m.content != ''
                 FROM sessions s
                 JOIN messages m ON m.id = (
                     SELECT id FROM messages WHERE session_id = s.id ORDER BY id DESC LIMIT 1
                 )
                 WHERE m.turn_id != ''
                   AND NOT EXISTS (SELECT 1 FROM turns t WHERE t.turn_id = m.turn_id)",
            )?;
            let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut closed = Vec::with_capacity(open.len());
        for (session, turn_id, answered) in open {
            let outcome = if answered {
                self.record_turn_end(&session, &turn_id, TurnOutcome::Completed, None, None)?;
                TurnOutcome::Completed
            } else {
                self.record_turn_end(
                    &session,
                    &turn_id,
                    TurnOutcome::Failed,
                    Some(STOPPED_BEFORE_THE_END),
                    Some(FailureKind::Internal),
                )?;
                TurnOutcome::Failed
            };
            closed.push(ClosedTurn {
                session,
                turn_id,
                outcome,
            });
        }
        Ok(closed)
    }

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
    use crate::model::{Message, ToolCall};

    #[test]
    fn only_open_last_turns_are_closed() {
        let store = Store::in_memory().unwrap();
        let user = |text: &str| Message::user(text.to_owned());
        let call = ToolCall::from_provider("c", "exec", "{}");
        for session in ["a", "b", "c"] {
            store.ensure_session(session).unwrap();
        }
        // "a": answered, then a turn cut off after its tool call.
        store.append_message("a", "a1", &user("one")).unwrap();
        store
            .append_message(
                "a",
                "a1",
                &Message::assistant("done".to_owned(), Vec::new()),
            )
            .unwrap();
        store
            .record_turn_end("a", "a1", TurnOutcome::Completed, None, None)
            .unwrap();
        store.append_message("a", "a2", &user("two")).unwrap();
        store
            .append_message("a", "a2", &Message::assistant(String::new(), vec![call]))
            .unwrap();
        // "b": the answer was saved, the end was not.
        store.append_message("b", "b1", &user("hi")).unwrap();
        store
            .append_message(
                "b",
                "b1",
                &Message::assistant("hello".to_owned(), Vec::new()),
            )
            .unwrap();
        // "c": ended properly.
        store.append_message("c", "c1", &user("x")).unwrap();
        store
            .record_turn_end("c", "c1", TurnOutcome::Cancelled, None, None)
            .unwrap();

        let mut closed = store.close_unfinished_turns().unwrap();
        closed.sort_by(|x, y| x.turn_id.cmp(&y.turn_id));
        let closed: Vec<_> = closed
            .iter()
            .map(|c| (c.session.as_str(), c.turn_id.as_str(), c.outcome))
            .collect();
        assert_eq!(
            closed,
            [
                ("a", "a2", TurnOutcome::Failed),
                ("b", "b1", TurnOutcome::Completed)
            ]
        );
        let a = store.turn_ends("a").unwrap();
        assert_eq!(a[1].detail.as_deref(), Some(STOPPED_BEFORE_THE_END));
        assert_eq!(a[1].failure_kind, Some(FailureKind::Internal));
        assert!(store.close_unfinished_turns().unwrap().is_empty());
    }

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
