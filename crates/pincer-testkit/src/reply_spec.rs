//! [`Reply`]s described as JSON, for tests that are not written in Rust (the
//! `pincer-scripted-llm` binary's `POST /__testkit/replies`).
//!
//! See [`ReplySpec`] for the format.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::Reply;

/// One scripted reply as JSON, parsed by [`parse_replies`]. Every field is
/// optional; unknown fields are rejected so a typo fails the test instead of
/// being silently ignored:
///
/// ```json
/// {
///   "text": "hello",
///   "reasoning": "thinking it over",
///   "tool_calls": [{"id": "c1", "name": "exec", "arguments": "{\"command\":\"ls\"}"}],
///   "status": 500,
///   "usage": {"input": 10, "cached": 2, "output": 5},
///   "deepseek_cache_fields": true,
///   "without_usage": true,
///   "retry_after": 1,
///   "delay_ms": 100,
///   "chunk_delay_ms": 50,
///   "split": "words",
///   "cut_after": 3,
///   "malformed_chunk": true,
///   "hang": true,
///   "abort_connection": true
/// }
/// ```
///
/// Mapping onto the [`Reply`] builders:
///
/// - `tool_calls` present → [`Reply::tool_calls`], plus [`Reply::with_text`]
///   when `text` is also present (the text streams before the calls);
///   otherwise `text` → [`Reply::text`]; neither → an empty assistant message.
///   A tool call needs `id` and `name`; `arguments` is either a string sent
///   verbatim (so it may be malformed JSON on purpose) or any other JSON value,
///   which is serialized; it defaults to `"{}"`.
/// - `status` (400–599) → [`Reply::status`]: an error response in the
///   endpoint's dialect. It wins over any content fields.
/// - `reasoning` → [`Reply::reasoning`]; `usage` → [`Reply::usage`] (each of
///   `input`, `cached`, `output` defaults to 10, 0, 5 as in the Rust API;
///   `input` includes `cached`); `deepseek_cache_fields` / `without_usage` /
///   `malformed_chunk` / `hang` / `abort_connection` (booleans, `false` means
///   absent) → the builders of the same name; `retry_after` (seconds) →
///   [`Reply::retry_after`]; `delay_ms` → [`Reply::delay`]; `chunk_delay_ms` →
///   [`Reply::chunk_delay`] (applied between every pair of SSE events, text
///   deltas included); `cut_after` (an SSE event count) → [`Reply::cut_after`].
/// - `split` is `"words"` (the default here, unlike the Rust API: text and
///   reasoning stream one word per delta, see [`Reply::word_deltas`]) or
///   `"thirds"` (about three deltas each, the Rust API's default). It changes
///   how many events `cut_after` counts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplySpec {
    /// Assistant text, streamed before any tool calls.
    pub text: Option<String>,
    /// Reasoning (`reasoning_content` / a thinking block), sent before the text.
    pub reasoning: Option<String>,
    /// Tool calls of this response, in order.
    pub tool_calls: Option<Vec<ToolCallSpec>>,
    /// An HTTP error status (400–599) answered with the dialect's error body.
    pub status: Option<u16>,
    /// Token usage reported for the response.
    pub usage: Option<UsageSpec>,
    /// OpenAI dialect: report cache hits the way DeepSeek does.
    #[serde(default)]
    pub deepseek_cache_fields: bool,
    /// OpenAI dialect: stream no usage chunk even when it is asked for.
    #[serde(default)]
    pub without_usage: bool,
    /// `Retry-After` header value, in seconds.
    pub retry_after: Option<u64>,
    /// Milliseconds to wait before sending the response headers.
    pub delay_ms: Option<u64>,
    /// Milliseconds to wait between SSE events.
    pub chunk_delay_ms: Option<u64>,
    /// How text and reasoning are cut into deltas; words by default.
    #[serde(default)]
    pub split: Split,
    /// Send only this many SSE events, then end the body without a terminator.
    pub cut_after: Option<usize>,
    /// Insert an SSE event whose data is not valid JSON after the first one.
    #[serde(default)]
    pub malformed_chunk: bool,
    /// Keep the response open after the events until the server stops.
    #[serde(default)]
    pub hang: bool,
    /// Tear the connection down after the events.
    #[serde(default)]
    pub abort_connection: bool,
}

