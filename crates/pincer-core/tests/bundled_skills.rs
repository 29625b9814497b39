#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The skills that ship with Pincer (the repository's `skills/` folder): they load without
//! problems, pass vetting, are gated on what they need, and `daily-briefing`'s
//! `recent_sessions` tool reads a real store.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pincer_core::config::ProcessEnv;
use pincer_core::model::Message;
use pincer_core::skills::approvals::Approvals;
use pincer_core::skills::catalog::{LoadInput, Root, SkillSource, SkillStatus};
use pincer_core::skills::gating::{self, Environment};
use pincer_core::skills::{Catalog, vetting};
use pincer_core::store::Store;
use pincer_core::tools::ToolExt;
use pincer_core::tools::ToolSettings;
use serde_json::json;

/// The bundled skills, in name order.
const NAMES: [&str; 5] = [
    "daily-briefing",
    "file-organizer",
    "screenshot-explain",
    "skill-creator",
    "web-research",
];

/// The tools of the CLI and daemon (no desktop tools).
const HEADLESS_TOOLS: &[&str] = &[
    "read_file",
    "write_file",
    "edit_file",
    "list_dir",
    "find_files",
    "grep",
    "exec",
    "web_fetch",
];

const DESKTOP_TOOLS: &[&str] = &["screenshot", "mouse", "keyboard", "notify"];

fn skills_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../skills")
}

fn tools(names: &[&[&str]]) -> BTreeSet<String> {
    names
        .iter()
        .flat_map(|group| group.iter())
        .map(|name| (*name).to_owned())
        .collect()
}

fn load(tools: &BTreeSet<String>, home: Option<&Path>) -> Catalog {
    let env = ProcessEnv;
    let roots = [Root {
        source: SkillSource::Bundled,
        dir: skills_dir(),
    }];
    let approvals = Approvals::default();
    let here = Environment {
        env: &env,
        os: gating::current_os(),
        config: None,
        tools,
    };
    Catalog::load(&LoadInput {
        roots: &roots,
        approvals: &approvals,
        here: &here,
        home,
    })
}

fn folders() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(skills_dir())
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_bundled_skill_loads_cleanly() {
    assert_eq!(
        folders(),
        NAMES,
        "every folder in skills/ is a bundled skill"
    );
    let catalog = load(&tools(&[HEADLESS_TOOLS]), None);
    assert!(catalog.problems.is_empty(), "{:#?}", catalog.problems);
    let names: Vec<&str> = catalog.skills.iter().map(|s| s.def.name.as_str()).collect();
    assert_eq!(names, NAMES);
    for skill in catalog.skills.iter() {
        let name = &skill.def.name;
        assert_eq!(skill.source, SkillSource::Bundled);
        assert!(
            skill.def.warnings.is_empty(),
            "{name}: {:?}",
            skill.def.warnings
        );
        let first = skill.def.description.lines().next().unwrap_or_default();
        assert!(
            first.chars().count() <= 90,
            "{name}: the index shows 90 characters of the description, it has {}: {first}",
            first.chars().count()
        );
        assert!(
            first.contains("Use ") || first.contains("use "),
            "{name}: the description should say when to use it: {first}"
        );
        let lines = skill.body.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(
            (25..=90).contains(&lines),
            "{name}: {lines} lines of instructions; keep them concise"
        );
        assert!(skill.def.emoji.is_some(), "{name} has no emoji");
        if name != "screenshot-explain" {
            assert_eq!(
                skill.status,
                SkillStatus::Ready,
                "{name}: {:?}",
                skill.unmet
            );
        }
    }
    // The index lists the four ready ones, and the `skill` tool loads them.
    assert!(catalog.tools.contains_key("skill"));
    for name in NAMES {
        assert_eq!(
            catalog.prompt.contains(&format!("\n{name}: ")),
            name != "screenshot-explain",
            "{name} in the index: {}",
            catalog.prompt
        );
    }
}

