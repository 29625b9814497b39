//! What the daemon benches share: a release `pincer daemon` on a fresh data home with the
//! scripted LLM as its provider (`PINCER_BENCH_BIN` names another `pincer` binary to
//! run instead), and its memory read from /proc.

// Each bench is its own crate and uses part of this.
#![allow(dead_code)]

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pincer_testkit::ScriptedLlm;

/// The `pincer` binary to measure: this build's, or `PINCER_BENCH_BIN` (an older commit's
/// build, to compare on one machine).
pub fn pincer_bin() -> OsString {
    std::env::var_os("PINCER_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_pincer").into())
}

/// A running `pincer daemon`; stopped with SIGTERM when dropped.
pub struct Daemon {
    child: Child,
    home: tempfile::TempDir,
    /// The base URL it printed, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The one-time login code it printed.
    pub code: String,
    /// From spawning to the URL line.
    pub ready: Duration,
}

impl Daemon {
    /// On a fresh, empty data home.
    pub fn start(llm: &ScriptedLlm) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), llm)
    }

    /// On `home`, whose `config.toml` this writes (the scripted LLM as the one provider).
    pub fn start_in(home: tempfile::TempDir, llm: &ScriptedLlm) -> Self {
        std::fs::write(
            home.path().join("config.toml"),
            format!(
                "[[providers]]\npreset = \"openai\"\nbase_url = \"{}\"\nmodel = \"bench-model\"\n",
                llm.base_url()
            ),
        )
        .unwrap();
        let mut child = Command::new(pincer_bin())
            .args(["daemon", "--listen", "127.0.0.1:0"])
            .env_clear()
            .env("PINCER_HOME", home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .next()
            .unwrap()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned();
        let ready = started.elapsed();
        let code = lines
            .next()
            .unwrap()
            .unwrap()
            .split("#login=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            home,
            url,
            code,
            ready,
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (VmRSS, VmHWM) in MB.
    pub fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .unwrap()
                / 1024.0
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
