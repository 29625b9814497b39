//! What the model can reach on disk: the workspace, its own offloaded outputs, and nothing
//! of the data home or the user's skill folders, whatever the workspace contains. Real
//! engine, real store, a scripted model on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{FAST, Harness, final_text, settings, tool_results};
use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::Settings;
use pincer_core::protocol::Event;
use pincer_core::store::Store;
use pincer_core::tools::ToolRegistry;
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::json;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn tool_call(id: &str, name: &str, args: serde_json::Value) -> Reply {
    Reply::tool_call(id, name, &args.to_string())
}

/// The engine ids of the tool calls among `events`, in order.
fn call_ids(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallRequested { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .collect()
}

/// An engine over `settings` whose data home is `settings.home` (not the temp dir itself).
fn harness_at(root: tempfile::TempDir, settings: Settings, mode: ApprovalMode) -> Harness {
    std::fs::create_dir_all(&settings.home).unwrap();
    let store = Store::open(&settings.home.join("pincer.db")).unwrap();
    let engine = Engine::with_store(settings, store, ToolRegistry::builtin(), mode).unwrap();
    let events = engine.subscribe();
    Harness {
        home: root,
        engine,
        events,
        asked: None,
    }
}

#[tokio::test]
async fn offloaded_output_never_lands_where_a_planted_link_points() {
    let llm = ScriptedLlm::start().await;
    llm.push(tool_call("call_0", "read_file", json!({"path": "big.txt"})));
    llm.push(Reply::text("done"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    // A cloned repository ships its own `.pincer/tool-output`, pointing out of it.
    let elsewhere = tempfile::tempdir().unwrap();
    let ws = h.workspace();
    std::fs::create_dir_all(ws.join(".pincer")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), ws.join(".pincer/tool-output")).unwrap();
    let big: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(ws.join("big.txt"), &big).unwrap();

    let events = h.turn("s", "read big").await;

    assert_eq!(final_text(&events), "done");
    let written: Vec<_> = std::fs::read_dir(elsewhere.path()).unwrap().collect();
    assert!(written.is_empty(), "wrote through the link: {written:?}");
    // The output went to the data home instead, under the session and our id for the call.
    let id = &call_ids(&events)[0];
    let saved = h
        .home
        .path()
        .canonicalize()
        .unwrap()
        .join("tool-output/s")
        .join(format!("{id}.txt"));
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), big);
    assert_eq!(mode(&saved), 0o600);
    assert_eq!(mode(saved.parent().unwrap()), 0o700);
    let results = tool_results(&llm.requests()[1].body);
    assert!(
        results[0].1.contains(&saved.display().to_string()),
        "the note names the file: {}",
        results[0].1
    );

    // The finding's own form: a link named like the provider's id for the call.
    std::fs::remove_file(ws.join(".pincer/tool-output")).unwrap();
    std::fs::create_dir(ws.join(".pincer/tool-output")).unwrap();
    let bashrc = elsewhere.path().join(".bashrc");
    std::fs::write(&bashrc, "# mine\n").unwrap();
    std::os::unix::fs::symlink(&bashrc, ws.join(".pincer/tool-output/call_0.txt")).unwrap();
    llm.push(tool_call("call_0", "read_file", json!({"path": "big.txt"})));
    llm.push(Reply::text("done again"));
    h.turn("s", "read big again").await;
    assert_eq!(std::fs::read_to_string(&bashrc).unwrap(), "# mine\n");
}

#[tokio::test]
async fn the_model_reads_its_own_offloads_but_not_another_sessions() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let big: String = (0..5000).map(|i| format!("row {i}\n")).collect();
    std::fs::write(h.workspace().join("big.txt"), &big).unwrap();
    llm.push(tool_call("c1", "read_file", json!({"path": "big.txt"})));
    llm.push(Reply::text("first"));
    let first = h.turn("one", "read big").await;
    let saved = h
        .home
        .path()
        .canonicalize()
        .unwrap()
        .join("tool-output/one")
        .join(format!("{}.txt", call_ids(&first)[0]));
    assert!(saved.is_file());

    // The same session reads it back, in part, as the note says; another session cannot.
    let args = json!({"path": saved.display().to_string(), "offset": 4000, "limit": 2});
    let own_dir = saved.parent().unwrap().display().to_string();
    llm.push(Reply::tool_calls(&[
        ("c2", "read_file", &args.to_string()),
        (
            "g",
            "grep",
            &json!({"pattern": "^row 4242$", "path": own_dir}).to_string(),
        ),
    ]));
    llm.push(Reply::text("read"));
    h.turn("one", "show rows 4000 on").await;
    llm.push(tool_call("c3", "read_file", args));
    llm.push(Reply::text("refused"));
    h.turn("two", "peek").await;
    let own = tool_results(&llm.requests()[3].body);
    let n = own.len();
    assert!(own[n - 2].1.contains("row 3999"), "{own:?}");
    assert!(own[n - 1].1.contains(":4243:row 4242"), "{own:?}");
    let other = tool_results(&llm.requests()[5].body);
    assert!(
        other[0].1.starts_with("error: denied"),
        "another session's output is outside: {other:?}"
    );
    // Writing into one's own output folder is a write outside the workspace.
    llm.push(tool_call(
        "c4",
        "write_file",
        json!({"path": saved.display().to_string(), "content": "x"}),
    ));
    llm.push(Reply::text("no"));
    h.turn("one", "overwrite").await;
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), big);
}

