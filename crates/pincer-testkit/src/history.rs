//! Checks that the conversation a client sends pairs tool calls with tool
//! results the way the real APIs demand, so a client bug that a real
//! provider would reject with HTTP 400 fails the test instead of passing
//! against a lenient fake.
//!
//! The rules, per dialect:
//!
//! - OpenAI Chat Completions: every call in an assistant message's
//!   `tool_calls` is answered by exactly one `role: "tool"` message whose
//!   `tool_call_id` names it, and those tool messages come right after that
//!   assistant message, before any other message.
//! - Anthropic Messages: every `tool_use` block of an assistant message is
//!   answered by exactly one `tool_result` block (matching `tool_use_id`) in
//!   the message right after it.
//!
//! Ids are matched per assistant message: a result answers the nearest
//! preceding call with its id, so providers that reuse ids across turns (every
//! turn says `call_0`) are not flagged.

use std::fmt;

use serde_json::Value;

/// One way a request's history breaks the call/result pairing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryProblem {
    /// A call that no result answers before the conversation moves on (or ends).
    Unanswered {
        call_id: String,
        tool: String,
        /// Index in `messages` of the assistant message that made the call.
        message: usize,
    },
    /// A result whose id matches no call of the assistant message it follows,
    /// nor any earlier one.
    Orphaned { call_id: String, message: usize },
    /// A second result for a call that was already answered.
    Duplicate { call_id: String, message: usize },
    /// A result for a call of an earlier assistant message, arriving after
    /// other messages came in between.
    Late {
        call_id: String,
        /// The assistant message that made the call.
        call_message: usize,
        /// The message that carries the result.
        message: usize,
    },
    /// Two calls with the same id in one assistant message, so results cannot
    /// tell them apart.
    DuplicateCallId { call_id: String, message: usize },
}

impl fmt::Display for HistoryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryProblem::Unanswered {
                call_id,
                tool,
                message,
            } => write!(
                f,
                "tool call {call_id:?} ({tool}) in messages[{message}] has no tool result right after it"
            ),
            HistoryProblem::Orphaned { call_id, message } => write!(
                f,
                "tool result in messages[{message}] answers {call_id:?}, which no assistant message called"
            ),
            HistoryProblem::Duplicate { call_id, message } => write!(
                f,
                "tool result in messages[{message}] answers {call_id:?} a second time"
            ),
            HistoryProblem::Late {
                call_id,
                call_message,
                message,
            } => write!(
                f,
                "tool result in messages[{message}] answers {call_id:?} from messages[{call_message}], \
                 but other messages came in between"
            ),
            HistoryProblem::DuplicateCallId { call_id, message } => write!(
                f,
                "messages[{message}] makes two tool calls with the same id {call_id:?}"
            ),
        }
    }
}

/// A request whose history broke the pairing rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Index of the request among all captured requests (0-based).
    pub request: usize,
    /// e.g. `"/v1/chat/completions"`.
    pub path: String,
    pub problems: Vec<HistoryProblem>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request #{} to {}: ", self.request, self.path)?;
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// The calls of one assistant message, waiting for their results.
struct OpenCalls {
    message: usize,
    /// `(id, tool name, results seen)`.
    calls: Vec<(String, String, usize)>,
}

impl OpenCalls {
    fn new(
        message: usize,
        calls: Vec<(String, String)>,
        problems: &mut Vec<HistoryProblem>,
    ) -> Self {
        let mut open = OpenCalls {
            message,
            calls: Vec::with_capacity(calls.len()),
        };
        for (id, tool) in calls {
            if open.calls.iter().any(|(seen, _, _)| *seen == id) {
                problems.push(HistoryProblem::DuplicateCallId {
                    call_id: id,
                    message,
                });
            } else {
                open.calls.push((id, tool, 0));
            }
        }
        open
    }

    /// Reports the calls nobody answered.
    fn close(self, problems: &mut Vec<HistoryProblem>) {
        for (call_id, tool, answered) in self.calls {
            if answered == 0 {
                problems.push(HistoryProblem::Unanswered {
                    call_id,
                    tool,
                    message: self.message,
                });
            }
        }
    }
}

