//! A failed turn says what went wrong and what to do about it, chosen from the failure's
//! kind: the real `pincer` binary against a scripted server (or a closed port) on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::Value;

fn run(base_url: &str, json: bool) -> (tempfile::TempDir, Output) {
    let mut args = vec!["run"];
    if json {
        args.push("--json");
    }
    args.push("hi");
    pincer(base_url, "sk-test", &args)
}

/// Runs `pincer args` against `base_url` with `key`, in a fresh home. A run that has not
/// ended after 60 s is killed and fails the test: a hang is a failure, not a wait.
fn pincer(base_url: &str, key: &str, args: &[&str]) -> (tempfile::TempDir, Output) {
    let home = tempfile::tempdir().unwrap();
    // One attempt, so a 429 or a refused connection fails at once instead of retrying.
    std::fs::write(
        home.path().join("config.toml"),
        "[retry]\nmax_attempts = 1\nbase_delay_ms = 5\ntimeout_secs = 10\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pincer"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PINCER_HOME", home.path())
        .env("PINCER_PROVIDER", "openai")
        .env("PINCER_BASE_URL", base_url)
        .env("PINCER_API_KEY", key)
        .env("PINCER_MODEL", "scripted-model")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "pincer {args:?} still running after 60 s: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (home, child.wait_with_output().unwrap())
}

/// A loopback HTTP server that answers every request with `status` (e.g. `429 Too Many
/// Requests`), the header lines `headers` and a JSON `body`, for what ScriptedLlm does not
/// send (e.g. on `/models`). Returns its base URL; it lives as long as the test process.
fn fixed_server(status: &str, headers: &[&str], body: &str) -> String {
    let mut response = format!("HTTP/1.1 {status}\r\n");
    for header in headers {
        response.push_str(header);
        response.push_str("\r\n");
    }
    response.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

/// The one stderr line and the failure kind of the `turn_failed` event `--json` printed.
fn failed(base_url: &str) -> (String, String) {
    let (_home, out) = run(base_url, true);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let last: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .map(|line| serde_json::from_str(line).unwrap())
        .unwrap();
    assert_eq!(last["type"], "turn_failed", "{last}");
    (stderr, last["error"]["kind"].as_str().unwrap().to_owned())
}

#[test]
fn each_provider_failure_has_its_kind_and_hint() {
    let llm = ScriptedLlm::start_in_background();
    let cases = [
        (Reply::status(401), "auth", "the API key was refused"),
        (Reply::status(429), "rate_limit", "wait a minute"),
        (Reply::status(404), "not_found", "the model or endpoint does not exist"),
        (
            Reply::status(400).with_text(
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
            ),
            "context_too_long",
            "start a new session",
        ),
    ];
    for (reply, kind, hint) in cases {
        llm.push(reply);
        let (stderr, seen) = failed(&llm.base_url());
        assert_eq!(seen, kind, "{stderr}");
        assert!(stderr.starts_with("pincer: "), "{stderr}");
        assert!(stderr.contains(hint), "{kind}: {stderr}");
    }
}

#[test]
fn a_refused_connection_is_a_network_failure() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (stderr, kind) = failed(&format!("http://127.0.0.1:{port}/v1"));
    assert_eq!(kind, "network", "{stderr}");
    assert!(stderr.contains("could not reach"), "{stderr}");
    assert!(stderr.contains("check the network"), "{stderr}");
}

#[test]
fn the_hint_is_on_the_same_line_as_the_reason() {
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::status(401));
    let (_home, out) = run(&llm.base_url(), false);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        "pincer: the API key was rejected by openai (HTTP 401): scripted LLM: simulated HTTP 401 — the API key was refused: set a new one (PINCER_API_KEY or the vendor's variable, or Settings in the web UI) and check it with `pincer doctor`"
    );
}

#[test]
fn an_absurd_retry_after_neither_crashes_nor_hangs() {
    // `Retry-After: 1e20` used to panic while reading the header: `doctor` exited 101 and
    // `run` hung with its turn.
    let url = fixed_server(
        "429 Too Many Requests",
        &["Retry-After: 1e20"],
        r#"{"error":{"message":"slow down"}}"#,
    );
    let (_home, out) = pincer(&url, "sk-test", &["doctor"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("✗ openai is rate limiting requests (HTTP 429): slow down"),
        "{stdout}"
    );

    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::status(429).header("retry-after", "1e20"));
    let (stderr, kind) = failed(&llm.base_url());
    assert_eq!(kind, "rate_limit", "{stderr}");
}

#[test]
fn a_key_the_provider_echoes_is_stored_and_shown_nowhere() {
    let key = "sk-pincer-sentinel-4f9c2a7e1b5d";
    let llm = ScriptedLlm::start_in_background();
    // As vendors word it, with the whole key and a shortened copy.
    llm.push(Reply::status(401).with_text(&format!(
        "Incorrect API key provided: {key}. Key sk-pincer-sentinel-4f9c… was revoked"
    )));
    let (home, out) = pincer(&llm.base_url(), key, &["run", "--json", "hi"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Incorrect API key provided"), "{stderr}");
    assert!(stdout.contains("turn_failed"), "{stdout}");
    let secrets = [key, "sk-pincer-sentinel-4f9c", "pincer-sentinel"];
    for secret in secrets {
        assert!(!stdout.contains(secret), "{secret} in stdout: {stdout}");
        assert!(!stderr.contains(secret), "{secret} in stderr: {stderr}");
    }
    // Everything Pincer wrote: the database with its WAL, logs, whatever else.
    let mut files = vec![home.path().to_path_buf()];
    let mut scanned = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        for secret in secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in {}",
                path.display()
            );
        }
    }
    assert!(home.path().join("pincer.db").exists() && scanned > 1);
    // The turn's stored detail still says why it failed.
    let db = rusqlite::Connection::open(home.path().join("pincer.db")).unwrap();
    let detail: String = db
        .query_row("SELECT detail FROM turns", [], |row| row.get(0))
        .unwrap();
    assert!(
        detail.contains("Incorrect API key provided: [redacted]"),
        "{detail}"
    );
}
