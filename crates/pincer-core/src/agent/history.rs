//! A session's conversation as the model sees it, rebuilt from the store.
//!
//! A turn that did not finish — the user cancelled it, it failed, or the process running
//! it was killed — is followed by a note saying it is over, and every tool call it left
//! without a result gets one saying so. Without that the model reads an unanswered request
//! and picks it up again with the next message, re-running its tool calls. The note is not
//! stored: it is derived from the turn's recorded end, the same way for a running session
//! ([`note_after`]) as for one read back ([`load`]), so the request prefix stays byte-stable.

use std::collections::HashMap;

use crate::model::{Message, Role};
use crate::protocol::Event;
use crate::store::{Store, StoreError, StoredMessage, TurnOutcome};

/// The result of a tool call still open when the process stopped (or the turn was
/// cancelled) while it ran.
pub(crate) const INTERRUPTED: &str = "error: interrupted: Pincer stopped or the turn was cancelled before this call reported back, so it may not have finished, or may have done part of its work. Do not repeat it unless the user asks.";

/// The result of a tool call the turn was cancelled before reaching.
pub(crate) const NOT_RUN: &str = "error: not run: the turn was cancelled before this call started. Do not repeat it unless the user asks.";

/// Follows a turn the user cancelled.
pub(crate) const CANCELLED_NOTE: &str = "[Pincer: the user cancelled the request above before it finished. It is over: do not continue it or repeat its tool calls unless the user asks again.]";

/// Follows a turn that failed or that a stopped process cut off.
pub(crate) const ENDED_EARLY_NOTE: &str = "[Pincer: the request above ended before it finished (an error, or Pincer was stopped). It is over: do not continue it or repeat its tool calls unless the user asks again.]";

/// Loads the history of `session`, first closing any tool calls a killed process left open
/// so that every call in the history has its result.
pub(crate) fn load(store: &Store, session: &str) -> Result<Vec<Message>, StoreError> {
    load_with(store, session, None)
}

/// The history of `session` while its turn `running` goes on (after a compaction): that
/// turn gets no note, and its open calls are left to it.
pub(crate) fn load_running(
    store: &Store,
    session: &str,
    running: &str,
) -> Result<Vec<Message>, StoreError> {
    load_with(store, session, Some(running))
}

fn load_with(
    store: &Store,
    session: &str,
    running: Option<&str>,
) -> Result<Vec<Message>, StoreError> {
    store.ensure_session(session)?;
    let mut stored = store.messages(session)?;
    if let Some(last_call_at) = stored
        .iter()
        .rposition(|m| !m.message.tool_calls.is_empty())
        .filter(|at| Some(stored[*at].turn_id.as_str()) != running)
    {
        let assistant = stored[last_call_at].clone();
        let answered: Vec<String> = stored[last_call_at + 1..]
            .iter()
            .filter_map(|m| m.message.tool_call_id.clone())
            .collect();
        for call in &assistant.message.tool_calls {
            if !answered.contains(&call.id) {
                let result = Message::tool_result(&call.id, INTERRUPTED, true);
                stored.push(store.append_message(session, &assistant.turn_id, &result)?);
            }
        }
    }
    let ends: HashMap<String, TurnOutcome> = store
        .turn_ends(session)?
        .into_iter()
        .map(|end| (end.turn_id, end.outcome))
        .collect();
    // A compaction stands for every message up to the one it names.
    let compaction = store.latest_compaction(session)?;
    let upto = compaction.as_ref().map_or(0, |c| c.upto_message);
    let mut history = Vec::with_capacity(stored.len() + 2);
    if let Some(compaction) = &compaction {
        history.push(Message::user(compaction.text.clone()));
    }
    for (at, message) in stored.iter().enumerate() {
        if message.id <= upto {
            continue;
        }
        history.push(render(message));
        let last_of_turn = stored
            .get(at + 1)
            .is_none_or(|next| next.turn_id != message.turn_id);
        if !last_of_turn || Some(message.turn_id.as_str()) == running {
            continue;
        }
        // No record: an older turn a killed process left open (the engine records an end
        // for the last one at start, and every turn since ends with one).
        let outcome = ends.get(&message.turn_id).copied().unwrap_or({
            if is_answer(&message.message) {
                TurnOutcome::Completed
            } else {
                TurnOutcome::Failed
            }
        });
        if let Some(note) = note(outcome) {
            history.push(note);
        }
    }
    Ok(history)
}

/// Whether `message` is the model's final answer to a turn.
fn is_answer(message: &Message) -> bool {
    message.role == Role::Assistant && message.tool_calls.is_empty() && !message.content.is_empty()
}

/// The note that follows a turn ending with `end`, if it did not finish.
pub(crate) fn note_after(end: &Event) -> Option<Message> {
    note(match end {
        Event::TurnCancelled { .. } => TurnOutcome::Cancelled,
        Event::TurnFailed { .. } => TurnOutcome::Failed,
        _ => return None,
    })
}

fn note(outcome: TurnOutcome) -> Option<Message> {
    let text = match outcome {
        TurnOutcome::Cancelled => CANCELLED_NOTE,
        TurnOutcome::Failed => ENDED_EARLY_NOTE,
        // A step-limited turn is meant to be continued ("continue" goes on).
        TurnOutcome::Completed | TurnOutcome::StepLimit => return None,
    };
    Some(Message::user(text.to_owned()))
}

/// A stored message in request form: user messages carry the time they were written and
/// what recall gave them, exactly as first sent.
pub(crate) fn render(stored: &StoredMessage) -> Message {
    let mut message = stored.message.clone();
    if message.role == Role::User {
        message.content = match &stored.context {
            Some(context) => format!("[{}] {context}\n\n{}", stored.created_at, message.content),
            None => format!("[{}] {}", stored.created_at, message.content),
        };
    }
    message
}
