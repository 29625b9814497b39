//! What the CLI's process tests share.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `command` with `stdin` written to it (then closed), capturing stdout and stderr.
pub fn run_with_stdin(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `pincer` binary with a data home of its own and an OpenAI-dialect provider at `url`;
/// nothing of the test's environment leaks in.
pub fn pincer(home: &std::path::Path, url: &str, args: &[&str]) -> Command {
    let mut command = pincer_alone(home, args);
    command
        .env("PINCER_PROVIDER", "openai")
        .env("PINCER_BASE_URL", url)
        .env("PINCER_API_KEY", "sk-cli-test-key-1234")
        .env("PINCER_MODEL", "scripted-model");
    command
}

/// The `pincer` binary with a data home of its own and nothing else: no provider
/// variable, no vendor key, no other variable of the test's environment.
pub fn pincer_alone(home: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pincer"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PINCER_HOME", home)
        .stdin(Stdio::null());
    command
}

/// Polls a condition another process makes true; fails after 10 s.
pub fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
