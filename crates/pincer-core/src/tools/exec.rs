//! `exec`: run a shell command in the workspace, in the sandbox (`crate::sandbox`).
//!
//! The command runs in its own process group so that everything it starts can be killed
//! together: on timeout, when the call is cancelled (the future dropped), and when the shell
//! exits while background children still hold the output pipes open.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::future::BoxFuture;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt as _};

use super::{
    Access, ExecSandbox, ToolError, ToolOutput, ToolSettings, TypedTool, secret_env, text_output,
};
pub(crate) use crate::sandbox::spawn::Confinement;
use crate::sandbox::spawn::{SpawnError, Spec, spawn};

/// How long output may keep arriving after the shell exited, e.g. from a child that left the
/// process group and still holds the pipe.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

pub struct Exec;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    command: String,
    timeout_secs: Option<u64>,
}

impl TypedTool for Exec {
    type Args = Args;
    type Plan = Args;

    fn name(&self) -> &'static str {
        "exec"
    }

    fn description(&self) -> &'static str {
        "Run `sh -c command` in the workspace, no stdin; returns exit code, stdout and stderr. Background processes die with it."
    }

    fn plan(&self, args: Args, settings: &ToolSettings) -> Result<(Access, Self::Plan), ToolError> {
        if args.command.trim().is_empty() {
            return Err(ToolError::InvalidArguments(
                "command must not be empty".to_owned(),
            ));
        }
        let access = Access::Exec {
            command: args.command.clone(),
            sandbox: crate::policy::exec_sandbox(&settings.exec_rules, &args.command),
        };
        Ok((access, args))
    }

    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let args = plan;
            let timeout = match args.timeout_secs {
                Some(secs) => Duration::from_secs(secs.max(1)).min(settings.exec_timeout),
                None => settings.exec_timeout,
            };
            let sandbox = crate::policy::exec_sandbox(&settings.exec_rules, &args.command);
            run_command(&args.command, sandbox, settings, timeout).await
        }))
    }
}

async fn run_command(
    command: &str,
    sandbox: ExecSandbox,
    settings: &ToolSettings,
    timeout: Duration,
) -> Result<String, ToolError> {
    let process = Process {
        program: "sh".into(),
        args: vec!["-c".into(), command.into()],
        cwd: settings.workspace.clone(),
        env: Vec::new(),
        keep_env: Vec::new(),
        stdin: Vec::new(),
        confinement: match sandbox {
            ExecSandbox::Sandboxed { network } => Confinement::Sandboxed {
                ladder: settings.sandbox,
                network,
            },
            ExecSandbox::Unsandboxed => Confinement::Unsandboxed,
        },
    };
    run_process(process, settings, timeout).await
}

/// A program to run for a tool: `exec`'s shell or a skill's command.
pub(crate) struct Process {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    pub(crate) cwd: PathBuf,
    /// Variables set for it (kept even if they look secret).
    pub(crate) env: Vec<(OsString, OsString)>,
    /// Inherited variables that look secret but that it may have (a skill's declared
    /// ones); never a provider key variable.
    pub(crate) keep_env: Vec<String>,
    /// Fed to its stdin (closed at once when empty).
    pub(crate) stdin: Vec<u8>,
    pub(crate) confinement: Confinement,
}

