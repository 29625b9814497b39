//! Changing memories: edit, pin, supersede, list, history and undo. Every change writes a
//! history row in the same transaction. Undo applies the inverse of a memory's latest change
//! not yet undone, as a change that names it, so undoing again goes one further back, down
//! to the memory's creation.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::memory::{
    MEMORY_COLUMNS, Memory, NewMemory, Provenance, Saved, content_hash, memory_row,
};
use super::{Store, StoreError, now};

/// Which memories a listing shows.
#[derive(Debug, Clone, Default)]
pub struct MemoryFilter {
    pub scope: Option<String>,
    pub provenance: Option<Provenance>,
    /// Also forgotten and superseded ones.
    pub all: bool,
    pub limit: usize,
    pub offset: usize,
}

/// One change in a memory's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemoryChange {
    /// `create`, `edit`, `pin`, `unpin`, `forget`, `restore`, `replace` (this memory replaced
    /// another; `before` is its id) or `supersede` (another replaced this one; `after` is
    /// its id).
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: String,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditRefused {
    #[error("there is no memory {0}")]
    NotFound(String),
    #[error("memory {0} is forgotten; restore it (undo) before changing it")]
    Forgotten(String),
    #[error("a memory cannot be empty")]
    Empty,
    #[error("memory {0} has no change to undo")]
    NothingToUndo(String),
}

fn row_id(tx: &Transaction<'_>, uid: &str) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT id FROM memories WHERE uid = ?1",
            params![uid],
            |r| r.get(0),
        )
        .optional()?)
}

fn record(
    tx: &Transaction<'_>,
    id: i64,
    action: &str,
    before: Option<&str>,
    after: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    record_undo(tx, id, action, before, after, at, None)
}

/// A history row; `undoes` names the row this change reverted.
fn record_undo(
    tx: &Transaction<'_>,
    id: i64,
    action: &str,
    before: Option<&str>,
    after: Option<&str>,
    at: &str,
    undoes: Option<i64>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO memory_history (memory_id, action, before, after, at, undoes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, action, before, after, at, undoes],
    )?;
    Ok(())
}

fn load(tx: &Transaction<'_>, id: i64) -> Result<Memory, StoreError> {
    Ok(tx.query_row(
        &format!("SELECT {MEMORY_COLUMNS} FROM memories m WHERE m.id = ?1"),
        params![id],
        memory_row,
    )?)
}

impl Store {
    /// Saves `new` in place of the memory `old` (which leaves recall and search but stays,
    /// with its history). `None` when `old` is not a current memory.
    pub fn supersede_memory(
        &self,
        old: &str,
        new: &NewMemory,
    ) -> Result<Option<Saved>, StoreError> {
        let current = self.memory(old)?;
        if !current.is_some_and(|m| !m.forgotten && m.superseded_by.is_none()) {
            return Ok(None);
        }
        let saved = self.save_memory(new)?;
        let Saved::Created(created) = &saved else {
            return Ok(Some(saved));
        };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let at = now();
        let (Some(old_id), Some(new_id)) = (row_id(&tx, old)?, row_id(&tx, &created.id)?) else {
            return Ok(Some(saved));
        };
        tx.execute(
            "UPDATE memories SET superseded_by = ?2, updated_at = ?3 WHERE id = ?1",
            params![old_id, new_id, at],
        )?;
        record(&tx, old_id, "supersede", None, Some(&created.id), &at)?;
        record(
            &tx,
            new_id,
            "replace",
            Some(old),
            Some(&created.content),
            &at,
        )?;
        let created = load(&tx, new_id)?;
        tx.commit()?;
        Ok(Some(Saved::Created(created)))
    }

    /// Replaces a memory's text.
    pub fn edit_memory(
        &self,
        uid: &str,
        content: &str,
    ) -> Result<Result<Memory, EditRefused>, StoreError> {
        let content = content.trim();
        if content.is_empty() {
            return Ok(Err(EditRefused::Empty));
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (id, memory) = match changeable(&tx, uid)? {
            Ok(found) => found,
            Err(refused) => return Ok(Err(refused)),
        };
        if memory.content == content {
            return Ok(Ok(memory));
        }
        let at = now();
        set_content(&tx, id, content, &at)?;
        record(&tx, id, "edit", Some(&memory.content), Some(content), &at)?;
        let memory = load(&tx, id)?;
        tx.commit()?;
        Ok(Ok(memory))
    }

    /// Pins (recalled in every conversation of its scope) or unpins a memory.
    pub fn pin_memory(
        &self,
        uid: &str,
        pinned: bool,
    ) -> Result<Result<Memory, EditRefused>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (id, memory) = match changeable(&tx, uid)? {
            Ok(found) => found,
            Err(refused) => return Ok(Err(refused)),
        };
        if memory.pinned == pinned {
            return Ok(Ok(memory));
        }
        set_pinned(&tx, id, pinned, &now(), None)?;
        let memory = load(&tx, id)?;
        tx.commit()?;
        Ok(Ok(memory))
    }

