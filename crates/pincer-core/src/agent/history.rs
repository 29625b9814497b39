//! A session's conversation as the model sees it, rebuilt from the store.

use crate::model::{Message, Role};
use crate::store::{Store, StoreError, StoredMessage};

/// What a tool result says when the process stopped before the tool finished.
pub(crate) const INTERRUPTED: &str = "error: this tool call was interrupted before it finished (Pincer stopped or the turn was cancelled)";

/// Loads the history of `session`, first closing any tool calls a killed process left open
/// so that every call in the history has its result.
pub(crate) fn load(store: &Store, session: &str) -> Result<Vec<Message>, StoreError> {
    store.ensure_session(session)?;
    let stored = store.messages(session)?;
    let mut history: Vec<Message> = stored.iter().map(render).collect();
    if let Some(last_call_at) = stored
        .iter()
        .rposition(|m| !m.message.tool_calls.is_empty())
    {
        let assistant = &stored[last_call_at];
        let answered: Vec<&str> = stored[last_call_at + 1..]
            .iter()
            .filter_map(|m| m.message.tool_call_id.as_deref())
            .collect();
        for call in &assistant.message.tool_calls {
            if !answered.contains(&call.id.as_str()) {
                let result = Message::tool_result(&call.id, INTERRUPTED, true);
                let stored = store.append_message(session, &assistant.turn_id, &result)?;
                history.push(render(&stored));
            }
        }
    }
    Ok(history)
}

/// A stored message in request form: user messages carry the time they were written.
pub(crate) fn render(stored: &StoredMessage) -> Message {
    let mut message = stored.message.clone();
    if message.role == Role::User {
        message.content = format!("[{}] {}", stored.created_at, message.content);
    }
    message
}
