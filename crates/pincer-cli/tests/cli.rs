//! The `pincer` binary end to end: a real process against a scripted server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::text;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pincer_testkit::{Reply, ScriptedLlm};
use pretty_assertions::assert_eq;
use serde_json::Value;

struct Home {
    dir: tempfile::TempDir,
    dialect: &'static str,
    url: String,
}

impl Home {
    fn new(llm: &ScriptedLlm, dialect: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "[retry]\nbase_delay_ms = 5\ntimeout_secs = 10\n",
        )
        .unwrap();
        Self {
            dir,
            dialect,
            url: llm.base_url(),
        }
    }

    fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pincer"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PINCER_HOME", self.dir.path())
            .env("PINCER_PROVIDER", self.dialect)
            .env("PINCER_BASE_URL", &self.url)
            .env("PINCER_API_KEY", "sk-cli-test-key-1234")
            .env("PINCER_MODEL", "scripted-model")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        common::run_with_stdin(self.command(args), stdin)
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

/// Polls a condition that another process makes true; fails after 10 s.
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn list_and_summarize(dialect: &'static str) {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, dialect);
    std::fs::create_dir_all(home.workspace()).unwrap();
    std::fs::write(
        home.workspace().join("README.md"),
        "# Demo\nA tiny demo project.\n",
    )
    .unwrap();
    std::fs::write(home.workspace().join("main.rs"), "fn main() {}\n").unwrap();
    llm.push(Reply::tool_calls(&[
        ("l", "list_dir", "{}"),
        ("r", "read_file", r#"{"path":"README.md"}"#),
    ]));
    llm.push(
        Reply::text("Two files. README.md describes a tiny demo project.").usage(900, 600, 12),
    );

    let out = home.run(&["run", "list the files here and summarize README.md"]);

    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "Two files. README.md describes a tiny demo project."
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("⚙ list_dir") && stderr.contains("✓ read_file"),
        "{stderr}"
    );
    let requests = llm.requests();
    assert_eq!(requests.len(), 2);
    let second = serde_json::to_string(&requests[1].body).unwrap();
    assert!(
        second.contains("A tiny demo project."),
        "README content went back to the model"
    );
    assert!(
        second.contains("main.rs"),
        "the listing went back to the model"
    );

    let usage = home.run(&["usage", "--json"]);
    let usage: Value = serde_json::from_slice(&usage.stdout).unwrap();
    assert_eq!(usage["total"]["requests"], 2);
    assert_eq!(usage["total"]["cached_input_tokens"], 600);
}

#[test]
fn openai_dialect_end_to_end() {
    list_and_summarize("openai");
}

#[test]
fn anthropic_dialect_end_to_end() {
    list_and_summarize("anthropic");
}

#[test]
fn usage_shows_cost_for_priced_models_and_marks_the_rest() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    // gpt-4o-mini is on the built-in list: $0.15 in, $0.60 out per million tokens.
    llm.push(Reply::text("priced").usage(2_000_000, 0, 1_000_000));
    let out = home
        .command(&["run", "--session", "priced", "hi"])
        .env("PINCER_MODEL", "gpt-4o-mini")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    llm.push(Reply::text("unpriced").usage(1_000, 0, 10));
    let out = home.run(&["run", "--session", "mystery", "hi"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = home.run(&["usage"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let line = |start: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line for {start} in\n{table}"))
            .to_owned()
    };
    assert!(line("openai/gpt-4o-mini").ends_with("$0.90"), "{table}");
    assert!(line("openai/scripted-model").ends_with("—"), "{table}");
    assert!(line("priced").ends_with("$0.90"), "{table}");
    assert!(line("mystery").ends_with("—"), "{table}");
    // The total counts only what has a price, and says so.
    assert!(line("total").ends_with("$0.90+"), "{table}");
    assert!(table.contains("no price is known"), "{table}");

    let out = home.run(&["usage", "--json"]);
    let usage: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cost = |v: &Value| v["cost_usd"].as_f64();
    assert!(
        (cost(&usage["total"]).unwrap() - 0.9).abs() < 1e-9,
        "{usage}"
    );
    assert_eq!(usage["total"]["unpriced_requests"], 1);
    assert!((cost(&usage["by_model"][0]).unwrap() - 0.9).abs() < 1e-9);
    assert_eq!(usage["by_model"][1]["cost_usd"], Value::Null);

    // A price of one's own in config.toml covers the unknown model.
    let config = home.dir.path().join("config.toml");
    let mut file = std::fs::read_to_string(&config).unwrap();
    file.push_str("\n[pricing.scripted-model]\ninput = 1000.0\noutput = 0.0\n");
    std::fs::write(&config, file).unwrap();
    let out = home.run(&["usage", "--json", "--session", "mystery"]);
    let usage: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        (cost(&usage["total"]).unwrap() - 1.0).abs() < 1e-9,
        "{usage}"
    );
    assert_eq!(usage["total"]["unpriced_requests"], 0);
}

#[test]
fn json_output_is_one_event_per_line() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    llm.push(Reply::text("hello"));
    let out = home.run(&["run", "--json", "--session", "j", "hi"]);
    assert!(out.status.success());
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"turn_started"));
    assert_eq!(types.last(), Some(&"turn_completed"));
    assert!(types.contains(&"text_delta") && types.contains(&"usage"));
    assert!(events.iter().all(|e| e["session"] == "j"));
    assert_eq!(events.last().unwrap()["text"], "hello");
}

