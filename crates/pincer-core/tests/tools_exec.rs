#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `exec` against real processes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pincer_core::tools::exec::Exec;
use pincer_core::tools::{Access, ExecSandbox, ToolError, ToolExt, ToolSettings};
use serde_json::json;

/// The longest a test waits in real time for something that should happen.
const WAIT: Duration = Duration::from_secs(10);

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
            command: "ls -la".to_owned(),
            sandbox: ExecSandbox::Sandboxed { network: false },
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
    // A failure ends with a line saying the sandbox may be why.
    assert!(
        out.starts_with("exit code: 3\n--- stderr ---\noops\n(ran in the sandbox:"),
        "{out}"
    );
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

/// Starts a shell that records its pid and that of a background child in `sh.pid` and
/// `bg.pid`, then waits for the child, so neither ends on its own within a test.
const TWO_PROCESSES: &str = "echo $$ > sh.pid.tmp && mv sh.pid.tmp sh.pid; \
     sleep 600 & echo $! > bg.pid.tmp && mv bg.pid.tmp bg.pid; wait";

/// Waits until the command has written both pid files, and returns the pids. It only
/// yields, never sleeps, so on a paused clock time cannot jump ahead (and fire the exec
/// timeout) before the command got this far; real time bounds it.
async fn started_pids(workspace: &Path) -> [i32; 2] {
    let deadline = Instant::now() + WAIT;
    loop {
        let read = |name: &str| {
            std::fs::read_to_string(workspace.join(name))
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
        };
        if let (Some(sh), Some(bg)) = (read("sh.pid"), read("bg.pid")) {
            return [sh, bg];
        }
        assert!(Instant::now() < deadline, "the command never started");
        tokio::task::yield_now().await;
    }
}

/// Whether `pid` has exited: gone, or a zombie waiting to be reaped by its parent.
fn has_exited(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesized command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// Waits (bounded, in real time) until every process in `pids` has exited. SIGKILL takes
/// effect asynchronously, so this waits for the positive signal instead of a fixed time.
fn assert_all_exit(pids: [i32; 2]) {
    let deadline = Instant::now() + WAIT;
    while !pids.iter().all(|&pid| has_exited(pid)) {
        assert!(
            Instant::now() < deadline,
            "still running after the kill: {:?}",
            pids.iter()
                .filter(|&&pid| !has_exited(pid))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// On tokio's paused clock the timeout passes as soon as nothing else is left to do, so
/// this takes no real time however long the timeout.
#[tokio::test(start_paused = true)]
async fn timeout_kills_the_whole_group() {
    let (_dir, mut settings) = workspace();
    settings.exec_timeout = Duration::from_secs(30);
    let started = tokio::time::Instant::now();
    let (result, pids) = tokio::join!(
        exec(&settings, TWO_PROCESSES),
        started_pids(&settings.workspace)
    );
    let err = result.unwrap_err();
    assert!(
        matches!(err, ToolError::TimedOut(d) if d == Duration::from_secs(30)),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_secs(30));
    // Both the shell and what it started in the background are gone.
    assert_all_exit(pids);
}

#[tokio::test(start_paused = true)]
async fn timeout_secs_is_capped_by_settings() {
    let (_dir, mut settings) = workspace();
    settings.exec_timeout = Duration::from_secs(60);
    let run = |timeout_secs: u64| {
        Exec.call(
            json!({"command": "sleep 600", "timeout_secs": timeout_secs}),
            &settings,
        )
    };
    let err = run(100).await.unwrap_err();
    assert!(
        matches!(err, ToolError::TimedOut(d) if d == Duration::from_secs(60)),
        "{err}"
    );
    let err = run(2).await.unwrap_err();
    assert!(
        matches!(err, ToolError::TimedOut(d) if d == Duration::from_secs(2)),
        "{err}"
    );
}

#[tokio::test]
async fn cancelling_the_call_kills_the_command() {
    let (_dir, settings) = workspace();
    let call = exec(&settings, TWO_PROCESSES);
    // Dropping the future is how the agent loop cancels a tool call: here, once the
    // command is running.
    let pids = tokio::select! {
        result = call => panic!("the command ended on its own: {result:?}"),
        pids = started_pids(&settings.workspace) => pids,
    };
    assert_all_exit(pids);
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

/// The parent-death signal fires when the *thread* that forked the command exits. A tool
/// future may be polled on a thread that ends before the command does (a blocking-pool
/// thread, a worker of another runtime); the command must live on.
#[test]
fn a_command_outlives_the_thread_that_started_it() {
    let (_dir, settings) = workspace();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut call = Box::pin(exec(
        &settings,
        "touch started; while [ ! -e go ]; do sleep 0.01; done; echo done",
    ));
    let started = settings.workspace.join("started");
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                runtime.block_on(async {
                    tokio::select! {
                        result = &mut call => panic!("ended before `go`: {result:?}"),
                        () = async {
                            let deadline = Instant::now() + WAIT;
                            while !started.exists() {
                                assert!(Instant::now() < deadline, "the command never started");
                                tokio::task::yield_now().await;
                            }
                        } => {}
                    }
                });
            })
            .join()
            .unwrap();
    });
    // The thread that polled the call (and would have forked the command) is gone.
    std::fs::write(settings.workspace.join("go"), "").unwrap();
    let out = runtime.block_on(call).unwrap();
    assert_eq!(out, "exit code: 0\ndone\n");
}
