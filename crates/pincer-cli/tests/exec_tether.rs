//! `exec` and skill tools as the real `pincer` binary runs them: tethered to the process
//! (a `kill -9` ends them too) and without Pincer's keys in their environment.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::text;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::{Value, json};

fn pincer(home: &Path, url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pincer"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("PINCER_HOME", home)
        .env("PINCER_PROVIDER", "openai")
        .env("PINCER_BASE_URL", url)
        .env("PINCER_API_KEY", "sk-pincer-SENTINEL-1")
        .env("PINCER_MODEL", "scripted-model")
        .stdin(Stdio::null());
    command
}

fn new_home() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[retry]\nbase_delay_ms = 5\ntimeout_secs = 10\n",
    )
    .unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    (dir, workspace)
}

/// Polls a condition another process makes true; fails after 10 s.
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Gone, or a zombie nobody reaped yet.
fn has_exited(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// Finding 19: a command (and what it started in the background) that waits for a file
/// and would then create another must be gone once `pincer` is killed, so creating the
/// file it waits for changes nothing.
#[test]
fn a_kill_9_of_pincer_ends_the_command_and_its_background_children() {
    let llm = ScriptedLlm::start_in_background();
    let (home, workspace) = new_home();
    let command = "echo $$ > sh.tmp && mv sh.tmp sh.pid; \
        (while [ ! -e go ]; do sleep 0.02; done; touch bg-finished) & \
        echo $! > bg.tmp && mv bg.tmp bg.pid; \
        while [ ! -e go ]; do sleep 0.02; done; touch finished";
    llm.push(Reply::tool_call(
        "slow",
        "exec",
        &json!({ "command": command }).to_string(),
    ));
    let mut child = pincer(
        home.path(),
        &llm.base_url(),
        &["run", "--approve", "auto", "--session", "k", "wait for go"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let (sh, bg) = (workspace.join("sh.pid"), workspace.join("bg.pid"));
    wait_until("the command to start", || {
        read_pid(&sh).is_some() && read_pid(&bg).is_some()
    });
    let pids = [read_pid(&sh).unwrap(), read_pid(&bg).unwrap()];

    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    wait_until("the command and its background child to end", || {
        pids.iter().all(|&pid| has_exited(pid))
    });
    std::fs::write(workspace.join("go"), "").unwrap();
    assert!(!workspace.join("finished").exists());
    assert!(!workspace.join("bg-finished").exists());

    // Nothing in the history says the command finished.
    let show = pincer(
        home.path(),
        &llm.base_url(),
        &["sessions", "show", "k", "--json"],
    )
    .output()
    .unwrap();
    assert!(show.status.success(), "{}", text(&show.stderr));
    let stored: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert!(!stored.to_string().contains("exit code"), "{stored:#}");
}

/// Finding 8: whatever the variables are called, a command does not see the key Pincer
/// uses (here from `api_key_env = "MY_ANTHROPIC_KEY"`) or other credentials.
#[test]
fn commands_never_see_keys_or_credentials() {
    let llm = ScriptedLlm::start_in_background();
    let (home, _workspace) = new_home();
    std::fs::write(
        home.path().join("config.toml"),
        "[retry]\nbase_delay_ms = 5\ntimeout_secs = 10\n\n\
         [[providers]]\npreset = \"anthropic\"\napi_key_env = \"MYANTHROPICKEYVAR\"\n",
    )
    .unwrap();
    llm.push(Reply::tool_call("e", "exec", r#"{"command":"env"}"#));
    llm.push(Reply::text("done"));
    let out = pincer(
        home.path(),
        &llm.base_url(),
        &["run", "--approve", "auto", "show the environment"],
    )
    .env("MYANTHROPICKEYVAR", "SENTINEL-configured")
    .env("API_KEY", "SENTINEL-api")
    .env("OPENAI_KEY", "SENTINEL-openai")
    .env("GITHUB_PAT", "SENTINEL-pat")
    .env("DB_PASS", "SENTINEL-db")
    .env("DATABASE_URL", "postgres://app:SENTINEL-url@db/app")
    .env("HARMLESS", "visible")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let requests = llm.requests();
    let result = requests[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(result.contains("HARMLESS=visible"), "{result}");
    assert!(!result.contains("SENTINEL"), "{result}");
}

const KEYCHECK: &str = r#"---
name: keycheck
description: Shows which keys it gets.
metadata:
  pincer:
    requires:
      env: [PINCER_API_KEY, WEATHER_TOKEN]
    tools:
      - name: show_keys
        description: Print the keys.
        parameters: {type: object}
        command: [sh, -c, 'echo "pincer=${PINCER_API_KEY:-none} weather=${WEATHER_TOKEN:-none}"']
---
Use show_keys.
"#;

/// Finding 9: a skill that declares `PINCER_API_KEY` does not get it; the approval names
/// the variables it does get and the ones withheld.
#[test]
fn a_skill_never_gets_pincers_key_and_the_approval_names_what_it_gets() {
    let llm = ScriptedLlm::start_in_background();
    let (home, workspace) = new_home();
    let skill = workspace.join("skills/keycheck");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::write(skill.join("SKILL.md"), KEYCHECK).unwrap();
    llm.push(Reply::tool_call("s", "skill", r#"{"name":"keycheck"}"#));
    llm.push(Reply::tool_call(
        "t",
        "use_tool",
        r#"{"name":"show_keys","arguments":{}}"#,
    ));
    llm.push(Reply::text("done"));
    let mut command = pincer(home.path(), &llm.base_url(), &["run", "check the keys"]);
    command.env("WEATHER_TOKEN", "weather-ok");
    let out = common::run_with_stdin(command, "y\n");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "gets the environment variables WEATHER_TOKEN; withheld (Pincer's keys): PINCER_API_KEY"
        ),
        "{stderr}"
    );
    let requests = llm.requests();
    let result = requests[2].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|m| m["role"] == "tool")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        result.contains("pincer=none weather=weather-ok"),
        "{result}"
    );
}

#[test]
fn doctor_names_the_sandbox_in_use() {
    let llm = ScriptedLlm::start_in_background();
    let (home, _workspace) = new_home();
    let out = pincer(home.path(), &llm.base_url(), &["doctor"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("sandbox     exec runs sandboxed with Landlock (ABI "),
        "{stdout}"
    );
}
