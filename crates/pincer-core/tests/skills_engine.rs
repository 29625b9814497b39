//! Skills in a running engine against the scripted LLM: the index in the prompt, the
//! `skill` tool, `/name` in chat, skill tools under the policy, the index changing only
//! between turns, and the prompt budget with 50 skills installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{FAST, Harness, final_text, settings};
use pincer_core::agent::ApprovalMode;
use pincer_core::protocol::{ApprovalDecision, Event};
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::Value;

fn write_skill(root: &Path, folder: &str, text: &str) {
    let dir = root.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SKILL.md"), text).unwrap();
}

/// What each tool call of a turn returned, in order.
fn outputs(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallFinished { output, .. } => Some(output.clone()),
            _ => None,
        })
        .collect()
}

fn workspace_skills(h: &Harness) -> std::path::PathBuf {
    h.workspace().join("skills")
}

const WEATHER: &str = "---\nname: weather\ndescription: Forecasts for a city. Use when asked about the weather.\n---\n# Weather\nRead {baseDir}/cities.txt, then answer with the forecast.\n";

fn system_of(body: &Value) -> String {
    body["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The engine with only the test's skills (no bundled ones, nothing from ~/.agents).
fn harness(llm: &ScriptedLlm, mode: ApprovalMode, config: &str) -> Harness {
    let home = tempfile::tempdir().unwrap();
    let mut s = settings(home.path(), llm, "openai", &format!("{FAST}{config}"));
    s.skills.bundled = false;
    s.skills.agents_dir = None;
    Harness::from_settings(home, s, mode)
}

#[tokio::test]
async fn the_model_sees_the_index_and_loads_a_skill_with_the_skill_tool() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, ApprovalMode::Deny, "");
    write_skill(&workspace_skills(&h), "weather", WEATHER);
    h.engine.skills().reload();

    llm.push(Reply::tool_call("c1", "skill", r#"{"name":"weather"}"#));
    llm.push(Reply::text("Sunny."));
    let events = h.turn("s", "Weather in Lisbon?").await;
    assert_eq!(final_text(&events), "Sunny.");

    let requests = llm.requests();
    let first = &requests[0].body;
    assert!(
        system_of(first).contains("\nweather: Forecasts for a city."),
        "{}",
        system_of(first)
    );
    assert!(
        !system_of(first).contains("Read {baseDir}"),
        "the body is not in the prompt"
    );
    assert!(tool_names(first).contains(&"skill".to_owned()));

    let results = outputs(&events);
    let dir = workspace_skills(&h).join("weather").canonicalize().unwrap();
    assert!(
        results[0].contains(&format!("Read {}/cities.txt", dir.display())),
        "{results:?}"
    );
    let second = &requests[1].body["messages"];
    let tool_message = second
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap();
    assert!(
        tool_message["content"]
            .as_str()
            .unwrap()
            .contains("# Weather")
    );
}

#[tokio::test]
async fn slash_name_forces_a_skill_and_respects_user_invocable() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, ApprovalMode::Deny, "");
    let skills = workspace_skills(&h);
    write_skill(&skills, "weather", WEATHER);
    write_skill(
        &skills,
        "deploy",
        "---\nname: deploy\ndescription: Ship the site.\ndisable-model-invocation: true\n---\nRun the deploy checklist.\n",
    );
    write_skill(
        &skills,
        "internal",
        "---\nname: internal\ndescription: Background helper.\nuser-invocable: false\n---\nInternal steps.\n",
    );
    h.engine.skills().reload();

    llm.push(Reply::text("Deploying."));
    let events = h.turn("s", "/deploy staging please").await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ToolCallRequested { name, .. } if name == "skill")),
        "the forced load shows as a skill call: {events:?}"
    );
    let body = &llm.requests()[0].body;
    assert!(
        !system_of(body).contains("\ndeploy:"),
        "only the user may start it"
    );
    let messages = body["messages"].as_array().unwrap();
    let tool = messages.iter().find(|m| m["role"] == "tool").unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(tool.contains("Run the deploy checklist."), "{tool}");
    assert!(
        tool.ends_with("The user started this skill with: staging please"),
        "{tool}"
    );
    // Like any tool call, it is in the audit trail.
    let audit = h.engine.store().audit("s").unwrap();
    let calls: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.tool.as_str(), a.outcome.as_str()))
        .collect();
    assert_eq!(calls, [("skill", "ok")]);

    llm.push(Reply::text("Plain answer."));
    h.turn("t", "/internal go").await;
    let body = &llm.requests()[1].body;
    let tool = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(tool.contains("cannot be started with /internal"), "{tool}");

    // A slash word that names no skill is just text.
    llm.push(Reply::text("ok"));
    h.turn("u", "/etc/hosts looks odd").await;
    let body = &llm.requests()[2].body;
    assert!(
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["role"] != "tool")
    );
}

