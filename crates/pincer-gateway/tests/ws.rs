#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The WebSocket: turns streamed to every client, approvals answered from any of them,
//! catch-up snapshots for clients that connect mid-turn, interrupts and bad input.

mod common;

use std::time::Duration;

use common::{TestGateway, completed_text, live_turn, streamed_text};
use pincer_core::protocol::{ApprovalDecision, DecidedBy, Event, ToolOutcome};
use pincer_gateway::wire::ServerMessage;
use pincer_testkit::Reply;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::Value;

const WRITE_NOTE: &str = r#"{"path":"note.txt","content":"hello"}"#;

/// `n` distinct words, so a reply streams as many deltas.
fn words(n: usize) -> String {
    (1..=n).map(|i| format!("word{i} ")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_turn_streams_over_the_websocket_and_is_stored() {
    let gw = TestGateway::start().await;
    gw.llm
        .push(Reply::text("Hello! How can I help you today?").word_deltas());
    let mut ws = gw.ws().await;
    assert!(ws.snapshot.is_empty());

    ws.user_turn("chat1", "hi there\nsecond line").await;
    let events = ws.until_turn_end("chat1").await;
    match &events[0] {
        Event::TurnStarted { text, .. } => assert_eq!(text, "hi there\nsecond line"),
        other => panic!("the turn starts with turn_started, not {other:?}"),
    }
    let deltas = events
        .iter()
        .filter(|e| matches!(e, Event::TextDelta { .. }))
        .count();
    assert!(deltas > 1, "the reply streams in pieces: {events:#?}");
    assert_eq!(streamed_text(&events), "Hello! How can I help you today?");
    assert_eq!(completed_text(&events), "Hello! How can I help you today?");

    let client = gw.logged_in_client().await;
    let (status, messages) = gw.get(&client, "/api/sessions/chat1/messages").await;
    assert_eq!(status, StatusCode::OK, "{messages}");
    let roles_and_text: Vec<(&str, &str)> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles_and_text,
        vec![
            ("user", "hi there\nsecond line"),
            ("assistant", "Hello! How can I help you today?"),
        ]
    );

    let (status, sessions) = gw.get(&client, "/api/sessions").await;
    assert_eq!(status, StatusCode::OK);
    let session = &sessions.as_array().unwrap()[0];
    assert_eq!(session["id"], "chat1");
    assert_eq!(session["title"], "hi there", "titled by the first line");
    assert_eq!(session["messages"], 2);
    assert_eq!(session["running"], false);

    // What the model was sent: the user's text, under the configured model.
    let request = &gw.llm.requests()[0];
    assert_eq!(request.body["model"], "test-model");
    let last = request.body["messages"].as_array().unwrap().last().unwrap();
    let sent = last["content"].as_str().unwrap();
    assert!(sent.ends_with("hi there\nsecond line"), "{sent:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_clients_see_an_approval_and_either_can_answer_it() {
    let gw = TestGateway::start().await;
    gw.llm
        .push(Reply::tool_call("call_1", "write_file", WRITE_NOTE));
    gw.llm.push(Reply::text("I saved the note."));
    let mut a = gw.ws().await;
    let mut b = gw.ws().await;
    a.user_turn("s1", "save a note").await;

    let mut ids = Vec::new();
    for ws in [&mut a, &mut b] {
        match ws.approval_requested("s1").await {
            Event::ApprovalRequested {
                call_id,
                tool,
                summary,
                ..
            } => {
                // The engine's own id, not the provider's `call_1`.
                assert_ne!(call_id, "call_1");
                ids.push(call_id);
                assert_eq!(tool, "write_file");
                assert!(summary.contains("note.txt"), "{summary}");
            }
            other => panic!("{other:?}"),
        }
    }
    let client = gw.logged_in_client().await;
    let (status, pending) = gw.get(&client, "/api/approvals").await;
    assert_eq!(status, StatusCode::OK);
    let pending = pending.as_array().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(ids[0], ids[1], "both clients see the same call");
    let call = ids[0].clone();
    assert_eq!(pending[0]["session"], "s1");
    assert_eq!(pending[0]["call_id"], call.as_str());
    assert_eq!(pending[0]["tool"], "write_file");
    assert!(
        !gw.workspace().join("note.txt").exists(),
        "not before the answer"
    );

    a.approve("s1", &call, "once").await;
    for (name, ws) in [("A", &mut a), ("B", &mut b)] {
        let (resolved, _) = ws
            .next_event_matching("s1", "approval_resolved", |e| {
                matches!(e, Event::ApprovalResolved { .. })
            })
            .await;
        assert_eq!(
            resolved,
            Event::ApprovalResolved {
                call_id: call.clone(),
                decision: ApprovalDecision::Once,
                by: DecidedBy::User,
            },
            "client {name}"
        );
        let (finished, _) = ws
            .next_event_matching("s1", "tool_call_finished", |e| {
                matches!(e, Event::ToolCallFinished { .. })
            })
            .await;
        match finished {
            Event::ToolCallFinished {
                call_id, outcome, ..
            } => {
                assert_eq!(call_id, call);
                assert_eq!(
                    outcome,
                    ToolOutcome::Ok,
                    "client {name}: the write succeeded"
                );
            }
            other => panic!("{other:?}"),
        }
        let events = ws.until_turn_end("s1").await;
        assert_eq!(
            completed_text(&events),
            "I saved the note.",
            "client {name}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(gw.workspace().join("note.txt")).unwrap(),
        "hello"
    );
    assert_eq!(
        gw.workspace(),
        gw.home().join("workspace").canonicalize().unwrap()
    );
    let (_, pending) = gw.get(&client, "/api/approvals").await;
    assert_eq!(pending, Value::Array(Vec::new()));

    // The tool result is in the history, with its run time.
    let (_, messages) = gw.get(&client, "/api/sessions/s1/messages").await;
    let result = messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("a tool result");
    assert_eq!(result["tool_call_id"], call.as_str());
    assert_eq!(result["tool_outcome"], "ok");
    assert!(result["duration_ms"].is_u64(), "{result}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_write_is_reported_and_leaves_no_file() {
    let gw = TestGateway::start().await;
    gw.llm
        .push(Reply::tool_call("call_1", "write_file", WRITE_NOTE));
    gw.llm.push(Reply::text("Understood, I did not write it."));
    let mut a = gw.ws().await;
    let mut b = gw.ws().await;
    a.user_turn("s1", "save a note").await;
    let call = common::call_id_of(&b.approval_requested("s1").await);
    // The other client answers this time.
    b.approve("s1", &call, "deny").await;

    let events = a.until_turn_end("s1").await;
    let resolved = events
        .iter()
        .find(|e| matches!(e, Event::ApprovalResolved { .. }))
        .expect("approval_resolved");
    assert_eq!(
        resolved,
        &Event::ApprovalResolved {
            call_id: call.clone(),
            decision: ApprovalDecision::Deny,
            by: DecidedBy::User,
        }
    );
    match events
        .iter()
        .find(|e| matches!(e, Event::ToolCallFinished { .. }))
        .expect("tool_call_finished")
    {
        Event::ToolCallFinished {
            outcome, output, ..
        } => {
            assert_eq!(*outcome, ToolOutcome::Denied);
            assert!(output.contains("denied"), "{output}");
        }
        _ => unreachable!(),
    }
    assert_eq!(completed_text(&events), "Understood, I did not write it.");
    assert!(
        !gw.workspace().join("note.txt").exists(),
        "nothing was written"
    );
    let (_, pending) = gw.get(&gw.bearer_client(), "/api/approvals").await;
    assert_eq!(pending, Value::Array(Vec::new()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_connecting_mid_turn_sees_the_text_so_far_and_the_pending_approval() {
    let gw = TestGateway::start().await;
    gw.llm.push(
        Reply::tool_call("call_1", "write_file", WRITE_NOTE).with_text("Let me write that down."),
    );
    gw.llm.push(Reply::text("Done."));
    let mut a = gw.ws().await;
    a.user_turn("s1", "note this").await;
    let call = common::call_id_of(&a.approval_requested("s1").await);

    // A reloaded page: a new connection while the turn waits for the answer.
    let mut b = gw.ws().await;
    let turn = live_turn(&b.snapshot, "s1");
    match &turn.events[0] {
        Event::TurnStarted { text, .. } => assert_eq!(text, "note this"),
        other => panic!("the snapshot starts with turn_started, not {other:?}"),
    }
    assert_eq!(streamed_text(&turn.events), "Let me write that down.");
    assert!(
        turn.events
            .iter()
            .any(|e| matches!(e, Event::ToolCallRequested { call_id, .. } if *call_id == call)),
        "{:#?}",
        turn.events
    );
    let pending: Vec<&Event> = turn.pending_approvals().collect();
    assert!(
        matches!(pending.as_slice(), [Event::ApprovalRequested { call_id, tool, .. }] if *call_id == call && tool == "write_file"),
        "{pending:#?}"
    );

    // The newcomer can answer it.
    b.approve("s1", &call, "once").await;
    let events = b.until_turn_end("s1").await;
    assert_eq!(completed_text(&events), "Done.");
    assert!(gw.workspace().join("note.txt").exists());
    // And a connection after the turn sees nothing running.
    let c = gw.ws().await;
    assert!(c.snapshot.is_empty(), "{:#?}", c.snapshot);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_connecting_mid_stream_misses_nothing_and_repeats_nothing() {
    let gw = TestGateway::start().await;
    let full = words(60);
    gw.llm.push(
        Reply::text(&full)
            .word_deltas()
            .chunk_delay(Duration::from_millis(25)),
    );
    let mut a = gw.ws().await;
    a.user_turn("s1", "tell me a lot").await;
    a.next_event_matching("s1", "the first text_delta", |e| {
        matches!(e, Event::TextDelta { .. })
    })
    .await;

    let mut b = gw.ws().await;
    let turn = live_turn(&b.snapshot, "s1");
    assert!(
        matches!(&turn.events[0], Event::TurnStarted { text, .. } if text == "tell me a lot"),
        "{:#?}",
        turn.events
    );
    let so_far = streamed_text(&turn.events);
    assert!(!so_far.is_empty(), "some text had streamed");
    assert!(full.starts_with(&so_far), "{so_far:?}");
    let deltas_in_snapshot = turn
        .events
        .iter()
        .filter(|e| matches!(e, Event::TextDelta { .. }))
        .count();
    assert_eq!(deltas_in_snapshot, 1, "consecutive deltas are merged");

    let rest = b.until_turn_end("s1").await;
    assert!(
        !rest.iter().any(|e| matches!(e, Event::TurnStarted { .. })),
        "turn_started is not repeated"
    );
    assert_eq!(
        format!("{so_far}{}", streamed_text(&rest)),
        full,
        "snapshot + later deltas = the whole reply"
    );
    assert_eq!(completed_text(&rest), full);
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupt_cancels_a_streaming_turn_and_keeps_what_was_said() {
    let gw = TestGateway::start().await;
    let full = words(80);
    gw.llm.push(
        Reply::text(&full)
            .word_deltas()
            .chunk_delay(Duration::from_millis(50)),
    );
    let mut ws = gw.ws().await;
    ws.user_turn("s1", "talk slowly").await;
    ws.next_event_matching("s1", "the first text_delta", |e| {
        matches!(e, Event::TextDelta { .. })
    })
    .await;
    ws.interrupt("s1").await;
    let (end, before) = ws
        .next_event_matching("s1", "the end of the turn", common::is_turn_end)
        .await;
    assert!(
        matches!(end, Event::TurnCancelled { .. }),
        "expected turn_cancelled, got {end:?} after {before:#?}"
    );

    let client = gw.logged_in_client().await;
    let (_, sessions) = gw.get(&client, "/api/sessions").await;
    assert_eq!(sessions[0]["running"], false);
    let (_, messages) = gw.get(&client, "/api/sessions/s1/messages").await;
    let messages = messages.as_array().unwrap();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let partial = messages[1]["content"].as_str().unwrap();
    assert_eq!(messages[1]["role"], "assistant");
    assert!(
        !partial.is_empty() && partial.len() < full.len(),
        "{partial:?}"
    );
    assert!(full.starts_with(partial), "{partial:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_messages_get_an_error_and_the_connection_stays_usable() {
    let gw = TestGateway::start().await;
    gw.llm.push(Reply::text("Still here."));
    let mut ws = gw.ws().await;

    ws.send_text("this is not json").await;
    let (session, message) = ws.error().await;
    assert_eq!(session, None);
    assert!(message.contains("could not read"), "{message}");

    ws.send_text(r#"{"session":"s1","op":{"type":"fly"}}"#)
        .await;
    let (session, _) = ws.error().await;
    assert_eq!(session, None, "an unknown op is not readable");

    ws.user_turn("s1", "   ").await;
    let (session, message) = ws.error().await;
    assert_eq!(session.as_deref(), Some("s1"));
    assert!(message.contains("empty"), "{message}");

    ws.user_turn("../etc", "hi").await;
    let (session, message) = ws.error().await;
    assert_eq!(session.as_deref(), Some("../etc"));
    assert!(message.contains("session id"), "{message}");

    // None of that created a session or a turn.
    assert!(gw.session_list(&gw.bearer_client(), "").await.is_empty());
    assert!(gw.llm.requests().is_empty());

    // The same connection still works.
    ws.user_turn("s1", "are you there?").await;
    let events = ws.until_turn_end("s1").await;
    assert_eq!(completed_text(&events), "Still here.");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_session_from_the_socket_is_announced_to_other_clients() {
    let gw = TestGateway::start().await;
    gw.llm.push(Reply::text("Hi."));
    let mut a = gw.ws().await;
    let mut b = gw.ws().await;
    a.user_turn("fresh", "hello").await;
    // Its list reloads, whatever else arrives around it.
    b.sessions_changed().await;
    b.until_turn_end("fresh").await;
    a.until_turn_end("fresh").await;
    // A turn starting and ending changes the list (order, running): both are announced,
    // each right after its event.
    gw.llm.push(Reply::text("Again."));
    a.user_turn("fresh", "again").await;
    let (_, seen) = b
        .next_matching("the end of the second turn", |m| {
            matches!(m, ServerMessage::Event { session, event, .. } if session == "fresh" && common::is_turn_end(event))
        })
        .await;
    let started = seen
        .iter()
        .position(|m| {
            matches!(
                m,
                ServerMessage::Event {
                    event: Event::TurnStarted { .. },
                    ..
                }
            )
        })
        .expect("turn_started");
    assert!(
        matches!(seen.get(started + 1), Some(ServerMessage::SessionsChanged)),
        "{seen:#?}"
    );
    b.sessions_changed().await;
    let sessions = gw.session_list(&gw.bearer_client(), "").await;
    assert_eq!(sessions, vec![("fresh".to_owned(), "hello".to_owned())]);
}
