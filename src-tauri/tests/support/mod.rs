//! Runs the real app binary under the test's X display and D-Bus session, with the helpers
//! the tests talk to: a StatusNotifier host, a notification listener, screenshots.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The apps share one display and one session bus (the tray watcher name, the
/// single-instance name): tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// One window manager for the whole run, as on a real desktop (it also keeps keyboard
/// focus sane between apps). It exits with the X server at the end of the run.
static WM: std::sync::OnceLock<WindowManager> = std::sync::OnceLock::new();

pub fn serial() -> MutexGuard<'static, ()> {
    let guard = pincer_core::sync::lock(&SERIAL);
    WM.get_or_init(WindowManager::start);
    guard
}

/// Fails (never skips) when the test does not run under a display and a session bus.
pub fn require_desktop() {
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: run these tests under `xvfb-run -a dbus-run-session -- cargo test -p pincer-app --features display-tests` (scripts/test.sh does)"
        );
    }
}

pub const APP: &str = env!("CARGO_BIN_EXE_pincer-app");

/// The `pincer` CLI built next to the app (scripts/test.sh builds it first).
pub fn pincer_cli() -> PathBuf {
    let dir = Path::new(APP).parent().unwrap();
    let path = dir.join("pincer");
    assert!(
        path.exists(),
        "{} is missing: build it first with `cargo build -p pincer-cli`",
        path.display()
    );
    path
}

pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A data home whose config points at `llm_base_url`, and a HOME of its own (start at
/// login writes to `$HOME/.config/autostart`; the webview keeps its data under HOME).
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new(llm_base_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pincer = dir.path().join("pincer");
        std::fs::create_dir_all(&pincer).unwrap();
        std::fs::write(
            pincer.join("config.toml"),
            format!(
                "[[providers]]\nname = \"scripted\"\ndialect = \"openai\"\nbase_url = \"{llm_base_url}\"\nmodel = \"scripted-model\"\napi_key = \"sk-test\"\n"
            ),
        )
        .unwrap();
        Self { dir }
    }

    pub fn pincer(&self) -> PathBuf {
        self.dir.path().join("pincer")
    }

    pub fn user_home(&self) -> PathBuf {
        self.dir.path().join("user")
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.pincer().join("gateway.token"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// A command with this home's environment and nothing else from the test's.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.env_clear();
        for var in [
            "PATH",
            "DISPLAY",
            "XAUTHORITY",
            "DBUS_SESSION_BUS_ADDRESS",
            "LANG",
        ] {
            if let Some(value) = std::env::var_os(var) {
                command.env(var, value);
            }
        }
        std::fs::create_dir_all(self.user_home()).unwrap();
        command
            .env("HOME", self.user_home())
            .env("XDG_CONFIG_HOME", self.user_home().join(".config"))
            .env("XDG_DATA_HOME", self.user_home().join(".local/share"))
            .env("XDG_CACHE_HOME", self.user_home().join(".cache"))
            .env("PINCER_HOME", self.pincer())
            .env("PINCER_LOG", "info")
            .stdin(Stdio::null());
        command
    }
}

/// Lines a child printed, collected by a thread so the pipe never fills.
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    pub fn follow(reader: impl std::io::Read + Send + 'static, echo: &'static str) -> Self {
        let lines = Self::default();
        let sink = lines.0.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                eprintln!("[{echo}] {line}");
                sink.lock().unwrap().push(line);
            }
        });
        lines
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Waits for a line containing `needle` and returns it.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.all().into_iter().find(|l| l.contains(needle)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no line with {needle:?} within {timeout:?}; got:\n{}",
                self.all().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn count(&self, needle: &str) -> usize {
        self.all().iter().filter(|l| l.contains(needle)).count()
    }
}

/// The app, killed on drop.
pub struct App {
    pub child: Child,
    pub stdout: Lines,
    pub log: Lines,
}

impl App {
    pub fn start(home: &Home, args: &[&str]) -> Self {
        let mut child = home
            .command(Path::new(APP))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = Lines::follow(child.stdout.take().unwrap(), "app out");
        let log = Lines::follow(child.stderr.take().unwrap(), "app");
        Self { child, stdout, log }
    }

