//! Splits what a local model writes into answer text, reasoning (`<think>…</think>`) and
//! tool calls (`<tool_call>{"name": …, "arguments": …}</tool_call>`, Qwen's format), as it
//! streams: text is passed on at once except a possible start of a tag, which waits for
//! the next piece.

use serde_json::Value;

use crate::model::{StreamEvent, ToolCall};

const CALL_OPEN: &str = "<tool_call>";
const CALL_CLOSE: &str = "</tool_call>";
const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";

/// The name given to a call the model wrote but that could not be read; running it gives
/// the model a tool error that quotes what it wrote.
pub const MALFORMED_CALL: &str = "malformed_tool_call";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Text,
    Think,
    Call,
}

/// The streaming splitter for one answer.
#[derive(Debug)]
pub struct OutputParser {
    mode: Mode,
    /// Text not yet passed on: a possible tag start, or a call being written.
    pending: String,
    calls: usize,
    /// Whether tool calls are read at all (the model's template defines them).
    tools: bool,
}

impl OutputParser {
    pub fn new(tools: bool) -> Self {
        Self {
            mode: Mode::Text,
            pending: String::new(),
            calls: 0,
            tools,
        }
    }

    /// How many tool calls were read so far.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// Takes the next piece of generated text; returns the events it completes.
    pub fn push(&mut self, piece: &str) -> Vec<StreamEvent> {
        self.pending.push_str(piece);
        let mut events = Vec::new();
        loop {
            match self.mode {
                Mode::Text | Mode::Think => {
                    let mut tags = vec![if self.mode == Mode::Text {
                        THINK_OPEN
                    } else {
                        THINK_CLOSE
                    }];
                    if self.mode == Mode::Text && self.tools {
                        tags.push(CALL_OPEN);
                    }
                    match find_first(&self.pending, &tags) {
                        Some((at, tag)) => {
                            let before: String = self.pending.drain(..at).collect();
                            self.pending.drain(..tag.len());
                            self.emit_text(before, &mut events);
                            self.mode = match tag {
                                THINK_OPEN => Mode::Think,
                                CALL_OPEN => Mode::Call,
                                _ => Mode::Text,
                            };
                        }
                        None => {
                            // Keep back what could be the start of a tag.
                            let keep = tags
                                .iter()
                                .map(|tag| partial_suffix(&self.pending, tag))
                                .max()
                                .unwrap_or(0);
                            let cut = self.pending.len() - keep;
                            let text: String = self.pending.drain(..cut).collect();
                            self.emit_text(text, &mut events);
                            return events;
                        }
                    }
                }
                Mode::Call => match self.pending.find(CALL_CLOSE) {
                    Some(at) => {
                        let body: String = self.pending.drain(..at).collect();
                        self.pending.drain(..CALL_CLOSE.len());
                        events.push(StreamEvent::ToolCall(self.call(&body)));
                        self.mode = Mode::Text;
                    }
                    None => return events,
                },
            }
        }
    }

    /// The model stopped: whatever is pending is passed on; a call left open is read as
    /// far as it goes (models often stop right after the JSON).
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let rest = std::mem::take(&mut self.pending);
        let mut events = Vec::new();
        match self.mode {
            Mode::Call => {
                if !rest.trim().is_empty() {
                    events.push(StreamEvent::ToolCall(self.call(&rest)));
                }
            }
            _ => self.emit_text(rest, &mut events),
        }
        self.mode = Mode::Text;
        events
    }

    fn emit_text(&self, text: String, events: &mut Vec<StreamEvent>) {
        if text.is_empty() {
            return;
        }
        events.push(match self.mode {
            Mode::Think => StreamEvent::ReasoningDelta(text),
            _ => StreamEvent::TextDelta(text),
        });
    }

    fn call(&mut self, body: &str) -> ToolCall {
        self.calls += 1;
        let id = format!("call_{}", self.calls);
        match read_call(body) {
            Ok((name, arguments)) => ToolCall::from_provider(id, name, arguments),
            Err(reason) => ToolCall::from_provider(
                id,
                MALFORMED_CALL,
                serde_json::json!({ "error": reason, "written": body.trim() }).to_string(),
            ),
        }
    }
}

/// `{"name": "...", "arguments": {...}}` → the name and the arguments as JSON text.
fn read_call(body: &str) -> Result<(String, String), String> {
    let value: Value = serde_json::from_str(body.trim())
        .map_err(|e| format!("the tool call is not valid JSON ({e})"))?;
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .ok_or("the tool call has no \"name\"")?;
    let arguments = match value.get("arguments").or_else(|| value.get("parameters")) {
        None | Some(Value::Null) => "{}".to_owned(),
        // Some models write the arguments as a JSON string.
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    Ok((name.to_owned(), arguments))
}

/// The earliest of `tags` in `text`, by position.
fn find_first<'t>(text: &str, tags: &[&'t str]) -> Option<(usize, &'t str)> {
    tags.iter()
        .filter_map(|tag| text.find(tag).map(|at| (at, *tag)))
        .min_by_key(|(at, _)| *at)
}