#[test]
fn approval_prompt_reads_the_answer_from_stdin() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    llm.push(Reply::tool_call(
        "w",
        "write_file",
        r#"{"path":"yes.txt","content":"approved"}"#,
    ));
    llm.push(Reply::text("written"));
    let out = home.run_with_stdin(&["run", "write it"], "y\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("? allow: write_file"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(home.workspace().join("yes.txt")).unwrap(),
        "approved"
    );

    llm.push(Reply::tool_call(
        "w2",
        "write_file",
        r#"{"path":"no.txt","content":"refused"}"#,
    ));
    llm.push(Reply::text("not written"));
    let out = home.run_with_stdin(&["run", "write another"], "n\n");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), "not written");
    assert!(!home.workspace().join("no.txt").exists());
}

#[test]
fn approve_deny_refuses_without_asking() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    llm.push(Reply::tool_call("e", "exec", r#"{"command":"touch made"}"#));
    llm.push(Reply::text("could not"));
    let out = home.run(&["run", "--approve", "deny", "touch"]);
    assert!(out.status.success());
    assert!(!text(&out.stderr).contains("? allow"));
    assert!(!home.workspace().join("made").exists());
    let result = &llm.requests()[1].body["messages"][3]["content"];
    assert!(
        result
            .as_str()
            .unwrap()
            .contains("approvals are set to deny"),
        "{result}"
    );
}

#[test]
fn sessions_continue_across_processes() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "anthropic");
    llm.push(Reply::text("I will remember the blue door."));
    assert!(
        home.run(&["run", "--session", "work", "remember: the door is blue"])
            .status
            .success()
    );
    llm.push(Reply::text(
        "You asked me to remember that the door is blue.",
    ));
    let out = home.run(&["run", "--session", "work", "what did I ask before?"]);
    assert!(out.status.success());
    let body = &llm.requests()[1].body;
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "user, assistant, user");
    assert!(
        messages[0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .ends_with("remember: the door is blue")
    );

    let list = home.run(&["sessions", "list", "--json"]);
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["id"], "work");
    assert_eq!(list[0]["messages"], 4);
    let show = text(&home.run(&["sessions", "show", "work"]).stdout);
    assert!(
        show.contains("you: remember: the door is blue") && show.contains("pincer: You asked me"),
        "{show}"
    );
}

#[test]
fn a_process_killed_mid_turn_leaves_a_session_that_continues() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    llm.push(Reply::tool_call(
        "slow",
        "exec",
        r#"{"command":"touch started && sleep 30"}"#,
    ));
    let mut child = home.spawn(&[
        "run",
        "--approve",
        "auto",
        "--session",
        "k",
        "do the slow thing",
    ]);
    let started = home.workspace().join("started");
    wait_until("the command to start", || started.exists());
    child.kill().unwrap();
    child.wait().unwrap();

    let show = home.run(&["sessions", "show", "k", "--json"]);
    assert!(show.status.success(), "{}", text(&show.stderr));
    let stored: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(
        stored.as_array().unwrap().len(),
        2,
        "user message and the tool call were saved"
    );

    llm.push(Reply::text("It was interrupted; shall I retry?"));
    let out = home.run(&["run", "--session", "k", "did it finish?"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let messages = llm.requests()[1].body["messages"]
        .as_array()
        .unwrap()
        .clone();
    let roles: Vec<_> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    // The second "user" is the note that the killed turn is over (tests/killed.rs).
    assert_eq!(
        roles,
        vec!["system", "user", "assistant", "tool", "user", "user"]
    );
    assert!(
        messages[3]["content"]
            .as_str()
            .unwrap()
            .contains("interrupted")
    );
}

#[test]
fn ctrl_c_cancels_the_turn_and_exits_130() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    llm.push(
        Reply::text("a long answer that never ends")
            .cut_after(2)
            .hang(),
    );
    let child = home.spawn(&["run", "--session", "c", "talk"]);
    llm.wait_for_requests_blocking(1);
    // The request is out; the client is streaming. Interrupt like a terminal would.
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    wait_until("pincer to exit after one Ctrl-C", || is_zombie(pid));
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "stderr: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("cancelled"),
        "{}",
        text(&out.stderr)
    );
}

