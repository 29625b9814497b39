//! The prompt budget of the desktop app's tool set: the built-in tools plus the desktop
//! automation tools, registered as the app's backend does, with 50 skills installed. One
//! "hello" turn against the scripted model; the captured request body is counted. Nothing
//! here touches a screen (no tool runs), so it runs anywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{FileConfig, Settings};
use pincer_core::protocol::Event;
use pincer_core::store::Store;
use pincer_core::tools::ToolRegistry;
use pincer_desktop::{Control, register_tools};
use pincer_testkit::{Reply, ScriptedLlm};

#[tokio::test]
async fn hello_with_50_skills_and_the_desktop_tools_stays_within_1500_prompt_tokens() {
    let llm = ScriptedLlm::start().await;
    let home = tempfile::tempdir().unwrap();
    let file = FileConfig::parse(&home.path().join("config.toml"), "").unwrap();
    let url = llm.base_url();
    let env = [
        ("PINCER_PROVIDER", "openai"),
        ("PINCER_BASE_URL", url.as_str()),
        ("PINCER_API_KEY", "sk-test"),
        ("PINCER_MODEL", "scripted-model"),
    ];
    let mut settings = Settings::resolve(home.path().to_path_buf(), file, &env, None).unwrap();
    // The bundled skills stay on (a fresh install has them); nothing from ~/.agents.
    settings.skills.agents_dir = None;
    let store = Store::open(&home.path().join("pincer.db")).unwrap();
    // As src-tauri/src/backend.rs builds it.
    let control = Control::new();
    let mut tools = ToolRegistry::builtin();
    register_tools(&mut tools, &control);
    let engine = Engine::with_store(settings, store, tools, ApprovalMode::Ask).unwrap();
    pincer_testkit::skills::write_realistic_skills(&home.path().join("skills"), 50).unwrap();
    let catalog = engine.skills().reload();
    assert!(catalog.skills.len() >= 50, "{:?}", catalog.problems);

    let mut events = engine.subscribe();
    llm.push(Reply::text("Hello!"));
    assert!(engine.session("s").user_turn("hello".to_owned()).is_ok());
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event within 10 s")
            .unwrap();
        if event.session == "s" && event.event.ends_turn() {
            assert!(
                matches!(event.event, Event::TurnCompleted { .. }),
                "{:?}",
                event.event
            );
            break;
        }
    }

    let request = &llm.requests()[0];
    let body = &request.body;
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("\nskill-49: "), "{system}");
    // Every desktop tool is reachable: named in the request (they are offered on request).
    let raw = &request.raw_body;
    for name in ["screenshot", "mouse", "keyboard", "notify"] {
        assert!(raw.contains(name), "{name} is not offered: {raw}");
    }
    let bpe = tiktoken_rs::o200k_base().unwrap();
    // Counted over the whole request body (system prompt, tool schemas, message and the
    // JSON around them): more than a provider bills, never less.
    let tokens = bpe.encode_with_special_tokens(raw).len();
    println!(
        "hello with {} skills and the desktop tools: {tokens} tokens in the request",
        catalog.skills.len()
    );
    for tool in body["tools"].as_array().unwrap() {
        println!(
            "{}: {}",
            tool["function"]["name"],
            bpe.encode_with_special_tokens(&tool.to_string()).len()
        );
    }
    assert!(tokens <= 1500, "{tokens} tokens");
}
