//! `cargo bench -p pincer-cli --bench half_open_flood`
//!
//! Issue 11, finding 16: about 20,000 connections that never finish their request headers
//! made the daemon unreachable and grew its memory for good. This starts a release
//! `pincer daemon`, opens `BENCH_SOCKETS` such connections (default 19,000, fewer if the
//! open-file limit is lower), each sending half a request, and reports: the daemon's memory
//! while they are open, whether and how fast `GET /api/health` and the owner's login with
//! the printed code are answered during the flood,
//! and the memory once the flood's sockets are closed and the header timeout has passed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use pincer_testkit::ScriptedLlm;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use common::Daemon;

fn main() {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    }
    let limit = usize::try_from(hard).unwrap_or(usize::MAX);
    let wanted: usize = std::env::var("BENCH_SOCKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(19_000);
    let sockets = wanted.min(limit.saturating_sub(200));

    let llm = ScriptedLlm::start_in_background();
    let daemon = Daemon::start(&llm);
    let addr = daemon.url.trim_start_matches("http://").to_owned();
    let before = daemon.memory();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (opened, during, health, login) = runtime.block_on(async {
        let half = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
        let mut flood = Vec::with_capacity(sockets);
        for _ in 0..sockets {
            // A connection the server closes at once (over the cap) still counts as
            // opened: the point is what the daemon holds, not what it refuses.
            if let Ok(mut stream) = TcpStream::connect(&addr).await {
                let _ = stream.write_all(half.as_bytes()).await;
                flood.push(stream);
            }
        }
        let opened = flood.len();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let during = daemon.memory();
        let started = Instant::now();
        let health = status_line(
            &addr,
            &format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        let health = (health, started.elapsed());
        // The owner logging in with the code the daemon printed.
        let body = format!("{{\"code\":\"{}\"}}", daemon.code);
        let started = Instant::now();
        let login = status_line(
            &addr,
            &format!(
                "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        let login = (login, started.elapsed());
        drop(flood);
        (opened, during, health, login)
    });
    // Past the 10 s header timeout: anything still held would be a leak.
    std::thread::sleep(Duration::from_secs(12));
    let after = daemon.memory();

    println!(
        "daemon ready after {:.1} ms",
        daemon.ready.as_secs_f64() * 1000.0
    );
    println!("connections opened, each with half a request: {opened} (asked {wanted})");
    println!("daemon RSS before: {:.1} MB", before.0);
    println!(
        "daemon RSS with the flood open: {:.1} MB (peak {:.1} MB)",
        during.0, during.1
    );
    println!(
        "GET /api/health during the flood: {} in {:.1} ms",
        health.0,
        health.1.as_secs_f64() * 1000.0
    );
    println!(
        "the owner's login during the flood: {} in {:.1} ms",
        login.0,
        login.1.as_secs_f64() * 1000.0
    );
    println!(
        "daemon RSS 12 s after the flood closed: {:.1} MB (peak {:.1} MB)",
        after.0, after.1
    );
}

/// The status line of the answer to one request sent on a new connection, or what went
/// wrong.
async fn status_line(addr: &str, request: &str) -> String {
    let attempt = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(
            String::from_utf8_lossy(&response)
                .lines()
                .next()
                .unwrap_or("(no answer)")
                .to_owned(),
        )
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => format!("failed: {e}"),
        Err(_) => "no answer within 10 s".to_owned(),
    }
}
