//! The stable head of every request: the tools array and the system prompt are the same
//! bytes in every step and turn of a session, across engine restarts, and when a skill is
//! loaded (its text is appended as a tool result; nothing before it is rewritten), so
//! providers can reuse their prompt cache. Asserted on the bytes the scripted LLM received.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{FAST, Harness, final_text, settings};
use pincer_core::agent::ApprovalMode;
use pincer_testkit::{Reply, ScriptedLlm};

/// The raw JSON value of the top-level `key` of a request body, exactly as sent. Inside
/// JSON strings quotes are escaped, so `"key":` unescaped is a key; it must occur once.
fn raw_field<'a>(raw: &'a str, key: &str) -> &'a str {
    let needle = format!("\"{key}\":");
    assert_eq!(raw.matches(&needle).count(), 1, "{needle} in {raw}");
    let start = raw.find(&needle).unwrap() + needle.len();
    let rest = raw[start..].trim_start();
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    values.next().unwrap().unwrap();
    &rest[..values.byte_offset()]
}

fn system_prompt(body: &serde_json::Value) -> String {
    assert_eq!(body["messages"][0]["role"], "system");
    body["messages"][0]["content"].as_str().unwrap().to_owned()
}

const WEATHER: &str = "---\nname: weather\ndescription: Forecasts for a city. Use when asked about the weather.\n---\n# Weather\nRead {baseDir}/cities.txt, then answer with the forecast.\n";

/// A skill that declares a tool, so the tools array carries `use_tool` too.
const COUNTER: &str = "---\nname: counter\ndescription: Counts words.\nmetadata: {\"pincer\": {\"tools\": [{\"name\": \"count_words\", \"description\": \"Count the words of a text.\", \"command\": [\"wc\", \"-w\"]}]}}\n---\nUse count_words.\n";

fn write_skill(root: &std::path::Path, name: &str, text: &str) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SKILL.md"), text).unwrap();
}

#[tokio::test]
async fn tools_and_system_prompt_are_the_same_bytes_across_turns_restarts_and_a_skill_load() {
    let llm = ScriptedLlm::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut s = settings(home.path(), &llm, "openai", FAST);
    s.skills.agents_dir = None;
    let mut h = Harness::from_settings(home, s, ApprovalMode::Deny);
    let skills = h.home.path().join("skills");
    write_skill(&skills, "weather", WEATHER);
    write_skill(&skills, "counter", COUNTER);
    h.engine.skills().reload();

    // Turn 1: a plain answer. Turn 2: the model loads a skill, then answers.
    llm.push(Reply::text("Hello!"));
    assert_eq!(final_text(&h.turn("s", "hello").await), "Hello!");
    llm.push(Reply::tool_call("c1", "skill", r#"{"name":"weather"}"#));
    llm.push(Reply::text("Sunny."));
    assert_eq!(
        final_text(&h.turn("s", "Weather in Lisbon?").await),
        "Sunny."
    );
    // A second engine on the same home, as after a restart: turn 3.
    let mut h = h.restart(ApprovalMode::Deny);
    llm.push(Reply::text("Again."));
    assert_eq!(final_text(&h.turn("s", "and tomorrow?").await), "Again.");

    let requests = llm.requests();
    assert_eq!(requests.len(), 4);
    let tools: Vec<&str> = requests
        .iter()
        .map(|r| raw_field(&r.raw_body, "tools"))
        .collect();
    let names: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"skill") && names.contains(&"use_tool"),
        "{names:?}"
    );
    for (i, raw) in tools.iter().enumerate() {
        assert_eq!(*raw, tools[0], "request {i}'s tools array differs");
    }
    let system = system_prompt(&requests[0].body);
    assert!(system.contains("\nweather: "), "{system}");
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(
            system_prompt(&request.body),
            system,
            "request {i}'s system prompt"
        );
    }

    // Each request of the session only appends to the one before: the skill's text comes
    // as a tool result after the call, and nothing before it is rewritten.
    let messages: Vec<&str> = requests
        .iter()
        .map(|r| raw_field(&r.raw_body, "messages"))
        .collect();
    for i in 1..messages.len() {
        let before = messages[i - 1].strip_suffix(']').unwrap();
        assert!(
            messages[i].starts_with(before) && messages[i].len() > messages[i - 1].len(),
            "request {i} rewrote the conversation:\n{}\n---\n{}",
            messages[i - 1],
            messages[i]
        );
    }
    let loaded = common::tool_results(&requests[2].body);
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert!(loaded[0].1.contains("# Weather"), "{loaded:?}");
}

/// The built-in tools array, as a request carries it, is no larger than the hand-written
/// schemas were before they were derived from the argument types (3,562 bytes).
#[tokio::test]
async fn the_builtin_tools_array_is_no_larger_than_the_hand_written_one() {
    let llm = ScriptedLlm::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut s = settings(home.path(), &llm, "openai", FAST);
    s.skills.bundled = false;
    s.skills.agents_dir = None;
    let mut h = Harness::from_settings(home, s, ApprovalMode::Deny);
    llm.push(Reply::text("Hello!"));
    h.turn("s", "hello").await;

    let request = &llm.requests()[0];
    let tools = raw_field(&request.raw_body, "tools");
    let names: Vec<&str> = request.body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "edit_file",
            "exec",
            "find_files",
            "grep",
            "list_dir",
            "read_file",
            "web_fetch",
            "write_file",
            "use_tool"
        ]
    );
    // `use_tool` lists the tools offered on request: memory's, one line for the three, and
    // the scheduler's.
    let use_tool = &request.body["tools"][8];
    let listing = use_tool["function"]["description"].as_str().unwrap();
    assert!(
        listing.ends_with(
            "\nmemory_forget, memory_save, memory_search: remember, search or forget facts\nschedule: timed jobs, reminders"
        ),
        "{listing}"
    );
    let core = tools.len() - serde_json::to_string(use_tool).unwrap().len() - 1;
    println!("built-in tools array: {core} bytes besides use_tool");
    assert!(core <= 3562, "{core} bytes: {tools}");
}