/// Walks one conversation, message by message: each dialect feeds it the
/// results a message carries, then the calls it makes.
struct Walker {
    problems: Vec<HistoryProblem>,
    open: Option<OpenCalls>,
    /// Every assistant message with calls so far: `(message, ids)`.
    earlier: Vec<(usize, Vec<String>)>,
}

impl Walker {
    fn new() -> Self {
        Walker {
            problems: Vec::new(),
            open: None,
            earlier: Vec::new(),
        }
    }

    fn result(&mut self, call_id: &str, message: usize) {
        if let Some(open) = &mut self.open
            && let Some(entry) = open.calls.iter_mut().find(|(id, _, _)| id == call_id)
        {
            entry.2 += 1;
            if entry.2 > 1 {
                self.problems.push(HistoryProblem::Duplicate {
                    call_id: call_id.to_owned(),
                    message,
                });
            }
            return;
        }
        let open_message = self.open.as_ref().map(|o| o.message);
        let earlier = self
            .earlier
            .iter()
            .rev()
            .filter(|(m, _)| Some(*m) != open_message)
            .find(|(_, ids)| ids.iter().any(|id| id == call_id));
        self.problems.push(match earlier {
            Some((call_message, _)) => HistoryProblem::Late {
                call_id: call_id.to_owned(),
                call_message: *call_message,
                message,
            },
            None => HistoryProblem::Orphaned {
                call_id: call_id.to_owned(),
                message,
            },
        });
    }

    /// Ends the current block of results: its unanswered calls are reported.
    fn close(&mut self) {
        if let Some(open) = self.open.take() {
            open.close(&mut self.problems);
        }
    }

    fn calls(&mut self, message: usize, calls: Vec<(String, String)>) {
        if calls.is_empty() {
            return;
        }
        self.earlier
            .push((message, calls.iter().map(|(id, _)| id.clone()).collect()));
        self.open = Some(OpenCalls::new(message, calls, &mut self.problems));
    }