fn is_zombie(pid: nix::unistd::Pid) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(true)
}

#[test]
fn provider_errors_exit_non_zero_with_one_line() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    llm.push(Reply::status(401));
    let out = home.run(&["run", "hi"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("pincer: the API key was rejected by openai (HTTP 401)"),
        "{stderr}"
    );
}

#[test]
fn config_errors_name_file_line_and_key() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    let path = home.dir.path().join("config.toml");
    std::fs::write(&path, "[agent]\nmax_step = 3\n").unwrap();
    let out = home.run(&["run", "hi"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let expected = format!("pincer: {}:2:1: unknown field `max_step`", path.display());
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("(key `agent.max_step`)"), "{stderr}");
    assert!(llm.requests().is_empty());
}

#[test]
fn doctor_redacts_the_key_and_checks_the_provider() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    let out = home.run(&["doctor"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("sk-cli-test-key-1234"), "{stdout}");
    assert!(
        stdout.contains("…1234 (redacted)") && stdout.contains("✓ answers"),
        "{stdout}"
    );
    // No session bus here (the environment is cleared): the fallback store, said plainly.
    assert!(
        stdout.contains("secrets     ")
            && stdout.contains("! secrets are kept in an encrypted file, not the OS keyring: no OS keyring service runs here"),
        "{stdout}"
    );
    // The bundled skills, one of which needs the desktop app.
    assert!(
        stdout.contains("skills      4 ready, 1 unavailable\n"),
        "{stdout}"
    );

    // A token file others can read is pointed out.
    let token = home.dir.path().join("gateway.token");
    std::fs::write(&token, "t\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let stdout = text(&home.run(&["doctor"]).stdout);
    assert!(
        stdout.contains(&format!(
            "gateway.token can be read by other users (mode 644): chmod 600 {}",
            token.display()
        )),
        "{stdout}"
    );

    let dead = Home {
        url: "http://127.0.0.1:9/v1".to_owned(),
        ..Home::new(&llm, "openai")
    };
    let out = dead.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("✗ could not reach openai"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn chat_streams_answers_and_handles_its_commands() {
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm, "openai");
    llm.push(Reply::text("Hi! What shall we do?").usage(300, 0, 6));
    llm.push(Reply::tool_call(
        "w",
        "write_file",
        r#"{"path":"plan.md","content":"- rest"}"#,
    ));
    llm.push(Reply::text("Saved your plan."));
    llm.push(Reply::text("A fresh start."));
    let script = "hello\n/usage\nsave a plan\ns\n/new\nnew topic\n/sessions\n/bogus\n/quit\n";

    let out = home.run_with_stdin(&["chat", "--session", "first"], script);

    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        stdout,
        "Hi! What shall we do?\nSaved your plan.\nA fresh start.\n"
    );
    assert!(
        stderr.contains("session first: 1 requests, 300 input tokens"),
        "{stderr}"
    );
    assert!(stderr.contains("? allow: write_file"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(home.workspace().join("plan.md")).unwrap(),
        "- rest"
    );
    assert!(stderr.contains("unknown command /bogus"), "{stderr}");
    let requests = llm.requests();
    assert_eq!(requests.len(), 4);
    let last = requests[3].body["messages"].as_array().unwrap();
    assert_eq!(
        last.len(),
        2,
        "/new started an empty session: system + user"
    );
    let sessions = home.run(&["sessions", "list", "--json"]);
    let sessions: Value = serde_json::from_slice(&sessions.stdout).unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 2);
}

#[test]
fn memory_search_finds_past_conversations_by_one_chinese_character_and_any_text() {
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::text("好的，我记住了：下个月去杭州西湖。"));
    let home = Home::new(&llm, "openai");
    let out = home.run(&["run", "我们决定下个月去西湖散步"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for query in ["湖", "西湖", "杭州西湖", "下个月"] {
        let out = home.run(&["memory", "search", query, "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let found: Value = serde_json::from_slice(&out.stdout).unwrap();
        let messages = found["messages"].as_array().unwrap();
        assert!(!messages.is_empty(), "{query}: {found}");
        assert!(
            messages
                .iter()
                .all(|m| m["content"].as_str().unwrap().contains(query)),
            "{query}: {found}"
        );
    }
    for hostile in ["\"", "NEAR(", "*", "AND OR"] {
        let out = home.run(&["memory", "search", hostile]);
        assert!(out.status.success(), "{hostile}: {}", text(&out.stderr));
    }
    let out = home.run(&["memory", "show", "mem-nothing"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("there is no memory"),
        "{}",
        text(&out.stderr)
    );
}
