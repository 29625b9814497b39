#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Drives the `pincer-scripted-llm` binary the way the browser tests do: as a
//! child process, scripted over its `/__testkit/` HTTP control API.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::parse_sse;
use serde_json::{Value, json};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Kills the child on drop, so a failing assertion does not leak a server.
struct Server {
    child: Child,
    base: String,
    port_file: PathBuf,
    stdout_line: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for_port_file(path: &Path, child: &mut Child) -> u16 {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text
                .trim()
                .parse()
                .unwrap_or_else(|e| panic!("port file holds {text:?}, not a port: {e}"));
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("pincer-scripted-llm exited with {status} before writing its port file");
        }
        assert!(
            Instant::now() < deadline,
            "pincer-scripted-llm did not write its port file {} within {STARTUP_TIMEOUT:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let mut child = Command::new(env!("CARGO_BIN_EXE_pincer-scripted-llm"))
            .arg("--port-file")
            .arg(&port_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn pincer-scripted-llm");
        let stdout = child.stdout.take().unwrap();
        let (tx, stdout_line) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if BufReader::new(stdout).read_line(&mut line).is_ok() {
                let _ = tx.send(line);
            }
        });
        // Build the guard before waiting so a startup failure still kills the child.
        let mut server = Server {
            child,
            base: String::new(),
            port_file,
            stdout_line,
            _dir: dir,
        };
        let port = wait_for_port_file(&server.port_file, &mut server.child);
        server.base = format!("http://127.0.0.1:{port}");
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post_control(&self, path: &str, body: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url(path))
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    async fn get_json(&self, path: &str) -> Value {
        let resp = reqwest::get(self.url(path)).await.unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }

    async fn chat(&self, body: &Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/v1/chat/completions"))
            .header("Authorization", "Bearer sk-e2e")
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// Concatenates the `content` deltas of an OpenAI SSE body.
fn openai_text(body: &str) -> (String, usize) {
    let mut text = String::new();
    let mut deltas = 0;
    for event in parse_sse(body) {
        if event.data == "[DONE]" {
            continue;
        }
        if let Some(s) = event.json()["choices"][0]["delta"]["content"].as_str()
            && !s.is_empty()
        {
            text.push_str(s);
            deltas += 1;
        }
    }
    (text, deltas)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_over_http_streams_and_captures() {
    let server = Server::start();
    let line = server
        .stdout_line
        .recv_timeout(STARTUP_TIMEOUT)
        .expect("no line on stdout");
    assert_eq!(
        line,
        format!("scripted LLM listening on {}/v1\n", server.base)
    );

    let long = "The quick brown fox jumps over the lazy dog, twice.";
    let replies = json!([
        {"text": long, "chunk_delay_ms": 20, "usage": {"input": 30, "cached": 4, "output": 9}},
        {"text": "checking", "tool_calls": [{"id": "c1", "name": "exec", "arguments": {"command": "ls"}}]},
        {"status": 429, "retry_after": 1},
    ]);
    let resp = server
        .post_control("/__testkit/replies", &replies.to_string())
        .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(
        server.get_json("/__testkit/pending").await,
        json!({"pending": 3})
    );

    // 1: a long text, one delta per word, spaced by chunk_delay_ms.
    let started = Instant::now();
    let resp = server
        .chat(&json!({
            "model": "e2e-model",
            "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "hi"}],
        }))
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    let (text, deltas) = openai_text(&body);
    assert_eq!(text, long);
    assert_eq!(deltas, long.split_whitespace().count());
    // role + 10 words + finish + usage + [DONE] = 14 events, 13 gaps of 20 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(13 * 20),
        "chunk_delay_ms not applied: {:?}",
        started.elapsed()
    );
    let usage = parse_sse(&body)
        .iter()
        .rev()
        .find(|e| e.data != "[DONE]")
        .unwrap()
        .json()["usage"]
        .clone();
    assert_eq!(usage["prompt_tokens"], 30);
    assert_eq!(usage["completion_tokens"], 9);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 4);

    // 2: text then a tool call whose object arguments were serialized.
    let resp = server
        .chat(&json!({"model": "m", "stream": false, "messages": []}))
        .await;
    let body: Value = resp.json().await.unwrap();
    let message = &body["choices"][0]["message"];
    assert_eq!(message["content"], "checking");
    assert_eq!(message["tool_calls"][0]["id"], "c1");
    assert_eq!(message["tool_calls"][0]["function"]["name"], "exec");
    assert_eq!(
        message["tool_calls"][0]["function"]["arguments"],
        r#"{"command":"ls"}"#
    );

    // 3: a simulated error status.
    let resp = server.chat(&json!({"model": "m", "stream": true})).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");

    // 4: the queue is empty.
    let resp = server.chat(&json!({"model": "m", "stream": true})).await;
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no scripted reply queued"),
        "{body}"
    );

