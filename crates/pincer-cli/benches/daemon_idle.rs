//! `cargo bench -p pincer-cli --bench daemon_idle`
//!
//! The headless daemon's memory (budget: idle RSS ≤ 20 MB): start `pincer daemon` (release
//! build, fresh data home, the scripted LLM as provider), log in, load the page with its
//! embedded bundle and the settings, run `BENCH_TURNS` turns over the WebSocket, then sit
//! idle for a few seconds and read the resident set (VmRSS) and its peak (VmHWM) from /proc.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use pincer_testkit::{Reply, ScriptedLlm};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest as _};

use common::Daemon;

fn main() {
    let turns: usize = std::env::var("BENCH_TURNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let llm = ScriptedLlm::start_in_background();
    let daemon = Daemon::start(&llm);
    let (url, code) = (daemon.url.clone(), daemon.code.clone());
    let after_start = daemon.memory();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let turn_times = runtime.block_on(async {
        let client = reqwest::Client::new();
        let login = client
            .post(format!("{url}/api/login"))
            .json(&serde_json::json!({ "code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200);
        let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let key = login.json::<serde_json::Value>().await.unwrap()["key"].as_str().unwrap().to_owned();
        // The page and everything it loads (the embedded bundle), then what it asks for.
        let index = client.get(format!("{url}/")).send().await.unwrap().text().await.unwrap();
        let assets: Vec<String> = index
            .split('"')
            .filter(|part| part.starts_with("/assets/"))
            .map(str::to_owned)
            .collect();
        for path in assets.iter().map(String::as_str).chain(["/api/settings", "/api/sessions", "/api/usage?days=30"]) {
            let response = client.get(format!("{url}{path}")).header("cookie", &cookie).header("x-pincer-key", &key).send().await.unwrap();
            assert!(response.status().is_success(), "{path}: {}", response.status());
            response.bytes().await.unwrap();
        }
        let mut request = format!("{}/api/ws", url.replace("http://", "ws://")).into_client_request().unwrap();
        request.headers_mut().insert("cookie", cookie.parse().unwrap());
        request.headers_mut().insert("sec-websocket-protocol", format!("pincer.v1, pincer.key.{key}").parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await.unwrap();
        let mut times = Vec::new();
        for i in 0..turns {
            llm.push(Reply::text("A short answer from the scripted model."));
            let started = Instant::now();
            let op = serde_json::json!({"id": format!("bench-{i}"), "op": {"type": "user_turn", "session": format!("bench{}", i % 4), "text": "hello"}});
            ws.send(tungstenite::Message::text(op.to_string())).await.unwrap();
            loop {
                let message = ws.next().await.unwrap().unwrap();
                if let tungstenite::Message::Text(text) = message {
                    // A refused submission would otherwise wait here for ever.
                    assert!(!text.starts_with("{\"type\":\"error\""), "refused: {text}");
                    if text.contains("\"turn_completed\"") {
                        break;
                    }
                }
            }
            times.push(started.elapsed());
        }
        times
    });
    std::thread::sleep(Duration::from_secs(3));
    let idle = daemon.memory();
    let ready = daemon.ready;
    drop(daemon);

    let mut sorted = turn_times.clone();
    sorted.sort();
    println!(
        "daemon ready (URL printed) after {:.1} ms",
        ready.as_secs_f64() * 1000.0
    );
    println!("RSS after start: {:.1} MB", after_start.0);
    println!(
        "turn over the WebSocket ({turns} turns): median {:.2} ms, max {:.2} ms",
        sorted[sorted.len() / 2].as_secs_f64() * 1000.0,
        sorted[sorted.len() - 1].as_secs_f64() * 1000.0
    );
    println!(
        "idle RSS after {turns} turns: {:.1} MB (peak {:.1} MB) — budget 20 MB",
        idle.0, idle.1
    );
}
