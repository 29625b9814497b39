//! `pincer-scripted-llm`: the [`pincer_testkit::ScriptedLlm`] fake LLM server
//! as a standalone process, so tests not written in Rust (the web UI's
//! browser tests) can script it over HTTP through its `/__testkit/` control
//! API. See the crate's README for the API and the reply JSON format.
//!
//! ```text
//! pincer-scripted-llm [--port PORT] [--port-file PATH]
//! ```
//!
//! Binds `127.0.0.1` only. Once listening it writes the port to `--port-file`
//! (atomically: a temporary file renamed into place), then prints
//! `scripted LLM listening on http://127.0.0.1:PORT/v1` on stdout. It runs
//! until SIGTERM or SIGINT, then removes the port file and exits 0. Logs go
//! to stderr (`RUST_LOG` filters them, default `info`).
//!
//! A request whose history breaks the tool call/result pairing is answered
//! with HTTP 400 and logged on stderr as an error; harnesses read the list
//! from `GET /__testkit/violations`. At shutdown the violations and the
//! replies left unused are logged again as a summary (the exit status stays
//! 0: the harness decides whether that fails its tests).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use pincer_testkit::ScriptedLlm;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "pincer-scripted-llm",
    about = "Scripted fake LLM server (OpenAI + Anthropic dialects) with an HTTP control API under /__testkit/"
)]
struct Args {
    /// TCP port to listen on, on 127.0.0.1; 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Write the bound port number to this file once the server is listening
    /// (written to a temporary file, then renamed into place).
    #[arg(long, value_name = "PATH")]
    port_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let llm = ScriptedLlm::try_start_on(args.port)
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let port = llm.addr().port();
    if let Some(path) = &args.port_file {
        write_atomically(path, &format!("{port}\n"))
            .map_err(|e| format!("cannot write port file {}: {e}", path.display()))?;
    }
    announce(&llm.base_url());

    let signal = shutdown_signal().await;
    tracing::info!("received {signal}, shutting down");
    if let Err(problems) = llm.finish() {
        tracing::warn!("{problems}");
    }
    if let Some(path) = &args.port_file {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// The one line on stdout. A closed stdout is not fatal: the port file (or a
/// known `--port`) still tells the parent where to connect.
fn announce(base_url: &str) {
    let mut out = io::stdout().lock();
    let written = writeln!(out, "scripted LLM listening on {base_url}").and_then(|()| out.flush());
    if let Err(e) = written {
        tracing::warn!("cannot write to stdout: {e}");
    }
}

/// Writes `contents` to a sibling temporary file and renames it over `path`,
/// so a reader polling for `path` never sees it half-written.
fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!("cannot listen for SIGTERM ({e}); only SIGINT stops the server");
            return ctrl_c().await;
        }
    };
    tokio::select! {
        name = ctrl_c() => name,
        _ = term.recv() => "SIGTERM",
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() -> &'static str {
    ctrl_c().await
}

async fn ctrl_c() -> &'static str {
    match tokio::signal::ctrl_c().await {
        Ok(()) => "SIGINT",
        Err(e) => {
            // Without a signal handler the process can only be killed; keep serving.
            tracing::warn!("cannot listen for SIGINT: {e}");
            std::future::pending().await
        }
    }
}
