#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Sse, parse_sse, post};
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::{Value, json};

fn stream_request(include_usage: bool) -> Value {
    let mut body = json!({
        "model": "gpt-test",
        "stream": true,
        "messages": [{ "role": "user", "content": "hi" }],
    });
    if include_usage {
        body["stream_options"] = json!({ "include_usage": true });
    }
    body
}

async fn stream(llm: &ScriptedLlm, include_usage: bool) -> (reqwest::header::HeaderMap, Vec<Sse>) {
    let url = format!("{}/chat/completions", llm.base_url());
    let resp = post(&url, &stream_request(include_usage)).await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (headers, parse_sse(&text))
}

fn choice_deltas(events: &[Sse]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.data != "[DONE]")
        .map(Sse::json)
        .filter(|c| !c["choices"].as_array().unwrap().is_empty())
        .map(|c| c["choices"][0].clone())
        .collect()
}

#[tokio::test]
async fn text_stream_has_openai_shape() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("Hello there, world!").usage(100, 40, 7));
    let (headers, events) = stream(&llm, true).await;
    assert_eq!(headers["content-type"], "text/event-stream");

    assert!(events.iter().all(|e| e.event.is_none()));
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(Sse::json).collect();
    let id = chunks[0]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("chatcmpl-"));
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["id"], id.as_str());
        assert_eq!(c["model"], "gpt-test");
        assert!(c["created"].is_u64());
    }

    // First chunk: role only; then content deltas; then the finish chunk.
    assert_eq!(
        chunks[0]["choices"][0],
        json!({"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null})
    );
    let choices = choice_deltas(&events);
    let contents: Vec<&str> = choices[1..choices.len() - 1]
        .iter()
        .map(|c| c["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents.len(), 3);
    assert_eq!(contents.concat(), "Hello there, world!");
    let finish = choices.last().unwrap();
    assert_eq!(finish["delta"], json!({}));
    assert_eq!(finish["finish_reason"], "stop");

    // Usage arrives on its own chunk with empty choices, before [DONE].
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(
        usage_chunk["usage"],
        json!({"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107,
               "prompt_tokens_details": {"cached_tokens": 40}})
    );
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["usage"].is_null())
    );
}

#[tokio::test]
async fn no_usage_chunk_without_include_usage() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("hi"));
    let (_, events) = stream(&llm, false).await;
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(Sse::json).collect();
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn deepseek_cache_fields_and_reasoning() {
    let llm = ScriptedLlm::start().await;
    llm.push(
        Reply::text("answer")
            .reasoning("let me think")
            .usage(50, 30, 9)
            .deepseek_cache_fields(),
    );
    let (_, events) = stream(&llm, true).await;
    let choices = choice_deltas(&events);
    let reasoning: String = choices
        .iter()
        .filter_map(|c| c["delta"]["reasoning_content"].as_str())
        .collect();
    assert_eq!(reasoning, "let me think");
    // Reasoning strictly precedes content.
    let last_reasoning = choices
        .iter()
        .rposition(|c| c["delta"]["reasoning_content"].is_string())
        .unwrap();
    let first_content = choices
        .iter()
        .position(|c| {
            c["delta"]["content"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        })
        .unwrap();
    assert!(last_reasoning < first_content);

    let usage = &events[events.len() - 2].json()["usage"];
    assert_eq!(usage["prompt_cache_hit_tokens"], 30);
    assert_eq!(usage["prompt_cache_miss_tokens"], 20);
    assert!(usage.get("prompt_tokens_details").is_none());
}

#[tokio::test]
async fn utf8_text_is_never_split_inside_a_char() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("🦀é🦀"));
    let (_, events) = stream(&llm, false).await;
    let contents: Vec<String> = choice_deltas(&events)
        .iter()
        .filter_map(|c| c["delta"]["content"].as_str().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(contents, ["🦀", "é", "🦀"]);
}