/// One tool call of a [`ReplySpec`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallSpec {
    /// The call id the client must echo back with the result.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// A string is sent verbatim; any other JSON value is serialized.
    /// Defaults to `"{}"`.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// Token usage of a [`ReplySpec`]; `input` includes `cached`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// Prompt tokens, cached ones included. Defaults to 10.
    #[serde(default = "default_input")]
    pub input: u64,
    /// Prompt tokens served from cache. Defaults to 0.
    #[serde(default)]
    pub cached: u64,
    /// Completion tokens. Defaults to 5.
    #[serde(default = "default_output")]
    pub output: u64,
}

fn default_input() -> u64 {
    10
}

fn default_output() -> u64 {
    5
}

/// How a [`ReplySpec`]'s text and reasoning are cut into stream deltas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// One delta per word (trailing whitespace included).
    #[default]
    Words,
    /// About three deltas of similar length.
    Thirds,
}

/// Why a reply description was rejected; the message is meant for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplySpecError(String);

impl fmt::Display for ReplySpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReplySpecError {}

impl TryFrom<ReplySpec> for Reply {
    type Error = ReplySpecError;

    fn try_from(spec: ReplySpec) -> Result<Reply, ReplySpecError> {
        let mut reply = match (&spec.tool_calls, &spec.text) {
            (Some(calls), text) => {
                let calls: Vec<(String, String, String)> = calls
                    .iter()
                    .map(|c| {
                        let arguments = match &c.arguments {
                            None => "{}".to_owned(),
                            Some(Value::String(s)) => s.clone(),
                            Some(other) => other.to_string(),
                        };
                        (c.id.clone(), c.name.clone(), arguments)
                    })
                    .collect();
                let borrowed: Vec<(&str, &str, &str)> = calls
                    .iter()
                    .map(|(id, name, args)| (id.as_str(), name.as_str(), args.as_str()))
                    .collect();
                let reply = Reply::tool_calls(&borrowed);
                match text {
                    Some(text) => reply.with_text(text),
                    None => reply,
                }
            }
            (None, Some(text)) => Reply::text(text),
            (None, None) => Reply::default(),
        };
        if let Some(code) = spec.status {
            if !(400..=599).contains(&code) {
                return Err(ReplySpecError(format!(
                    "\"status\" must be an HTTP error status between 400 and 599, got {code}"
                )));
            }
            reply.status = Some(code);
        }
        if let Some(reasoning) = &spec.reasoning {
            reply = reply.reasoning(reasoning);
        }
        if let Some(u) = spec.usage {
            reply = reply.usage(u.input, u.cached, u.output);
        }
        if spec.deepseek_cache_fields {
            reply = reply.deepseek_cache_fields();
        }
        if spec.without_usage {
            reply = reply.without_usage();
        }
        if let Some(secs) = spec.retry_after {
            reply = reply.retry_after(secs);
        }
        if let Some(ms) = spec.delay_ms {
            reply = reply.delay(Duration::from_millis(ms));
        }
        if let Some(ms) = spec.chunk_delay_ms {
            reply = reply.chunk_delay(Duration::from_millis(ms));
        }
        if spec.split == Split::Words {
            reply = reply.word_deltas();
        }
        if let Some(events) = spec.cut_after {
            reply = reply.cut_after(events);
        }
        if spec.malformed_chunk {
            reply = reply.malformed_chunk();
        }
        if spec.hang {
            reply = reply.hang();
        }
        if spec.abort_connection {
            reply = reply.abort_connection();
        }
        Ok(reply)
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_one(value: Value, label: &str) -> Result<Reply, ReplySpecError> {
    if !value.is_object() {
        return Err(ReplySpecError(format!(
            "{label}: expected a reply object, got {}",
            kind(&value)
        )));
    }
    let spec: ReplySpec = serde_json::from_value(value)
        .map_err(|e| ReplySpecError(format!("{label}: invalid reply: {e}")))?;
    Reply::try_from(spec).map_err(|e| ReplySpecError(format!("{label}: {e}")))
}

/// Parses a JSON body holding one reply object or an array of them, in queue
/// order. Nothing is returned unless every reply is valid.
pub fn parse_replies(body: &[u8]) -> Result<Vec<Reply>, ReplySpecError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ReplySpecError(format!("request body is not valid JSON: {e}")))?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| parse_one(item, &format!("reply [{i}]")))
            .collect(),
        Value::Object(_) => Ok(vec![parse_one(value, "reply")?]),
        other => Err(ReplySpecError(format!(
            "expected a reply object or an array of reply objects, got {}",
            kind(&other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::TextSplit;

    #[test]
    fn full_spec_maps_onto_the_builders() {
        let body = br#"{"text": "hello", "reasoning": "hmm",
            "tool_calls": [{"id": "c1", "name": "exec", "arguments": "{\"command\":\"ls\"}"},
                           {"id": "c2", "name": "read", "arguments": {"path": "a"}},
                           {"id": "c3", "name": "now"}],
            "usage": {"input": 10, "cached": 2, "output": 5},
            "deepseek_cache_fields": true, "without_usage": true, "retry_after": 1,
            "delay_ms": 100, "chunk_delay_ms": 50, "cut_after": 3,
            "malformed_chunk": true, "hang": true, "abort_connection": true}"#;
        let replies = parse_replies(body).unwrap();
        assert_eq!(replies.len(), 1);
        let r = &replies[0];
        assert_eq!(r.text.as_deref(), Some("hello"));
        assert_eq!(r.reasoning.as_deref(), Some("hmm"));
        let calls: Vec<_> = r
            .tool_calls
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
            .collect();
        assert_eq!(
            calls,
            [
                ("c1", "exec", r#"{"command":"ls"}"#),
                ("c2", "read", r#"{"path":"a"}"#),
                ("c3", "now", "{}"),
            ]
        );
        assert_eq!((r.usage.input, r.usage.cached, r.usage.output), (10, 2, 5));
        assert!(r.deepseek_cache_fields && r.without_usage);
        assert_eq!(r.retry_after, Some(1));
        assert_eq!(r.delay, Duration::from_millis(100));
        assert_eq!(r.chunk_delay, Duration::from_millis(50));
        assert_eq!(r.split, TextSplit::Words);
        assert_eq!(r.cut_after, Some(3));
        assert!(r.malformed_chunk && r.hang && r.abort_connection);
        assert_eq!(r.status, None);
    }

    #[test]
    fn arrays_keep_order_and_defaults_match_the_rust_api() {
        let replies = parse_replies(
            br#"[{"text": "a", "split": "thirds"}, {"status": 429, "retry_after": 2}, {}]"#,
        )
        .unwrap();
        assert_eq!(replies.len(), 3);
        assert_eq!(replies[0].text.as_deref(), Some("a"));
        assert_eq!(replies[0].split, TextSplit::Thirds);
        assert!(replies[0].tool_calls.is_empty());
        assert_eq!(replies[1].status, Some(429));
        assert_eq!(replies[1].retry_after, Some(2));
        assert_eq!(replies[2].text, None);
        let u = replies[2].usage;
        assert_eq!((u.input, u.cached, u.output), (10, 0, 5));
        let u = parse_replies(br#"{"usage": {"cached": 3}}"#).unwrap()[0].usage;
        assert_eq!((u.input, u.cached, u.output), (10, 3, 5));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |body: &[u8]| parse_replies(body).unwrap_err().to_string();
        assert!(err(b"{not json").starts_with("request body is not valid JSON"));
        assert_eq!(
            err(b"\"hi\""),
            "expected a reply object or an array of reply objects, got a string"
        );
        let e = err(br#"[{"text": "ok"}, {"txt": "typo"}]"#);
        assert!(
            e.starts_with("reply [1]: invalid reply: unknown field `txt`"),
            "{e}"
        );
        assert_eq!(
            err(br#"[{"text": "ok"}, 3]"#),
            "reply [1]: expected a reply object, got a number"
        );
        let e = err(br#"{"status": 200}"#);
        assert!(e.contains("between 400 and 599, got 200"), "{e}");
        let e = err(br#"{"tool_calls": [{"name": "exec"}]}"#);
        assert!(e.contains("missing field `id`"), "{e}");
        let e = err(br#"{"split": "chars"}"#);
        assert!(e.contains("unknown variant `chars`"), "{e}");
    }
}
