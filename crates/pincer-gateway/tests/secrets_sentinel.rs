//! A sentinel key, saved through the Settings API the way a user saves one, must never show
//! up in plain text anywhere but the `Authorization` header of the provider it was saved
//! for: not in any file of the data home (config, the database and its WAL, offloaded tool
//! output, the secret store's own files), not in the log, not in what the model is sent,
//! not in tool results, not in what the API answers. The session reads a file holding the
//! key, runs a command that prints it, and goes on after a restart.
//!
//! scripts/test.sh runs this once against a real Secret Service (gnome-keyring under
//! `dbus-run-session`) with `PINCER_EXPECT_SECRET_STORE=keyring`, and once with no session
//! bus with `PINCER_EXPECT_SECRET_STORE=file` (the encrypted file, and its warning).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{TestGateway, completed_text};
use pincer_core::protocol::Event;
use pincer_core::redact::REDACTED;
use pincer_testkit::Reply;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SENTINEL: &str = "sk-SENTINEL-7c1e93b2a4d8f0165e";

/// Everything the process logs (debug and up), kept for the scan.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn finished_outputs(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallFinished { output, .. } => Some(output.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_key_appears_nowhere_but_in_the_providers_authorization_header() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    // Saved like a user would, on the Settings page.
    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(&json!([{
            "preset": "openai",
            "base_url": gw.llm.base_url(),
            "model": "test-model",
            "api_key": SENTINEL,
        }]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut api_answers = response.text().await.unwrap();

    // Which store took it, and whether the page says so.
    let (_, settings) = gw.get(&client, "/api/settings").await;
    api_answers.push_str(&settings.to_string());
    let store = &settings["secret_store"];
    match std::env::var("PINCER_EXPECT_SECRET_STORE").as_deref() {
        Ok("keyring") => assert_eq!(store["kind"], "keyring", "{store}"),
        Ok("file") => assert_eq!(store["kind"], "encrypted_file", "{store}"),
        Ok(other) => panic!("PINCER_EXPECT_SECRET_STORE={other:?}"),
        Err(_) => {}
    }
    match store["kind"].as_str() {
        Some("keyring") => assert_eq!(store["warning"], Value::Null, "{store}"),
        Some("encrypted_file") => {
            let warning = store["warning"]
                .as_str()
                .expect("the fallback is announced");
            assert!(warning.contains("not the OS keyring"), "{warning}");
            let logged = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
            assert!(
                logged.contains("WARN") && logged.contains("not the OS keyring"),
                "the log says so too"
            );
        }
        _ => panic!("no usable store: {store}"),
    }
    assert_eq!(settings["providers"][0]["key_hint"], "…165e");

    // The user keeps a copy of the key in a file the agent reads and prints.
    let workspace = gw.workspace();
    let mut notes = std::fs::File::create(workspace.join("notes.txt")).unwrap();
    writeln!(notes, "provider: openai\nkey: {SENTINEL}\n").unwrap();
    drop(notes);

    gw.llm.push(Reply::tool_call(
        "call_1",
        "read_file",
        r#"{"path":"notes.txt"}"#,
    ));
    gw.llm.push(Reply::text("The notes hold a key."));
    gw.llm.push(Reply::tool_call(
        "call_2",
        "exec",
        r#"{"command":"cat notes.txt; env"}"#,
    ));
    gw.llm.push(Reply::text("Printed."));

    let mut ws = gw.ws().await;
    let mut events = Vec::new();
    ws.user_turn("s1", "what is in notes.txt?").await;
    let turn = ws.until_turn_end("s1").await;
    assert_eq!(completed_text(&turn), "The notes hold a key.");
    events.extend(turn);

    ws.user_turn("s1", "print it with cat").await;
    let call = match ws.approval_requested("s1").await {
        Event::ApprovalRequested { call_id, .. } => call_id,
        other => panic!("{other:?}"),
    };
    ws.approve("s1", &call, "once").await;
    let turn = ws.until_turn_end("s1").await;
    assert_eq!(completed_text(&turn), "Printed.");
    events.extend(turn);
    ws.close().await;

    // A restart: the key comes back from the store, and is still taken out of results.
    let gw = gw.restart().await;
    gw.llm.push(Reply::tool_call(
        "call_3",
        "read_file",
        r#"{"path":"notes.txt"}"#,
    ));
    gw.llm.push(Reply::text("Still there."));
    let mut ws = gw.ws().await;
    ws.user_turn("s1", "and now?").await;
    let turn = ws.until_turn_end("s1").await;
    assert_eq!(completed_text(&turn), "Still there.");
    events.extend(turn);
    ws.close().await;

    let client = gw.logged_in_client().await;
    let (_, history) = gw.get(&client, "/api/sessions/s1/messages").await;
    api_answers.push_str(&history.to_string());
    let (_, settings) = gw.get(&client, "/api/settings").await;
    api_answers.push_str(&settings.to_string());

    // The tool results the model and the user saw: the key replaced, the rest intact.
    let outputs = finished_outputs(&events);
    assert_eq!(outputs.len(), 3, "{events:#?}");
    for output in &outputs {
        assert!(output.contains(REDACTED), "{output}");
        assert!(output.contains("provider: openai"), "{output}");
        assert!(!output.contains(SENTINEL), "{output}");
    }

    // What the provider received: the key in the header (so it was really in use), never
    // in a body.
    let requests = gw.llm.requests();
    assert_eq!(requests.len(), 6);
    for request in &requests {
        assert_eq!(
            request.headers.get("authorization").map(String::as_str),
            Some(format!("Bearer {SENTINEL}").as_str())
        );
        assert!(
            !request.raw_body.contains(SENTINEL),
            "the key went to the model: {}",
            request.raw_body
        );
    }
    assert!(
        requests[4].raw_body.contains(REDACTED),
        "the history sent after the restart holds the redacted results"
    );

    assert!(!api_answers.contains(SENTINEL), "{api_answers}");
    let logged = log.0.lock().unwrap().clone();
    assert!(!logged.is_empty());
    assert!(
        !contains(&logged, SENTINEL),
        "the log holds the key:\n{}",
        String::from_utf8_lossy(&logged)
    );

    // Every file of the data home, whatever it is: config, pincer.db and its -wal/-shm,
    // offloaded output, the store's index (and encrypted file), the token. The notes file
    // is the user's own copy.
    let files = walk(gw.home());
    assert!(files.iter().any(|f| f.ends_with("pincer.db")), "{files:#?}");
    let hits: Vec<_> = files
        .iter()
        .filter(|f| !f.ends_with("notes.txt"))
        .filter(|f| contains(&std::fs::read(f).unwrap(), SENTINEL))
        .collect();
    assert_eq!(
        hits,
        Vec::<&PathBuf>::new(),
        "files holding the key in plain text"
    );
}
