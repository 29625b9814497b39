//! One engine per data home, through real processes: `pincer run` attaches to a running
//! `pincer daemon` (its turn runs in the daemon's engine and shows on every WebSocket), and
//! a daemon started while an in-process `pincer run` holds the data home waits for it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run_with_stdin, text};

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const PATIENCE: Duration = Duration::from_secs(20);

/// A `pincer` command on `home`. With `llm`, the process has a provider of its own; the
/// attached runs below get none, so they can only succeed through the daemon's engine.
fn pincer(home: &Path, llm: Option<&ScriptedLlm>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pincer"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PINCER_HOME", home)
        .stdin(Stdio::null());
    if let Some(llm) = llm {
        command
            .env("PINCER_PROVIDER", "openai")
            .env("PINCER_BASE_URL", llm.base_url())
            .env("PINCER_API_KEY", "sk-attach-test-1234")
            .env("PINCER_MODEL", "scripted-model");
    }
    command
}

fn new_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[retry]\nbase_delay_ms = 5\ntimeout_secs = 10\n",
    )
    .unwrap();
    home
}

/// Everything a process wrote on one pipe so far, collected by a thread.
#[derive(Clone)]
struct Output(Arc<Mutex<String>>);

impl Output {
    fn collect(pipe: impl std::io::Read + Send + 'static) -> Self {
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        std::thread::spawn(move || {
            let mut pipe = pipe;
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Self(text)
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `needle` has been written; fails with what was written instead.
    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?}; got:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

struct Daemon {
    child: Child,
    url: String,
    stderr: Output,
}

impl Daemon {
    fn spawn(home: &Path, llm: &ScriptedLlm) -> (Child, Output, Output) {
        let mut child = pincer(home, Some(llm))
            .args(["daemon", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = Output::collect(child.stdout.take().unwrap());
        let stderr = Output::collect(child.stderr.take().unwrap());
        (child, stdout, stderr)
    }

    fn start(home: &Path, llm: &ScriptedLlm) -> Self {
        let (child, stdout, stderr) = Self::spawn(home, llm);
        Self::listening(child, &stdout, stderr)
    }

    fn listening(child: Child, stdout: &Output, stderr: Output) -> Self {
        stdout.wait_for("\nLog in: ");
        let text = stdout.text();
        let url = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("Pincer is listening on "))
            .unwrap_or_else(|| panic!("unexpected output: {text}"))
            .to_owned();
        Self { child, url, stderr }
    }

    fn token(home: &Path) -> String {
        std::fs::read_to_string(home.join("gateway.token"))
            .unwrap()
            .trim()
            .to_owned()
    }

    fn get(&self, home: &Path, path: &str) -> Value {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let response = reqwest::Client::new()
                .get(format!("{}{path}", self.url))
                .bearer_auth(Self::token(home))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{path}: {response:?}");
            response.json().await.unwrap()
        })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

/// Another WebSocket client of the daemon (as the web UI is): every message it receives.
fn watch_websocket(home: &Path, url: &str) -> mpsc::Receiver<Value> {
    let ws_url = format!("{}/api/ws", url.replacen("http://", "ws://", 1));
    let token = Daemon::token(home);
    let (tx, rx) = mpsc::channel();
    let (connected, is_connected) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut request = ws_url.into_client_request().unwrap();
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            connected.send(()).unwrap();
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message
                    && tx
                        .send(serde_json::from_str(text.as_str()).unwrap())
                        .is_err()
                {
                    break;
                }
            }
        });
    });
    is_connected.recv_timeout(PATIENCE).unwrap();
    rx
}

/// Waits for a WebSocket event of `session` whose type is `kind`.
fn wait_for_event(messages: &mpsc::Receiver<Value>, session: &str, kind: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = messages
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {kind} event for {session}"));
        if message["type"] == "event"
            && message["session"] == session
            && message["event"]["type"] == kind
        {
            return message;
        }
    }
}

