//! Compaction: when a session's request nears the model's window, its older turns become
//! one message — the model's summary of them and, found by rules, every path, command, URL,
//! number and id they held, verbatim. Before that the runtime itself flushes durable facts
//! from those turns to memory (it does not wait for the model to call a tool). Recent turns
//! stay verbatim; a cut falls only between turns, so a tool call is never parted from its
//! result. The messages stay stored: `expand` shows them. At most one compaction runs per
//! user turn, and one that fails ends the turn with an error the user sees.

use crate::memory::pinned_facts::{self, Collector};
use crate::memory::recall::approx_tokens;
use crate::memory::tools::GLOBAL;
use crate::model::{ChatRequest, Message, Role};
use crate::protocol::{Failure, FailureKind};
use crate::store::{NewMemory, Provenance, Saved, StoredMessage};

use super::Config;

/// The window assumed when neither the provider nor `[memory] context_window` says.
pub(crate) const DEFAULT_WINDOW: u64 = 32_000;
/// Recent turns kept verbatim take at most this share of the window, in percent.
const KEEP_PERCENT: u64 = 30;
/// The facts kept verbatim take at most this share of the window, in percent.
const FACTS_PERCENT: u64 = 15;
/// A message of the compacted turns is shown to the summariser as at most this many
/// characters, a tool result as at most [`RESULT_CHARS`].
const MESSAGE_CHARS: usize = 2000;
const RESULT_CHARS: usize = 300;
/// The most durable facts one flush saves.
const MAX_FLUSHED: usize = 20;

const SUMMARY_PROMPT: &str = "You compact a conversation between a user and an assistant (Pincer) so it can go on in less room. Write a concise summary of the transcript you are given: what the user wants, what was decided, what was done and found, what is still open. Keep names, file paths, commands, numbers and ids exactly as written. Write only the summary.";

const FLUSH_PROMPT: &str = "You read what a user said to their assistant and list the durable facts about the user worth remembering in later conversations: preferences, plans, people, places, where things are, decisions. One fact per line, each starting with \"- \", each understandable on its own, in the user's language. Nothing that only matters to this task. If there are none, answer \"- none\".";

/// The model's window as the engine counts it: a loaded local model's, else the provider
/// entry's or its preset's (`context_window`), else `[memory] context_window`, else 32k.
pub(crate) fn window(config: &Config) -> u64 {
    config
        .providers
        .first()
        .and_then(|p| p.profile().window)
        .or_else(|| {
            config
                .settings
                .providers
                .first()
                .and_then(|e| e.context_window)
        })
        .or(config.settings.memory.context_window)
        .unwrap_or(DEFAULT_WINDOW)
}

/// Tokens `request` holds by the engine's estimate (CJK counted as a token a character),
/// before calibration.
pub(crate) fn estimate(request: &ChatRequest) -> u64 {
    let mut tokens = approx_tokens(&request.system);
    for message in &request.messages {
        tokens += message_tokens(message);
    }
    for tool in &request.tools {
        tokens += approx_tokens(&tool.description) + approx_tokens(&tool.parameters.to_string());
    }
    tokens.max(0) as u64
}

/// One message's share of [`estimate`].
fn message_tokens(message: &Message) -> i64 {
    let calls: i64 = message
        .tool_calls
        .iter()
        .map(|call| approx_tokens(&call.arguments) + approx_tokens(&call.name) + 4)
        .sum();
    approx_tokens(&message.content) + 4 + calls
}

/// Whether a request of `estimated` tokens (already calibrated) needs compacting first.
pub(crate) fn needed(config: &Config, estimated: u64) -> bool {
    let limit = window(config) * u64::from(config.settings.memory.compact_percent) / 100;
    estimated > limit
}

/// The turns to compact: every message since the last compaction before the recent turns
/// kept verbatim (the running turn always kept). Empty when there is nothing to compact.
pub(crate) fn span<'a>(
    live: &'a [StoredMessage],
    running: &str,
    keep_tokens: u64,
) -> &'a [StoredMessage] {
    let Some(running_at) = live.iter().position(|m| m.turn_id == running) else {
        return &[];
    };
    let mut keep_from = running_at;
    // As the request carries them: with their time and what recall gave them.
    let cost = |messages: &[StoredMessage]| -> u64 {
        messages
            .iter()
            .map(|m| message_tokens(&super::history::render(m)).max(0) as u64)
            .sum()
    };
    let mut kept = cost(&live[running_at..]);
    // Walk back turn by turn while the earlier turns still fit.
    while keep_from > 0 {
        let turn = &live[keep_from - 1].turn_id;
        let start = live[..keep_from]
            .iter()
            .rposition(|m| &m.turn_id != turn)
            .map_or(0, |at| at + 1);
        let turn_cost = cost(&live[start..keep_from]);
        if kept + turn_cost > keep_tokens {
            break;
        }
        kept += turn_cost;
        keep_from = start;
    }
    &live[..keep_from]
}