const COUNTER: &str = r#"---
name: counter
description: Counts words with a script.
metadata:
  pincer:
    tools:
      - name: count_words
        description: Count the words of a text.
        parameters:
          type: object
          properties:
            text: {type: string}
          required: [text]
        command: [python3, scripts/count.py]
        timeout: 10
---
Use count_words.
"#;

const COUNT_PY: &str = "import json, os, sys\nargs = json.load(sys.stdin)\nprint(f\"words={len(args['text'].split())} cwd={os.getcwd()} skill={os.environ['PINCER_SKILL_DIR']}\")\n";

fn write_counter(root: &Path) -> std::path::PathBuf {
    write_skill(root, "counter", COUNTER);
    let scripts = root.join("counter/scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(scripts.join("count.py"), COUNT_PY).unwrap();
    root.join("counter").canonicalize().unwrap()
}

#[tokio::test]
async fn a_skill_tool_gets_json_on_stdin_runs_in_its_folder_and_asks_first() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, ApprovalMode::Ask, "");
    let dir = write_counter(&workspace_skills(&h));
    h.engine.skills().reload();

    llm.push(Reply::tool_call("c0", "skill", r#"{"name":"counter"}"#));
    llm.push(Reply::tool_call(
        "c1",
        "use_tool",
        r#"{"name":"count_words","arguments":{"text":"one two three"}}"#,
    ));
    llm.push(Reply::text("Three."));
    let session = h.session("s");
    session.user_turn("count".to_owned()).unwrap();
    let seen = h
        .until("s", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    let Some(Event::ApprovalRequested {
        call_id,
        tool,
        pattern,
        summary,
    }) = seen.last()
    else {
        unreachable!()
    };
    // The dispatcher is unwrapped first: the user is asked about the skill's tool itself.
    assert_eq!(tool, "count_words");
    // A grant covers this folder with these files, nothing of the same name elsewhere.
    let key = h
        .engine
        .skills()
        .current()
        .get("counter")
        .unwrap()
        .grant_key();
    assert_eq!(pattern, &format!("skill:counter@{key}/count_words"));
    assert!(
        seen.iter().any(
            |e| matches!(e, Event::ToolCallRequested { call_id: id, name, arguments }
            if id == call_id && name == "count_words" && arguments == r#"{"text":"one two three"}"#)
        ),
        "{seen:#?}"
    );
    assert!(
        summary.contains("count_words") && summary.contains("counter"),
        "{summary}"
    );
    // Loading the skill lists its tools in the conversation; the tools array stays as it was.
    let requests = llm.requests();
    assert!(!tool_names(&requests[0].body).contains(&"count_words".to_owned()));
    assert_eq!(requests[0].body["tools"], requests[1].body["tools"]);
    let loaded = common::tool_results(&requests[1].body);
    assert!(
        loaded[0].1.contains("\ncount_words: "),
        "the skill's result indexes its tools: {loaded:?}"
    );
    session
        .approve(call_id.clone(), ApprovalDecision::Once)
        .unwrap();
    let events = h.until_end("s").await;
    let results = outputs(&events);
    assert!(
        results[0].contains(&format!(
            "words=3 cwd={} skill={}",
            dir.display(),
            dir.display()
        )),
        "{results:?}"
    );
    let audit = pincer_core::store::Store::open(&h.home.path().join("pincer.db"))
        .unwrap()
        .audit("s")
        .unwrap();
    let row = audit.iter().find(|r| r.call_id == *call_id).unwrap();
    assert_eq!(
        (row.tool.as_str(), row.arguments.as_str()),
        ("count_words", r#"{"text":"one two three"}"#)
    );
}

#[tokio::test]
async fn tools_of_skills_the_user_wrote_run_without_asking_unless_denied() {
    let llm = ScriptedLlm::start().await;
    // Deny mode: anything that would ask is refused, so a run proves no question was asked.
    let mut h = harness(&llm, ApprovalMode::Deny, "");
    let dir = write_counter(&workspace_skills(&h));
    h.engine.skills().mark_authored(&dir, "counter").unwrap();

    llm.push(Reply::tool_call("c1", "count_words", r#"{"text":"a b"}"#));
    llm.push(Reply::text("Two."));
    let events = h.turn("s", "count").await;
    assert!(outputs(&events)[0].contains("words=2"), "{events:?}");

    let llm2 = ScriptedLlm::start().await;
    let mut h2 = harness(
        &llm2,
        ApprovalMode::Auto,
        "[policy]\nskill_tools = \"deny\"\n",
    );
    let dir = write_counter(&workspace_skills(&h2));
    h2.engine.skills().mark_authored(&dir, "counter").unwrap();
    llm2.push(Reply::tool_call("c1", "count_words", r#"{"text":"a b"}"#));
    llm2.push(Reply::text("Refused."));
    let events = h2.turn("s", "count").await;
    assert!(outputs(&events)[0].contains("denied"), "{events:?}");
}

#[tokio::test]
async fn a_skill_added_mid_turn_reaches_the_index_at_the_next_turn() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, ApprovalMode::Ask, "");
    write_skill(&workspace_skills(&h), "weather", WEATHER);
    h.engine.skills().reload();

    llm.push(Reply::tool_call("c1", "exec", r#"{"command":"true"}"#));
    llm.push(Reply::text("Done."));
    let session = h.session("s");
    session.user_turn("go".to_owned()).unwrap();
    let seen = h
        .until("s", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    let Some(Event::ApprovalRequested { call_id, .. }) = seen.last() else {
        unreachable!()
    };
    // While the turn waits, a skill appears and the library reloads.
    write_skill(
        &workspace_skills(&h),
        "tides",
        "---\nname: tides\ndescription: Tide tables for a harbour.\n---\nLook them up.\n",
    );
    h.engine.skills().reload();
    session
        .approve(call_id.clone(), ApprovalDecision::Once)
        .unwrap();
    final_text(&h.until_end("s").await);
    llm.push(Reply::text("Next."));
    h.turn("s", "again").await;

    let requests = llm.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        system_of(&requests[0].body),
        system_of(&requests[1].body),
        "same turn, same index"
    );
    assert!(!system_of(&requests[1].body).contains("\ntides:"));
    assert!(system_of(&requests[2].body).contains("\ntides: Tide tables for a harbour."));
}

#[tokio::test]
async fn hello_with_50_skills_stays_within_1500_prompt_tokens() {
    let llm = ScriptedLlm::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut s = settings(home.path(), &llm, "openai", FAST);
    s.skills.agents_dir = None;
    // The bundled skills stay on: a fresh install has them too.
    let mut h = Harness::from_settings(home, s, ApprovalMode::Deny);
    let skills_dir = h.home.path().join("skills");
    pincer_testkit::skills::write_realistic_skills(&skills_dir, 50).unwrap();
    let catalog = h.engine.skills().reload();
    assert!(catalog.skills.len() >= 50, "{:?}", catalog.problems);

    llm.push(Reply::text("Hello!"));
    h.turn("s", "hello").await;
    let request = &llm.requests()[0];
    let bpe = tiktoken_rs::o200k_base().unwrap();
    // Counted over the whole request body (system prompt, tool schemas, message and the
    // JSON around them): more than a provider bills, never less.
    let tokens = bpe.encode_with_special_tokens(&request.raw_body).len();
    let system = bpe
        .encode_with_special_tokens(&system_of(&request.body))
        .len();
    println!(
        "hello with {} skills: {tokens} tokens in the request, {system} in the system prompt",
        catalog.skills.len()
    );
    for tool in request.body["tools"].as_array().unwrap() {
        println!(
            "{}: {}",
            tool["function"]["name"],
            bpe.encode_with_special_tokens(&tool.to_string()).len()
        );
    }
    println!("{}", system_of(&request.body));
    assert!(system_of(&request.body).contains("\nskill-49: "));
    // ~1,965 before disclosure, 1,647 before `describe_tools` went into `use_tool` and the
    // index lost its `…`s; 1,412 now. The desktop app's set is held to the same budget in
    // pincer-desktop's tests/budget.rs.
    assert!(tokens <= 1500, "{tokens} tokens");
}

/// Waits (bounded) until the library's catalog satisfies `check`.
async fn until_catalog(
    library: &pincer_core::skills::Library,
    what: &str,
    check: impl Fn(&pincer_core::skills::Catalog) -> bool,
) {
    let mut changes = library.subscribe();
    let wait = async {
        loop {
            if check(&library.current()) {
                return;
            }
            changes.changed().await.unwrap();
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), wait)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test]
async fn a_workspace_skills_folder_created_later_is_watched_too() {
    let llm = ScriptedLlm::start().await;
    let h = harness(&llm, ApprovalMode::Deny, "");
    let skills = workspace_skills(&h);
    assert!(
        !skills.exists(),
        "a workspace gets no skills/ folder it did not ask for"
    );
    let library = h.engine.skills();
    h.engine.watch_skills().unwrap();

    write_skill(
        &skills,
        "tides",
        "---\nname: tides\ndescription: Tide tables.\n---\nLook them up.\n",
    );
    until_catalog(library, "the new folder's skill", |c| {
        c.get("tides").is_some()
    })
    .await;
    // The folder is watched recursively now: an edit inside it is seen as well.
    write_skill(
        &skills,
        "tides",
        "---\nname: tides\ndescription: Tide tables for any harbour.\n---\nLook them up.\n",
    );
    until_catalog(library, "the edited description", |c| {
        c.get("tides")
            .is_some_and(|s| s.def.description == "Tide tables for any harbour.")
    })
    .await;
    std::fs::remove_dir_all(skills.join("tides")).unwrap();
    until_catalog(library, "the removal", |c| c.get("tides").is_none()).await;
}

#[tokio::test]
async fn a_tool_name_two_skills_declare_is_offered_once() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, ApprovalMode::Deny, "");
    let skills = workspace_skills(&h);
    for name in ["alpha", "beta"] {
        write_skill(
            &skills,
            name,
            &format!(
                "---\nname: {name}\ndescription: Skill {name}.\nmetadata: {{\"pincer\": {{\"tools\": [{{\"name\": \"lookup\", \"description\": \"Look up.\", \"command\": [\"true\"]}}]}}}}\n---\nUse lookup.\n"
            ),
        );
    }
    let catalog = h.engine.skills().reload();
    assert_eq!(catalog.tool_owners["lookup"], "alpha");
    assert!(
        catalog
            .problems
            .iter()
            .any(|p| p.path.contains("beta") && p.message.contains("`lookup` is already taken")),
        "{:?}",
        catalog.problems
    );

    llm.push(Reply::tool_calls(&[
        ("a", "skill", r#"{"name":"alpha"}"#),
        ("b", "skill", r#"{"name":"beta"}"#),
    ]));
    llm.push(Reply::tool_call("c", "use_tool", r#"{"name":"lookup"}"#));
    llm.push(Reply::text("Both loaded."));
    let events = h.turn("s", "load both").await;
    let described = outputs(&events).pop().unwrap();
    assert_eq!(
        described.matches(r#""name":"lookup""#).count(),
        1,
        "{described}"
    );
}
