//! Smoke test against a real OpenAI-compatible server nobody on the team wrote:
//! llama-cpp-python serving SmolLM2-135M-Instruct on loopback. `scripts/test.sh` starts the
//! server and sets PINCER_SMOKE_BASE_URL; built only with `--features smoke-llm`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn real_server_streams_text_and_reports_usage() {
    let base_url = std::env::var("PINCER_SMOKE_BASE_URL").expect(
        "PINCER_SMOKE_BASE_URL must point at the llama.cpp server (scripts/test.sh starts it)",
    );
    let home = tempfile::tempdir().unwrap();
    // The tiny model cannot use tools; keep the prompt small so it answers quickly.
    let out = Command::new(env!("CARGO_BIN_EXE_pincer"))
        .args([
            "run",
            "--json",
            "--approve",
            "deny",
            "Say hello in one short sentence.",
        ])
        .env("PINCER_HOME", home.path())
        .env("PINCER_PROVIDER", "llamacpp")
        .env("PINCER_BASE_URL", &base_url)
        .env("PINCER_MODEL", "smollm2")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let deltas: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "text_delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(
        deltas.len() >= 2,
        "the answer was streamed in pieces: {deltas:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["type"], "turn_completed");
    assert!(!last["text"].as_str().unwrap().trim().is_empty());
    assert_eq!(last["text"].as_str().unwrap(), deltas.concat());
    // llama-cpp-python sends no usage when streaming (include_usage is ignored), so the
    // figures must be Pincer's estimate, and say so.
    let usage = &last["usage"];
    assert_eq!(usage["estimated"], true, "{usage}");
    assert!(
        usage["input_tokens"].as_u64().unwrap() > 500,
        "system prompt and tools counted: {usage}"
    );
    assert!(usage["output_tokens"].as_u64().unwrap() > 0, "{usage}");
    let report = Command::new(env!("CARGO_BIN_EXE_pincer"))
        .args(["usage", "--json"])
        .env("PINCER_HOME", home.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["total"]["requests"], 1);
    assert_eq!(report["total"]["estimated_requests"], 1);
}
