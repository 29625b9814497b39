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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Grants stored before skill tool grants were keyed by folder and content are dropped;
    /// every other grant stays.
    #[test]
    fn name_keyed_skill_grants_are_dropped_on_upgrade() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("pincer.db");
        let store = Store::open(&path).unwrap();
        for pattern in [
            "skill:weather/forecast",
            "skill:weather@0123456789abcdef01234567/forecast",
            "exec:cargo test",
            "skill",
        ] {
            store.add_grant(pattern).unwrap();
        }
        drop(store);
        // What opening an older store runs (not the whole list again: later migrations may
        // not be repeatable).
        let upgrade = super::super::migrations::MIGRATIONS
            .iter()
            .find(|sql| sql.contains("NOT LIKE 'skill:%@%'"))
            .unwrap();
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(upgrade)
            .unwrap();
        let mut grants: Vec<String> = Store::open(&path)
            .unwrap()
            .grants()
            .unwrap()
            .into_iter()
            .collect();
        grants.sort();
        assert_eq!(
            grants,
            [
                "exec:cargo test",
                "skill",
                "skill:weather@0123456789abcdef01234567/forecast"
            ]
        );
    }
}
