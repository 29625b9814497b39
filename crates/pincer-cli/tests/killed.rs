//! `kill -9` of `pincer run` in the middle of a tool call: the next run tells the model
//! the turn is over and the call may not have finished, and nothing runs it again. The
//! real binary, a real SIGKILL, a scripted model on loopback that records every request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;

use common::{pincer, text, wait_until};
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::Value;

#[test]
fn a_tool_call_cut_off_by_kill_9_is_closed_and_not_repeated() {
    let llm = ScriptedLlm::start_in_background();
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("workspace");
    // Counts its runs, then hangs until killed.
    llm.push(Reply::tool_call(
        "call_0",
        "exec",
        r#"{"command":"echo ran >> runs.log && sleep 30"}"#,
    ));
    let mut child = pincer(
        home.path(),
        &llm.base_url(),
        &["run", "--approve", "auto", "--session", "k", "tidy up"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let runs = workspace.join("runs.log");
    wait_until("the command to start", || runs.exists());
    // SIGKILL: no chance to record anything.
    child.kill().unwrap();
    child.wait().unwrap();

    // The same request again, as a person would after the crash; the model answers and
    // is free to call tools, but the history tells it the old call is over.
    llm.push(Reply::text(
        "The cleanup was cut off; tell me if I should run it again.",
    ));
    let out = pincer(
        home.path(),
        &llm.base_url(),
        &["run", "--approve", "auto", "--session", "k", "hello again"],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let request = &llm.requests()[1].body;
    let messages: Vec<(String, String)> = request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m: &Value| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let roles: Vec<&str> = messages.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "user", "user"],
        "{messages:#?}"
    );
    assert!(
        messages[3].1.contains("may not have finished"),
        "{}",
        messages[3].1
    );
    assert!(
        messages[4].1.contains("It is over: do not continue it"),
        "{}",
        messages[4].1
    );
    assert!(messages[5].1.ends_with("hello again"));
    assert_eq!(
        llm.requests().len(),
        2,
        "no further model round: nothing ran"
    );
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "ran\n");
}
