//! Providers reuse their tool call ids (`call_0` every turn). Every call must still keep
//! its own outcome and duration — live, in the stored history, and in the audit trail —
//! because the engine keys all of them by an id of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::TestGateway;
use pincer_core::protocol::{Event, ToolOutcome};
use pincer_testkit::Reply;
use pretty_assertions::assert_eq;

fn write(n: usize) -> String {
    format!(r#"{{"path":"note{n}.txt","content":"{n}"}}"#)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reused_provider_call_id_never_mixes_up_outcomes() {
    let gw = TestGateway::start().await;
    let mut ws = gw.ws().await;
    let mut live = Vec::new();
    // Three approved writes, then a denied one: every reply calls its tool `call_0`.
    for (n, answer) in [(1, "once"), (2, "once"), (3, "once"), (4, "deny")] {
        gw.llm
            .push(Reply::tool_call("call_0", "write_file", &write(n)));
        gw.llm.push(Reply::text("ok"));
        ws.user_turn("reuse", &format!("write note {n}")).await;
        let call = common::call_id_of(&ws.approval_requested("reuse").await);
        ws.approve("reuse", &call, answer).await;
        let events = ws.until_turn_end("reuse").await;
        let finished = events
            .iter()
            .find_map(|e| match e {
                Event::ToolCallFinished {
                    call_id, outcome, ..
                } => Some((call_id.clone(), *outcome)),
                _ => None,
            })
            .expect("the call finished");
        assert_eq!(
            finished.0, call,
            "the finished event names the approved call"
        );
        live.push(finished);
    }
    let outcomes: Vec<ToolOutcome> = live.iter().map(|(_, o)| *o).collect();
    assert_eq!(
        outcomes,
        [
            ToolOutcome::Ok,
            ToolOutcome::Ok,
            ToolOutcome::Ok,
            ToolOutcome::Denied
        ]
    );
    let ids: HashSet<&String> = live.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 4, "four calls, four ids: {live:?}");

    // Read back as a reloaded page does: each tool message has its own outcome.
    let client = gw.logged_in_client().await;
    let (_, messages) = gw.get(&client, "/api/sessions/reuse/messages").await;
    let stored: Vec<(String, String)> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            assert!(m["duration_ms"].is_u64(), "{m}");
            (
                m["tool_call_id"].as_str().unwrap().to_owned(),
                m["tool_outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = live
        .iter()
        .map(|(id, outcome)| (id.clone(), outcome.as_str().to_owned()))
        .collect();
    assert_eq!(stored, expected);
    assert!(gw.workspace().join("note3.txt").exists());
    assert!(!gw.workspace().join("note4.txt").exists());

    // The provider still gets its own id back with each result.
    let last = gw.llm.requests().last().unwrap().body.clone();
    let echoed: Vec<&str> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(echoed, ["call_0"; 4]);
}