    /// Reverts the latest change of a memory that is not undone yet, as a change of its
    /// own.
    pub fn undo_memory(&self, uid: &str) -> Result<Result<Memory, EditRefused>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let Some(id) = row_id(&tx, uid)? else {
            return Ok(Err(EditRefused::NotFound(uid.to_owned())));
        };
        let last: Option<(i64, String, Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT h.id, h.action, h.before, h.after FROM memory_history h
                 WHERE h.memory_id = ?1 AND h.undoes IS NULL
                   AND NOT EXISTS (SELECT 1 FROM memory_history u WHERE u.undoes = h.id)
                 ORDER BY h.id DESC LIMIT 1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((change, action, before, after)) = last else {
            // Everything was undone, creation too: the memory is forgotten, and undo
            // brings it back rather than leaving it stuck.
            let memory = load(&tx, id)?;
            if !memory.forgotten {
                return Ok(Err(EditRefused::NothingToUndo(uid.to_owned())));
            }
            restore(&tx, id, &memory.content, &now(), None)?;
            let memory = load(&tx, id)?;
            tx.commit()?;
            return Ok(Ok(memory));
        };
        let undoes = Some(change);
        let at = now();
        let memory = load(&tx, id)?;
        match action.as_str() {
            "create" | "restore" => forget(&tx, id, &memory.content, &at, undoes)?,
            "forget" => restore(&tx, id, &memory.content, &at, undoes)?,
            "edit" => {
                let (Some(before), Some(after)) = (before, after) else {
                    return Err(StoreError::Corrupt(format!(
                        "memory {uid}: an edit without its texts"
                    )));
                };
                set_content(&tx, id, &before, &at)?;
                record_undo(&tx, id, "edit", Some(&after), Some(&before), &at, undoes)?;
            }
            "pin" | "unpin" => set_pinned(&tx, id, action == "unpin", &at, undoes)?,
            // Undoing a replacement, from either side: the new memory goes and the old
            // one comes back into recall; the rows on both sides are marked undone.
            "replace" | "supersede" => {
                let other = if action == "replace" { &before } else { &after };
                let other_id = match other.as_deref() {
                    Some(other) => row_id(&tx, other)?,
                    None => None,
                };
                let (old_id, new_id) = if action == "replace" {
                    (other_id, Some(id))
                } else {
                    (Some(id), other_id)
                };
                let twin = |memory: i64, twin_action: &str| -> Result<Option<i64>, StoreError> {
                    Ok(tx
                        .query_row(
                            "SELECT id FROM memory_history WHERE memory_id = ?1 AND action = ?2
                             ORDER BY id DESC LIMIT 1",
                            params![memory, twin_action],
                            |r| r.get(0),
                        )
                        .optional()?)
                };
                if let Some(old_id) = old_id {
                    let marks = if action == "supersede" {
                        undoes
                    } else {
                        twin(old_id, "supersede")?
                    };
                    tx.execute(
                        "UPDATE memories SET superseded_by = NULL, updated_at = ?2 WHERE id = ?1",
                        params![old_id, at],
                    )?;
                    let old = load(&tx, old_id)?;
                    record_undo(&tx, old_id, "restore", None, Some(&old.content), &at, marks)?;
                }
                if let Some(new_id) = new_id {
                    let marks = if action == "replace" {
                        undoes
                    } else {
                        twin(new_id, "replace")?
                    };
                    let new = load(&tx, new_id)?;
                    if !new.forgotten {
                        forget(&tx, new_id, &new.content, &at, marks)?;
                    }
                }
            }
            other => {
                return Err(StoreError::Corrupt(format!(
                    "memory {uid}: unknown change {other:?}"
                )));
            }
        }
        let memory = load(&tx, id)?;
        tx.commit()?;
        Ok(Ok(memory))
    }

