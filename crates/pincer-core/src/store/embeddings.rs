//! Memories' vectors, for recall by meaning: which current memories still need one from
//! an embeddings endpoint, saving what it returned, and reading them back in order so an
//! in-memory index can catch up with only what is new.
//!
//! A vector belongs to a memory's content (its `content_hash`), not to the memory: the
//! same fact in two scopes, or an edit undone, shares one. A content the endpoint refused
//! is kept with no vector (`dims = 0`) so it is not asked for again and again.

use rusqlite::params;

use super::memory::{MEMORY_COLUMNS, Memory, memory_row};
use super::{Store, StoreError, now};

/// What made a set of vectors: vectors of two keys are never compared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmbeddingKey {
    /// The endpoint's name (the configured one, else its base URL).
    pub provider: String,
    /// The model, with whatever else changes its vectors (prefixes, input type).
    pub model: String,
}

/// One stored vector, as the index loads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
    /// Increasing in the order vectors were saved.
    pub row: i64,
    pub content_hash: String,
    /// Empty when the endpoint refused the content.
    pub vector: Vec<f32>,
}

/// How far the current memories are embedded under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EmbeddingProgress {
    /// Current memories whose content has a vector.
    pub embedded: u64,
    /// Current memories whose content the endpoint refused.
    pub refused: u64,
    /// Current memories (not forgotten, not replaced).
    pub total: u64,
}

const CURRENT: &str = "m.forgotten_at IS NULL AND m.superseded_by IS NULL";