/// The length of the longest end of `text` that is a proper start of `tag`.
fn partial_suffix(text: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&n| {
            text.len() >= n
                && text.is_char_boundary(text.len() - n)
                && tag.starts_with(&text[text.len() - n..])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&str], tools: bool) -> Vec<StreamEvent> {
        let mut parser = OutputParser::new(tools);
        let mut events: Vec<StreamEvent> = pieces.iter().flat_map(|p| parser.push(p)).collect();
        events.extend(parser.finish());
        events
    }

    fn text(events: &[StreamEvent]) -> String {
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    fn calls(events: &[StreamEvent]) -> Vec<(String, String)> {
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(c) => Some((c.name.clone(), c.arguments.clone())),
                _ => None,
            })
            .collect()
    }

    /// As Qwen2.5-0.5B-Instruct wrote it, token by token.
    const RECORDED: &[&str] = &[
        "<",
        "tool",
        "_call",
        ">\n",
        "{\"",
        "name",
        "\":",
        " \"",
        "read",
        "_file",
        "\",",
        " \"",
        "arguments",
        "\":",
        " {\"",
        "path",
        "\":",
        " \"",
        "notes",
        ".txt",
        "\"}}\n",
        "</",
        "tool",
        "_call",
        ">",
    ];

    #[test]
    fn a_call_split_across_tokens_is_one_tool_call_and_no_text() {
        let events = run(RECORDED, true);
        assert_eq!(text(&events), "");
        assert_eq!(
            calls(&events),
            vec![("read_file".to_owned(), r#"{"path":"notes.txt"}"#.to_owned())]
        );
    }

    #[test]
    fn text_around_calls_streams_and_several_calls_are_read() {
        let events = run(
            &[
                "Let me check.\n<tool",
                "_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": \"{\\\"x\\\": 1}\"}\n</tool_call>",
            ],
            true,
        );
        assert_eq!(text(&events).trim(), "Let me check.");
        assert_eq!(
            calls(&events),
            vec![
                ("a".to_owned(), "{}".to_owned()),
                ("b".to_owned(), "{\"x\": 1}".to_owned())
            ]
        );
    }

    #[test]
    fn malformed_calls_become_a_call_the_engine_answers_with_an_error() {
        for body in [
            "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": }\n</tool_call>",
            "<tool_call>\n{\"arguments\": {}}\n</tool_call>",
            "<tool_call>\nread_file(path='x')\n</tool_call>",
            "<tool_call>\n{\"name\": \"read_fi",
        ] {
            let events = run(&[body], true);
            let found = calls(&events);
            assert_eq!(found.len(), 1, "{body}");
            assert_eq!(found[0].0, MALFORMED_CALL, "{body}");
            let detail: Value = serde_json::from_str(&found[0].1).unwrap();
            assert!(
                detail["error"].as_str().unwrap().contains("tool call"),
                "{detail}"
            );
        }
    }

    #[test]
    fn an_unclosed_but_complete_call_at_the_end_is_read() {
        let events = run(
            &["<tool_call>\n{\"name\": \"ls\", \"arguments\": {\"path\": \".\"}}\n"],
            true,
        );
        assert_eq!(
            calls(&events),
            vec![("ls".to_owned(), r#"{"path":"."}"#.to_owned())]
        );
    }

    #[test]
    fn without_tools_the_markup_is_plain_text_and_lookalikes_pass_through() {
        let events = run(&["a <tool_call> b"], false);
        assert_eq!(text(&events), "a <tool_call> b");
        let events = run(&["x < y and <tool", "s> are fine <"], true);
        assert_eq!(text(&events), "x < y and <tools> are fine <");
    }

    #[test]
    fn think_blocks_are_reasoning() {
        let events = run(&["<th", "ink>plan</th", "ink>answer"], true);
        assert_eq!(
            events,
            vec![
                StreamEvent::ReasoningDelta("plan".to_owned()),
                StreamEvent::TextDelta("answer".to_owned())
            ]
        );
    }

    #[test]
    fn multibyte_text_is_never_cut_inside_a_character() {
        let events = run(&["我每周六去", "杭州西湖散步<"], true);
        assert_eq!(text(&events), "我每周六去杭州西湖散步<");
    }
}
