//! Browser logins of the gateway, kept across restarts. Only a hash of each cookie value
//! is stored, so reading the database does not let anyone log in.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, now};

impl Store {
    /// Records a login valid until `expires_at` (Unix seconds).
    pub fn add_web_session(&self, token_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        let conn = self.conn();
        // Expired rows are useless; drop them whenever a new login arrives.
        conn.execute(
            "DELETE FROM web_sessions WHERE expires_at <= ?1",
            params![unix_now()],
        )?;
        conn.execute(
            "INSERT OR REPLACE INTO web_sessions (token_hash, created_at, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, now(), expires_at],
        )?;
        Ok(())
    }

    /// Whether a login with this hash exists and has not expired.
    pub fn web_session_valid(&self, token_hash: &str) -> Result<bool, StoreError> {
        let found = self
            .conn()
            .query_row(
                "SELECT 1 FROM web_sessions WHERE token_hash = ?1 AND expires_at > ?2",
                params![token_hash, unix_now()],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    pub fn delete_web_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM web_sessions WHERE token_hash = ?1",
            params![token_hash],
        )?;
        Ok(())
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_expire_and_can_be_revoked() {
        let store = Store::in_memory().unwrap();
        store.add_web_session("live", unix_now() + 60).unwrap();
        store.add_web_session("old", unix_now() - 1).unwrap();
        assert!(store.web_session_valid("live").unwrap());
        assert!(!store.web_session_valid("old").unwrap());
        assert!(!store.web_session_valid("unknown").unwrap());
        store.delete_web_session("live").unwrap();
        assert!(!store.web_session_valid("live").unwrap());
    }
}
