#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The sandbox `exec` runs in, against real processes: what a command can and cannot
//! touch on each rung of the ladder, and the refusal when there is none.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pincer_core::policy::{ExecRule, Verdict};
use pincer_core::sandbox::Ladder;
use pincer_core::tools::exec::Exec;
use pincer_core::tools::{ToolError, ToolExt, ToolSettings};
use serde_json::json;

struct Setup {
    _dirs: [tempfile::TempDir; 2],
    settings: ToolSettings,
    /// A folder outside the workspace that stands for the user's home.
    outside: PathBuf,
}

fn setup(ladder: Ladder) -> Setup {
    let workspace = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut settings = ToolSettings::new(workspace.path().canonicalize().unwrap());
    settings.exec_timeout = Duration::from_secs(20);
    settings.sandbox = ladder;
    let outside_path = outside.path().canonicalize().unwrap();
    std::fs::write(outside_path.join(".bashrc"), "# mine\n").unwrap();
    std::fs::write(settings.workspace.join("connect.py"), CONNECT_PY).unwrap();
    Setup {
        _dirs: [workspace, outside],
        settings,
        outside: outside_path,
    }
}

const LANDLOCK: Ladder = Ladder {
    landlock: true,
    bubblewrap: false,
};
const BWRAP: Ladder = Ladder {
    landlock: false,
    bubblewrap: true,
};
const NOTHING: Ladder = Ladder {
    landlock: false,
    bubblewrap: false,
};

async fn exec(settings: &ToolSettings, command: &str) -> Result<String, ToolError> {
    Exec.call(json!({"command": command}), settings)
        .await
        .map(|output| output.text)
}

fn q(path: &Path) -> String {
    format!("'{}'", path.display())
}

/// Writes in the workspace and the temp folder work; a write outside fails and leaves the
/// file as it was; git, ls and python3 run.
async fn confines_writes(ladder: Ladder) {
    let s = setup(ladder);
    let bashrc = s.outside.join(".bashrc");
    let out = exec(
        &s.settings,
        &format!(
            "echo kept > inside.txt && echo t > \"$TMPDIR/t\" && cat \"$TMPDIR/t\" && \
             git init -q . && git status --short && ls && python3 -c 'print(6*7)' && \
             echo evil >> {}; echo \"outside: $?\"",
            q(&bashrc)
        ),
    )
    .await
    .unwrap();
    assert!(
        out.contains("t\n?? connect.py\n?? inside.txt\nconnect.py\ninside.txt\n42\n"),
        "{out}"
    );
    assert!(
        out.contains("outside: 1") || out.contains("outside: 2"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(s.settings.workspace.join("inside.txt")).unwrap(),
        "kept\n"
    );
    assert_eq!(std::fs::read_to_string(&bashrc).unwrap(), "# mine\n");
    let created = s.outside.join("new");
    exec(&s.settings, &format!("touch {}", q(&created)))
        .await
        .unwrap();
    assert!(!created.exists());
}

#[tokio::test]
async fn landlock_confines_writes_to_the_workspace_and_temp() {
    confines_writes(LANDLOCK).await;
}

#[tokio::test]
async fn bubblewrap_confines_writes_to_the_workspace_and_temp() {
    confines_writes(BWRAP).await;
}

/// Whether a connection reached `listener` (it is non-blocking; the command has ended).
fn accepted(listener: &TcpListener) -> bool {
    match listener.accept() {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("{e}"),
    }
}

/// Connects to the port given, from a script in the workspace (a plain command line, so
/// exec rules can match it).
const CONNECT: &str = "python3 connect.py";
const CONNECT_PY: &str = "import socket, sys\nsocket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)\nprint('connected')\n";

async fn network_only_when_the_rule_allows(ladder: Ladder) {
    let mut s = setup(ladder);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let command = format!("{CONNECT} {port}");

    let out = exec(&s.settings, &command).await.unwrap();
    assert!(!out.contains("connected"), "{out}");
    // The model is told why, so it does not retry in circles.
    assert!(out.contains("has no network"), "{out}");
    assert!(
        !accepted(&listener),
        "a sandboxed command reached the server"
    );

    s.settings.exec_rules = vec![ExecRule {
        network: true,
        ..ExecRule::new("python3", Verdict::Allow)
    }];
    let out = exec(&s.settings, &command).await.unwrap();
    assert!(out.contains("connected"), "{out}");
    assert!(accepted(&listener));
}

#[tokio::test]
async fn landlock_blocks_the_network_unless_the_rule_allows_it() {
    network_only_when_the_rule_allows(LANDLOCK).await;
}

#[tokio::test]
async fn bubblewrap_blocks_the_network_unless_the_rule_allows_it() {
    network_only_when_the_rule_allows(BWRAP).await;
}

#[tokio::test]
async fn without_any_sandbox_nothing_runs_and_the_reason_is_one_line() {
    let s = setup(NOTHING);
    let marker = s.settings.workspace.join("ran");
    let err = exec(&s.settings, "touch ran")
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "no sandbox is available, so the command was not run: Landlock turned off; bubblewrap turned off"
    );
    assert!(!marker.exists());
}