/// The compacted turns as text for the summariser, tool output cut short.
pub(crate) fn transcript(span: &[StoredMessage], previous: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(previous) = previous {
        let summary = previous
            .split_once("\nPinned facts:\n")
            .map_or(previous, |(summary, _)| summary);
        out.push_str(&format!(
            "(earlier, already compacted) {}\n",
            summary.trim()
        ));
    }
    for stored in span {
        let m = &stored.message;
        match m.role {
            Role::User => {
                out.push_str(&format!(
                    "[{}] user: {}\n",
                    stored.created_at,
                    cut(&m.content, MESSAGE_CHARS)
                ));
            }
            Role::Assistant => {
                if !m.content.is_empty() {
                    out.push_str(&format!("assistant: {}\n", cut(&m.content, MESSAGE_CHARS)));
                }
                for call in &m.tool_calls {
                    out.push_str(&format!(
                        "assistant called {} {}\n",
                        call.name,
                        cut(&call.arguments, MESSAGE_CHARS)
                    ));
                }
            }
            Role::Tool => {
                out.push_str(&format!("tool result: {}\n", cut(&m.content, RESULT_CHARS)));
            }
        }
    }
    out
}

/// The facts of the compacted turns, after those the previous compaction kept: what the
/// user and the assistant wrote and the arguments of every call (a command run is kept
/// whole). Tool output is not mined: it is stored, and `expand` shows it.
pub(crate) fn facts(span: &[StoredMessage], previous: Option<&str>, budget_chars: usize) -> String {
    let mut collector = Collector::default();
    if let Some(previous) = previous.and_then(|text| text.split_once("\nPinned facts:\n")) {
        collector.carry(previous.1);
    }
    for stored in span {
        let m = &stored.message;
        match m.role {
            Role::User | Role::Assistant => collector.text(&m.content),
            Role::Tool => {}
        }
        for call in &m.tool_calls {
            let args: serde_json::Value = serde_json::from_str(&call.arguments).unwrap_or_default();
            match args.get("command").and_then(|c| c.as_str()) {
                Some(command) => collector.command(command),
                None => collector.text(&call.arguments),
            }
        }
    }
    let (facts, dropped) = collector.finish(budget_chars);
    pinned_facts::render(&facts, dropped)
}

/// The message the model sees in place of the compacted turns.
pub(crate) fn message(count: u64, summary: &str, facts: &str) -> String {
    let mut text = format!(
        "[Pincer: the {count} earlier messages of this conversation were compacted to make room. Below are their summary and, verbatim, the facts they held; the `expand` tool (through use_tool) shows the messages themselves.]\n\nSummary:\n{}\n",
        summary.trim()
    );
    if !facts.is_empty() {
        text.push_str("\nPinned facts:\n");
        text.push_str(facts);
    }
    text
}

pub(crate) fn summary_request(transcript: &str, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        system: SUMMARY_PROMPT.to_owned(),
        messages: vec![Message::user(transcript.to_owned())],
        tools: Vec::new(),
        max_tokens: Some(max_tokens),
    }
}

/// The flush's request: only what the user wrote (recalled text is not part of it).
pub(crate) fn flush_request(span: &[StoredMessage]) -> Option<ChatRequest> {
    let said: Vec<String> = span
        .iter()
        .filter(|m| m.message.role == Role::User)
        .map(|m| format!("- {}", cut(&m.message.content, MESSAGE_CHARS)))
        .collect();
    if said.is_empty() {
        return None;
    }
    Some(ChatRequest {
        system: FLUSH_PROMPT.to_owned(),
        messages: vec![Message::user(said.join("\n"))],
        tools: Vec::new(),
        max_tokens: Some(512),
    })
}