    /// Memories, pinned first, then the most recently changed.
    pub fn list_memories(&self, filter: &MemoryFilter) -> Result<Vec<Memory>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {MEMORY_COLUMNS} FROM memories m
             WHERE (?1 IS NULL OR m.scope = ?1) AND (?2 IS NULL OR m.provenance = ?2)
               AND (?3 OR (m.forgotten_at IS NULL AND m.superseded_by IS NULL))
             ORDER BY m.pinned DESC, m.updated_at DESC, m.id DESC LIMIT ?4 OFFSET ?5"
        ))?;
        let limit = if filter.limit == 0 {
            -1
        } else {
            filter.limit as i64
        };
        let rows = stmt.query_map(
            params![
                filter.scope,
                filter.provenance.map(Provenance::as_str),
                filter.all,
                limit,
                filter.offset as i64
            ],
            memory_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A memory's changes, oldest first; `None` when there is no such memory.
    pub fn memory_history(&self, uid: &str) -> Result<Option<Vec<MemoryChange>>, StoreError> {
        let conn = self.conn();
        let Some(id) = conn
            .query_row(
                "SELECT id FROM memories WHERE uid = ?1",
                params![uid],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = conn.prepare_cached(
            "SELECT action, before, after, at FROM memory_history WHERE memory_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![id], |r| {
            Ok(MemoryChange {
                action: r.get(0)?,
                before: r.get(1)?,
                after: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(Some(rows.collect::<Result<_, _>>()?))
    }

    /// How many memories are current (neither forgotten nor superseded).
    pub fn memory_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM memories WHERE forgotten_at IS NULL AND superseded_by IS NULL",
            [],
            |r| r.get(0),
        )?)
    }
}

fn set_content(tx: &Transaction<'_>, id: i64, content: &str, at: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE memories SET content = ?2, content_hash = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, content, content_hash(content), at],
    )?;
    Ok(())
}

/// The memory `uid` if it can be changed: it exists and is not forgotten.
fn changeable(
    tx: &Transaction<'_>,
    uid: &str,
) -> Result<Result<(i64, Memory), EditRefused>, StoreError> {
    let Some(id) = row_id(tx, uid)? else {
        return Ok(Err(EditRefused::NotFound(uid.to_owned())));
    };
    let memory = load(tx, id)?;
    if memory.forgotten {
        return Ok(Err(EditRefused::Forgotten(uid.to_owned())));
    }
    Ok(Ok((id, memory)))
}

fn set_pinned(
    tx: &Transaction<'_>,
    id: i64,
    pinned: bool,
    at: &str,
    undoes: Option<i64>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE memories SET pinned = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, pinned, at],
    )?;
    let action = if pinned { "pin" } else { "unpin" };
    record_undo(tx, id, action, None, None, at, undoes)
}

fn forget(
    tx: &Transaction<'_>,
    id: i64,
    content: &str,
    at: &str,
    undoes: Option<i64>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE memories SET forgotten_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    record_undo(tx, id, "forget", Some(content), None, at, undoes)
}