#[test]
fn vetting_finds_nothing_in_the_bundled_skills() {
    for name in NAMES {
        let scan = vetting::scan_dir(&skills_dir().join(name));
        assert!(scan.findings.is_empty(), "{name}: {:#?}", scan.findings);
        assert_eq!(scan.hash.len(), 64, "{name} was scanned");
    }
}

#[test]
fn screenshot_explain_needs_the_desktop_app() {
    let headless = load(&tools(&[HEADLESS_TOOLS]), None);
    let skill = headless.get("screenshot-explain").unwrap();
    assert_eq!(skill.status, SkillStatus::Unavailable);
    assert_eq!(
        skill.unmet,
        ["needs the `screenshot` tool of the desktop app"]
    );

    let desktop = load(&tools(&[HEADLESS_TOOLS, DESKTOP_TOOLS]), None);
    let skill = desktop.get("screenshot-explain").unwrap();
    assert_eq!(skill.status, SkillStatus::Ready, "{:?}", skill.unmet);
    assert!(skill.unmet.is_empty());
    assert!(desktop.prompt.contains("\nscreenshot-explain: "));
}

#[test]
fn daily_briefing_declares_recent_sessions() {
    let catalog = load(&tools(&[HEADLESS_TOOLS]), None);
    let skill = catalog.get("daily-briefing").unwrap();
    assert_eq!(skill.def.requires.bins, ["python3"]);
    let decl = &skill.def.tools[0];
    assert_eq!(decl.name, "recent_sessions");
    assert_eq!(decl.command, ["python3", "scripts/recent_sessions.py"]);
    assert!(skill.dir.join("scripts/recent_sessions.py").is_file());
    let tool = catalog.tools.get("recent_sessions").expect("the tool");
    let params = tool.parameters();
    assert_eq!(params["type"], "object");
    assert_eq!(params["properties"]["days"]["type"], "integer");
    assert_eq!(params["properties"]["days"]["default"], 2);
    assert_eq!(params["properties"]["limit"]["type"], "integer");
}

#[test]
fn skill_creator_points_at_its_reference() {
    let catalog = load(&tools(&[HEADLESS_TOOLS]), None);
    let skill = catalog.get("skill-creator").unwrap();
    assert!(skill.body.contains("{baseDir}/references/format.md"));
    let expanded = skill.expanded_body();
    let reference = skill.dir.join("references/format.md");
    assert!(expanded.contains(&*reference.to_string_lossy()));
    let text = std::fs::read_to_string(reference).unwrap();
    for field in [
        "`name`",
        "`description`",
        "`license`",
        "`compatibility`",
        "`allowed-tools`",
        "`user-invocable`",
        "`disable-model-invocation`",
        "`metadata.pincer`",
        "`metadata.openclaw`",
        "`metadata.nanobot`",
        "`requires.bins`",
        "`requires.anyBins`",
        "`requires.env`",
        "`requires.config`",
        "`requires.tools`",
        "`always`",
        "`emoji`",
        "`primaryEnv`",
        "`install`",
        "metadata.pincer.tools",
    ] {
        assert!(text.contains(field), "format.md does not mention {field}");
    }
}

/// A workspace and the settings tools run with in it.
fn workspace() -> (tempfile::TempDir, ToolSettings) {
    let dir = tempfile::tempdir().unwrap();
    let settings = ToolSettings::new(dir.path().canonicalize().unwrap());
    (dir, settings)
}

async fn recent_sessions(home: &Path, settings: &ToolSettings, args: serde_json::Value) -> String {
    let catalog = load(&tools(&[HEADLESS_TOOLS]), Some(home));
    let tool = catalog.tools.get("recent_sessions").expect("the tool");
    tool.call(args, settings).await.expect("the tool runs").text
}

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in:\n{text}"))
}