#[tokio::test]
async fn deleting_a_session_deletes_its_offloaded_outputs() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    std::fs::write(h.workspace().join("big.txt"), "x\n".repeat(20_000)).unwrap();
    llm.push(tool_call("c1", "read_file", json!({"path": "big.txt"})));
    llm.push(Reply::text("ok"));
    h.turn("gone", "read").await;
    let dir = h.home.path().join("tool-output/gone");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    h.engine
        .submit(pincer_core::protocol::Submission::fresh(
            pincer_core::protocol::Op::DeleteSession {
                session: "gone".to_owned(),
            },
        ))
        .unwrap();
    assert!(!dir.exists());
}

/// A user home `root` holding the data home, `~/.agents/skills`, and used as the workspace.
fn home_as_workspace(llm: &ScriptedLlm, root: &Path) -> Settings {
    let data = root.join("pincer-data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("secrets.toml"),
        "[openai]\napi_key = \"sk-SENTINEL\"\n",
    )
    .unwrap();
    std::fs::write(data.join("gateway.token"), "TOKEN-SENTINEL").unwrap();
    std::fs::write(data.join("config.toml"), FAST).unwrap();
    std::fs::create_dir_all(root.join(".agents/skills")).unwrap();
    let mut settings = settings(&data, llm, "openai", FAST);
    settings.workspace = root.to_path_buf();
    settings.skills.agents_dir = Some(root.join(".agents/skills"));
    settings
}

#[tokio::test]
async fn a_workspace_holding_the_data_home_cannot_read_or_change_it() {
    let llm = ScriptedLlm::start().await;
    let root = tempfile::tempdir().unwrap();
    let settings = home_as_workspace(&llm, root.path());
    let mut h = harness_at(root, settings, ApprovalMode::Auto);
    let ws = h.workspace();
    let r = |rel: &str| ws.join(rel);
    let config_before = std::fs::read_to_string(r("pincer-data/config.toml")).unwrap();
    llm.push(Reply::tool_calls(&[
        ("a", "read_file", r#"{"path":"pincer-data/secrets.toml"}"#),
        ("b", "read_file", r#"{"path":"pincer-data/gateway.token"}"#),
        ("c", "grep", r#"{"pattern":"SENTINEL"}"#),
        ("d", "find_files", r#"{"pattern":"*.toml"}"#),
        ("e", "list_dir", r#"{"path":"pincer-data"}"#),
        (
            "f",
            "write_file",
            r#"{"path":"pincer-data/config.toml","content":"[policy]\nexec = \"allow\"\n"}"#,
        ),
        (
            "g",
            "write_file",
            r#"{"path":".agents/skills/evil/SKILL.md","content":"---\nname: evil\n---\n"}"#,
        ),
    ]));
    llm.push(Reply::text("done"));
    let events = h.turn("s", "look around").await;
    assert_eq!(final_text(&events), "done");
    let results = tool_results(&llm.requests()[1].body);
    let [
        read_secret,
        read_token,
        grep,
        find,
        list,
        write_config,
        write_skill,
    ] = results.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>()[..]
    else {
        panic!("{results:?}");
    };
    for denied in [read_secret, read_token, list, write_config, write_skill] {
        assert!(denied.starts_with("error: denied"), "{denied}");
        assert!(denied.contains("outside the workspace"), "{denied}");
    }
    assert!(grep.starts_with("no matches"), "{grep}");
    assert!(!find.contains("pincer-data"), "{find}");
    assert_eq!(
        std::fs::read_to_string(r("pincer-data/config.toml")).unwrap(),
        config_before
    );
    assert!(!r(".agents/skills/evil").exists());
}

#[tokio::test]
async fn a_hard_link_to_a_file_outside_is_not_written_as_inside() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Auto);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("profile");
    std::fs::write(&target, "original\n").unwrap();
    std::fs::hard_link(&target, h.workspace().join("linked.txt")).unwrap();
    llm.push(Reply::tool_calls(&[
        (
            "w",
            "write_file",
            r#"{"path":"linked.txt","content":"changed\n"}"#,
        ),
        (
            "e",
            "edit_file",
            r#"{"path":"linked.txt","old_text":"original","new_text":"changed"}"#,
        ),
        ("r", "read_file", r#"{"path":"linked.txt"}"#),
    ]));
    llm.push(Reply::text("done"));
    h.turn("s", "edit").await;
    let results = tool_results(&llm.requests()[1].body);
    assert!(results[0].1.starts_with("error: denied"), "{results:?}");
    assert!(results[1].1.starts_with("error: denied"), "{results:?}");
    // Reading it stays allowed: see docs/security.md, "Paths".
    assert!(results[2].1.contains("original"), "{results:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "original\n");
}

#[tokio::test]
async fn starting_tightens_an_existing_data_home() {
    let llm = ScriptedLlm::start().await;
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    std::fs::create_dir(&data).unwrap();
    // As an older Pincer or a loose umask left them; the database is created by the start.
    for name in ["secrets.toml", "gateway.token", "daemon.lock"] {
        std::fs::write(data.join(name), "").unwrap();
        std::fs::set_permissions(data.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let settings = settings(&data, &llm, "openai", FAST);

    let engine = Engine::start(settings, ApprovalMode::Deny).unwrap();

    assert_eq!(mode(&data), 0o700);
    for name in ["secrets.toml", "gateway.token", "daemon.lock", "pincer.db"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    drop(engine);
}
