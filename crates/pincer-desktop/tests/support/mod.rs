//! Helpers for the display tests: the X server and session bus they need, child processes
//! that die with the test, polling with a deadline, and xdotool/xev/xterm/display windows.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pincer_core::tools::{Tool, ToolError, ToolExt, ToolOutput, ToolRegistry, ToolSettings};
use pincer_desktop::{Availability, Control, availability, register_tools};

/// Every test drives the same screen, pointer and keyboard: one at a time.
static DISPLAY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A test's hold on the display: no other test runs meanwhile, and the X server stays up.
///
/// Xvfb (as `xvfb-run` starts it) resets whenever its last client disconnects, which puts
/// the pointer back in the middle of the screen; one connection held for the whole test
/// keeps the short-lived clients (xdotool, the tools' own) from causing a reset.
pub struct Session {
    _connection: enigo::Enigo,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Fails the test (never skips it) when the X server or the session bus is missing, then
/// waits for the display.
pub async fn session() -> Session {
    let turn = DISPLAY.lock().await;
    require_session();
    // Right after the previous test's clients left, the server may still be resetting.
    let mut failure = None;
    let connection = wait_until("the X server accepts a connection", || {
        enigo::Enigo::new(&enigo::Settings::default())
            .map_err(|e| failure = Some(e))
            .ok()
    })
    .await;
    if let Some(e) = failure {
        eprintln!("(connecting to the X server needed a retry: {e})");
    }
    Session {
        _connection: connection,
        _turn: turn,
    }
}

pub const TIMEOUT: Duration = Duration::from_secs(10);

const HOW_TO_RUN: &str = "run the display tests as: xvfb-run -a -s \"-screen 0 1280x800x24\" dbus-run-session -- cargo test -p pincer-desktop --features display-tests";

/// Fails the test (never skips it) when the X server or the session bus is missing.
pub fn require_session() {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    assert!(!display.is_empty(), "DISPLAY is not set; {HOW_TO_RUN}");
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(
        !bus.is_empty(),
        "DBUS_SESSION_BUS_ADDRESS is not set; {HOW_TO_RUN}"
    );
    assert_eq!(
        availability(),
        Availability::Available,
        "the desktop tools say they cannot work here; {HOW_TO_RUN}"
    );
}

/// A child process killed (and reaped) when the guard drops.
pub struct Child {
    pub name: String,
    pub child: std::process::Child,
}

impl Child {
    pub fn spawn(command: &mut Command) -> Child {
        let name = format!("{command:?}");
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        Child { name, child }
    }

    pub fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.child.stdin.as_mut().expect("stdin piped")
    }

    /// The child's stdout as lines, read on a thread.
    pub fn lines(&mut self) -> mpsc::Receiver<String> {
        let stdout = self.child.stdout.take().expect("stdout piped");
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        receive
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 20 ms until it answers, failing the test after `TIMEOUT`.
pub async fn wait_until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next line from `lines` that `pick` accepts, failing after `TIMEOUT`.
pub fn next_line(
    lines: &mpsc::Receiver<String>,
    what: &str,
    pick: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if pick(&line) => return line,
            Ok(_) => {}
            Err(e) => panic!("no line {what} ({e})"),
        }
    }
}

pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where the pointer is, according to xdotool.
pub fn pointer() -> (i32, i32) {
    let out = run("xdotool", &["getmouselocation", "--shell"]);
    let value = |key: &str| -> i32 {
        out.lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {out}"))
    };
    (value("X="), value("Y="))
}