#[test]
fn run_attaches_to_the_daemon_and_asks_approval_on_the_terminal() {
    let llm = ScriptedLlm::start_in_background();
    let home = new_home();
    let daemon = Daemon::start(home.path(), &llm);
    let page = watch_websocket(home.path(), &daemon.url);
    llm.push(Reply::tool_call(
        "w",
        "write_file",
        r#"{"path":"yes.txt","content":"approved"}"#,
    ));
    llm.push(Reply::text("written"));

    // No provider of its own: it can only succeed by running the turn in the daemon.
    let mut run = pincer(home.path(), None);
    run.args(["run", "--session", "attached", "write a file"]);
    let out = run_with_stdin(run, "y\n");

    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "written");
    assert!(
        text(&out.stderr).contains("? allow: write_file "),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("workspace/yes.txt")).unwrap(),
        "approved"
    );
    // The open page saw the turn live.
    wait_for_event(&page, "attached", "approval_requested");
    wait_for_event(&page, "attached", "turn_completed");

    let list = pincer(home.path(), None)
        .args(["sessions", "list", "--json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let ids: Vec<_> = list.as_array().unwrap().iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, ["attached"], "one engine, one session");

    let messages = daemon.get(home.path(), "/api/sessions/attached/messages");
    let texts: Vec<_> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(texts.contains(&"write a file"), "{messages}");
    assert!(texts.contains(&"written"), "{messages}");
    assert!(
        !daemon.stderr.text().contains("waiting"),
        "{}",
        daemon.stderr.text()
    );
}

#[test]
fn run_approve_deny_is_the_attached_turns_own_mode() {
    let llm = ScriptedLlm::start_in_background();
    let home = new_home();
    let _daemon = Daemon::start(home.path(), &llm);
    llm.push(Reply::tool_call("e", "exec", r#"{"command":"touch made"}"#));
    llm.push(Reply::text("could not"));

    let out = pincer(home.path(), None)
        .args(["run", "--approve", "deny", "--json", "touch a file"])
        .output()
        .unwrap();

    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("? allow"));
    assert!(!home.path().join("workspace/made").exists());
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "approval_resolved" && e["decision"] == "deny"),
        "{events:#?}"
    );
    assert_eq!(events.last().unwrap()["type"], "turn_completed");
    let result = &llm.requests()[1].body["messages"][3]["content"];
    assert!(
        result
            .as_str()
            .unwrap()
            .contains("approvals are set to deny"),
        "{result}"
    );
}

#[test]
fn a_daemon_waits_for_an_in_process_run_to_finish() {
    let llm = ScriptedLlm::start_in_background();
    let home = new_home();
    // The turn stops at its approval prompt: the in-process run holds the data home until
    // the test answers.
    llm.push(Reply::tool_call(
        "w",
        "write_file",
        r#"{"path":"first.txt","content":"in-process"}"#,
    ));
    llm.push(Reply::text("done here"));
    let mut run = pincer(home.path(), Some(&llm))
        .args(["run", "write first"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run_stderr = Output::collect(run.stderr.take().unwrap());
    run_stderr.wait_for("? allow");

    let (daemon, daemon_stdout, daemon_stderr) = Daemon::spawn(home.path(), &llm);
    daemon_stderr.wait_for(&format!(
        "pincer run (pid {}) is using this data home; waiting for it to finish",
        run.id()
    ));
    assert_eq!(daemon_stdout.text(), "", "it does not serve while it waits");

    run.stdin.take().unwrap().write_all(b"y\n").unwrap();
    let mut answer = String::new();
    run.stdout
        .take()
        .unwrap()
        .read_to_string(&mut answer)
        .unwrap();
    assert!(run.wait().unwrap().success(), "{}", run_stderr.text());
    assert_eq!(answer.trim(), "done here");

    let daemon = Daemon::listening(daemon, &daemon_stdout, daemon_stderr);
    let sessions = daemon.get(home.path(), "/api/sessions");
    assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");
}

#[test]
fn ctrl_c_of_an_attached_run_interrupts_the_daemons_turn() {
    let llm = ScriptedLlm::start_in_background();
    let home = new_home();
    let daemon = Daemon::start(home.path(), &llm);
    let page = watch_websocket(home.path(), &daemon.url);
    llm.push(
        Reply::text("a long answer that never ends")
            .cut_after(2)
            .hang(),
    );
    let mut run = pincer(home.path(), None)
        .args(["run", "--session", "stopme", "talk"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = Output::collect(run.stdout.take().unwrap());
    let stderr = Output::collect(run.stderr.take().unwrap());
    // The answer is streaming in the daemon and on the terminal.
    wait_for_event(&page, "stopme", "text_delta");
    stdout.wait_for("a");

    kill(Pid::from_raw(run.id() as i32), Signal::SIGINT).unwrap();

    wait_for_event(&page, "stopme", "turn_cancelled");
    let status = run.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{}", stderr.text());
    // The reader thread may not have drained the pipe the moment the process exits.
    stderr.wait_for("cancelled");
}

#[test]
fn skills_enable_and_disable_go_through_the_daemon() {
    let llm = ScriptedLlm::start_in_background();
    let home = new_home();
    let daemon = Daemon::start(home.path(), &llm);
    let new = pincer(home.path(), None)
        .args(["skills", "new", "tidy", "-d", "Tidies things up"])
        .output()
        .unwrap();
    assert!(new.status.success(), "{}", text(&new.stderr));

    let off = pincer(home.path(), None)
        .args(["skills", "disable", "tidy"])
        .output()
        .unwrap();
    assert!(off.status.success(), "{}", text(&off.stderr));
    assert_eq!(text(&off.stdout).trim(), "disabled tidy");
    // The daemon's engine applied it before the command returned (a file edit would
    // reach it only later, through its folder watcher).
    let skills = daemon.get(home.path(), "/api/skills");
    let tidy = skills["skills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "tidy")
        .unwrap();
    assert_eq!(tidy["status"], "disabled", "{tidy}");
}
