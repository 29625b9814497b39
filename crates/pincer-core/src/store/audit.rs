//! The audit trail: one row per tool call, whatever became of it.

use rusqlite::params;
use serde::Serialize;

use super::{Store, StoreError, now};
use crate::protocol::{DecidedBy, ToolDecision, ToolOutcome};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub session: String,
    pub turn_id: String,
    pub call_id: String,
    pub tool: String,
    pub arguments: String,
    /// Stored by name: "allow" or "deny".
    pub decision: ToolDecision,
    /// Stored by name: policy, remembered, user or mode.
    pub decided_by: DecidedBy,
    /// Stored by name: ok, error, denied or cancelled.
    pub outcome: ToolOutcome,
    pub duration_ms: u64,
}

impl Store {
    pub fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit (session_id, turn_id, call_id, tool, arguments, decision, decided_by, outcome,
                                duration_ms, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                record.session,
                record.turn_id,
                record.call_id,
                record.tool,
                record.arguments,
                record.decision.as_str(),
                record.decided_by.as_str(),
                record.outcome.as_str(),
                record.duration_ms,
                now()
            ],
        )?;
        Ok(())
    }

    pub fn audit(&self, session: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT session_id, turn_id, call_id, tool, arguments, decision, decided_by, outcome, duration_ms
             FROM audit WHERE session_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![session], |row| {
            Ok(AuditRecord {
                session: row.get(0)?,
                turn_id: row.get(1)?,
                call_id: row.get(2)?,
                tool: row.get(3)?,
                arguments: row.get(4)?,
                decision: named(row, 5, ToolDecision::parse)?,
                decided_by: named(row, 6, DecidedBy::parse)?,
                outcome: named(row, 7, ToolOutcome::parse)?,
                duration_ms: row.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Reads a column stored by name into its enum; an unknown name is a conversion error.
fn named<T>(
    row: &rusqlite::Row<'_>,
    index: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let name: String = row.get(index)?;
    parse(&name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown value {name:?}").into(),
        )
    })
}
