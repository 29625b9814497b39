//! The flush when a session goes idle: after `agent.session_idle_secs` without work, the
//! engine itself asks the model for the durable facts in what the user wrote since the
//! last flush and saves them (deduplicated against the store), so a conversation that
//! never grows long enough to be compacted is remembered too. It does not depend on the
//! model deciding to call `memory_save`.
//!
//! Each message is read once: the store keeps how far the flush has read each session
//! (the compaction's flush moves the same mark). The request runs outside any turn: no
//! events, its usage recorded under a turn id of its own (`flush-…`).

use tokio_util::sync::CancellationToken;

use super::Shared;
use super::compact;
use super::model_call::{Call, CallError};
use crate::store::{StoreError, StoredMessage};

/// The submission the flush's usage is recorded under.
const SUBMISSION: &str = "idle-flush";

/// Flushes what `session` said since the last flush; failures are logged, never fatal
/// (the mark does not move, so the next idle period tries again).
pub(super) async fn run(shared: &Shared, session: &str) {
    let config = shared.config();
    if config.providers.is_empty() || !config.settings.memory.idle_flush {
        return;
    }
    let store = &shared.store;
    let unread = match unread(store, session) {
        Ok(unread) => unread,
        Err(e) => {
            tracing::warn!(session, error = %e, "idle flush: could not read the session");
            return;
        }
    };
    let Some(last) = unread.last().map(|m| m.id) else {
        return;
    };
    let saved = match compact::flush_request(&unread) {
        None => 0,
        Some(request) => {
            let turn_id = format!("flush-{}", uuid::Uuid::new_v4().simple());
            let cancel = CancellationToken::new();
            let call = Call {
                shared,
                config: &config,
                session,
                submission: SUBMISSION,
                turn_id: &turn_id,
                step: 0,
                cancel: &cancel,
                quiet: true,
                silent: true,
                prefer: None,
            };
            let answer = match call.run(&request).await {
                Ok(response) => response.text,
                Err(failure) => {
                    let error = match failure.error {
                        CallError::Cancelled => "cancelled".to_owned(),
                        CallError::Failed(error) => error.to_string(),
                    };
                    tracing::warn!(
                        session,
                        error,
                        "idle flush: the model call failed; it is tried again at the next idle"
                    );
                    return;
                }
            };
            match compact::save_flushed(store, session, &answer) {
                Ok(saved) => saved,
                Err(failure) => {
                    tracing::warn!(session, error = %failure.message, "idle flush: could not save");
                    return;
                }
            }
        }
    };
    if let Err(e) = store.record_flush(session, last, saved) {
        tracing::warn!(session, error = %e, "idle flush: could not record how far it read");
    }
    if saved > 0 {
        tracing::info!(session, saved, "idle flush saved durable facts");
        shared.embedder.wake();
    }
}

/// The session's messages the flush has not read.
fn unread(store: &crate::store::Store, session: &str) -> Result<Vec<StoredMessage>, StoreError> {
    let flushed = store.flushed_upto(session)?;
    Ok(store
        .messages(session)?
        .into_iter()
        .filter(|m| m.id > flushed)
        .collect())
}
