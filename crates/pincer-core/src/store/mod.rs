//! The SQLite store: sessions, messages, usage, audit, remembered approvals and web logins.
//!
//! One file (`pincer.db`) in WAL mode. Every message is written as soon as it exists, so a
//! process killed mid-turn leaves a readable database and a session that continues.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use rusqlite::Connection;

mod audit;
mod compactions;
mod embeddings;
mod grants;
mod import;
mod jobs;
mod memory;
mod memory_edits;
mod messages;
mod migrations;
mod recall;
pub mod search_terms;
mod turns;
mod usage;
mod web_sessions;

pub use audit::AuditRecord;
pub use compactions::Compaction;
pub use embeddings::{EmbeddingKey, EmbeddingProgress, StoredVector};
pub use import::{Imported, ImportedMessage, ImportedSession};
pub use jobs::{Job, NewJob, Planned, Run, RunEnd, RunStatus, Trigger};
pub use memory::{Memory, MessageHit, NewMemory, Provenance, Saved, content_hash};
pub use memory_edits::{EditRefused, MemoryChange, MemoryFilter};
pub use messages::{SessionSummary, StoredMessage, new_session_id};
pub use recall::{Recalled, RecalledKind};
pub use turns::{ClosedTurn, STOPPED_BEFORE_THE_END, TurnOutcome, TurnRecord};
pub use usage::{UsageBucket, UsageRecord, UsageRow, UsageSlice, UsageSummary, UsageTotals};
pub use web_sessions::unix_now;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("could not create {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the database {path} was written by a newer Pincer (schema {found}, this build knows {known})"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub struct Store {
    conn: Mutex<Connection>,
}

/// Creates a missing database file owner-only (SQLite would use 0644 less the umask, and
/// gives its `-wal` and `-shm` files the main file's mode). An empty file is a new database.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        create_private(path).map_err(|source| StoreError::Create {
            path: path.display().to_string(),
            source,
        })?;
        let conn = Connection::open(path).map_err(open_err)?;
        Self::setup(conn, &path.display().to_string())
    }

    /// A private in-memory database, for tests and dry runs.
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory()?;
        Self::setup(conn, ":memory:")
    }

    fn setup(mut conn: Connection, path: &str) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // The word index's text, computed by the FTS triggers on every write.
        conn.create_scalar_function(
            "pincer_terms",
            1,
            rusqlite::functions::FunctionFlags::SQLITE_UTF8
                | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| Ok(search_terms::index_terms(&ctx.get::<String>(0)?)),
        )?;
        migrations::apply(&mut conn, path)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent; keep going.
        crate::sync::lock(&self.conn)
    }
}

/// Now as RFC 3339 in UTC with second precision, the format of every stored timestamp.
pub fn now() -> String {
    rfc3339(SystemTime::now())
}

/// `time` in the stored timestamp format.
pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
