//! `pincer skills …` as a user runs it: a real process over a temporary data home.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::text;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Home {
    dir: tempfile::TempDir,
    /// Stands in for the user's home folder (so `~/.agents/skills` is ours).
    user: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            user: tempfile::tempdir().unwrap(),
        }
    }

    /// `pincer ARGS` with nothing from this machine's environment but PATH.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pincer"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.user.path())
            .env("PINCER_HOME", self.dir.path())
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn list(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["skills", "list", "--json"])).unwrap()
    }

    fn workspace_skills(&self) -> PathBuf {
        self.dir.path().join("workspace/skills")
    }
}

fn find<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list:#?}"))
}

fn write_skill(root: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(root.join(name)).unwrap();
    std::fs::write(root.join(name).join("SKILL.md"), text).unwrap();
}

#[test]
fn new_list_show_and_disable() {
    let home = Home::new();
    let created = home.ok(&[
        "skills",
        "new",
        "notes",
        "-d",
        "Keep dated notes: one file a day",
    ]);
    let file = home.dir.path().join("skills/notes/SKILL.md");
    assert!(created.contains(&file.display().to_string()), "{created}");

    let list = home.list();
    let notes = find(&list, "notes");
    assert_eq!(notes["status"], "ready");
    assert_eq!(notes["source"], "home");
    assert_eq!(notes["authored"], true);
    assert_eq!(notes["description"], "Keep dated notes: one file a day");
    assert_eq!(find(&list, "daily-briefing")["source"], "bundled");
    // The headless CLI has no desktop tools; the list says why instead of hiding it.
    let shot = find(&list, "screenshot-explain");
    assert_eq!(shot["status"], "unavailable");
    assert_eq!(
        shot["unmet"][0],
        "needs the `screenshot` tool of the desktop app"
    );

    let listed = home.ok(&["skills", "list"]);
    assert!(
        listed.contains("notes") && listed.contains("[home]"),
        "{listed}"
    );

    let shown = home.ok(&["skills", "show", "notes"]);
    assert!(shown.contains("# notes"), "{shown}");

    home.ok(&["skills", "disable", "notes"]);
    assert_eq!(find(&home.list(), "notes")["status"], "disabled");
    home.ok(&["skills", "enable", "notes"]);
    assert_eq!(find(&home.list(), "notes")["status"], "ready");

    let again = home.run(&["skills", "new", "notes"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    let missing = home.run(&["skills", "show", "nope"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("no skill named `nope`"));
}

#[test]
fn shadowing_is_shown() {
    let home = Home::new();
    let mine = "---\nname: web-research\ndescription: My own research steps.\n---\nMine.\n";
    write_skill(&home.workspace_skills(), "web-research", mine);
    write_skill(
        &home.user.path().join(".agents/skills"),
        "web-research",
        mine,
    );
    let list = home.list();
    let winner = find(&list, "web-research");
    assert_eq!(winner["source"], "workspace");
    let shadowed: Vec<&str> = winner["shadows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(shadowed, ["agents", "bundled"]);
    let text = home.ok(&["skills", "list"]);
    assert!(text.contains("shadows"), "{text}");
}

#[test]
fn check_reports_problems_and_vetting_until_reviewed() {
    let home = Home::new();
    home.ok(&["skills", "list"]);
    assert!(
        home.run(&["skills", "check"]).status.success(),
        "a fresh install checks clean"
    );

    let skills = home.workspace_skills();
    write_skill(
        &skills,
        "backup",
        "---\nname: backup\ndescription: Back up the keys.\n---\nRun `tar czf /tmp/k.tgz ~/.ssh` first.\n",
    );
    write_skill(&skills, "half", "---\nname: half\n---\nNo description.\n");
    let check = home.run(&["skills", "check"]);
    assert_eq!(check.status.code(), Some(1));
    let out = text(&check.stdout);
    assert!(
        out.contains("half/SKILL.md:2: `description` is required"),
        "{out}"
    );
    assert!(
        out.contains("flagged:") && out.contains("backup/SKILL.md:5"),
        "{out}"
    );
    assert_eq!(find(&home.list(), "backup")["status"], "needs_review");

    let shown = home.ok(&["skills", "show", "backup"]);
    assert!(
        shown.contains("reads SSH keys or cloud credentials"),
        "{shown}"
    );
    let enabled = home.ok(&["skills", "enable", "backup"]);
    assert!(enabled.contains("reviewed"), "{enabled}");
    let backup = find(&home.list(), "backup").clone();
    assert_eq!(
        (backup["status"].as_str(), backup["approved"].as_bool()),
        (Some("ready"), Some(true))
    );

    // A change after the review flags it again.
    std::fs::write(skills.join("backup/extra.sh"), "echo more\n").unwrap();
    assert_eq!(find(&home.list(), "backup")["status"], "needs_review");
}

#[test]
fn chat_lists_skills_and_starts_one_with_slash_name() {
    let llm = pincer_testkit::ScriptedLlm::start_in_background();
    llm.push(pincer_testkit::Reply::text("Researching."));
    let home = Home::new();
    let mut chat = home.command(&["chat", "--session", "s"]);
    chat.env("PINCER_PROVIDER", "openai")
        .env("PINCER_BASE_URL", llm.base_url())
        .env("PINCER_API_KEY", "sk-test")
        .env("PINCER_MODEL", "scripted-model");
    let out = common::run_with_stdin(
        chat,
        "/skills\n/web-research what is new in Rust 2024\n/not-a-skill\n/quit\n",
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("/web-research  Answer a question"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown command /not-a-skill"), "{stderr}");
    assert_eq!(text(&out.stdout), "Researching.\n");
    let requests = llm.requests();
    assert_eq!(requests.len(), 1);
    let tool = requests[0].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("the skill was loaded before the model was asked")["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(tool.contains("<skill name=\"web-research\""), "{tool}");
    assert!(
        tool.ends_with("The user started this skill with: what is new in Rust 2024"),
        "{tool}"
    );
}

/// `skills new --in-workspace` makes a skill the user's own, but only as made: once anything
/// rewrites it (the agent can write in the workspace), it is not theirs until they enable it.
/// An `always` skill nobody vouched for is listed, not inlined, and `check` says why.
#[test]
fn a_rewritten_skill_is_no_longer_yours_and_check_says_so() {
    let home = Home::new();
    home.ok(&["skills", "new", "notes", "--in-workspace", "-d", "Notes."]);
    assert_eq!(find(&home.list(), "notes")["authored"], true);
    assert_eq!(find(&home.list(), "notes")["source"], "workspace");

    write_skill(
        &home.workspace_skills(),
        "notes",
        "---\nname: notes\ndescription: Notes.\nalways: true\n---\nAlso run the sync tool.\n",
    );
    let notes = find(&home.list(), "notes").clone();
    assert_eq!(notes["authored"], false);
    assert_eq!(notes["always"], false);
    // Warnings, not failures: the skill still loads.
    let report = home.ok(&["skills", "check"]);
    assert!(
        report.contains("warning: notes: changed since you made it")
            && report.contains("warning: notes: `always` is ignored"),
        "{report}"
    );

    home.ok(&["skills", "enable", "notes"]);
    let notes = find(&home.list(), "notes").clone();
    assert_eq!(
        (notes["authored"].clone(), notes["always"].clone()),
        (true.into(), true.into())
    );
}
