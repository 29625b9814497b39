//! Reading conversations from another agent's files, for `pincer sessions import`.
//!
//! Two formats, told apart by their first record:
//!
//! - **Pincer JSONL**: one message per line, `{"role": "user"|"assistant", "content":
//!   "…", "time": "2026-10-01T08:00:00Z", "conversation": "…", "title": "…"}`; `time`,
//!   `conversation` (lines with the same value are one conversation; without it the file
//!   is one) and `title` are optional.
//! - **OpenClaw session JSONL** (`~/.openclaw/agents/<agent>/sessions/<id>.jsonl`): a
//!   `{"type": "session", "id": …}` header, then `{"type": "message", "timestamp": …,
//!   "message": {"role": …, "content": [{"type": "text", "text": …}, …]}}` records. Only the
//!   text of user and assistant messages is kept (no thinking, tool calls or results).
//!
//! The whole file is read before anything is written: a bad line is an error naming it,
//! and nothing is imported.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::Role;
use crate::store::{ImportedMessage, ImportedSession};

/// Why a file could not be read as conversations.
#[derive(Debug, thiserror::Error)]
pub enum SessionsFileError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("the file holds no user or assistant messages")]
    Empty,
}

fn line_error(line: usize, reason: impl Into<String>) -> SessionsFileError {
    SessionsFileError::Line {
        line,
        reason: reason.into(),
    }
}

/// The conversations in `text` (a whole file).
pub fn parse(text: &str) -> Result<Vec<ImportedSession>, SessionsFileError> {
    let mut records: Vec<(usize, Value)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| line_error(index + 1, format!("not JSON: {e}")))?;
        if !value.is_object() {
            return Err(line_error(index + 1, "expected a JSON object"));
        }
        records.push((index + 1, value));
    }
    let Some((_, first)) = records.first() else {
        return Err(SessionsFileError::Empty);
    };
    let sessions = if first.get("type").and_then(Value::as_str) == Some("session") {
        vec![openclaw(&records)?]
    } else {
        pincer(&records)?
    };
    let sessions: Vec<ImportedSession> = sessions
        .into_iter()
        .filter(|s| !s.messages.is_empty())
        .collect();
    if sessions.is_empty() {
        return Err(SessionsFileError::Empty);
    }
    Ok(sessions)
}

fn role(line: usize, value: Option<&Value>) -> Result<Option<Role>, SessionsFileError> {
    match value.and_then(Value::as_str) {
        Some("user") => Ok(Some(Role::User)),
        Some("assistant") => Ok(Some(Role::Assistant)),
        // Tool traffic and system notes are not conversation.
        Some("tool" | "toolResult" | "system") => Ok(None),
        Some(other) => Err(line_error(
            line,
            format!("role {other:?}: expected \"user\" or \"assistant\""),
        )),
        None => Err(line_error(line, "no \"role\"")),
    }
}

/// RFC 3339 in our stored form (UTC, seconds); `None` when absent or unreadable, and the
/// import's time is used.
fn time(value: Option<&Value>) -> Option<String> {
    let parsed = match value? {
        Value::String(text) => humantime::parse_rfc3339_weak(text).ok()?,
        // Milliseconds since 1970, as OpenClaw's inner timestamps are.
        Value::Number(n) => std::time::UNIX_EPOCH + std::time::Duration::from_millis(n.as_u64()?),
        _ => return None,
    };
    Some(crate::store::rfc3339(parsed))
}

fn pincer(records: &[(usize, Value)]) -> Result<Vec<ImportedSession>, SessionsFileError> {
    let mut by_conversation: BTreeMap<String, (usize, ImportedSession)> = BTreeMap::new();
    for (line, record) in records {
        let Some(role) = role(*line, record.get("role"))? else {
            continue;
        };
        let content = record
            .get("content")
            .and_then(Value::as_str)
            .ok_or_else(|| line_error(*line, "no \"content\" text"))?;
        if content.trim().is_empty() {
            continue;
        }
        let key = match record.get("conversation") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let order = by_conversation.len();
        let entry = by_conversation.entry(key).or_insert_with(|| {
            (
                order,
                ImportedSession {
                    source_key: String::new(),
                    title: None,
                    messages: Vec::new(),
                },
            )
        });
        if entry.1.title.is_none() {
            entry.1.title = record
                .get("title")
                .and_then(Value::as_str)
                // A title is a label: its first line, at most 80 characters, as ours are.
                .map(|title| crate::text::first_line(title, 80))
                .filter(|title| !title.is_empty());
        }
        entry.1.messages.push(ImportedMessage {
            role,
            content: content.to_owned(),
            created_at: time(record.get("time")),
        });
    }
    let mut sessions: Vec<(usize, ImportedSession)> = by_conversation
        .into_iter()
        .map(|(key, (order, mut session))| {
            session.source_key = format!("jsonl:{}", fingerprint(&key, &session));
            (order, session)
        })
        .collect();
    sessions.sort_by_key(|(order, _)| *order);
    Ok(sessions.into_iter().map(|(_, s)| s).collect())
}