#[tokio::test]
async fn recent_sessions_reads_a_real_store() {
    let home = tempfile::tempdir().unwrap();
    let (_workspace, settings) = workspace();
    let db = home.path().join("pincer.db");
    let store = Store::open(&db).unwrap();

    store.ensure_session("old0000000001").unwrap();
    store
        .append_message("old0000000001", "t0", &Message::user("Water the plants"))
        .unwrap();
    // Last used long ago: the store writes the time itself, so backdate it directly.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE sessions SET updated_at = '2020-01-02T03:04:05Z' WHERE id = 'old0000000001'",
            [],
        )
        .unwrap();

    store.ensure_session("trip00000001").unwrap();
    store
        .append_message(
            "trip00000001",
            "t1",
            &Message::user("Plan a trip to Lisbon in May"),
        )
        .unwrap();
    store
        .append_message(
            "trip00000001",
            "t1",
            &Message::assistant("Here is a plan for five days.", Vec::new()),
        )
        .unwrap();

    store.ensure_session("ci0000000001").unwrap();
    store
        .append_message(
            "ci0000000001",
            "t2",
            &Message::user("Why does the CI job fail?\nOnly on macOS."),
        )
        .unwrap();
    assert!(
        store
            .rename_session("ci0000000001", "Fix the flaky CI job")
            .unwrap()
    );

    // The trip is the newest again.
    let last = "Also find a hotel near Alfama, and remind me tomorrow to book it.";
    store
        .append_message("trip00000001", "t3", &Message::user(last))
        .unwrap();

    let out = recent_sessions(home.path(), &settings, json!({"days": 2})).await;
    assert!(out.starts_with("exit code: 0\n"), "{out}");
    assert!(!out.contains("--- stderr ---"), "{out}");
    let trip = position(&out, "Plan a trip to Lisbon in May");
    let ci = position(&out, "Fix the flaky CI job");
    assert!(trip < ci, "newest first:\n{out}");
    assert!(out.contains(&format!("last user message: {last}")), "{out}");
    assert!(
        out.contains("last user message: Why does the CI job fail? Only on macOS."),
        "{out}"
    );
    assert!(out.contains("2 user message(s)"), "{out}");
    assert!(out.contains("1 user message(s)"), "{out}");
    assert!(out.contains("follow-up? Also find a hotel"), "{out}");
    assert!(
        out.contains("2 session(s) updated in the last 2 day(s)"),
        "{out}"
    );
    assert!(!out.contains("Water the plants"), "too old:\n{out}");

    let out = recent_sessions(home.path(), &settings, json!({"days": 2, "limit": 1})).await;
    assert!(out.contains("Plan a trip to Lisbon in May"), "{out}");
    assert!(!out.contains("Fix the flaky CI job"), "{out}");
    assert!(out.contains("1 more not shown"), "{out}");

    let out = recent_sessions(home.path(), &settings, json!({"days": 0})).await;
    assert!(out.starts_with("exit code: 2\n"), "{out}");
    assert!(
        out.contains("`days` must be a whole number from 1 to 30"),
        "{out}"
    );

    let out = recent_sessions(home.path(), &settings, json!({"limit": "many"})).await;
    assert!(out.starts_with("exit code: 2\n"), "{out}");

    // With Pincer closed, the database is read without being changed.
    drop(store);
    let before = std::fs::read(&db).unwrap();
    let out = recent_sessions(home.path(), &settings, json!({})).await;
    assert!(out.starts_with("exit code: 0\n"), "{out}");
    assert!(
        position(&out, "Plan a trip to Lisbon in May") < position(&out, "Fix the flaky CI job"),
        "{out}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "the database changed");

    let out = recent_sessions(home.path(), &settings, json!({"days": 30})).await;
    assert!(!out.contains("Water the plants"), "{out}");
}

#[tokio::test]
async fn recent_sessions_without_a_store_says_so() {
    let home = tempfile::tempdir().unwrap();
    let (_workspace, settings) = workspace();
    let out = recent_sessions(home.path(), &settings, json!({"days": 2})).await;
    assert!(out.starts_with("exit code: 0\n"), "{out}");
    assert!(out.contains("No chat history yet"), "{out}");
    assert!(
        !home.path().join("pincer.db").exists(),
        "nothing was created"
    );
}
