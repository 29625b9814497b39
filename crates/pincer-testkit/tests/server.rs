#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use pincer_testkit::{HistoryProblem, Reply, ScriptedLlm};
use serde_json::{Value, json};

#[tokio::test]
async fn captures_requests_and_shares_fifo_across_dialects() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("first"));
    llm.push(Reply::text("second"));
    assert_eq!(llm.pending(), 2);

    let client = reqwest::Client::new();
    let raw = r#"{"model":"m",  "messages":[{"role":"user","content":"héllo"}]}"#;
    let resp = client
        .post(format!("{}/messages", llm.base_url()))
        .header("X-Api-Key", "sk-test")
        .header("Anthropic-Version", "2023-06-01")
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["content"][0]["text"], "first");

    let resp = client
        .post(format!("{}/chat/completions", llm.base_url()))
        .header("Authorization", "Bearer sk-openai")
        .body("not json")
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "second");
    assert_eq!(llm.pending(), 0);

    llm.wait_for_requests(2).await;
    let reqs = llm.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(reqs[0].headers["x-api-key"], "sk-test");
    assert_eq!(reqs[0].headers["anthropic-version"], "2023-06-01");
    assert_eq!(reqs[0].raw_body, raw);
    assert_eq!(reqs[0].body["messages"][0]["content"], "héllo");
    assert_eq!(reqs[1].path, "/v1/chat/completions");
    assert_eq!(reqs[1].headers["authorization"], "Bearer sk-openai");
    assert_eq!(reqs[1].body, Value::Null);
    assert_eq!(reqs[1].raw_body, "not json");
}

#[tokio::test]
async fn stray_posts_are_captured_with_404() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("unused"));
    llm.allow_unused();
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", llm.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(llm.requests()[0].path, "/v1/v1/chat/completions");
    assert_eq!(llm.pending(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_and_chunk_delay_are_applied() {
    let llm = ScriptedLlm::start().await;
    llm.push(
        Reply::text("abc")
            .delay(Duration::from_millis(30))
            .chunk_delay(Duration::from_millis(5)),
    );
    let started = Instant::now();
    let resp = reqwest::Client::new()
        .post(format!("{}/chat/completions", llm.base_url()))
        .json(&json!({"model": "m", "stream": true}))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(30));
    let text = resp.text().await.unwrap();
    // 6 events (role, 3 content, finish, [DONE]) → 5 gaps of 5 ms.
    assert!(started.elapsed() >= Duration::from_millis(55));
    assert!(text.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn hang_keeps_the_stream_open_until_dropped() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("hi").hang());
    let mut resp = reqwest::Client::new()
        .post(format!("{}/chat/completions", llm.base_url()))
        .json(&json!({"model": "m", "stream": true}))
        .send()
        .await
        .unwrap();
    let mut received = String::new();
    while !received.contains("[DONE]") {
        let chunk = resp.chunk().await.unwrap().unwrap();
        received.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let next = tokio::time::timeout(Duration::from_millis(50), resp.chunk()).await;
    assert!(next.is_err(), "stream should still be open");

    drop(llm);
    let end = tokio::time::timeout(Duration::from_secs(5), resp.chunk()).await;
    assert!(
        end.is_ok(),
        "dropping the server should end the hung stream"
    );
}

/// A synchronous test with a raw HTTP/1.1 client, as a child process would see it.
#[test]
fn background_server_works_from_sync_tests() {
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::text("from the background").usage(10, 0, 5));
    let addr = llm.addr();
    assert_eq!(llm.base_url(), format!("http://{addr}/v1"));

    let body = r#"{"model":"m","stream":true,"stream_options":{"include_usage":true}}"#;
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    write!(
        sock,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    sock.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream")
    );
    assert!(response.contains("from"));
    let usage: Value = response
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .find(|c| c["choices"] == json!([]))
        .expect("usage chunk");
    assert_eq!(usage["usage"]["completion_tokens"], 5);
    assert!(response.contains("data: [DONE]"));

    llm.wait_for_requests_blocking(1);
    assert_eq!(llm.requests()[0].raw_body, body);
    assert_eq!(llm.pending(), 0);

    drop(llm);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "server should be gone after drop"
    );
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test]
async fn unused_replies_fail_the_test_when_the_server_is_dropped() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("used"));
    llm.push(Reply::tool_call("call_9", "exec", "{}"));
    llm.push(Reply::status(503));
    let resp = common::post(
        &format!("{}/chat/completions", llm.base_url()),
        &json!({"model": "m"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(llm.check().unwrap_err().unused.len(), 2);

    let message = panic_message(|| drop(llm));
    assert!(
        message.contains("2 scripted repl(ies) never used")
            && message.contains("[0] tool calls [call_9 exec]")
            && message.contains("[1] HTTP 503"),
        "{message}"
    );
}

#[tokio::test]
async fn allow_unused_and_finish_do_not_panic() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("left on purpose"));
    llm.allow_unused();
    llm.verify();
    drop(llm);

    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("left"));
    let problems = llm.finish().unwrap_err();
    assert_eq!(problems.unused, [r#"text "left""#]);
    assert!(problems.violations.is_empty());
}

#[tokio::test]
async fn broken_tool_history_is_rejected_with_400_and_fails_the_test() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("for the good request"));
    let url = format!("{}/chat/completions", llm.base_url());
    let call = |id: &str| json!({"id": id, "type": "function", "function": {"name": "exec", "arguments": "{}"}});

    // Reused ids across turns are fine: each result answers the nearest call.
    let good = json!({"model": "m", "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [call("call_0")]},
        {"role": "tool", "tool_call_id": "call_0", "content": "1"},
        {"role": "assistant", "tool_calls": [call("call_0")]},
        {"role": "tool", "tool_call_id": "call_0", "content": "2"},
    ]});
    assert_eq!(common::post(&url, &good).await.status(), 200);

    let bad = json!({"model": "m", "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [call("call_0"), call("call_1")]},
        {"role": "tool", "tool_call_id": "call_0", "content": "1"},
        {"role": "tool", "tool_call_id": "call_7", "content": "?"},
    ]});
    let resp = common::post(&url, &bad).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(r#"answers "call_7", which no assistant message called"#)
            && message.contains(r#"tool call "call_1" (exec) in messages[1] has no tool result"#),
        "{message}"
    );

    // Anthropic: the results must be in the very next message.
    let bad = json!({"model": "claude", "max_tokens": 5, "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {}}]},
        {"role": "user", "content": "never mind"},
    ]});
    let resp = common::post(&format!("{}/messages", llm.base_url()), &bad).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error");

    let violations = llm.violations();
    assert_eq!(violations.len(), 2);
    assert_eq!(violations[0].request, 1);
    assert_eq!(violations[1].path, "/v1/messages");
    assert_eq!(
        violations[1].problems,
        [HistoryProblem::Unanswered {
            call_id: "toolu_1".into(),
            tool: "read_file".into(),
            message: 1,
        }]
    );
    // Rejected requests are captured but take no reply.
    assert_eq!(llm.requests().len(), 3);
    assert_eq!(llm.pending(), 0);

    let message = panic_message(|| llm.verify());
    assert!(
        message.contains("2 request(s) broke the tool call/result pairing")
            && message.contains("request #1 to /v1/chat/completions")
            && message.contains("request #2 to /v1/messages"),
        "{message}"
    );
    assert_eq!(llm.take_violations().len(), 2);
    llm.verify();
}
