//! A turn that did not finish — cancelled, failed, or cut off by a killed process — is
//! marked as over in the history the model sees, and its tool calls are closed, never
//! replayed. Real engine and store, a scripted model that records every request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, final_text};
use pincer_core::agent::ApprovalMode;
use pincer_core::model::{Message, ToolCall};
use pincer_core::protocol::Event;
use pincer_core::store::TurnOutcome;
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::Value;

/// The messages of the `n`th request, as (role, content).
fn sent(llm: &ScriptedLlm, n: usize) -> Vec<(String, String)> {
    llm.requests()[n].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn roles(messages: &[(String, String)]) -> Vec<&str> {
    messages.iter().map(|(role, _)| role.as_str()).collect()
}

#[tokio::test]
async fn a_cancelled_turn_is_marked_over_for_the_next_one_and_after_a_restart() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Ask);
    llm.push(Reply::tool_calls(&[
        ("a", "write_file", r#"{"path":"a.txt","content":"a"}"#),
        ("b", "write_file", r#"{"path":"b.txt","content":"b"}"#),
    ]));
    h.session("s").user_turn("write two files").unwrap();
    h.until("s", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    h.session("s").interrupt();
    let end = h.until_end("s").await;
    assert!(matches!(end.last(), Some(Event::TurnCancelled { .. })));

    llm.push(Reply::text("ok"));
    assert_eq!(final_text(&h.turn("s", "something else").await), "ok");
    let second = sent(&llm, 1);
    assert_eq!(
        roles(&second),
        [
            "system",
            "user",
            "assistant",
            "tool",
            "tool",
            "user",
            "user"
        ]
    );
    assert!(second[3].1.contains("cancelled"), "{}", second[3].1);
    assert!(second[4].1.contains("not run"), "{}", second[4].1);
    let note = &second[5].1;
    assert!(
        note.contains("cancelled") && note.contains("do not continue it"),
        "{note}"
    );
    assert!(second[6].1.ends_with("something else"));
    assert!(!h.workspace().join("a.txt").exists());

    // Read back from the store, the conversation is the same, byte for byte.
    let mut h = h.restart(ApprovalMode::Ask);
    llm.push(Reply::text("still ok"));
    h.turn("s", "and now?").await;
    let third = sent(&llm, 2);
    assert_eq!(third[..second.len()], second[..]);
    assert_eq!(
        llm.requests()[2].raw_body.find("do not continue it"),
        llm.requests()[1].raw_body.find("do not continue it")
    );
}

#[tokio::test]
async fn a_failed_turn_is_marked_over_for_the_next_one() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    llm.push(Reply::status(401));
    let end = h.turn("s", "first").await;
    assert!(matches!(end.last(), Some(Event::TurnFailed { .. })));
    llm.push(Reply::text("ok"));
    h.turn("s", "second").await;
    let second = sent(&llm, 1);
    assert_eq!(roles(&second), ["system", "user", "user", "user"]);
    assert!(
        second[2].1.contains("do not continue it"),
        "{}",
        second[2].1
    );
}

/// What `kill -9` in the middle of a tool call leaves in the store: the user message and
/// the model's calls, no results and no record of how the turn ended.
fn killed_turn(h: &Harness, session: &str) {
    let store = h.engine.store();
    store.ensure_session(session).unwrap();
    store
        .append_message(session, "t-killed", &Message::user("clean up".to_owned()))
        .unwrap();
    let calls = (0..3)
        .map(|i| ToolCall {
            id: format!("tc-killed{i}"),
            provider_id: Some(format!("call_{i}")),
            name: "exec".to_owned(),
            arguments: format!(r#"{{"command":"rm old-{i}"}}"#),
        })
        .collect();
    store
        .append_message(
            session,
            "t-killed",
            &Message::assistant(String::new(), calls),
        )
        .unwrap();
}

#[tokio::test]
async fn a_turn_cut_off_by_a_killed_process_is_closed_at_start_and_never_replayed() {
    let llm = ScriptedLlm::start().await;
    let h = Harness::new(&llm, ApprovalMode::Auto);
    killed_turn(&h, "k");
    // The next process starts.
    let mut h = h.restart(ApprovalMode::Auto);
    let ends = h.engine.store().turn_ends("k").unwrap();
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0].turn_id, "t-killed");
    assert_eq!(ends[0].outcome, TurnOutcome::Failed);
    assert!(
        ends[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("stopped before"),
        "{ends:?}"
    );

    llm.push(Reply::text("I will not redo that unless you ask."));
    let events = h.turn("k", "what now?").await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ToolCallRequested { .. })),
        "nothing ran again"
    );
    let request = sent(&llm, 0);
    assert_eq!(
        roles(&request),
        [
            "system",
            "user",
            "assistant",
            "tool",
            "tool",
            "tool",
            "user",
            "user"
        ]
    );
    for (_, result) in &request[3..6] {
        assert!(result.contains("may not have finished"), "{result}");
    }
    assert!(
        request[6].1.contains("do not continue it"),
        "{}",
        request[6].1
    );
    let body: &Value = &llm.requests()[0].body;
    assert_eq!(
        body["messages"][2]["tool_calls"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn a_finished_answer_without_its_end_record_counts_as_completed() {
    let llm = ScriptedLlm::start().await;
    let h = Harness::new(&llm, ApprovalMode::Auto);
    let store = h.engine.store();
    store.ensure_session("d").unwrap();
    store
        .append_message("d", "t-done", &Message::user("hi".to_owned()))
        .unwrap();
    store
        .append_message(
            "d",
            "t-done",
            &Message::assistant("hello".to_owned(), Vec::new()),
        )
        .unwrap();
    let mut h = h.restart(ApprovalMode::Auto);
    let ends = h.engine.store().turn_ends("d").unwrap();
    assert_eq!(ends[0].outcome, TurnOutcome::Completed);
    llm.push(Reply::text("again"));
    h.turn("d", "more").await;
    assert_eq!(
        roles(&sent(&llm, 0)),
        ["system", "user", "assistant", "user"]
    );
}

#[tokio::test]
async fn an_older_turn_left_open_is_marked_over_too() {
    let llm = ScriptedLlm::start().await;
    let h = Harness::new(&llm, ApprovalMode::Auto);
    // What an earlier build left after a kill: the calls closed when the session was next
    // opened, no record of the turn's end, then a later turn that ended normally.
    killed_turn(&h, "o");
    let store = h.engine.store();
    for i in 0..3 {
        let result = Message::tool_result(format!("tc-killed{i}"), "error: interrupted", true);
        store.append_message("o", "t-killed", &result).unwrap();
    }
    store
        .append_message("o", "t-later", &Message::user("later".to_owned()))
        .unwrap();
    store
        .append_message(
            "o",
            "t-later",
            &Message::assistant("sure".to_owned(), Vec::new()),
        )
        .unwrap();
    store
        .record_turn_end("o", "t-later", TurnOutcome::Completed, None, None)
        .unwrap();
    let mut h = h.restart(ApprovalMode::Auto);
    llm.push(Reply::text("ok"));
    h.turn("o", "now").await;
    let request = sent(&llm, 0);
    assert_eq!(
        roles(&request),
        [
            "system",
            "user",
            "assistant",
            "tool",
            "tool",
            "tool",
            "user",
            "user",
            "assistant",
            "user"
        ]
    );
    assert!(
        request[6].1.contains("do not continue it"),
        "{}",
        request[6].1
    );
}
