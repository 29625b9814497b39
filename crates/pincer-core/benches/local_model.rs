//! The in-process local model measured beside llama-cpp-python's server on the same GGUF,
//! same machine, same thread count, in one run: load time, prompt and generation tokens/s,
//! first-token latency on turn 1 and turn 2 (with and without the KV cache reused), peak
//! RSS with the model loaded. `scripts/bench-local.sh` starts the server and runs this.
//!
//! Environment: `PINCER_BENCH_GGUF` (the model), `PINCER_BENCH_THREADS` (default 1),
//! `PINCER_BENCH_LLAMA_SERVER` (the server's base URL; without it only ours is measured),
//! `PINCER_BENCH_FLASH_ATTENTION` (0 or 1; default: llama.cpp decides, as in the product).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use futures::StreamExt;
use pincer_core::local::options::LocalOptions;
use pincer_core::local::runtime::Runtime;
use pincer_core::model::{ChatRequest, Message, StreamEvent};
use pincer_core::provider::{self, Dialect, Endpoint, Provider};

const SYSTEM: &str = "You are a helpful assistant.";
const GENERATE: u32 = 128;
const ROUNDS: usize = 3;

/// A user message of about 400 tokens, made unique so no cache can serve it.
fn long_question(nonce: usize) -> String {
    let mut text = format!("Request {nonce}. Here are my notes from this week:\n");
    for day in [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ] {
        text.push_str(&format!(
            "- {day}: I walked by the lake, read two chapters of a novel about a lighthouse keeper, \
             cooked rice with vegetables, answered emails about the garden project, and called my sister.\n"
        ));
    }
    text.push_str("Write a short story that uses these notes.");
    text
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    first_token: Duration,
    /// Tokens after the first, over the time after the first.
    generation_rate: f64,
    tokens: u64,
}

async fn ours(provider: &dyn Provider, messages: Vec<Message>) -> (Timing, String, u64) {
    let request = ChatRequest {
        system: SYSTEM.to_owned(),
        messages,
        tools: Vec::new(),
        max_tokens: Some(GENERATE),
    };
    let started = Instant::now();
    let mut first = None;
    let mut last = started;
    let mut text = String::new();
    let mut usage = None;
    let mut stream = provider.stream(&request);
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            StreamEvent::TextDelta(t) => {
                first.get_or_insert_with(Instant::now);
                last = Instant::now();
                text.push_str(&t);
            }
            StreamEvent::Usage(u) => usage = Some(u),
            _ => {}
        }
    }
    let usage = usage.unwrap();
    let first = first.unwrap_or(last);
    let timing = Timing {
        first_token: first - started,
        generation_rate: (usage.output_tokens.saturating_sub(1)) as f64
            / (last - first).as_secs_f64().max(1e-9),
        tokens: usage.output_tokens,
    };
    (timing, text, usage.input_tokens)
}