impl Store {
    /// Contents of current memories with no vector (nor refusal) under `key`, oldest
    /// first, at most `limit`: `(content_hash, content)`.
    pub fn memories_to_embed(
        &self,
        key: &EmbeddingKey,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT m.content_hash, m.content FROM memories m
             WHERE {CURRENT} AND NOT EXISTS (
                 SELECT 1 FROM embeddings e
                 WHERE e.provider = ?1 AND e.model = ?2 AND e.content_hash = m.content_hash)
             GROUP BY m.content_hash
             ORDER BY min(m.id)
             LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![key.provider, key.model, limit as i64], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Saves vectors under `key`; an empty vector records that the endpoint refused that
    /// content. A content that already has one keeps it.
    pub fn save_embeddings(
        &self,
        key: &EmbeddingKey,
        vectors: &[(String, Vec<f32>)],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let at = now();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO embeddings
                     (provider, model, content_hash, dims, vector, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (hash, vector) in vectors {
                insert.execute(params![
                    key.provider,
                    key.model,
                    hash,
                    vector.len() as i64,
                    to_bytes(vector),
                    at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Which of `hashes` have no vector (nor refusal) under `key`.
    pub fn missing_embeddings<'a>(
        &self,
        key: &EmbeddingKey,
        hashes: &'a [String],
    ) -> Result<Vec<&'a String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM embeddings WHERE provider = ?1 AND model = ?2 AND content_hash = ?3",
        )?;
        let mut missing = Vec::new();
        for hash in hashes {
            if !stmt.exists(params![key.provider, key.model, hash])? {
                missing.push(hash);
            }
        }
        Ok(missing)
    }

    /// Vectors saved under `key` after row `after`, in order, at most `limit`.
    pub fn embeddings_after(
        &self,
        key: &EmbeddingKey,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredVector>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            // By row id from `after` (the unary `+` keeps SQLite off the (provider,
            // model, hash) index, which would walk every vector of the model to find the
            // few new ones: 10 ms a turn at 100k memories).
            "SELECT id, content_hash, vector FROM embeddings
             WHERE id > ?3 AND +provider = ?1 AND +model = ?2
             ORDER BY id LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![key.provider, key.model, after, limit as i64],
            |row| {
                Ok(StoredVector {
                    row: row.get(0)?,
                    content_hash: row.get(1)?,
                    vector: from_bytes(&row.get::<_, Vec<u8>>(2)?),
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn embedding_progress(&self, key: &EmbeddingKey) -> Result<EmbeddingProgress, StoreError> {
        let conn = self.conn();
        let (total, embedded, refused): (i64, i64, i64) = conn.query_row(
            &format!(
                "SELECT count(*),
                        count(e.id) FILTER (WHERE e.dims > 0),
                        count(e.id) FILTER (WHERE e.dims = 0)
                 FROM memories m
                 LEFT JOIN embeddings e ON e.provider = ?1 AND e.model = ?2
                                        AND e.content_hash = m.content_hash
                 WHERE {CURRENT}"
            ),
            params![key.provider, key.model],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        Ok(EmbeddingProgress {
            embedded: embedded.max(0) as u64,
            refused: refused.max(0) as u64,
            total: total.max(0) as u64,
        })
    }

    /// Current memories in `scopes` whose content is `content_hash`, newest first.
    pub fn memories_with_content(
        &self,
        content_hash: &str,
        scopes: &[&str],
    ) -> Result<Vec<Memory>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {MEMORY_COLUMNS} FROM memories m
             WHERE m.content_hash = ?1 AND {CURRENT}
             ORDER BY m.id DESC"
        ))?;
        let rows = stmt.query_map(params![content_hash], memory_row)?;
        let mut found = Vec::new();
        for memory in rows {
            let memory = memory?;
            if scopes.contains(&memory.scope.as_str()) {
                found.push(memory);
            }
        }
        Ok(found)
    }
}

fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewMemory, Provenance, Saved};

    fn save(store: &Store, content: &str, scope: &str) -> Memory {
        match store
            .save_memory(&NewMemory {
                content: content.to_owned(),
                kind: "fact".to_owned(),
                scope: scope.to_owned(),
                source_session: None,
                source_message: None,
                provenance: Provenance::User,
            })
            .unwrap()
        {
            Saved::Created(m) | Saved::Duplicate(m) => m,
        }
    }

    fn key(model: &str) -> EmbeddingKey {
        EmbeddingKey {
            provider: "http://127.0.0.1:1/v1".to_owned(),
            model: model.to_owned(),
        }
    }

    #[test]
    fn each_content_is_embedded_once_per_model_and_forgotten_ones_not_at_all() {
        let store = Store::in_memory().unwrap();
        save(&store, "Tea with lemon", "global");
        save(&store, "tea, with LEMON!", "contact:ana");
        let gone = save(&store, "The old wifi password", "global");
        store.forget_memory(&gone.id).unwrap();
        let e5 = key("e5");
        let todo = store.memories_to_embed(&e5, 10).unwrap();
        assert_eq!(todo.len(), 1, "{todo:?}");
        assert_eq!(
            store.embedding_progress(&e5).unwrap(),
            EmbeddingProgress {
                embedded: 0,
                refused: 0,
                total: 2
            }
        );
        store
            .save_embeddings(&e5, &[(todo[0].0.clone(), vec![0.6, 0.8])])
            .unwrap();
        assert!(store.memories_to_embed(&e5, 10).unwrap().is_empty());
        assert_eq!(store.embedding_progress(&e5).unwrap().embedded, 2);
        // Another model starts over; the first model's vectors stay.
        assert_eq!(store.memories_to_embed(&key("other"), 10).unwrap().len(), 1);
        let stored = store.embeddings_after(&e5, 0, 10).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].vector, vec![0.6, 0.8]);
        assert!(
            store
                .embeddings_after(&e5, stored[0].row, 10)
                .unwrap()
                .is_empty()
        );
        let ana = store
            .memories_with_content(&stored[0].content_hash, &["contact:ana"])
            .unwrap();
        assert_eq!(ana.len(), 1);
        assert_eq!(ana[0].scope, "contact:ana");
    }

    #[test]
    fn a_refused_content_is_not_asked_for_again() {
        let store = Store::in_memory().unwrap();
        save(&store, "something the endpoint refuses", "global");
        let e5 = key("e5");
        let todo = store.memories_to_embed(&e5, 10).unwrap();
        store
            .save_embeddings(&e5, &[(todo[0].0.clone(), Vec::new())])
            .unwrap();
        assert!(store.memories_to_embed(&e5, 10).unwrap().is_empty());
        let progress = store.embedding_progress(&e5).unwrap();
        assert_eq!((progress.embedded, progress.refused), (0, 1));
    }
}