/// Saves the facts a flush answer lists; duplicates of what is remembered change nothing.
pub(crate) fn save_flushed(
    store: &crate::store::Store,
    session: &str,
    answer: &str,
) -> Result<u32, Failure> {
    let mut saved = 0;
    for line in answer.lines() {
        let Some(fact) = line.trim().strip_prefix("- ") else {
            continue;
        };
        let fact = fact.trim();
        if fact.is_empty()
            || fact.eq_ignore_ascii_case("none")
            || fact.contains("<recalled>")
            || fact.chars().count() > 300
        {
            continue;
        }
        let new = NewMemory {
            content: fact.to_owned(),
            kind: "fact".to_owned(),
            scope: GLOBAL.to_owned(),
            source_session: Some(session.to_owned()),
            source_message: None,
            provenance: Provenance::Agent,
        };
        match store.save_memory(&new) {
            Ok(Saved::Created(_)) => saved += 1,
            Ok(Saved::Duplicate(_)) => {}
            Err(e) => {
                return Err(Failure::new(
                    FailureKind::Internal,
                    format!("could not save what the conversation should remember: {e}"),
                ));
            }
        }
        if saved as usize >= MAX_FLUSHED {
            break;
        }
    }
    Ok(saved)
}

/// Budgets derived from the window: recent turns kept, facts kept (characters), the
/// summary's length.
pub(crate) fn budgets(window: u64) -> (u64, usize, u32) {
    let keep = window * KEEP_PERCENT / 100;
    let facts_chars = (window * FACTS_PERCENT / 100 * 3) as usize;
    let summary = (window / 8).clamp(256, 2048) as u32;
    (keep, facts_chars, summary)
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!(
            "{}… [{} more characters]",
            &text[..at],
            text[at..].chars().count()
        ),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolCall;

    fn stored(id: i64, turn: &str, message: Message) -> StoredMessage {
        StoredMessage {
            id,
            turn_id: turn.to_owned(),
            created_at: "2026-12-07T10:00:00Z".to_owned(),
            message,
            context: None,
        }
    }

    fn conversation() -> Vec<StoredMessage> {
        let call = ToolCall {
            id: "c1".to_owned(),
            provider_id: None,
            name: "exec".to_owned(),
            arguments: r#"{"command":"cargo test -p pincer-core"}"#.to_owned(),
        };
        vec![
            stored(1, "t1", Message::user("fix src/main.rs".to_owned())),
            stored(2, "t1", Message::assistant(String::new(), vec![call])),
            stored(
                3,
                "t1",
                Message::tool_result("c1", "ok: 12 passed".repeat(50), false),
            ),
            stored(
                4,
                "t1",
                Message::assistant("Fixed; 12 tests pass.".to_owned(), Vec::new()),
            ),
            stored(
                5,
                "t2",
                Message::user("now the docs at docs/memory.md".to_owned()),
            ),
            stored(6, "t2", Message::assistant("Done.".to_owned(), Vec::new())),
            stored(7, "t3", Message::user("and what next?".to_owned())),
        ]
    }

    #[test]
    fn the_cut_falls_between_turns_and_keeps_the_running_one() {
        let live = conversation();
        // Room for the running turn only: both earlier turns are compacted whole.
        let span = super::span(&live, "t3", 10);
        assert_eq!(
            span.iter().map(|m| m.id).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
        // Room for t2 as well: only t1 (call and result together) goes.
        let span = super::span(&live, "t3", 40);
        assert_eq!(span.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
        // Room for everything, or a running turn not stored: nothing to compact.
        assert!(super::span(&live, "t3", 100_000).is_empty());
        assert!(super::span(&live, "nope", 10).is_empty());
    }

    #[test]
    fn facts_come_from_what_was_said_and_done_and_the_transcript_stubs_tool_output() {
        let live = conversation();
        let facts = facts(&live[..6], None, 10_000);
        assert!(facts.contains("- cargo test -p pincer-core\n"), "{facts}");
        assert!(facts.contains("- src/main.rs\n"), "{facts}");
        assert!(facts.contains("- docs/memory.md\n"), "{facts}");
        let text = transcript(&live[..6], None);
        assert!(text.contains("assistant called exec {\"command\":\"cargo test -p pincer-core\"}"));
        assert!(text.contains("more characters]"), "{text}");
        let flush = flush_request(&live[..6]).unwrap();
        assert_eq!(
            flush.messages[0].content,
            "- fix src/main.rs\n- now the docs at docs/memory.md"
        );
    }

    #[test]
    fn a_flush_answer_saves_each_fact_once() {
        let store = crate::store::Store::in_memory().unwrap();
        let answer = "Here you go:\n- The user walks by West Lake every Saturday\n- none\n- The user walks by West Lake every Saturday.\n- <recalled> junk\n";
        assert_eq!(save_flushed(&store, "s", answer).unwrap(), 1);
        assert_eq!(save_flushed(&store, "s", answer).unwrap(), 0);
        assert_eq!(store.memory_count().unwrap(), 1);
    }
}