async fn server(
    client: &reqwest::Client,
    base: &str,
    messages: &[(&str, &str)],
) -> (Timing, String) {
    let mut body_messages = vec![serde_json::json!({"role": "system", "content": SYSTEM})];
    for (role, content) in messages {
        body_messages.push(serde_json::json!({"role": role, "content": content}));
    }
    let body = serde_json::json!({
        "model": "smollm2",
        "messages": body_messages,
        "max_tokens": GENERATE,
        "temperature": 0.0,
        "top_k": 1,
        // The server's default is 1.1, which changes greedy output; ours applies none.
        "repeat_penalty": 1.0,
        "stream": true,
    });
    let started = Instant::now();
    let mut response = client
        .post(format!("{base}/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut first = None;
    let mut last = started;
    let mut chunks = 0u64;
    let mut text = String::new();
    let mut buffer = String::new();
    while let Some(bytes) = response.chunk().await.unwrap() {
        buffer.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let Some(data) = event.trim().strip_prefix("data: ") else {
                continue;
            };
            if data == "[DONE]" {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(data).unwrap();
            if let Some(delta) = value["choices"][0]["delta"]["content"].as_str()
                && !delta.is_empty()
            {
                first.get_or_insert_with(Instant::now);
                last = Instant::now();
                chunks += 1;
                text.push_str(delta);
            }
        }
    }
    let first = first.unwrap_or(last);
    (
        Timing {
            first_token: first - started,
            // One chunk per token in llama-cpp-python's stream.
            generation_rate: chunks.saturating_sub(1) as f64
                / (last - first).as_secs_f64().max(1e-9),
            tokens: chunks,
        },
        text,
    )
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let gguf = std::env::var("PINCER_BENCH_GGUF").expect("PINCER_BENCH_GGUF names the model");
    let threads: u32 = std::env::var("PINCER_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let rss_before = peak_rss_mb();
    let provider = provider::connect_with(
        Endpoint {
            name: "local".to_owned(),
            dialect: Dialect::Local,
            base_url: gguf.clone(),
            api_key: None,
            model: "bench".to_owned(),
            images: false,
            timeout: Duration::from_secs(600),
            context_window: None,
        },
        &LocalOptions {
            threads,
            temperature: 0.0,
            context: 4096,
            // PINCER_BENCH_FLASH_ATTENTION=0 computes attention as llama-cpp-python 0.3 does.
            flash_attention: std::env::var("PINCER_BENCH_FLASH_ATTENTION")
                .ok()
                .map(|v| v != "0"),
            ..LocalOptions::default()
        },
    )
    .unwrap();
    println!("model {gguf}, {threads} thread(s), {GENERATE} tokens generated per answer, greedy");

    // Cold: the first request loads the model.
    let (cold, _, _) = ours(provider.as_ref(), vec![Message::user("hello")]).await;
    let load = Duration::from_micros(Runtime::get().counters().last_load_micros);
    println!(
        "pincer   load {:.0} ms; first token of the first answer {:.0} ms",
        load.as_secs_f64() * 1e3,
        cold.first_token.as_secs_f64() * 1e3
    );

    let mut ours_prompt = Vec::new();
    let mut ours_gen = Vec::new();
    for round in 0..ROUNDS {
        let question = long_question(round);
        let before = Runtime::get().counters();
        let (t, _, _) = ours(provider.as_ref(), vec![Message::user(question)]).await;
        let read = Runtime::get().counters().prompt_evaluated - before.prompt_evaluated;
        ours_prompt.push(read as f64 / t.first_token.as_secs_f64());
        ours_gen.push(t.generation_rate);
        assert!(
            t.tokens > 16,
            "the answer was too short to time: {}",
            t.tokens
        );
    }
    println!(
        "pincer   prompt {:.0} tok/s, generation {:.1} tok/s (median of {ROUNDS})",
        median(ours_prompt.clone()),
        median(ours_gen.clone())
    );

    // Turn 2 of a conversation, with the cache of turn 1 and without it.
    let question = long_question(100);
    let (turn1, answer1, prompt1) =
        ours(provider.as_ref(), vec![Message::user(question.clone())]).await;
    let turn2_messages = vec![
        Message::user(question.clone()),
        Message::assistant(answer1.clone(), Vec::new()),
        Message::user("Now give it a title."),
    ];
    let (turn2, _, prompt2) = ours(provider.as_ref(), turn2_messages.clone()).await;
    ours(provider.as_ref(), vec![Message::user(long_question(200))]).await;
    let (turn2_cold, _, _) = ours(provider.as_ref(), turn2_messages).await;
    println!(
        "pincer   first token: turn 1 {:.0} ms ({prompt1} prompt tokens); turn 2 {:.0} ms with the KV cache reused ({:.0} % of turn 1), {:.0} ms without ({prompt2} prompt tokens)",
        turn1.first_token.as_secs_f64() * 1e3,
        turn2.first_token.as_secs_f64() * 1e3,
        turn2.first_token.as_secs_f64() * 100.0 / turn1.first_token.as_secs_f64(),
        turn2_cold.first_token.as_secs_f64() * 1e3,
    );
    println!(
        "pincer   peak RSS {:.0} MB (process before loading: {rss_before:.0} MB)",
        peak_rss_mb()
    );

    let Ok(base) = std::env::var("PINCER_BENCH_LLAMA_SERVER") else {
        println!(
            "llama-cpp-python: not measured (set PINCER_BENCH_LLAMA_SERVER; scripts/bench-local.sh does)"
        );
        return;
    };
    let client = reqwest::Client::new();
    server(&client, &base, &[("user", "hello")]).await;
    let mut theirs_prompt = Vec::new();
    let mut theirs_gen = Vec::new();
    for round in 0..ROUNDS {
        // Another nonce than ours used, so the server's own cache cannot serve it.
        let question = long_question(1000 + round);
        let (t, _) = server(&client, &base, &[("user", &question)]).await;
        theirs_prompt.push(prompt1 as f64 / t.first_token.as_secs_f64());
        theirs_gen.push(t.generation_rate);
    }
    let (theirs_prompt, theirs_gen) = (median(theirs_prompt), median(theirs_gen));
    println!(
        "llama-cpp-python server  prompt ~{theirs_prompt:.0} tok/s (timed over HTTP), generation {theirs_gen:.1} tok/s (median of {ROUNDS})"
    );
    println!(
        "ratio pincer / llama-cpp-python: generation {:.2}x, prompt {:.2}x",
        median(ours_gen) / theirs_gen,
        median(ours_prompt) / theirs_prompt
    );
}
