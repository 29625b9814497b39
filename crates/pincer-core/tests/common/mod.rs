//! An engine wired to scripted LLM servers, with a real store in a temporary home.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use pincer_core::agent::{ApprovalMode, Engine, SessionHandle};
use pincer_core::config::{FileConfig, Settings};
use pincer_core::protocol::{Event, SessionEvent};
use pincer_core::store::Store;
use pincer_core::tools::ToolRegistry;
use pincer_testkit::ScriptedLlm;
use tokio::sync::broadcast;

pub struct Harness {
    pub home: tempfile::TempDir,
    pub engine: Engine,
    pub events: broadcast::Receiver<SessionEvent>,
    /// The engine's id of the last approval requested (in any session).
    pub asked: Option<String>,
}

/// Config for fast tests: quick retries, no surprises.
pub const FAST: &str =
    "[retry]\nmax_attempts = 3\nbase_delay_ms = 5\nmax_delay_ms = 2000\ntimeout_secs = 10\n";

pub fn settings(home: &Path, llm: &ScriptedLlm, dialect: &str, config: &str) -> Settings {
    let file = FileConfig::parse(&home.join("config.toml"), config).expect("config parses");
    let url = llm.base_url();
    let env = [
        ("PINCER_PROVIDER", dialect),
        ("PINCER_BASE_URL", url.as_str()),
        ("PINCER_API_KEY", "sk-test"),
        ("PINCER_MODEL", "scripted-model"),
    ];
    Settings::resolve(home.to_path_buf(), file, &env, None).expect("settings resolve")
}

impl Harness {
    pub fn new(llm: &ScriptedLlm, mode: ApprovalMode) -> Self {
        Self::with_config(llm, "openai", FAST, mode)
    }

    pub fn with_config(llm: &ScriptedLlm, dialect: &str, config: &str, mode: ApprovalMode) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let settings = settings(home.path(), llm, dialect, config);
        Self::from_settings(home, settings, mode)
    }

    pub fn from_settings(home: tempfile::TempDir, settings: Settings, mode: ApprovalMode) -> Self {
        let store = Store::open(&home.path().join("pincer.db")).expect("store");
        let engine =
            Engine::with_store(settings, store, ToolRegistry::builtin(), mode).expect("engine");
        let events = engine.subscribe();
        Self {
            home,
            engine,
            events,
            asked: None,
        }
    }

    /// A second engine on the same home, as after a restart.
    pub fn restart(self, mode: ApprovalMode) -> Self {
        let settings = self.engine.settings().clone();
        drop(self.engine);
        Self::from_settings(self.home, settings, mode)
    }

    /// The call id of the last approval requested; fails the test if none was.
    pub fn asked(&self) -> String {
        self.asked.clone().expect("an approval was requested")
    }

    pub fn workspace(&self) -> PathBuf {
        self.engine.settings().workspace.clone()
    }

    pub fn session(&self, id: &str) -> SessionHandle {
        self.engine.session(id)
    }

    /// Runs one turn and returns its events, the closing one last.
    pub async fn turn(&mut self, session: &str, text: &str) -> Vec<Event> {
        self.engine
            .session(session)
            .user_turn(text)
            .expect("the engine accepts the turn");
        self.until_end(session).await
    }

    /// Events of `session` up to and including the end of the current turn.
    pub async fn until_end(&mut self, session: &str) -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            let event = self.next(session).await;
            let end = is_end(&event);
            seen.push(event);
            if end {
                return seen;
            }
        }
    }

    /// The next event of `session`; fails the test after 10 s of silence.
    pub async fn next(&mut self, session: &str) -> Event {
        loop {
            let received = tokio::time::timeout(Duration::from_secs(10), self.events.recv())
                .await
                .expect("no event within 10 s")
                .expect("bus open");
            if let Event::ApprovalRequested { call_id, .. } = &received.event {
                self.asked = Some(call_id.clone());
            }
            if received.session == session {
                return received.event;
            }
        }
    }

    /// Waits for the first event matching `pick`, returning everything seen up to it.
    pub async fn until(&mut self, session: &str, pick: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            let event = self.next(session).await;
            let hit = pick(&event);
            seen.push(event);
            if hit {
                return seen;
            }
        }
    }
}

pub fn is_end(event: &Event) -> bool {
    event.ends_turn()
}

pub fn final_text(events: &[Event]) -> String {
    match events.last() {
        Some(Event::TurnCompleted { text, .. }) => text.clone(),
        other => panic!("turn did not complete: {other:?}\nall events: {events:#?}"),
    }
}

pub fn streamed_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The tool results the client sent in an OpenAI-dialect request, as (call id, content).
pub fn tool_results(body: &serde_json::Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            (
                m["tool_call_id"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
