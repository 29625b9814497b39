//! Browser logins of the gateway, kept across restarts. A login is a cookie (one per
//! browser) plus a key (one per login) the page sends in a header; both are needed. Only
//! SHA-256 hashes of the two are stored, so reading the database does not let anyone log in.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, now};

impl Store {
    /// Records a login valid until `expires_at` (Unix seconds).
    pub fn add_web_session(
        &self,
        cookie_hash: &str,
        key_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        // Expired rows are useless; drop them whenever a new login arrives.
        conn.execute(
            "DELETE FROM web_sessions WHERE expires_at <= ?1",
            params![unix_now()],
        )?;
        conn.execute(
            "INSERT OR REPLACE INTO web_sessions (key_hash, cookie_hash, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4)",
            params![key_hash, cookie_hash, now(), expires_at],
        )?;
        Ok(())
    }

    /// Whether a live login has this key and this cookie.
    pub fn web_session_valid(&self, cookie_hash: &str, key_hash: &str) -> Result<bool, StoreError> {
        let found = self
            .conn()
            .query_row(
                "SELECT 1 FROM web_sessions WHERE key_hash = ?1 AND cookie_hash = ?2 AND expires_at > ?3",
                params![key_hash, cookie_hash, unix_now()],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Whether some live login uses this cookie (a browser that logs in again keeps it).
    pub fn web_cookie_known(&self, cookie_hash: &str) -> Result<bool, StoreError> {
        let found = self
            .conn()
            .query_row(
                "SELECT 1 FROM web_sessions WHERE cookie_hash = ?1 AND expires_at > ?2 LIMIT 1",
                params![cookie_hash, unix_now()],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Ends every login of one browser.
    pub fn delete_web_sessions_of_cookie(&self, cookie_hash: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM web_sessions WHERE cookie_hash = ?1",
            params![cookie_hash],
        )?;
        Ok(())
    }

    /// Ends every browser login ("log out everywhere"); returns how many there were.
    pub fn delete_all_web_sessions(&self) -> Result<usize, StoreError> {
        let conn = self.conn();
        let live = conn.query_row(
            "SELECT COUNT(*) FROM web_sessions WHERE expires_at > ?1",
            params![unix_now()],
            |row| row.get::<_, i64>(0),
        )?;
        conn.execute("DELETE FROM web_sessions", [])?;
        Ok(usize::try_from(live).unwrap_or(0))
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
    fn a_login_needs_its_cookie_and_its_key() {
        let store = Store::in_memory().unwrap();
        store.add_web_session("c1", "k1", unix_now() + 60).unwrap();
        store.add_web_session("c1", "k2", unix_now() + 60).unwrap();
        store.add_web_session("c2", "k3", unix_now() + 60).unwrap();
        store.add_web_session("c3", "old", unix_now() - 1).unwrap();
        assert!(store.web_session_valid("c1", "k1").unwrap());
        assert!(store.web_session_valid("c1", "k2").unwrap());
        assert!(
            !store.web_session_valid("c2", "k1").unwrap(),
            "another browser's key"
        );
        assert!(!store.web_session_valid("c3", "old").unwrap(), "expired");
        assert!(store.web_cookie_known("c1").unwrap());
        assert!(!store.web_cookie_known("c3").unwrap());

        store.delete_web_sessions_of_cookie("c1").unwrap();
        assert!(!store.web_session_valid("c1", "k2").unwrap());
        assert!(store.web_session_valid("c2", "k3").unwrap());
        assert_eq!(store.delete_all_web_sessions().unwrap(), 1);
        assert!(!store.web_session_valid("c2", "k3").unwrap());
    }
}