#[tokio::test]
async fn parallel_tool_call_fragments_reassemble() {
    let llm = ScriptedLlm::start().await;
    let a = r#"{"path":"src/main.rs","limit":200}"#;
    let b = r#"{"command":"ls -la"#; // deliberately malformed
    llm.push(
        Reply::tool_calls(&[("call_a", "read_file", a), ("call_b", "shell", b)])
            .with_text("Checking."),
    );
    let (_, events) = stream(&llm, true).await;
    let choices = choice_deltas(&events);

    let text: String = choices
        .iter()
        .filter_map(|c| c["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Checking.");

    let mut args = [String::new(), String::new()];
    let mut fragments = [0usize; 2];
    let mut headers = Vec::new();
    for c in &choices {
        let Some(calls) = c["delta"]["tool_calls"].as_array() else {
            continue;
        };
        assert_eq!(calls.len(), 1, "one call per chunk");
        let call = &calls[0];
        let i = call["index"].as_u64().unwrap() as usize;
        if call.get("id").is_some() {
            assert_eq!(call["type"], "function");
            assert_eq!(call["function"]["arguments"], "");
            headers.push((i, call["id"].clone(), call["function"]["name"].clone()));
        } else {
            assert_eq!(
                call.as_object().unwrap().len(),
                2,
                "continuations carry only index+function: {call}"
            );
            assert_eq!(call["function"].as_object().unwrap().len(), 1);
            args[i].push_str(call["function"]["arguments"].as_str().unwrap());
            fragments[i] += 1;
        }
    }
    assert_eq!(
        headers,
        [
            (0, json!("call_a"), json!("read_file")),
            (1, json!("call_b"), json!("shell"))
        ]
    );
    assert_eq!(args, [a, b]);
    assert!(fragments.iter().all(|&f| f >= 2), "{fragments:?}");
    assert_eq!(choices.last().unwrap()["finish_reason"], "tool_calls");
    // No text → content starts null, like OpenAI's tool-call streams.
    let llm2 = ScriptedLlm::start().await;
    llm2.push(Reply::tool_call("c", "f", "{}"));
    let (_, events) = stream(&llm2, false).await;
    assert_eq!(
        events[0].json()["choices"][0]["delta"],
        json!({"role": "assistant", "content": null})
    );
}

#[tokio::test]
async fn non_stream_completion() {
    let llm = ScriptedLlm::start().await;
    llm.push(
        Reply::tool_call("call_1", "shell", r#"{"cmd":"ls"}"#)
            .with_text("ok")
            .usage(12, 2, 3),
    );
    let url = format!("{}/chat/completions", llm.base_url());
    let resp = post(&url, &json!({"model": "m", "messages": []})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "m");
    assert_eq!(
        body["choices"][0]["message"],
        json!({"role": "assistant", "content": "ok", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "shell", "arguments": "{\"cmd\":\"ls\"}"}}
        ]})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(body["usage"]["total_tokens"], 15);
    assert_eq!(body["usage"]["prompt_tokens_details"]["cached_tokens"], 2);
}

#[tokio::test]
async fn rate_limit_with_retry_after() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::status(429).retry_after(7));
    llm.push(Reply::status(401));
    let url = format!("{}/chat/completions", llm.base_url());
    let resp = post(&url, &stream_request(true)).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_exceeded");
    assert!(body["error"]["message"].as_str().unwrap().contains("429"));

    let resp = post(&url, &stream_request(true)).await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("retry-after").is_none());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(llm.requests().len(), 2, "error replies are captured too");
}

#[tokio::test]
async fn cut_after_truncates_without_done() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("a fairly long reply").cut_after(2));
    llm.push(Reply::text("x").cut_after(0));
    let (_, events) = stream(&llm, true).await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.data != "[DONE]"));
    events[1].json();

    let url = format!("{}/chat/completions", llm.base_url());
    let resp = post(&url, &stream_request(true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(resp.text().await.unwrap(), "");
}

#[tokio::test]
async fn abort_connection_breaks_the_transfer() {
    let llm = ScriptedLlm::start().await;
    llm.push(
        Reply::text("partial answer")
            .cut_after(2)
            .abort_connection(),
    );
    let url = format!("{}/chat/completions", llm.base_url());
    let resp = post(&url, &stream_request(false)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.is_err());
}

#[tokio::test]
async fn malformed_chunk_follows_first_event() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("hello").malformed_chunk());
    let (_, events) = stream(&llm, false).await;
    events[0].json();
    assert!(serde_json::from_str::<Value>(&events[1].data).is_err());
    assert_eq!(events[1].data, r#"{"choices": ["#);
    assert_eq!(events.last().unwrap().data, "[DONE]");
}

#[tokio::test]
async fn empty_queue_answers_500_and_models_does_not_pop() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("kept"));
    let models: Value = reqwest::get(format!("{}/models", llm.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "scripted-model");
    assert_eq!(models["data"][0]["owned_by"], "pincer-testkit");
    assert_eq!(llm.pending(), 1);
    assert!(llm.requests().is_empty());

    let (_, events) = stream(&llm, false).await;
    assert_eq!(events.last().unwrap().data, "[DONE]");
    assert_eq!(llm.pending(), 0);

    let url = format!("{}/chat/completions", llm.base_url());
    let resp = post(&url, &stream_request(false)).await;
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "scripted LLM: no scripted reply queued for this request"
    );
}
