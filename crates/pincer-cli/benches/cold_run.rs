//! `cargo bench -p pincer-cli --bench cold_run`
//!
//! 1. Cold `pincer run` with one tool call against the scripted server: wall time from
//!    spawn to exit, and the peak RSS of the process (budget: ≤ 50 ms, ≤ 20 MB).
//! 2. The engine's own overhead per model round trip, in process: a turn against a
//!    scripted server that answers instantly, minus nothing: everything measured is ours
//!    (HTTP on loopback, SSE parsing, the store's writes, the event bus).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{FileConfig, Settings};
use pincer_core::protocol::Event;
use pincer_core::store::Store;
use pincer_core::tools::ToolRegistry;
use pincer_testkit::{Reply, ScriptedLlm};

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    cold_runs(runs);
    engine_overhead(runs * 10);
}

fn cold_runs(runs: usize) {
    let llm = ScriptedLlm::start_in_background();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("workspace")).unwrap();
    std::fs::write(home.path().join("workspace/README.md"), "# bench\n").unwrap();
    let mut times = Vec::with_capacity(runs);
    for i in 0..=runs {
        llm.push(Reply::tool_call("c", "list_dir", "{}"));
        llm.push(Reply::text("There is one file, README.md."));
        let started = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_pincer"))
            .args([
                "run",
                "--approve",
                "deny",
                "--session",
                &format!("bench{i}"),
                "list the files",
            ])
            .env("PINCER_HOME", home.path())
            .env("PINCER_PROVIDER", "openai")
            .env("PINCER_BASE_URL", llm.base_url())
            .env("PINCER_API_KEY", "sk-bench")
            .env("PINCER_MODEL", "scripted-model")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        let took = started.elapsed();
        assert!(status.success());
        // The first run creates the database; every later run is a cold process on a warm disk.
        if i > 0 {
            times.push(took);
        }
    }
    let peak_kib = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .unwrap()
        .max_rss();
    println!(
        "cold `pincer run`, 1 tool call, {runs} runs: {}",
        summary(&mut times)
    );
    println!("peak RSS of any run: {:.1} MB", peak_kib as f64 / 1024.0);
}

fn engine_overhead(turns: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let llm = ScriptedLlm::start().await;
        let home = tempfile::tempdir().unwrap();
        let url = llm.base_url();
        let env = [
            ("PINCER_PROVIDER", "openai"),
            ("PINCER_BASE_URL", url.as_str()),
            ("PINCER_MODEL", "m"),
        ];
        let settings =
            Settings::resolve(home.path().to_path_buf(), FileConfig::default(), &env, None)
                .unwrap();
        let store = Store::open(&home.path().join("pincer.db")).unwrap();
        let engine =
            Engine::with_store(settings, store, ToolRegistry::builtin(), ApprovalMode::Deny)
                .unwrap();
        let mut events = engine.subscribe();
        let mut times = Vec::with_capacity(turns);
        for i in 0..turns {
            // A fresh session per turn keeps the history, and so the request, the same size.
            let session = engine.session(&format!("s{i}"));
            llm.push(Reply::text("ok"));
            let started = Instant::now();
            session.user_turn("hi").unwrap();
            loop {
                let event = events.recv().await.unwrap();
                if let Event::TurnCompleted { .. } = event.event {
                    break;
                }
            }
            times.push(started.elapsed());
        }
        println!(
            "engine, one model round trip (in process, instant server), {turns} turns: {}",
            summary(&mut times)
        );
    });
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    format!(
        "min {:.2} ms, median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        ms(times[0]),
        ms(pick(0.5)),
        ms(pick(0.9)),
        ms(times[times.len() - 1])
    )
}