/// Runs `process` in its own process group (sandboxed unless its confinement says
/// otherwise, tethered to Pincer), without the credentials of this process's environment,
/// and reports its exit code and output (each stream capped at the exec output limit).
pub(crate) async fn run_process(
    process: Process,
    settings: &ToolSettings,
    timeout: Duration,
) -> Result<String, ToolError> {
    let limit = settings.exec_output_limit;
    let set: Vec<OsString> = process.env.iter().map(|(name, _)| name.clone()).collect();
    let remove = secret_env::removals(
        std::env::vars_os(),
        &process.keep_env,
        &settings.key_env,
        &set,
    );
    let program = process.program.clone();
    let confined = confinement_note(&process.confinement);
    let spec = Spec {
        program: process.program,
        args: process.args,
        cwd: process.cwd,
        writable: vec![settings.workspace.clone()],
        protected: settings.protected.clone(),
        env: process.env,
        remove,
        stdin: !process.stdin.is_empty(),
    };
    let mut running = spawn(spec, &process.confinement)
        .await
        .map_err(|e| match e {
            SpawnError::Sandbox(e) => ToolError::Failed(e.to_string()),
            SpawnError::Io(e) => ToolError::io("run", Path::new(&program), e),
        })?;
    let child = &mut running.child;
    // Declared after `running`, so on cancellation it drops first and the whole group is
    // killed while the leader is still unreaped, i.e. while the group id cannot be reused.
    let mut group = ProcessGroup(child.id().and_then(|id| i32::try_from(id).ok()));
    if let Some(mut input) = child.stdin.take() {
        let bytes = process.stdin;
        // Written concurrently: a program that prints before reading must not deadlock.
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt as _;
            if let Err(e) = input.write_all(&bytes).await {
                tracing::debug!(error = %e, "the program did not read all of its input");
            }
        });
    }
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut out = CappedBuf::new(limit);
    let mut err = CappedBuf::new(limit);

    let finished = tokio::time::timeout(timeout, async {
        let readers = async { tokio::join!(drain(stdout, &mut out), drain(stderr, &mut err)) };
        tokio::pin!(readers);
        let mut readers_done = false;
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                _ = &mut readers, if !readers_done => readers_done = true,
            }
        };
        // Whatever the shell left running in the background goes down with it.
        group.kill();
        if !readers_done
            && tokio::time::timeout(DRAIN_GRACE, &mut readers)
                .await
                .is_err()
        {
            tracing::debug!(
                "exec: output pipes still open after the command exited; stopped reading"
            );
        }
        status
    })
    .await;

    let status = match finished {
        Ok(status) => {
            status.map_err(|e| ToolError::io("wait for", std::path::Path::new(&program), e))?
        }
        Err(_) => {
            group.kill();
            tracing::debug!(?timeout, ?program, "command timed out");
            return Err(ToolError::TimedOut(timeout));
        }
    };

    let mut result = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code: {code}\n"),
        (None, Some(signal)) => format!("exit code: none (killed by signal {signal})\n"),
        (None, None) => "exit code: unknown\n".to_owned(),
    };
    let (out_budget, err_budget) = budgets(out.len(), err.len(), limit);
    out.shrink_to(out_budget);
    err.shrink_to(err_budget);
    if out.is_empty() && err.is_empty() {
        result.push_str("(no output)\n");
    }
    result.push_str(&out.render());
    if !err.is_empty() {
        if !result.ends_with('\n') {
            result.push('\n');
        }
        result.push_str("--- stderr ---\n");
        result.push_str(&err.render());
    }
    // A failure may be the sandbox's doing (a refused write or connection): say so, or the
    // model retries in circles. Only on failure, so a normal result costs no tokens.
    if let (Some(note), false) = (confined, status.success()) {
        if !result.ends_with('\n') {
            result.push('\n');
        }
        result.push_str(note);
        result.push('\n');
    }
    Ok(result)
}

/// The line a failed sandboxed command's result ends with.
fn confinement_note(confinement: &Confinement) -> Option<&'static str> {
    match confinement {
        Confinement::Sandboxed { network: false, .. } => Some(
            "(ran in the sandbox: it may write only in the workspace and its temp folder, and has no network; \
             the owner can allow more with an exec rule in [policy])",
        ),
        Confinement::Sandboxed { network: true, .. } => Some(
            "(ran in the sandbox: it may write only in the workspace and its temp folder; \
             the owner can allow more with an exec rule in [policy])",
        ),
        Confinement::Unsandboxed => None,
    }
}

/// Splits the output limit between stdout and stderr: stdout gets what it needs unless that
/// would squeeze stderr (usually where the error is) below a quarter of the limit.
fn budgets(out_len: usize, err_len: usize, limit: usize) -> (usize, usize) {
    if out_len + err_len <= limit {
        return (out_len, err_len);
    }
    let err_budget = err_len.min((limit / 4).max(limit.saturating_sub(out_len)));
    (limit - err_budget, err_budget)
}

async fn drain<R: AsyncRead + Unpin>(reader: Option<R>, buf: &mut CappedBuf) {
    let Some(mut reader) = reader else { return };
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match reader.read(&mut chunk).await {
            Ok(0) => return,
            Ok(n) => buf.push(&chunk[..n]),
            Err(e) => {
                tracing::debug!(error = %e, "exec: reading output failed");
                return;
            }
        }
    }
}