fn restore(
    tx: &Transaction<'_>,
    id: i64,
    content: &str,
    at: &str,
    undoes: Option<i64>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE memories SET forgotten_at = NULL, updated_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    record_undo(tx, id, "restore", None, Some(content), at, undoes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(content: &str) -> NewMemory {
        NewMemory {
            content: content.to_owned(),
            kind: "fact".to_owned(),
            scope: "global".to_owned(),
            source_session: Some("s1".to_owned()),
            source_message: None,
            provenance: Provenance::User,
        }
    }

    fn created(saved: Saved) -> Memory {
        match saved {
            Saved::Created(m) => m,
            Saved::Duplicate(m) => panic!("duplicate of {}", m.id),
        }
    }

    #[test]
    fn undo_restores_an_edited_memory_and_undoing_again_goes_further_back() {
        let store = Store::in_memory().unwrap();
        let m = created(store.save_memory(&new("I live in Hangzhou")).unwrap());
        let edited = store
            .edit_memory(&m.id, "I live in Shanghai")
            .unwrap()
            .unwrap();
        assert_eq!(edited.content, "I live in Shanghai");
        assert!(
            store
                .search_memories("Hangzhou", None, 5)
                .unwrap()
                .is_empty()
        );
        let undone = store.undo_memory(&m.id).unwrap().unwrap();
        assert_eq!(undone.content, "I live in Hangzhou");
        assert_eq!(store.search_memories("Hangzhou", None, 5).unwrap().len(), 1);
        assert!(
            store
                .search_memories("Shanghai", None, 5)
                .unwrap()
                .is_empty()
        );
        // Undoing again goes back past the creation: the memory is forgotten; once more
        // brings it back (it never gets stuck), and then that restore is what undo reverts.
        assert!(store.undo_memory(&m.id).unwrap().unwrap().forgotten);
        assert!(!store.undo_memory(&m.id).unwrap().unwrap().forgotten);
        assert!(store.undo_memory(&m.id).unwrap().unwrap().forgotten);
        let actions: Vec<String> = store
            .memory_history(&m.id)
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|c| c.action)
            .collect();
        assert_eq!(
            actions,
            ["create", "edit", "edit", "forget", "restore", "forget"]
        );
    }

    #[test]
    fn forgetting_pinning_and_creating_are_undone_too() {
        let store = Store::in_memory().unwrap();
        let m = created(store.save_memory(&new("green tea, no sugar")).unwrap());
        store
            .edit_memory(&m.id, "green tea, one sugar")
            .unwrap()
            .unwrap();
        assert!(store.pin_memory(&m.id, true).unwrap().unwrap().pinned);
        let unpinned = store.undo_memory(&m.id).unwrap().unwrap();
        assert!(!unpinned.pinned);
        assert_eq!(unpinned.content, "green tea, one sugar");
        assert_eq!(
            store.undo_memory(&m.id).unwrap().unwrap().content,
            "green tea, no sugar"
        );
        store.forget_memory(&m.id).unwrap();
        assert_eq!(
            store.edit_memory(&m.id, "x").unwrap(),
            Err(EditRefused::Forgotten(m.id.clone()))
        );
        assert!(!store.undo_memory(&m.id).unwrap().unwrap().forgotten);
        assert_eq!(
            store.list_memories(&MemoryFilter::default()).unwrap().len(),
            1
        );
        let other = created(store.save_memory(&new("oolong on Sundays")).unwrap());
        assert!(store.undo_memory(&other.id).unwrap().unwrap().forgotten);
        assert_eq!(store.memory_count().unwrap(), 1);
        assert_eq!(
            store.undo_memory("mem-nope").unwrap(),
            Err(EditRefused::NotFound("mem-nope".to_owned()))
        );
    }

    #[test]
    fn a_correction_supersedes_the_old_fact_which_undo_brings_back() {
        let store = Store::in_memory().unwrap();
        let old = created(
            store
                .save_memory(&new("My dentist is Dr. Wu on Monday"))
                .unwrap(),
        );
        let fixed = created(
            store
                .supersede_memory(&old.id, &new("My dentist is Dr. Wu on Thursday"))
                .unwrap()
                .unwrap(),
        );
        let found: Vec<String> = store
            .search_memories("dentist", None, 5)
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0], fixed.id);
        assert_eq!(
            store.memory(&old.id).unwrap().unwrap().superseded_by,
            Some(fixed.id.clone())
        );
        assert!(
            store
                .supersede_memory(&old.id, &new("again"))
                .unwrap()
                .is_none()
        );
        let listed = store
            .list_memories(&MemoryFilter {
                all: true,
                ..MemoryFilter::default()
            })
            .unwrap();
        assert_eq!(listed.len(), 2);
        store.undo_memory(&fixed.id).unwrap().unwrap();
        let found: Vec<String> = store
            .search_memories("dentist", None, 5)
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(found, [old.id]);
    }

    #[test]
    fn listing_filters_by_scope_and_provenance() {
        let store = Store::in_memory().unwrap();
        store.save_memory(&new("a user fact")).unwrap();
        let mut agent = new("an agent note");
        agent.provenance = Provenance::Agent;
        agent.scope = "contact:ana".to_owned();
        store.save_memory(&agent).unwrap();
        let by_scope = store
            .list_memories(&MemoryFilter {
                scope: Some("contact:ana".to_owned()),
                ..MemoryFilter::default()
            })
            .unwrap();
        assert_eq!(by_scope.len(), 1);
        assert_eq!(by_scope[0].content, "an agent note");
        let by_user = store
            .list_memories(&MemoryFilter {
                provenance: Some(Provenance::User),
                ..MemoryFilter::default()
            })
            .unwrap();
        assert_eq!(by_user.len(), 1);
        assert_eq!(by_user[0].content, "a user fact");
    }
}