/// What identifies a conversation without an id of its own: its key and its messages.
fn fingerprint(key: &str, session: &ImportedSession) -> String {
    let mut hash = Sha256::new();
    hash.update(key.as_bytes());
    for message in &session.messages {
        hash.update([0]);
        hash.update(message.role.as_str().as_bytes());
        hash.update([0]);
        hash.update(message.content.as_bytes());
        hash.update([0]);
        hash.update(message.created_at.as_deref().unwrap_or("").as_bytes());
    }
    hash.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn openclaw(records: &[(usize, Value)]) -> Result<ImportedSession, SessionsFileError> {
    let (header_line, header) = &records[0];
    let id = header
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| line_error(*header_line, "the session header has no \"id\""))?;
    let mut session = ImportedSession {
        source_key: format!("openclaw:{id}"),
        title: None,
        messages: Vec::new(),
    };
    for (line, record) in &records[1..] {
        if record.get("type").and_then(Value::as_str) != Some("message") {
            continue;
        }
        let message = record
            .get("message")
            .ok_or_else(|| line_error(*line, "a message record without \"message\""))?;
        let Some(role) = role(*line, message.get("role"))? else {
            continue;
        };
        let text = match message.get("content") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Array(blocks)) => blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => return Err(line_error(*line, "a message without \"content\"")),
        };
        if text.trim().is_empty() {
            continue;
        }
        session.messages.push(ImportedMessage {
            role,
            content: text,
            created_at: time(record.get("timestamp")).or_else(|| time(message.get("timestamp"))),
        });
    }
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pincer_jsonl_groups_by_conversation_and_keeps_times_and_titles() {
        let text = r#"
{"conversation": "trip", "title": "Kyoto", "role": "user", "content": "Book the night train", "time": "2026-10-01T08:00:00.250Z"}
{"conversation": "trip", "role": "assistant", "content": "Booked for May 3."}
{"conversation": 7, "title": "\n", "role": "user", "content": "我每周六去西湖"}
{"conversation": "trip", "role": "tool", "content": "ignored"}
"#;
        let sessions = parse(text).unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].title.as_deref(), Some("Kyoto"));
        assert_eq!(sessions[0].messages.len(), 2);
        assert_eq!(
            sessions[0].messages[0].created_at.as_deref(),
            Some("2026-10-01T08:00:00Z")
        );
        assert_eq!(sessions[0].messages[1].created_at, None);
        assert_eq!(sessions[1].messages[0].content, "我每周六去西湖");
        assert_eq!(sessions[1].title, None, "a blank title is none");
        assert!(sessions[0].source_key.starts_with("jsonl:"));
        assert_ne!(sessions[0].source_key, sessions[1].source_key);
        assert_eq!(parse(text).unwrap()[0].source_key, sessions[0].source_key);
    }

    #[test]
    fn openclaw_sessions_keep_the_text_of_user_and_assistant_messages() {
        let text = r#"{"type":"session","version":3,"id":"abc-123","timestamp":"2026-02-06T07:49:00.000Z","cwd":"/home/u"}
{"type":"model_change","id":"m1","parentId":null,"timestamp":"2026-02-06T07:49:01.000Z","provider":"openai","modelId":"gpt"}
{"type":"message","id":"1","parentId":null,"timestamp":"2026-02-06T07:49:03.491Z","message":{"role":"user","content":[{"type":"text","text":"where is my passport?"}],"timestamp":1770364143489}}
{"type":"message","id":"2","parentId":"1","timestamp":"2026-02-06T07:49:09.000Z","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hmm"},{"type":"toolCall","id":"c","name":"read","arguments":{}},{"type":"text","text":"In ~/docs/id.pdf"}]}}
{"type":"message","id":"3","parentId":"2","timestamp":"2026-02-06T07:49:10.000Z","message":{"role":"toolResult","content":[{"type":"text","text":"secret tool output"}]}}
"#;
        let sessions = parse(text).unwrap();
        assert_eq!(sessions.len(), 1);
        let s = &sessions[0];
        assert_eq!(s.source_key, "openclaw:abc-123");
        let texts: Vec<&str> = s.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["where is my passport?", "In ~/docs/id.pdf"]);
        assert_eq!(
            s.messages[0].created_at.as_deref(),
            Some("2026-02-06T07:49:03Z")
        );
    }

    #[test]
    fn a_bad_line_is_an_error_that_names_it() {
        let err = parse("{\"role\":\"user\",\"content\":\"hi\"}\nnot json\n").unwrap_err();
        assert!(err.to_string().starts_with("line 2: not JSON"), "{err}");
        let err = parse("{\"role\":\"boss\",\"content\":\"hi\"}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: role \"boss\": expected \"user\" or \"assistant\""
        );
        assert!(matches!(parse("\n\n"), Err(SessionsFileError::Empty)));
        assert!(matches!(
            parse("{\"role\":\"tool\",\"content\":\"x\"}"),
            Err(SessionsFileError::Empty)
        ));
    }
}
