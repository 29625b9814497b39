//! `cargo bench -p pincer-cli --bench cold_run`
//!
//! 1. Cold `pincer run` with one tool call against the scripted server: wall time from
//!    spawn to exit, and the peak RSS of the process (budget: ≤ 5 ms, ≤ 12 MB), in both
//!    modes: attached to a running `pincer daemon` (the turn runs in the daemon's engine,
//!    the command only speaks the WebSocket), and in-process (no daemon: the command opens
//!    the engine itself and holds the data home's lock).
//! 2. The engine's own overhead per model round trip, in process: a turn against a
//!    scripted server that answers instantly, minus nothing: everything measured is ours
//!    (HTTP on loopback, SSE parsing, the store's writes, the event bus).
//! 3. The same turn through the socket: a `RemoteEngine` linked to the daemon, so the
//!    difference to 2 is what attaching costs per turn.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{FileConfig, Settings};
use pincer_core::protocol::{Event, Op, Submission};
use pincer_core::store::Store;
use pincer_core::tools::ToolRegistry;
use pincer_gateway::link::{EngineLink, LinkEvent, RemoteEngine};
use pincer_testkit::{Reply, ScriptedLlm};

use common::{Daemon, pincer_bin};

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let llm = ScriptedLlm::start_in_background();
    let daemon = Daemon::start_in(bench_home(), &llm);
    cold_runs("attached to a daemon", &llm, daemon.home(), false, runs);
    socket_overhead(&llm, daemon.home(), &daemon.url, runs * 10);

    let home = bench_home();
    cold_runs("in-process", &llm, home.path(), true, runs);
    engine_overhead(runs * 10);
    drop(daemon);
}

fn bench_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("workspace")).unwrap();
    std::fs::write(home.path().join("workspace/README.md"), "# bench\n").unwrap();
    home
}

/// A run's own peak RSS in MiB, read by GNU time. A child's `ru_maxrss` counts the RSS it
/// had before exec, and a child forked from this bench starts out as large as the bench (its
/// server, runtime and buffers): measured directly, every run looked 9–10 MB bigger than it
/// is. GNU time forks from a process of ~2 MB, so what it reports is the command's own.
fn own_peak_mib(command: Command) -> Option<f64> {
    let time = std::path::Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let envs: Vec<_> = command
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let out = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg(program)
        .args(args)
        .env_clear()
        .envs(envs)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    let kib: f64 = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Cold `pincer run`s on `home`; `provider` gives the process a provider of its own (an
/// attached run needs none: the daemon's engine talks to the model).
fn cold_runs(mode: &str, llm: &ScriptedLlm, home: &std::path::Path, provider: bool, runs: usize) {
    let mut times = Vec::with_capacity(runs);
    let mut peaks = Vec::with_capacity(runs);
    for i in 0..=runs + runs / 5 {
        llm.push(Reply::tool_call("c", "list_dir", "{}"));
        llm.push(Reply::text("There is one file, README.md."));
        let mut command = Command::new(pincer_bin());
        command
            .args([
                "run",
                "--approve",
                "deny",
                "--session",
                &format!("bench{i}"),
                "list the files",
            ])
            .env_clear()
            .env("PINCER_HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if provider {
            command
                .env("PINCER_PROVIDER", "openai")
                .env("PINCER_BASE_URL", llm.base_url())
                .env("PINCER_API_KEY", "sk-bench")
                .env("PINCER_MODEL", "scripted-model");
        }
        // Every fifth run is measured for memory instead of time (through GNU time).
        if i > 0 && i % 5 == 0 {
            if let Some(peak) = own_peak_mib(command) {
                peaks.push(peak);
            }
            continue;
        }
        let started = Instant::now();
        let status = command.status().unwrap();
        let took = started.elapsed();
        assert!(status.success());
        // The first run creates the database; every later run is a cold process on a warm disk.
        if i > 0 {
            times.push(took);
        }
    }
    println!(
        "cold `pincer run` {mode}, 1 tool call, {runs} runs: {}",
        summary(&mut times)
    );
    peaks.sort_by(f64::total_cmp);
    match (peaks.get(peaks.len() / 2), peaks.last()) {
        (Some(median), Some(max)) => println!(
            "  peak RSS over {} runs: median {median:.1} MB, max {max:.1} MB",
            peaks.len()
        ),
        _ => println!("  peak RSS: not measured (install GNU time: apt-get install time)"),
    }
}

/// A turn's round trip through the daemon's socket, from a linked surface.
fn socket_overhead(llm: &ScriptedLlm, home: &std::path::Path, url: &str, turns: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let link = EngineLink::Remote(RemoteEngine::connect(home, url).await.unwrap());
        let (_, mut events) = link.subscribe_live();
        let mut times = Vec::with_capacity(turns);
        for i in 0..turns {
            llm.push(Reply::text("ok"));
            let started = Instant::now();
            let turn = Submission::fresh(Op::UserTurn {
                session: format!("sock{i}"),
                text: "hi".to_owned(),
                approvals: Some(ApprovalMode::Deny),
                job: None,
            });
            let id = turn.id.clone();
            link.submit(turn).await.unwrap();
            loop {
                if let Some(LinkEvent::Event(event)) = events.recv().await
                    && event.submission == id
                    && matches!(event.event, Event::TurnCompleted { .. })
                {
                    break;
                }
            }
            times.push(started.elapsed());
        }
        println!(
            "one model round trip through the daemon's socket (instant server), {turns} turns: {}",
            summary(&mut times)
        );
    });
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
