//! A failed turn says what went wrong and what to do about it, chosen from the failure's
//! kind: the real `pincer` binary against a scripted server (or a closed port) on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::Value;

fn run(base_url: &str, json: bool) -> (tempfile::TempDir, Output) {
    let home = tempfile::tempdir().unwrap();
    // One attempt, so a 429 or a refused connection fails at once instead of retrying.
    std::fs::write(
        home.path().join("config.toml"),
        "[retry]\nmax_attempts = 1\nbase_delay_ms = 5\ntimeout_secs = 10\n",
    )
    .unwrap();
    let mut args = vec!["run"];
    if json {
        args.push("--json");
    }
    args.push("hi");
    let out = Command::new(env!("CARGO_BIN_EXE_pincer"))
        .args(&args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PINCER_HOME", home.path())
        .env("PINCER_PROVIDER", "openai")
        .env("PINCER_BASE_URL", base_url)
        .env("PINCER_API_KEY", "sk-test")
        .env("PINCER_MODEL", "scripted-model")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (home, out)
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