/// Kills a process group once, and at the latest when dropped, so a cancelled call does not
/// leave the command (or anything it started) running.
struct ProcessGroup(Option<i32>);

impl ProcessGroup {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            match killpg(Pid::from_raw(pgid), Signal::SIGKILL) {
                Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
                Err(e) => tracing::warn!(pgid, error = %e, "exec: could not kill process group"),
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Output kept as head and tail with the middle dropped, so memory stays bounded however
/// much a command prints, and both its start and its end (usually the error) survive.
struct CappedBuf {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    dropped: usize,
}

impl CappedBuf {
    fn new(limit: usize) -> Self {
        Self {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_cap: limit / 2,
            tail_cap: limit - limit / 2,
            dropped: 0,
        }
    }

    fn push(&mut self, mut bytes: &[u8]) {
        let room = self.head_cap.saturating_sub(self.head.len());
        let take = room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        if bytes.is_empty() {
            return;
        }
        if bytes.len() >= self.tail_cap {
            self.dropped += self.tail.len() + bytes.len() - self.tail_cap;
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - self.tail_cap..]);
            return;
        }
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(self.tail_cap);
        self.tail.drain(..excess);
        self.dropped += excess;
    }

    /// Bytes kept.
    fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0 && self.dropped == 0
    }

    /// Keeps at most `budget` bytes: the first half from the head, the rest from the tail.
    fn shrink_to(&mut self, budget: usize) {
        if self.len() <= budget {
            return;
        }
        let keep_head = budget / 2;
        let keep_tail = budget - keep_head;
        if self.tail.len() < keep_tail {
            // A short tail means nothing was dropped yet, so head and tail are contiguous and
            // the tail can take its missing part from the end of the head.
            let need = keep_tail - self.tail.len();
            let split = self.head.len().saturating_sub(need);
            for &byte in self.head[split..].iter().rev() {
                self.tail.push_front(byte);
            }
            self.head.truncate(split);
        }
        let excess = self.tail.len().saturating_sub(keep_tail);
        self.tail.drain(..excess);
        self.dropped += excess + self.head.len().saturating_sub(keep_head);
        self.head.truncate(keep_head);
    }

    fn render(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if self.dropped > 0 {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            let _ = writeln!(text, "[… {} bytes of output omitted …]", self.dropped);
        }
        let (a, b) = self.tail.as_slices();
        let mut tail = Vec::with_capacity(a.len() + b.len());
        tail.extend_from_slice(a);
        tail.extend_from_slice(b);
        text.push_str(&String::from_utf8_lossy(&tail));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_buf_keeps_head_and_tail() {
        let mut buf = CappedBuf::new(10);
        for _ in 0..10 {
            buf.push(b"0123456789");
        }
        assert_eq!(buf.len(), 10);
        assert_eq!(buf.dropped, 90);
        assert_eq!(
            buf.render(),
            "01234\n[… 90 bytes of output omitted …]\n56789"
        );
    }

    #[test]
    fn capped_buf_small_output_is_whole() {
        let mut buf = CappedBuf::new(100);
        buf.push(b"hello ");
        buf.push(b"world");
        assert_eq!(buf.render(), "hello world");
    }

    #[test]
    fn shrink_keeps_both_ends() {
        let mut buf = CappedBuf::new(20);
        buf.push(b"abcdefghijklmnopqrstuvwxyz");
        buf.shrink_to(10);
        assert_eq!(buf.len(), 10);
        assert_eq!(buf.dropped, 16);
        assert!(buf.render().starts_with("abcde\n"));
        assert!(buf.render().ends_with("vwxyz"));
    }

    #[test]
    fn shrink_without_drops_keeps_the_end() {
        let mut buf = CappedBuf::new(100);
        buf.push(b"abcdefghijklmnopqrstuvwxyz");
        buf.shrink_to(10);
        assert_eq!(buf.len(), 10);
        assert_eq!(
            buf.render(),
            "abcde\n[… 16 bytes of output omitted …]\nvwxyz"
        );
    }

    #[test]
    fn budgets_split() {
        assert_eq!(budgets(10, 10, 100), (10, 10));
        assert_eq!(budgets(1000, 10, 100), (90, 10));
        assert_eq!(budgets(1000, 1000, 100), (75, 25));
        assert_eq!(budgets(10, 1000, 100), (10, 90));
    }
}
