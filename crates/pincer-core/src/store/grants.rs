//! Approvals the user granted "always": patterns that skip the question from now on.

use std::collections::HashSet;

use rusqlite::params;

use super::{Store, StoreError, now};

impl Store {
    pub fn grants(&self) -> Result<HashSet<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT pattern FROM approvals")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn add_grant(&self, pattern: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO approvals (pattern, created_at) VALUES (?1, ?2) ON CONFLICT(pattern) DO NOTHING",
            params![pattern, now()],
        )?;
        Ok(())
    }
}
