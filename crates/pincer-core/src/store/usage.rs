//! Token usage per model request.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, now};
use crate::model::Usage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub session: String,
    pub turn_id: String,
    pub provider: String,
    pub model: String,
    pub usage: Usage,
    /// Time to the first streamed output, when there was any.
    pub ttft_ms: Option<u64>,
    pub duration_ms: u64,
    /// "ok", or "error" with `error` set.
    pub status: &'static str,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UsageTotals {
    pub requests: u64,
    pub failed_requests: u64,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// Requests whose counts are Pincer's estimate because the provider sent none.
    pub estimated_requests: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    pub key: String,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSummary {
    pub total: UsageTotals,
    pub by_model: Vec<UsageRow>,
    pub by_session: Vec<UsageRow>,
}

/// Stopped requests (`status = 'cancelled'`) are counted, but not as failures.
const TOTALS: &str = "COUNT(*), SUM(status = 'error'), SUM(input_tokens), SUM(cached_tokens), SUM(output_tokens), SUM(estimated)";

impl Store {
    pub fn record_usage(&self, record: &UsageRecord) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO usage (session_id, turn_id, provider, model, input_tokens, cached_tokens, output_tokens,
                                ttft_ms, duration_ms, status, error, created_at, estimated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                record.session,
                record.turn_id,
                record.provider,
                record.model,
                record.usage.input_tokens,
                record.usage.cached_input_tokens,
                record.usage.output_tokens,
                record.ttft_ms,
                record.duration_ms,
                record.status,
                record.error,
                now(),
                record.usage.estimated
            ],
        )?;
        Ok(())
    }

    /// Totals overall, per provider/model and per session; `session` narrows all three.
    pub fn usage_summary(&self, session: Option<&str>) -> Result<UsageSummary, StoreError> {
        let conn = self.conn();
        let filter = if session.is_some() {
            "WHERE session_id = ?1"
        } else {
            "WHERE ?1 IS NULL"
        };
        let total = conn.query_row(
            &format!("SELECT {TOTALS} FROM usage {filter}"),
            params![session],
            |row| totals(row, 0),
        )?;
        let grouped = |key: &str| -> Result<Vec<UsageRow>, StoreError> {
            let mut stmt = conn.prepare(&format!(
                "SELECT {key}, {TOTALS} FROM usage {filter} GROUP BY 1 ORDER BY MIN(id)"
            ))?;
            let rows = stmt.query_map(params![session], |row| {
                Ok(UsageRow {
                    key: row.get(0)?,
                    totals: totals(row, 1)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        Ok(UsageSummary {
            total,
            by_model: grouped("provider || '/' || model")?,
            by_session: grouped("session_id")?,
        })
    }
}

/// Usage of one provider and model on one day (UTC): the unit the usage page aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UsageBucket {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub provider: String,
    pub model: String,
    pub totals: UsageTotals,
    /// Mean time to first token over the requests that produced one.
    pub avg_ttft_ms: Option<f64>,
    pub avg_duration_ms: Option<f64>,
}

impl Store {
    /// Per day, provider and model, oldest first, for requests since `since_day`
    /// (`YYYY-MM-DD`, inclusive) or all.
    pub fn usage_buckets(&self, since_day: Option<&str>) -> Result<Vec<UsageBucket>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT substr(created_at, 1, 10), provider, model, {TOTALS}, AVG(ttft_ms), AVG(duration_ms)
             FROM usage WHERE ?1 IS NULL OR substr(created_at, 1, 10) >= ?1
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ))?;
        let rows = stmt.query_map(params![since_day], |row| {
            Ok(UsageBucket {
                day: row.get(0)?,
                provider: row.get(1)?,
                model: row.get(2)?,
                totals: totals(row, 3)?,
                avg_ttft_ms: row.get(9)?,
                avg_duration_ms: row.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Usage of one provider and model in one session: the unit `pincer usage` prices, since a
/// price belongs to a model and a session may use several.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSlice {
    pub session: String,
    pub provider: String,
    pub model: String,
    pub totals: UsageTotals,
}

impl Store {
    /// Per session, provider and model, in order of first use, for one session or all.
    pub fn usage_slices(&self, session: Option<&str>) -> Result<Vec<UsageSlice>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT session_id, provider, model, {TOTALS} FROM usage
             WHERE ?1 IS NULL OR session_id = ?1
             GROUP BY 1, 2, 3 ORDER BY MIN(id)"
        ))?;
        let rows = stmt.query_map(params![session], |row| {
            Ok(UsageSlice {
                session: row.get(0)?,
                provider: row.get(1)?,
                model: row.get(2)?,
                totals: totals(row, 3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The six [`TOTALS`] columns starting at column `at`; SQL sums over no rows are NULL.
fn totals(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<UsageTotals> {
    let count =
        |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, Option<u64>>(at + i)?.unwrap_or(0)) };
    Ok(UsageTotals {
        requests: count(0)?,
        failed_requests: count(1)?,
        input_tokens: count(2)?,
        cached_input_tokens: count(3)?,
        output_tokens: count(4)?,
        estimated_requests: count(5)?,
    })
}
