//! How fast the desktop app shows its window and how much memory it holds at rest.
//!
//! Run under a display and a session bus:
//! `xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- cargo bench -p pincer-app --bench app_idle`
//!
//! Starts the release app five times with a fresh data home, measures the time until the
//! window's page has loaded, then (after the page has settled) the resident memory of the
//! app process and of the whole tree (the WebKit web and network processes included):
//! RSS summed (counts shared libraries once per process) and PSS summed (shares split).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

/// A `/proc` field in KiB, e.g. `VmRSS:` from `status` or `Pss:` from `smaps_rollup`.
fn field_kib(pid: u32, file: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> u64 {
    field_kib(pid, "status", "VmRSS:")
}

/// Proportional set size: shared pages split among the processes sharing them, so the
/// sum over a process tree does not count the same library twice.
fn pss_kib(pid: u32) -> u64 {
    field_kib(pid, "smaps_rollup", "Pss:")
}

/// `pid` and all its descendants.
fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            // The fields after the command name (which may contain spaces) start after ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
            if ppid == Some(parent) && !all.contains(&child) {
                all.push(child);
            }
        }
        i += 1;
    }
    all
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    assert!(
        std::env::var_os("DISPLAY").is_some()
            && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run under xvfb-run and dbus-run-session (see the file's header)"
    );
    let mut ready_ms = Vec::new();
    let mut app_mb = Vec::new();
    let mut tree_mb = Vec::new();
    let mut tree_pss_mb = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pincer-app"))
            .args(["--listen", "127.0.0.1:0"])
            .env("HOME", dir.path())
            .env("PINCER_HOME", dir.path().join("pincer"))
            .env("PINCER_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        loop {
            let line = lines
                .next()
                .expect("the app ended before its page loaded")
                .unwrap();
            if line.contains("page loaded") {
                break;
            }
        }
        ready_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        std::thread::spawn(move || for _ in lines {});
        // Let the page finish its first requests and the WebSocket connect.
        std::thread::sleep(Duration::from_secs(3));
        let pids = tree(child.id());
        app_mb.push(rss_kib(child.id()) as f64 / 1024.0);
        tree_mb.push(pids.iter().map(|&p| rss_kib(p)).sum::<u64>() as f64 / 1024.0);
        tree_pss_mb.push(pids.iter().map(|&p| pss_kib(p)).sum::<u64>() as f64 / 1024.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("app_idle ({RUNS} runs, medians)");
    println!(
        "  window page loaded after start: {:.0} ms",
        median(ready_ms)
    );
    println!("  resident memory, app process:   {:.1} MB", median(app_mb));
    println!(
        "  resident memory, with WebKit:   {:.1} MB (RSS summed)",
        median(tree_mb)
    );
    println!(
        "  proportional, with WebKit:      {:.1} MB (PSS summed)",
        median(tree_pss_mb)
    );
}
