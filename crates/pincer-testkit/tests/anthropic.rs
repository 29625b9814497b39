#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Sse, parse_sse, post};
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::{Value, json};

async fn stream(llm: &ScriptedLlm) -> Vec<Sse> {
    let url = format!("{}/messages", llm.base_url());
    let body = json!({"model": "claude-test", "max_tokens": 100, "stream": true, "messages": []});
    let resp = post(&url, &body).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let events = parse_sse(&resp.text().await.unwrap());
    for e in &events {
        // The `event:` line always names the data's `type`.
        assert_eq!(e.event.as_deref(), e.json()["type"].as_str(), "{e:?}");
    }
    events
}

fn types(events: &[Sse]) -> Vec<String> {
    events.iter().map(|e| e.event.clone().unwrap()).collect()
}

#[tokio::test]
async fn thinking_and_text_stream_shape() {
    let llm = ScriptedLlm::start().await;
    llm.push(
        Reply::text("Hi there!")
            .reasoning("Hmm, greet.")
            .usage(100, 60, 8),
    );
    let events = stream(&llm).await;

    assert_eq!(
        types(&events),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    let start = events[0].json();
    assert_eq!(
        start["message"],
        json!({
            "id": start["message"]["id"], "type": "message", "role": "assistant", "model": "claude-test",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60, "output_tokens": 1},
        })
    );
    assert!(start["message"]["id"].as_str().unwrap().starts_with("msg_"));

    assert_eq!(
        events[2].json(),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}})
    );
    let thinking: String = events[3..6]
        .iter()
        .map(|e| {
            let d = e.json();
            assert_eq!(d["index"], 0);
            assert_eq!(d["delta"]["type"], "thinking_delta");
            d["delta"]["thinking"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(thinking, "Hmm, greet.");
    assert_eq!(events[6].json()["delta"]["type"], "signature_delta");
    assert_eq!(
        events[7].json(),
        json!({"type": "content_block_stop", "index": 0})
    );

    assert_eq!(
        events[8].json(),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}})
    );
    let text: String = events[9..12]
        .iter()
        .map(|e| {
            let d = e.json();
            assert_eq!(d["index"], 1);
            assert_eq!(d["delta"]["type"], "text_delta");
            d["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "Hi there!");

    assert_eq!(
        events[13].json(),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 8}})
    );
    assert_eq!(events[14].json(), json!({"type": "message_stop"}));
}

#[tokio::test]
async fn tool_use_partial_json_reassembles() {
    let llm = ScriptedLlm::start().await;
    let a = r#"{"path":"README.md"}"#;
    let b = r#"{"pattern": "fn main""#; // deliberately malformed
    llm.push(
        Reply::tool_calls(&[("toolu_1", "read_file", a), ("toolu_2", "grep", b)])
            .with_text("Looking."),
    );
    let events = stream(&llm).await;

    let mut blocks: Vec<(Value, String, usize)> = Vec::new();
    for e in &events {
        let d = e.json();
        match d["type"].as_str().unwrap() {
            "content_block_start" => {
                assert_eq!(d["index"].as_u64().unwrap() as usize, blocks.len());
                blocks.push((d["content_block"].clone(), String::new(), 0));
            }
            "content_block_delta" => {
                let block = &mut blocks[d["index"].as_u64().unwrap() as usize];
                let delta = &d["delta"];
                let piece = match delta["type"].as_str().unwrap() {
                    "text_delta" => delta["text"].as_str().unwrap(),
                    "input_json_delta" => delta["partial_json"].as_str().unwrap(),
                    other => panic!("unexpected delta {other}"),
                };
                block.1.push_str(piece);
                block.2 += 1;
            }
            _ => {}
        }
    }
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].0, json!({"type": "text", "text": ""}));
    assert_eq!(blocks[0].1, "Looking.");
    assert_eq!(
        blocks[1].0,
        json!({"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {}})
    );
    assert_eq!(blocks[1].1, a);
    assert!(blocks[1].2 >= 2);
    assert_eq!(blocks[2].0["id"], "toolu_2");
    assert_eq!(blocks[2].1, b);
    assert!(blocks[2].2 >= 2);

    let n = events.len();
    assert_eq!(events[n - 2].json()["delta"]["stop_reason"], "tool_use");
    assert_eq!(events[n - 1].event.as_deref(), Some("message_stop"));
}

#[tokio::test]
async fn errors_use_anthropic_shape() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::status(529));
    llm.push(Reply::status(429).retry_after(3));
    llm.push(Reply::status(401));
    let url = format!("{}/messages", llm.base_url());
    let req = json!({"model": "m", "stream": true, "messages": []});

    let resp = post(&url, &req).await;
    assert_eq!(resp.status().as_u16(), 529);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "overloaded_error");

    let resp = post(&url, &req).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["type"],
        "rate_limit_error"
    );

    let resp = post(&url, &req).await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["type"],
        "authentication_error"
    );

    let resp = post(&url, &req).await;
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");
    assert_eq!(
        body["error"]["message"],
        "scripted LLM: no scripted reply queued for this request"
    );
}

#[tokio::test]
async fn cut_after_and_malformed() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("some text here").cut_after(4));
    llm.push(Reply::text("hello").malformed_chunk());
    let events = stream(&llm).await;
    assert_eq!(
        types(&events),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta"
        ]
    );

    let url = format!("{}/messages", llm.base_url());
    let resp = post(&url, &json!({"model": "m", "stream": true, "messages": []})).await;
    let events = parse_sse(&resp.text().await.unwrap());
    assert_eq!(events[0].event.as_deref(), Some("message_start"));
    assert!(serde_json::from_str::<Value>(&events[1].data).is_err());
    assert_eq!(
        events.last().unwrap().event.as_deref(),
        Some("message_stop")
    );
}

#[tokio::test]
async fn non_stream_message() {
    let llm = ScriptedLlm::start().await;
    llm.push(
        Reply::tool_call("toolu_9", "shell", r#"{"cmd":"pwd"}"#)
            .with_text("Sure.")
            .usage(20, 5, 4),
    );
    let url = format!("{}/messages", llm.base_url());
    let resp = post(
        &url,
        &json!({"model": "claude-x", "max_tokens": 10, "messages": []}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "message");
    assert_eq!(body["model"], "claude-x");
    assert_eq!(
        body["content"],
        json!([
            {"type": "text", "text": "Sure."},
            {"type": "tool_use", "id": "toolu_9", "name": "shell", "input": {"cmd": "pwd"}},
        ])
    );
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(
        body["usage"],
        json!({"input_tokens": 15, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 5, "output_tokens": 4})
    );
}