#[tokio::test]
async fn an_unsandboxed_rule_runs_with_the_users_rights() {
    let mut s = setup(NOTHING);
    s.settings.exec_rules = vec![ExecRule {
        sandbox: false,
        ..ExecRule::new("touch", Verdict::Allow)
    }];
    let created = s.outside.join("made");
    exec(&s.settings, &format!("touch {}", q(&created)))
        .await
        .unwrap();
    assert!(created.exists());
}

/// Finding 10: "read-only" git commands that write or run code. In the sandbox their writes
/// stay in the workspace and their code has no network.
#[tokio::test]
async fn read_only_git_commands_cannot_write_outside_or_reach_the_network() {
    let s = setup(Ladder::default());
    let ws = &s.settings.workspace;
    exec(
        &s.settings,
        "git init -q . && echo a > a.txt && echo b > b.txt && git add a.txt",
    )
    .await
    .unwrap();

    // `git diff --output=FILE` writes FILE.
    let target = s.outside.join("diff-out");
    let out = exec(
        &s.settings,
        &format!("git diff --no-index --output={} a.txt b.txt", q(&target)),
    )
    .await
    .unwrap();
    assert!(!target.exists(), "{out}");
    // `--no-index` compares (and with --output writes) paths outside the workspace.
    let bashrc = s.outside.join(".bashrc");
    let out = exec(
        &s.settings,
        &format!(
            "git diff --no-index --output={} a.txt {}",
            q(&bashrc),
            q(&bashrc)
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&bashrc).unwrap(),
        "# mine\n",
        "{out}"
    );

    // A `.git/config` with core.fsmonitor runs its command on `git status`.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let pwned = s.outside.join("pwned");
    let hook = ws.join("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ntouch {}\ntouch ran-in-workspace\npython3 {} {port}\n",
            q(&pwned),
            q(&ws.join("connect.py"))
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .unwrap();
    exec(
        &s.settings,
        &format!("git config core.fsmonitor {}", q(&hook)),
    )
    .await
    .unwrap();
    let out = exec(&s.settings, "git status --short").await.unwrap();
    assert!(ws.join("ran-in-workspace").exists(), "the hook ran: {out}");
    assert!(!pwned.exists(), "{out}");
    assert!(!accepted(&listener), "the hook reached the network");
}

/// With the data home inside the workspace (workspace = `~`), a command must still not
/// change Pincer's configuration (a rule with `sandbox = false` written there would free
/// the next command). Landlock cannot except part of a writable folder, so bubblewrap
/// runs it, and without bubblewrap nothing does.
#[tokio::test]
async fn the_data_home_stays_read_only_inside_the_workspace() {
    let mut s = setup(Ladder::default());
    let home = s.settings.workspace.join(".pincer");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("config.toml"), "[policy]\n").unwrap();
    s.settings.protected = vec![home.clone()];

    let out = exec(
        &s.settings,
        "echo 'exec = \"allow\"' >> .pincer/config.toml; touch .pincer/new; touch elsewhere",
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(home.join("config.toml")).unwrap(),
        "[policy]\n",
        "{out}"
    );
    assert!(!home.join("new").exists(), "{out}");
    assert!(s.settings.workspace.join("elsewhere").exists(), "{out}");

    s.settings.sandbox = LANDLOCK;
    let err = exec(&s.settings, "touch x").await.unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "the workspace contains {}, which commands must not change, and only bubblewrap can keep it read-only",
            home.display()
        )),
        "{err}"
    );
}

/// `TIOCSTI` pushes characters into a terminal's input: a command could type a line into
/// the shell Pincer was started from. The filter refuses it before the terminal is even
/// looked at (EACCES, not ENOTTY on this pipe).
#[tokio::test]
async fn landlock_refuses_typing_into_a_terminal() {
    let s = setup(LANDLOCK);
    std::fs::write(
        s.settings.workspace.join("tiocsti.py"),
        "import fcntl, termios\ntry:\n    fcntl.ioctl(1, termios.TIOCSTI, b'x')\nexcept OSError as e:\n    print('errno', e.errno)\n",
    )
    .unwrap();
    let out = exec(&s.settings, "python3 tiocsti.py").await.unwrap();
    assert_eq!(out, "exit code: 0\nerrno 13\n");
}