/// Moves the pointer with xdotool and waits until it is there. (`xdotool mousemove --sync`
/// waits for a motion event, which never comes when the pointer is already in place.)
pub fn move_pointer_with_xdotool(x: i32, y: i32) {
    run("xdotool", &["mousemove", &x.to_string(), &y.to_string()]);
    let deadline = Instant::now() + TIMEOUT;
    while pointer() != (x, y) {
        assert!(
            Instant::now() < deadline,
            "the pointer did not get to ({x}, {y})"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until a window named `name` exists and returns its id.
pub async fn window(name: &str) -> String {
    wait_until(&format!("a window named {name} exists"), || {
        let out = Command::new("xdotool")
            .args(["search", "--name", &format!("^{name}$")])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(str::to_owned)
    })
    .await
}

/// (x, y, width, height) of a window, according to xdotool.
pub fn window_geometry(id: &str) -> (i32, i32, u32, u32) {
    let out = run("xdotool", &["getwindowgeometry", "--shell", id]);
    let value = |key: &str| -> i64 {
        out.lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {out}"))
    };
    (
        value("X=") as i32,
        value("Y=") as i32,
        value("WIDTH=") as u32,
        value("HEIGHT=") as u32,
    )
}

/// Where a window's own pixels start on the screen (inside any border or frame).
pub fn window_origin(id: &str) -> (i32, i32) {
    let out = run("xwininfo", &["-id", id]);
    let value = |key: &str| -> i32 {
        out.lines()
            .find_map(|line| line.trim().strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {out}"))
    };
    (
        value("Absolute upper-left X:"),
        value("Absolute upper-left Y:"),
    )
}

/// Writes a PNG whose pixel colours come from `colour(x, y)`.
pub fn write_png(path: &Path, width: u32, height: u32, colour: impl Fn(u32, u32) -> [u8; 3]) {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb(colour(x, y)));
    image.save(path).unwrap();
}

/// Shows `png` in an ImageMagick `display` window titled `title` at (`x`, `y`).
pub fn show_image(png: &Path, title: &str, x: i32, y: i32) -> Child {
    Child::spawn(
        Command::new("display")
            .args(["-borderwidth", "0", "-geometry"])
            .arg(format!("+{x}+{y}"))
            .args(["-title", title])
            .arg(png)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
}

/// An xterm at the top-left corner whose shell reads one line and writes it to a file.
pub struct LineReader {
    pub window: String,
    pub file: PathBuf,
    _child: Child,
}

impl LineReader {
    pub async fn start(dir: &Path, title: &str) -> LineReader {
        let file = dir.join(format!("{title}.txt"));
        let ready = dir.join(format!("{title}.ready"));
        let script = format!(
            "touch '{}'; IFS= read -r line; printf '%s\\n' \"$line\" > '{1}.tmp' && mv '{1}.tmp' '{1}'",
            ready.display(),
            file.display()
        );
        let child = Child::spawn(
            Command::new("xterm")
                .env("LC_ALL", "C.UTF-8")
                .args([
                    "-u8",
                    "-geometry",
                    "80x10+0+0",
                    "-title",
                    title,
                    "-e",
                    "sh",
                    "-c",
                ])
                .arg(script)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let window = window(title).await;
        // Keys typed before the shell runs can be flushed while the terminal is set up.
        wait_until("the shell in the xterm is reading", || {
            ready.exists().then_some(())
        })
        .await;
        LineReader {
            window,
            file,
            _child: child,
        }
    }

    /// Puts the pointer over the window; with no window manager, focus follows it.
    pub fn focus(&self) {
        let (x, y, width, height) = window_geometry(&self.window);
        move_pointer_with_xdotool(x + width as i32 / 2, y + height as i32 / 2);
    }

    /// The line the shell read, once it wrote it.
    pub async fn line(&self) -> String {
        wait_until("the xterm wrote the line it read", || {
            std::fs::read_to_string(&self.file).ok()
        })
        .await
    }
}

/// An `xev` window reporting button and pointer events, one parsed event per item.
pub struct EventWindow {
    pub window: String,
    pub geometry: (i32, i32, u32, u32),
    events: mpsc::Receiver<String>,
    _child: Child,
}

/// One xev event: its name and the window-relative position it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XEvent {
    pub kind: String,
    pub button: Option<u32>,
    pub at: (i32, i32),
}

impl EventWindow {
    pub async fn start(title: &str, x: i32, y: i32) -> EventWindow {
        let mut child = Child::spawn(
            Command::new("xev")
                .args(["-name", title, "-bw", "0", "-geometry"])
                .arg(format!("300x200+{x}+{y}"))
                .args(["-event", "button", "-event", "mouse"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let events = child.lines();
        let window = window(title).await;
        let geometry = window_geometry(&window);
        EventWindow {
            window,
            geometry,
            events,
            _child: child,
        }
    }

    /// The next ButtonPress/ButtonRelease event (motion is skipped), failing after `TIMEOUT`.
    pub fn next_button(&self) -> XEvent {
        self.next_matching(|kind| kind == "ButtonPress" || kind == "ButtonRelease")
    }

    pub fn next_matching(&self, pick: impl Fn(&str) -> bool) -> XEvent {
        loop {
            let header = next_line(&self.events, "from xev", |line| {
                line.ends_with(',') || line.contains(" event, serial")
            });
            let kind = header.split_whitespace().next().unwrap_or("").to_owned();
            if !pick(&kind) {
                continue;
            }
            // "    root 0x..., subw 0x0, time 1234, (10,20), root:(110,220),"
            let position = next_line(&self.events, "with the event position", |line| {
                line.contains("root:(")
            });
            let at = parse_pair(&position).expect("position");
            let state = next_line(&self.events, "with the button", |line| {
                line.contains("state ")
            });
            let button = state
                .split("button ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok());
            return XEvent { kind, button, at };
        }
    }

    /// No further button event arrives within `wait`.
    pub fn assert_no_button_within(&self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while let Ok(line) = self
            .events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            assert!(
                !line.starts_with("ButtonPress") && !line.starts_with("ButtonRelease"),
                "unexpected button event: {line}"
            );
        }
    }
}

fn parse_pair(line: &str) -> Option<(i32, i32)> {
    let open = line.find('(')?;
    let close = line[open..].find(')')? + open;
    let (x, y) = line[open + 1..close].split_once(',')?;
    Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
}

/// The desktop tools with a fresh [`Control`], working in a temporary workspace.
pub struct Desktop {
    pub control: Control,
    pub registry: ToolRegistry,
    pub settings: ToolSettings,
    pub dir: tempfile::TempDir,
}

impl Desktop {
    pub fn new() -> Desktop {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().canonicalize().unwrap();
        let control = Control::new();
        let mut registry = ToolRegistry::default();
        register_tools(&mut registry, &control);
        Desktop {
            control,
            registry,
            settings: ToolSettings::new(workspace),
            dir,
        }
    }

    pub fn tool(&self, name: &str) -> std::sync::Arc<dyn Tool> {
        self.registry.get(name).expect(name).clone()
    }

    /// Prepares the call (what the engine's policy would be shown) and runs that plan.
    pub async fn call(&self, name: &str, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
        self.tool(name).call(args, &self.settings).await
    }
}

/// The notification listener: a D-Bus `org.freedesktop.Notifications` service in Python.
pub struct Listener {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Listener {
    pub fn start() -> Listener {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/notification_listener.py");
        let mut child = Child::spawn(
            Command::new("/usr/bin/python3")
                .arg("-u")
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped()),
        );
        let lines = child.lines();
        next_line(&lines, "saying the listener is ready", |line| {
            line == "ready"
        });
        Listener { child, lines }
    }

    /// The next notification the listener received, as JSON.
    pub fn next(&self) -> serde_json::Value {
        let line = next_line(&self.lines, "with a notification", |line| {
            line.starts_with('{')
        });
        serde_json::from_str(&line).unwrap()
    }

    /// Asks the listener to report a click on notification `id`'s `action` until told to stop.
    pub fn invoke(&mut self, id: u64, action: &str) {
        writeln!(self.child.stdin(), "invoke {id} {action}").unwrap();
        self.child.stdin().flush().unwrap();
    }

    pub fn stop_invoking(&mut self) {
        writeln!(self.child.stdin(), "stop").unwrap();
        self.child.stdin().flush().unwrap();
    }
}