    // Only the four LLM requests were captured, none of the control calls.
    let requests = server.get_json("/__testkit/requests").await;
    let requests = requests.as_array().unwrap();
    let paths: Vec<&str> = requests
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/v1/chat/completions"; 4]);
    assert_eq!(requests[0]["headers"]["authorization"], "Bearer sk-e2e");
    assert_eq!(requests[0]["body"]["model"], "e2e-model");
    assert_eq!(requests[0]["body"]["messages"][0]["content"], "hi");
    assert_eq!(
        server.get_json("/__testkit/pending").await,
        json!({"pending": 0})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_replies_are_rejected_and_reset_clears_everything() {
    let server = Server::start();

    let resp = server.post_control("/__testkit/replies", "{not json").await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(
        error.starts_with("request body is not valid JSON"),
        "{error}"
    );

    // One bad element rejects the whole batch.
    let resp = server
        .post_control("/__testkit/replies", r#"[{"text": "ok"}, {"txt": "typo"}]"#)
        .await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("reply [1]") && error.contains("`txt`"),
        "{error}"
    );
    assert_eq!(
        server.get_json("/__testkit/pending").await,
        json!({"pending": 0})
    );

    // A single object is accepted too; an Anthropic request consumes it.
    let resp = server
        .post_control("/__testkit/replies", r#"{"text": "from anthropic"}"#)
        .await;
    assert_eq!(resp.status(), 204);
    let resp = reqwest::Client::new()
        .post(server.url("/v1/messages"))
        .json(&json!({"model": "claude", "max_tokens": 10, "messages": []}))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["content"][0]["text"], "from anthropic");

    // Unknown control routes answer 404 and are not captured either.
    let resp = server.post_control("/__testkit/nope", "{}").await;
    assert_eq!(resp.status(), 404);
    let requests = server.get_json("/__testkit/requests").await;
    assert_eq!(requests.as_array().unwrap().len(), 1);
    assert_eq!(requests[0]["path"], "/v1/messages");

    let resp = server
        .post_control("/__testkit/replies", r#"[{"text": "a"}, {"text": "b"}]"#)
        .await;
    assert_eq!(resp.status(), 204);
    let resp = server.post_control("/__testkit/reset", "").await;
    assert_eq!(resp.status(), 204);
    assert_eq!(
        server.get_json("/__testkit/pending").await,
        json!({"pending": 0})
    );
    assert_eq!(server.get_json("/__testkit/requests").await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_tool_history_is_listed_under_violations() {
    let server = Server::start();
    assert_eq!(server.get_json("/__testkit/violations").await, json!([]));
    let resp = server
        .chat(&json!({"model": "m", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "tool_call_id": "call_0", "content": "stray"},
        ]}))
        .await;
    assert_eq!(resp.status(), 400);

    let violations = server.get_json("/__testkit/violations").await;
    assert_eq!(violations[0]["request"], 0);
    assert_eq!(violations[0]["path"], "/v1/chat/completions");
    assert_eq!(violations[0]["problems"][0]["kind"], "orphaned");
    assert_eq!(violations[0]["problems"][0]["call_id"], "call_0");
    let message = violations[0]["message"].as_str().unwrap();
    assert!(
        message.contains(r#"answers "call_0", which no assistant message called"#),
        "{message}"
    );

    let resp = server.post_control("/__testkit/reset", "").await;
    assert_eq!(resp.status(), 204);
    assert_eq!(server.get_json("/__testkit/violations").await, json!([]));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start();
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit status {exit}");
    assert!(
        !server.port_file.exists(),
        "the port file should be removed on exit"
    );
}