    fn finish(mut self) -> Vec<HistoryProblem> {
        self.close();
        self.problems
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Checks an OpenAI Chat Completions request body. A body without a
/// `messages` array has nothing to check.
pub(crate) fn check_openai(body: &Value) -> Vec<HistoryProblem> {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut walker = Walker::new();
    for (i, message) in messages.iter().enumerate() {
        if str_field(message, "role") == "tool" {
            walker.result(str_field(message, "tool_call_id"), i);
            continue;
        }
        walker.close();
        if str_field(message, "role") == "assistant" {
            let calls = message
                .get("tool_calls")
                .and_then(Value::as_array)
                .map(|calls| {
                    calls
                        .iter()
                        .map(|call| {
                            let name = call
                                .pointer("/function/name")
                                .and_then(Value::as_str)
                                .unwrap_or("");
                            (str_field(call, "id").to_owned(), name.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            walker.calls(i, calls);
        }
    }
    walker.finish()
}

/// Checks an Anthropic Messages request body. A body without a `messages`
/// array has nothing to check.
pub(crate) fn check_anthropic(body: &Value) -> Vec<HistoryProblem> {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Vec::new();
    };
    let blocks = |message: &Value| -> Vec<Value> {
        message
            .get("content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut walker = Walker::new();
    for (i, message) in messages.iter().enumerate() {
        let blocks = blocks(message);
        // Results must sit in the message right after the calls; this
        // message is that one (or the calls go unanswered).
        for block in blocks
            .iter()
            .filter(|b| str_field(b, "type") == "tool_result")
        {
            walker.result(str_field(block, "tool_use_id"), i);
        }
        walker.close();
        if str_field(message, "role") == "assistant" {
            let calls = blocks
                .iter()
                .filter(|b| str_field(b, "type") == "tool_use")
                .map(|b| {
                    (
                        str_field(b, "id").to_owned(),
                        str_field(b, "name").to_owned(),
                    )
                })
                .collect();
            walker.calls(i, calls);
        }
    }
    walker.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::{HistoryProblem, check_anthropic, check_openai};

    fn call(id: &str) -> serde_json::Value {
        json!({"id": id, "type": "function", "function": {"name": "exec", "arguments": "{}"}})
    }

    #[test]
    fn openai_well_formed_history_passes_even_with_reused_ids() {
        let body = json!({"messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": null, "tool_calls": [call("call_0"), call("call_1")]},
            {"role": "tool", "tool_call_id": "call_1", "content": "r1"},
            {"role": "tool", "tool_call_id": "call_0", "content": "r0"},
            {"role": "assistant", "tool_calls": [call("call_0")]},
            {"role": "tool", "tool_call_id": "call_0", "content": "again"},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": "more"},
        ]});
        assert_eq!(check_openai(&body), []);
        assert_eq!(check_openai(&json!({})), []);
    }

    #[test]
    fn openai_problems_are_named() {
        let body = json!({"messages": [
            {"role": "user", "content": "u"},
            {"role": "tool", "tool_call_id": "ghost", "content": "?"},
            {"role": "assistant", "tool_calls": [call("a"), call("b"), call("a")]},
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "tool", "tool_call_id": "a", "content": "2"},
            {"role": "user", "content": "interrupt"},
            {"role": "tool", "tool_call_id": "b", "content": "late"},
            {"role": "assistant", "tool_calls": [call("c")]},
        ]});
        assert_eq!(
            check_openai(&body),
            [
                HistoryProblem::Orphaned {
                    call_id: "ghost".into(),
                    message: 1
                },
                HistoryProblem::DuplicateCallId {
                    call_id: "a".into(),
                    message: 2
                },
                HistoryProblem::Duplicate {
                    call_id: "a".into(),
                    message: 4
                },
                HistoryProblem::Unanswered {
                    call_id: "b".into(),
                    tool: "exec".into(),
                    message: 2
                },
                HistoryProblem::Late {
                    call_id: "b".into(),
                    call_message: 2,
                    message: 6
                },
                HistoryProblem::Unanswered {
                    call_id: "c".into(),
                    tool: "exec".into(),
                    message: 7
                },
            ]
        );
    }

    fn tool_use(id: &str) -> serde_json::Value {
        json!({"type": "tool_use", "id": id, "name": "read_file", "input": {}})
    }

    fn tool_result(id: &str) -> serde_json::Value {
        json!({"type": "tool_result", "tool_use_id": id, "content": "r"})
    }

    #[test]
    fn anthropic_well_formed_history_passes_even_with_reused_ids() {
        let body = json!({"system": "s", "messages": [
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": [{"type": "text", "text": "t"}, tool_use("toolu_0"), tool_use("toolu_1")]},
            {"role": "user", "content": [tool_result("toolu_0"), tool_result("toolu_1"), {"type": "text", "text": "note"}]},
            {"role": "assistant", "content": [tool_use("toolu_0")]},
            {"role": "user", "content": [tool_result("toolu_0")]},
            {"role": "assistant", "content": "done"},
        ]});
        assert_eq!(check_anthropic(&body), []);
    }

    #[test]
    fn anthropic_problems_are_named() {
        let body = json!({"messages": [
            {"role": "user", "content": [tool_result("ghost")]},
            {"role": "assistant", "content": [tool_use("a"), tool_use("b")]},
            {"role": "user", "content": [tool_result("a"), tool_result("a")]},
            {"role": "user", "content": [tool_result("b")]},
        ]});
        assert_eq!(
            check_anthropic(&body),
            [
                HistoryProblem::Orphaned {
                    call_id: "ghost".into(),
                    message: 0
                },
                HistoryProblem::Duplicate {
                    call_id: "a".into(),
                    message: 2
                },
                HistoryProblem::Unanswered {
                    call_id: "b".into(),
                    tool: "read_file".into(),
                    message: 1
                },
                HistoryProblem::Late {
                    call_id: "b".into(),
                    call_message: 1,
                    message: 3
                },
            ]
        );
    }
}
