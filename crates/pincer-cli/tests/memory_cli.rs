//! `pincer memory …` and `pincer sessions import` as a user runs them: changes go through
//! the engine (checked there), every change can be undone, MEMORY.md round-trips, and
//! imported history becomes searchable once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

use common::{pincer_alone, text};
use serde_json::Value;

fn run(home: &std::path::Path, args: &[&str]) -> Output {
    pincer_alone(home, args).output().unwrap()
}

fn ok(home: &std::path::Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn listed(home: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["memory", "list", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str::<Value>(&ok(home, &args))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn id_of(saved: &str) -> String {
    saved
        .split_whitespace()
        .find(|w| w.starts_with("mem-"))
        .unwrap()
        .to_owned()
}

#[test]
fn memories_are_added_edited_pinned_forgotten_and_every_change_undone() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let saved = ok(h, &["memory", "add", "My passport is in ~/docs/id.pdf"]);
    assert!(saved.starts_with("saved: mem-"), "{saved}");
    let id = id_of(&saved);
    // The same fact again, however it is punctuated, is one memory.
    let again = ok(h, &["memory", "add", "my passport is in ~/docs/id.pdf."]);
    assert!(again.starts_with("unchanged"), "{again}");
    ok(
        h,
        &[
            "memory",
            "add",
            "我每周六去杭州西湖散步",
            "--kind",
            "preference",
        ],
    );
    assert_eq!(listed(h, &[]).len(), 2);

    ok(
        h,
        &[
            "memory",
            "edit",
            &id,
            "My passport is in ~/docs/passport.pdf",
        ],
    );
    ok(h, &["memory", "pin", &id]);
    let first = &listed(h, &[])[0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["pinned"], true);
    // Undo goes back one change at a time: the pin, then the edit.
    ok(h, &["memory", "undo", &id]);
    let shown: Value = serde_json::from_str(&ok(h, &["memory", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["memory"]["pinned"], false);
    assert_eq!(
        shown["memory"]["content"],
        "My passport is in ~/docs/passport.pdf"
    );
    let undone = ok(h, &["memory", "undo", &id]);
    assert!(undone.starts_with("undone: mem-"), "{undone}");
    let shown: Value = serde_json::from_str(&ok(h, &["memory", "show", &id, "--json"])).unwrap();
    assert_eq!(
        shown["memory"]["content"],
        "My passport is in ~/docs/id.pdf"
    );
    let actions: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "edit", "pin", "unpin", "edit"]);

    ok(h, &["memory", "forget", &id]);
    assert_eq!(listed(h, &[]).len(), 1);
    assert_eq!(listed(h, &["--all"]).len(), 2);
    let search = ok(h, &["memory", "search", "passport", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&search).unwrap()["memories"],
        serde_json::json!([])
    );
    ok(h, &["memory", "undo", &id]);
    assert_eq!(listed(h, &[]).len(), 2);
    assert_eq!(listed(h, &["--provenance", "user"]).len(), 2);
    assert_eq!(listed(h, &["--scope", "contact:ana"]).len(), 0);
}

#[test]
fn bad_changes_are_refused_with_a_reason_and_change_nothing() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let id = id_of(&ok(h, &["memory", "add", "green tea, no sugar"]));
    for (args, reason) in [
        (vec!["memory", "add", "   "], "a memory cannot be empty"),
        (
            vec!["memory", "add", "x", "--scope", "friends"],
            "scope \"friends\": use \"global\"",
        ),
        (
            vec!["memory", "add", "x", "--kind", "rumour"],
            "kind \"rumour\"",
        ),
        (
            vec!["memory", "edit", "mem-nope", "x"],
            "there is no memory mem-nope",
        ),
        (vec!["memory", "edit", &id, ""], "a memory cannot be empty"),
        (
            vec!["memory", "list", "--provenance", "boss"],
            "--provenance \"boss\"",
        ),
    ] {
        let out = run(h, &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains(reason),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let all = listed(h, &["--all"]);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["content"], "green tea, no sugar");
}

#[test]
fn memory_md_round_trips_into_another_data_home() {
    let from = tempfile::tempdir().unwrap();
    ok(
        from.path(),
        &["memory", "add", "Always answer in British English"],
    );
    let pinned = id_of(&ok(
        from.path(),
        &["memory", "add", "小林さんの誕生日は3月14日"],
    ));
    ok(from.path(), &["memory", "pin", &pinned]);
    ok(
        from.path(),
        &[
            "memory",
            "add",
            "Her daughter is Lucía",
            "--scope",
            "contact:ana",
        ],
    );
    let file = from.path().join("MEMORY.md");
    ok(from.path(), &["memory", "export", file.to_str().unwrap()]);
    let markdown = std::fs::read_to_string(&file).unwrap();
    assert!(markdown.contains("\n## contact:ana\n"), "{markdown}");

    let to = tempfile::tempdir().unwrap();
    let out = ok(to.path(), &["memory", "import", file.to_str().unwrap()]);
    assert!(out.contains("imported 3 memories (0 were already"), "{out}");
    let out = ok(to.path(), &["memory", "import", file.to_str().unwrap()]);
    assert!(out.contains("imported 0 memories (3 were already"), "{out}");
    let memories = listed(to.path(), &[]);
    assert_eq!(memories.len(), 3);
    assert_eq!(memories[0]["content"], "小林さんの誕生日は3月14日");
    assert_eq!(memories[0]["pinned"], true);
    assert_eq!(listed(to.path(), &["--scope", "contact:ana"]).len(), 1);

    let empty = to.path().join("empty.md");
    std::fs::write(&empty, "# nothing here\n\njust prose\n").unwrap();
    let out = run(to.path(), &["memory", "import", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("lists no memories"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn imported_conversations_become_searchable_sessions_once() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let jsonl = h.join("history.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            "{\"conversation\":\"trip\",\"title\":\"Kyoto trip\",\"role\":\"user\",\"content\":\"我们决定下个月去京都\",\"time\":\"2026-10-01T08:00:00Z\"}\n",
            "{\"conversation\":\"trip\",\"role\":\"assistant\",\"content\":\"好的，订了五月三号的夜车。\"}\n",
            "{\"conversation\":\"tax\",\"role\":\"user\",\"content\":\"the tax forms are in ~/Documents/taxes\"}\n",
        ),
    )
    .unwrap();
    let openclaw = h.join("abc.jsonl");
    std::fs::write(
        &openclaw,
        concat!(
            "{\"type\":\"session\",\"version\":3,\"id\":\"abc\",\"timestamp\":\"2026-02-06T07:49:00.000Z\",\"cwd\":\"/\"}\n",
            "{\"type\":\"message\",\"id\":\"1\",\"parentId\":null,\"timestamp\":\"2026-02-06T07:49:03.491Z\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"where is my passport?\"}]}}\n",
            "{\"type\":\"message\",\"id\":\"2\",\"parentId\":\"1\",\"timestamp\":\"2026-02-06T07:49:09.000Z\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"In the blue folder.\"}]}}\n",
        ),
    )
    .unwrap();
    let out = ok(h, &["sessions", "import", jsonl.to_str().unwrap()]);
    assert!(out.contains("imported 2 conversations"), "{out}");
    let out = ok(h, &["sessions", "import", openclaw.to_str().unwrap()]);
    assert!(out.contains("imported 1 conversations"), "{out}");
    let out = ok(h, &["sessions", "import", jsonl.to_str().unwrap()]);
    assert!(
        out.contains("imported 0 conversations") && out.contains("2 were imported before"),
        "{out}"
    );

    let sessions: Value = serde_json::from_str(&ok(h, &["sessions", "list", "--json"])).unwrap();
    let titles: Vec<&str> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(titles.contains(&"Kyoto trip"), "{titles:?}");
    for (query, expected) in [
        ("京", "我们决定下个月去京都"),
        ("夜车", "好的，订了五月三号的夜车。"),
        ("passport", "where is my passport?"),
        ("Documents/taxes", "the tax forms are in ~/Documents/taxes"),
    ] {
        let found: Value =
            serde_json::from_str(&ok(h, &["memory", "search", query, "--json"])).unwrap();
        let contents: Vec<&str> = found["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert_eq!(contents, [expected], "{query}");
    }

    let bad = h.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"role\":\"user\",\"content\":\"fine\"}\n{\"role\":\"user\",\"content\":\"broken\"\n",
    )
    .unwrap();
    let out = run(h, &["sessions", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2: not JSON"),
        "{}",
        text(&out.stderr)
    );
    let sessions: Value = serde_json::from_str(&ok(h, &["sessions", "list", "--json"])).unwrap();
    assert_eq!(
        sessions.as_array().unwrap().len(),
        3,
        "nothing of the bad file"
    );
    let out = run(h, &["sessions", "import", "/nonexistent/file.jsonl"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot read /nonexistent/file.jsonl"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn status_says_how_far_memories_are_embedded_and_why_not() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let words_only = ok(h, &["memory", "status"]);
    assert!(
        words_only.contains("recall goes by words only"),
        "{words_only}"
    );
    assert_eq!(ok(h, &["memory", "status", "--json"]).trim(), "null");

    // An endpoint nothing listens on: the status names it and the failure, and fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        h.join("config.toml"),
        format!("[memory.embeddings]\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmodel = \"e5\"\n"),
    )
    .unwrap();
    ok(h, &["memory", "add", "My passport is in ~/docs/id.pdf"]);
    let json: Value = serde_json::from_str(&ok(h, &["memory", "status", "--json"])).unwrap();
    assert_eq!(json["model"], "e5");
    assert_eq!(json["total"], 1);
    assert_eq!(json["embedded"], 0);

    // A config naming no model is refused with the key that is missing.
    std::fs::write(
        h.join("config.toml"),
        "[memory.embeddings]\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"\"\n",
    )
    .unwrap();
    let out = run(h, &["memory", "status"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[memory.embeddings]: model is missing"),
        "{err}"
    );
}
