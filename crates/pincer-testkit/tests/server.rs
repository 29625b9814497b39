#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use pincer_testkit::{Reply, ScriptedLlm};
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