    /// The gateway address the app printed.
    pub fn url(&self) -> String {
        let line = self
            .stdout
            .wait_for("Pincer is running at ", Duration::from_secs(60));
        line.trim_start_matches("Pincer is running at ")
            .trim()
            .to_owned()
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the app did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless `pincer daemon` (the real CLI binary) serving `home`, killed on drop.
pub struct Daemon {
    child: Child,
    pub url: String,
    pub out: Lines,
}

impl Daemon {
    pub fn start(home: &Home) -> Self {
        let mut child = home
            .command(&pincer_cli())
            .args(["daemon", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Lines::follow(child.stdout.take().unwrap(), "daemon out");
        let _log = Lines::follow(child.stderr.take().unwrap(), "daemon");
        let url = out
            .wait_for("Pincer is listening on ", Duration::from_secs(30))
            .trim_start_matches("Pincer is listening on ")
            .trim()
            .to_owned();
        Self { child, url, out }
    }

    /// Stops the daemon as a crash or `kill -9` would: no goodbye to its clients.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Python helper speaking JSON lines (see tests/support/*.py), killed on drop.
pub struct Helper {
    child: Child,
    stdin: ChildStdin,
    events: Receiver<Value>,
    seen: Vec<Value>,
}

impl Helper {
    pub fn start(script: &Path) -> Self {
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("[helper] {line}");
                // The notification listener says a bare `ready` and prints notifications
                // without an event name; give every line one.
                let value = match serde_json::from_str::<Value>(&line) {
                    Ok(Value::Object(mut map)) => {
                        if !map.contains_key("event") && map.contains_key("summary") {
                            map.insert("event".into(), "notify".into());
                        }
                        Value::Object(map)
                    }
                    _ if line.trim() == "ready" => serde_json::json!({"event": "ready"}),
                    _ => continue,
                };
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let mut helper = Self {
            child,
            stdin,
            events,
            seen: Vec::new(),
        };
        helper.expect("ready", Duration::from_secs(10));
        helper
    }

    /// StatusNotifier host (tests/support/sni_host.py).
    pub fn tray_host() -> Self {
        Self::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/sni_host.py"))
    }

    /// org.freedesktop.Notifications listener (from the desktop crate's tests).
    pub fn notification_listener() -> Self {
        Self::start(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../crates/pincer-desktop/tests/support/notification_listener.py"),
        )
    }

    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next event named `name` (others are kept in `seen`); an `error` event fails.
    pub fn expect(&mut self, name: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    if event["event"] == name {
                        return event;
                    }
                    assert_ne!(event["event"], "error", "helper error: {event}");
                    self.seen.push(event);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {name:?} event within {timeout:?}; saw {:?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the helper exited; saw {:?}", self.seen)
                }
            }
        }
    }

    /// Fails if an event named `name` comes within `wait` (others are kept in `seen`).
    pub fn expect_none(&mut self, name: &str, wait: Duration) {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    assert_ne!(event["event"], name, "unexpected {name:?}: {event}");
                    self.seen.push(event);
                }
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the helper exited; saw {:?}", self.seen)
                }
            }
        }
    }

    /// Sends `command` and returns the answer event `name`.
    pub fn ask(&mut self, command: &str, name: &str) -> Value {
        self.send(command);
        self.expect(name, Duration::from_secs(10))
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command and returns its stdout; fails the test on a non-zero exit.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Ids of visible windows whose name matches `pattern` exactly.
pub fn visible_windows(name: &str) -> Vec<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", &format!("^{name}$")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Polls `condition` until it holds.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The whole X screen, as `import` captures it.
pub fn screenshot(path: &Path) -> image::RgbImage {
    run("import", &["-window", "root", path.to_str().unwrap()]);
    image::open(path).unwrap().to_rgb8()
}

/// openbox on the test's display, stopped on drop.
pub struct WindowManager(Child);

impl WindowManager {
    pub fn start() -> Self {
        let child = Command::new("openbox")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // wmctrl answers once a EWMH window manager runs.
        wait_until("openbox runs", Duration::from_secs(10), || {
            Command::new("wmctrl")
                .arg("-m")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        Self(child)
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
