//! The engine's answers to [`Op::Memory`] and [`Op::ImportSessions`]: every surface changes
//! memory and imports history through here, so the checks live in one place.
//!
//! [`Op::Memory`]: crate::protocol::Op::Memory
//! [`Op::ImportSessions`]: crate::protocol::Op::ImportSessions

use crate::memory::{checks, markdown, sessions_file};
use crate::protocol::{MemoryOp, OpError, OpErrorKind, Reply};
use crate::store::{EditRefused, Imported, Memory, NewMemory, Provenance, Saved, Store};

/// The largest history file `ImportSessions` reads.
const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

fn internal(e: impl std::fmt::Display) -> OpError {
    OpError::new(OpErrorKind::Internal, e.to_string())
}

fn invalid(message: impl Into<String>) -> OpError {
    OpError::new(OpErrorKind::Invalid, message)
}

fn refused(e: EditRefused) -> OpError {
    let kind = match e {
        EditRefused::NotFound(_) | EditRefused::NothingToUndo(_) => OpErrorKind::NotFound,
        EditRefused::Forgotten(_) | EditRefused::Empty => OpErrorKind::Invalid,
    };
    OpError::new(kind, e.to_string())
}

fn checked_content(content: &str) -> Result<String, OpError> {
    checks::content(content).map_err(invalid)
}

fn checked_kind(kind: Option<&str>) -> Result<String, OpError> {
    checks::kind(kind).map_err(invalid)
}

fn checked_scope(scope: Option<&str>) -> Result<String, OpError> {
    checks::scope(scope).map_err(invalid)
}

fn changed(memory: Memory, changed: bool) -> Reply {
    Reply::Memory {
        memory: Box::new(memory),
        changed,
    }
}

/// Carries out a change the user asked for.
pub(crate) fn apply(store: &Store, change: MemoryOp) -> Result<Reply, OpError> {
    match change {
        MemoryOp::Save {
            content,
            kind,
            scope,
        } => {
            let new = NewMemory {
                content: checked_content(&content)?,
                kind: checked_kind(kind.as_deref())?,
                scope: checked_scope(scope.as_deref())?,
                source_session: None,
                source_message: None,
                provenance: Provenance::User,
            };
            Ok(match store.save_memory(&new).map_err(internal)? {
                Saved::Created(memory) => changed(memory, true),
                Saved::Duplicate(memory) => changed(memory, false),
            })
        }
        MemoryOp::Edit { id, content } => {
            let content = checked_content(&content)?;
            let before = store.memory(&id).map_err(internal)?;
            let memory = store
                .edit_memory(&id, &content)
                .map_err(internal)?
                .map_err(refused)?;
            let was = before.is_some_and(|b| b.content != memory.content);
            Ok(changed(memory, was))
        }
        MemoryOp::Pin { id, pinned } => {
            let before = store.memory(&id).map_err(internal)?;
            let memory = store
                .pin_memory(&id, pinned)
                .map_err(internal)?
                .map_err(refused)?;
            Ok(changed(memory, before.is_some_and(|b| b.pinned != pinned)))
        }
        MemoryOp::Forget { id } => {
            let forgot = store.forget_memory(&id).map_err(internal)?;
            let memory = store.memory(&id).map_err(internal)?.ok_or_else(|| {
                OpError::new(OpErrorKind::NotFound, format!("there is no memory {id}"))
            })?;
            Ok(changed(memory, forgot))
        }
        MemoryOp::Undo { id } => {
            let memory = store.undo_memory(&id).map_err(internal)?.map_err(refused)?;
            Ok(changed(memory, true))
        }
        MemoryOp::Import { markdown: text } => {
            let listed = markdown::parse(&text);
            if listed.is_empty() {
                return Err(invalid(
                    "the file lists no memories: one per list item (`- …`), as `pincer memory export` writes them",
                ));
            }
            // Everything is checked before anything is saved.
            let mut new = Vec::with_capacity(listed.len());
            for (n, item) in listed.iter().enumerate() {
                let content = checked_content(&item.content)
                    .map_err(|e| invalid(format!("memory {}: {}", n + 1, e.message)))?;
                new.push((
                    NewMemory {
                        content,
                        kind: item.kind.clone(),
                        scope: item.scope.clone(),
                        source_session: None,
                        source_message: None,
                        provenance: Provenance::User,
                    },
                    item.pinned,
                ));
            }
            let (mut added, mut already) = (0, 0);
            for (memory, pinned) in &new {
                let saved = store.save_memory(memory).map_err(internal)?;
                let (Saved::Created(m) | Saved::Duplicate(m)) = &saved;
                if *pinned && !m.pinned {
                    store
                        .pin_memory(&m.id, true)
                        .map_err(internal)?
                        .map_err(refused)?;
                }
                match saved {
                    Saved::Created(_) => added += 1,
                    Saved::Duplicate(_) => already += 1,
                }
            }
            Ok(Reply::Imported { added, already })
        }
    }
}

/// Imports the conversations of the file at `path`.
pub(crate) fn import_sessions(store: &Store, path: &str) -> Result<Reply, OpError> {
    let file = std::path::Path::new(path);
    let meta = std::fs::metadata(file)
        .map_err(|e| OpError::new(OpErrorKind::NotFound, format!("cannot read {path}: {e}")))?;
    if !meta.is_file() {
        return Err(invalid(format!("{path} is not a file")));
    }
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(invalid(format!(
            "{path} is {} MB; at most {} MB is imported at once (split it)",
            meta.len() / (1024 * 1024),
            MAX_IMPORT_BYTES / (1024 * 1024)
        )));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| invalid(format!("cannot read {path} as UTF-8 text: {e}")))?;
    let sessions = sessions_file::parse(&text).map_err(|e| invalid(format!("{path}: {e}")))?;
    let (mut added, mut already) = (0, 0);
    for session in &sessions {
        match store.import_session(session).map_err(internal)? {
            Imported::Created { .. } => added += 1,
            Imported::AlreadyImported { .. } => already += 1,
        }
    }
    tracing::info!(path, added, already, "conversations imported");
    Ok(Reply::Imported { added, already })
}
