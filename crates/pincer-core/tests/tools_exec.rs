#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `exec` against real processes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pincer_core::tools::exec::Exec;
use pincer_core::tools::{Access, ToolError, ToolExt, ToolSettings};
use serde_json::json;

fn workspace() -> (tempfile::TempDir, ToolSettings) {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().canonicalize().unwrap();
    let mut settings = ToolSettings::new(root);
    settings.exec_timeout = Duration::from_secs(5);
    (dir, settings)
}

async fn exec(settings: &ToolSettings, command: &str) -> Result<String, ToolError> {
    Exec.call(json!({"command": command}), settings)
        .await
        .map(|output| output.text)
}

#[test]
fn access_is_the_command() {
    let (_dir, settings) = workspace();
    assert_eq!(
        Exec.access(&json!({"command": "ls -la"}), &settings)
            .unwrap(),
        Access::Exec {
            command: "ls -la".to_owned()
        }
    );
    assert!(matches!(
        Exec.access(&json!({}), &settings),
        Err(ToolError::InvalidArguments(_))
    ));
}

#[tokio::test]
async fn runs_in_the_workspace_and_reports_exit_code() {
    let (_dir, settings) = workspace();
    let out = exec(&settings, "pwd; echo hi").await.unwrap();
    assert_eq!(
        out,
        format!("exit code: 0\n{}\nhi\n", settings.workspace.display())
    );
    let out = exec(&settings, "echo oops >&2; exit 3").await.unwrap();
    assert_eq!(out, "exit code: 3\n--- stderr ---\noops\n");
    let out = exec(&settings, "echo out; echo err >&2").await.unwrap();
    assert_eq!(out, "exit code: 0\nout\n--- stderr ---\nerr\n");
    let out = exec(&settings, "true").await.unwrap();
    assert_eq!(out, "exit code: 0\n(no output)\n");
}

#[tokio::test]
async fn stdin_is_closed() {
    let (_dir, settings) = workspace();
    // `cat` would hang forever on an inherited terminal or open pipe.
    let out = exec(&settings, "cat; echo done").await.unwrap();
    assert_eq!(out, "exit code: 0\ndone\n");
}

#[tokio::test]
async fn timeout_kills_the_whole_group() {
    let (_dir, mut settings) = workspace();
    settings.exec_timeout = Duration::from_millis(150);
    let started = Instant::now();
    let err = exec(
        &settings,
        "(sleep 0.4; touch from_background) & sleep 0.4; touch from_foreground",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ToolError::TimedOut(d) if d == Duration::from_millis(150)),
        "{err}"
    );
    // Returned before the command would have finished on its own.
    assert!(started.elapsed() < Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(!settings.workspace.join("from_foreground").exists());
    assert!(!settings.workspace.join("from_background").exists());
}

#[tokio::test]
async fn timeout_secs_is_capped_by_settings() {
    let (_dir, mut settings) = workspace();
    settings.exec_timeout = Duration::from_millis(200);
    let err = Exec
        .call(
            json!({"command": "sleep 5", "timeout_secs": 100}),
            &settings,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ToolError::TimedOut(d) if d == Duration::from_millis(200)),
        "{err}"
    );
}

#[tokio::test]
async fn cancelling_the_call_kills_the_command() {
    let (_dir, settings) = workspace();
    let call = exec(&settings, "sleep 0.4; touch survived");
    // Dropping the future is how the agent loop cancels a tool call.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), call)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(!settings.workspace.join("survived").exists());
}

#[tokio::test]
async fn background_processes_do_not_hold_the_call_open() {
    let (_dir, settings) = workspace();
    let started = Instant::now();
    // The background sleep inherits stdout; the call must not wait for it.
    let out = exec(&settings, "sleep 10 & echo started").await.unwrap();
    assert_eq!(out, "exit code: 0\nstarted\n");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn output_is_capped_keeping_head_and_tail() {
    let (_dir, mut settings) = workspace();
    settings.exec_output_limit = 1000;
    let out = exec(&settings, "seq 1 100000").await.unwrap();
    assert!(out.starts_with("exit code: 0\n1\n2\n3\n"), "{}", &out[..50]);
    assert!(
        out.ends_with("99999\n100000\n"),
        "{}",
        &out[out.len() - 50..]
    );
    assert!(out.contains("bytes of output omitted"), "{out}");
    assert!(out.len() < 1100, "{} bytes", out.len());
}

#[tokio::test]
async fn stderr_keeps_a_share_of_the_cap() {
    let (_dir, mut settings) = workspace();
    settings.exec_output_limit = 1000;
    let out = exec(&settings, "seq 1 100000; echo the real error >&2")
        .await
        .unwrap();
    assert!(out.ends_with("--- stderr ---\nthe real error\n"), "{out}");
}
