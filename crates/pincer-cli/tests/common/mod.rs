//! What the CLI's process tests share.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

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

/// A running `pincer daemon` with the lines it printed before serving. Dropped, it is
/// killed if it still runs (a failed assertion leaves no daemon behind, even a stopped one).
/// Writes `home`'s config.toml: the scripted model at `base_url` as an OpenAI-compatible
/// provider, then `extra` (more sections).
pub fn scripted_provider_config(home: &std::path::Path, base_url: &str, extra: &str) {
    std::fs::write(
        home.join("config.toml"),
        format!(
            "[[providers]]\npreset = \"openai\"\nbase_url = \"{base_url}\"\nmodel = \"m\"\napi_key = \"k\"\n{extra}"
        ),
    )
    .unwrap();
}

pub struct Daemon {
    pub child: Child,
    pub url: String,
    pub login_link: String,
    stderr: Arc<Mutex<String>>,
}

impl Daemon {
    /// `pincer daemon` on a free port of 127.0.0.1, with the data home `home` and nothing
    /// of the test's environment.
    pub fn start(home: &std::path::Path) -> Self {
        Self::spawn(pincer_alone(home, &["daemon", "--listen", "127.0.0.1:0"]))
    }

    /// Starts `command` (a `pincer daemon …` command) and waits until it serves.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Kept, and drained so the daemon never blocks on a full pipe.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let kept = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                kept.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let Some(Ok(first)) = lines.next() else {
            let status = child.wait().unwrap();
            panic!(
                "the daemon exited before serving ({status}): {}",
                stderr.lock().unwrap()
            );
        };
        let url = first
            .strip_prefix("Pincer is listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        let second = lines.next().unwrap().unwrap();
        let login_link = second
            .strip_prefix("Log in: ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected second line: {second}"))
            .to_owned();
        // Keep draining stdout so the daemon never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            url,
            login_link,
            stderr,
        }
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// What the daemon wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGTERM, and its exit status (it must exit within 10 s).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        kill(self.pid(), Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to record anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
