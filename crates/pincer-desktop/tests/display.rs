//! The desktop tools against a real X server and D-Bus session. Run as
//! `xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- cargo test -p pincer-desktop --features display-tests`.
//! Without DISPLAY or a session bus every test fails (it does not skip).

#![cfg(feature = "display-tests")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pincer_core::tools::ToolError;
use pincer_core::tools::ToolExt;
use pincer_desktop::notifications::{self, AppNotification};
use serde_json::json;
use support::{
    Child, Desktop, EventWindow, LineReader, Listener, move_pointer_with_xdotool, pointer,
    require_session, session, show_image, wait_until, window, window_origin, write_png,
};

const RED: [u8; 3] = [255, 0, 0];
const BLUE: [u8; 3] = [0, 0, 255];

/// 200×100: the left half red, the right half blue.
fn two_colour_png(dir: &std::path::Path) -> std::path::PathBuf {
    let png = dir.join("two-colour.png");
    write_png(&png, 200, 100, |x, _| if x < 100 { RED } else { BLUE });
    png
}

fn decode(path: &str) -> image::RgbImage {
    image::open(path).unwrap().to_rgb8()
}

fn pixel(image: &image::RgbImage, x: u32, y: u32) -> [u8; 3] {
    image.get_pixel(x, y).0
}

/// Takes screenshots through the tool until `ready` accepts one (a new window may be mapped
/// before it is painted).
async fn screenshot_until(
    desktop: &Desktop,
    args: serde_json::Value,
    what: &str,
    ready: impl Fn(&image::RgbImage) -> bool,
) -> (pincer_core::tools::ToolOutput, image::RgbImage) {
    let deadline = Instant::now() + support::TIMEOUT;
    loop {
        let last = desktop.call("screenshot", args.clone()).await;
        if let Ok(output) = &last {
            let image = decode(&output.images[0].path);
            if ready(&image) {
                return (output.clone(), image);
            }
        }
        assert!(
            Instant::now() < deadline,
            "no screenshot showed {what}; last: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_tests_have_a_display_and_a_session_bus() {
    require_session();
}

#[tokio::test]
async fn a_screenshot_of_the_screen_shows_what_is_on_it() {
    let _session = session().await;
    let desktop = Desktop::new();
    let png = two_colour_png(desktop.dir.path());
    let _image = show_image(&png, "pincer-two-colour", 100, 150);
    window("pincer-two-colour").await;
    let indicator = desktop.control.watch();

    let (output, image) = screenshot_until(&desktop, json!({}), "the red/blue window", |image| {
        pixel(image, 150, 200) == RED && pixel(image, 250, 200) == BLUE
    })
    .await;

    assert_eq!(
        image.dimensions(),
        (1280, 800),
        "the long side is at most 1280"
    );
    // Just outside the window: neither colour.
    assert_ne!(pixel(&image, 95, 200), RED);
    assert_ne!(pixel(&image, 305, 200), BLUE);
    assert_ne!(pixel(&image, 150, 145), RED);
    let text = &output.text;
    assert!(
        text.starts_with(
            "Screenshot of the screen (1280×800, scale 1.0; screen coordinates = image coordinates × 1.0). Saved to screenshots/"
        ),
        "{text}"
    );
    let image_ref = &output.images[0];
    assert_eq!(image_ref.media_type, "image/png");
    let path = std::path::Path::new(&image_ref.path);
    assert!(path.is_absolute(), "{}", image_ref.path);
    assert!(
        path.starts_with(desktop.settings.workspace.join("screenshots")),
        "{}",
        image_ref.path
    );
    assert!(
        text.contains(&*path.file_name().unwrap().to_string_lossy()),
        "{text}"
    );
    let mapping = desktop.control.last_screenshot().unwrap();
    assert_eq!((mapping.image_width, mapping.image_height), (1280, 800));
    assert!(!desktop.control.is_controlling());
    // Looking is not controlling: the indicator bar would cover part of the picture.
    assert!(
        !indicator.has_changed().unwrap(),
        "a screenshot must not raise the indicator"
    );
}

#[tokio::test]
async fn a_region_screenshot_has_the_region_size_and_maps_the_mouse_to_it() {
    let _session = session().await;
    let desktop = Desktop::new();
    let png = two_colour_png(desktop.dir.path());
    let _image = show_image(&png, "pincer-region", 100, 150);
    window("pincer-region").await;

    // Once the window shows on the whole screen (at scale 1, so its pixels are the screen's)...
    screenshot_until(&desktop, json!({}), "the red/blue window", |image| {
        pixel(image, 150, 200) == RED && pixel(image, 250, 200) == BLUE
    })
    .await;
    // ...a region of it is exactly the window.
    let region = json!({"region": {"x": 100, "y": 150, "width": 200, "height": 100}});
    let output = desktop.call("screenshot", region.clone()).await.unwrap();
    let image = decode(&output.images[0].path);
    assert_eq!(image.dimensions(), (200, 100));
    assert_eq!(pixel(&image, 0, 0), RED);
    assert_eq!(pixel(&image, 199, 99), BLUE);
    assert_eq!(pixel(&image, 99, 0), RED);
    assert_eq!(pixel(&image, 100, 99), BLUE);
    assert!(
        output.text.contains(
            "(200×100, scale 1.0; screen coordinates = (100, 150) + image coordinates × 1.0)"
        ),
        "{}",
        output.text
    );

    // The mouse now takes this image's coordinates: (10, 20) is (110, 170) on the screen.
    let done = desktop
        .call("mouse", json!({"action": "move", "x": 10, "y": 20}))
        .await
        .unwrap();
    assert_eq!(pointer(), (110, 170));
    assert!(
        done.text
            .contains("(10, 20) in the last screenshot = (110, 170) on the screen"),
        "{}",
        done.text
    );
    // Region coordinates are that image's too: the same call again would reach past it.
    let err = desktop.call("screenshot", region).await.unwrap_err();
    assert!(
        matches!(&err, ToolError::InvalidArguments(m) if m.contains("outside the last screenshot, which is 200×100")),
        "{err}"
    );
    // And points outside that image are refused, naming its size.
    let err = desktop
        .call("mouse", json!({"action": "move", "x": 250, "y": 20}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ToolError::InvalidArguments(m) if m.contains("200×100")),
        "{err}"
    );
}

#[tokio::test]
async fn monitors_are_listed_by_index() {
    let _session = session().await;
    let desktop = Desktop::new();
    let output = desktop
        .call("screenshot", json!({"target": "monitor", "monitor": 0}))
        .await
        .unwrap();
    assert!(
        output.text.starts_with("Screenshot of monitor 0"),
        "{}",
        output.text
    );
    assert_eq!(decode(&output.images[0].path).dimensions(), (1280, 800));
    let err = desktop
        .call("screenshot", json!({"monitor": 3}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ToolError::InvalidArguments(m) if m.contains("there is no monitor 3; the screen is 1280×800")),
        "{err}"
    );
}

#[tokio::test]
async fn a_window_is_captured_by_part_of_its_title_under_a_window_manager() {
    let _session = session().await;
    let desktop = Desktop::new();
    let _wm = Child::spawn(
        Command::new("openbox")
            .args(["--sm-disable"])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until("openbox manages the screen", || {
        let out = Command::new("xprop")
            .args(["-root", "_NET_SUPPORTING_WM_CHECK"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .contains("window id")
            .then_some(())
    })
    .await;
    let png = two_colour_png(desktop.dir.path());
    let _image = show_image(&png, "Pincer Window Test", 400, 300);
    let id = window("Pincer Window Test").await;

    let (output, image) = screenshot_until(
        &desktop,
        json!({"window": "window test"}),
        "the window's own pixels",
        |image| {
            image.dimensions() == (200, 100)
                && pixel(image, 50, 50) == RED
                && pixel(image, 150, 50) == BLUE
        },
    )
    .await;
    assert_eq!(pixel(&image, 0, 0), RED);
    assert_eq!(pixel(&image, 199, 99), BLUE);
    // The window manager placed the window and framed it; the screenshot says where.
    let (left, top) = window_origin(&id);
    assert!(
        output.text.starts_with(&format!(
            "Screenshot of the window \"Pincer Window Test\" (200×100, scale 1.0; screen coordinates = ({left}, {top}) + image coordinates × 1.0)"
        )),
        "{}",
        output.text
    );
    // So the mouse can point into the window by its own pixels.
    desktop
        .call("mouse", json!({"action": "move", "x": 150, "y": 60}))
        .await
        .unwrap();
    assert_eq!(pointer(), (left + 150, top + 60));

    let err = desktop
        .call("screenshot", json!({"window": "no such window anywhere"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ToolError::InvalidArguments(m) if m.contains("no visible window has a title or application name containing") && m.contains("Pincer Window Test")),
        "{err}"
    );
}

#[tokio::test]
async fn the_keyboard_types_text_and_presses_keys_in_a_real_window() {
    let _session = session().await;
    let desktop = Desktop::new();
    let xterm = LineReader::start(desktop.dir.path(), "pincer-typing").await;
    xterm.focus();

    // Typed, then erased with ctrl+u (the terminal's "kill line"), so the modifier must work.
    desktop
        .call(
            "keyboard",
            json!({"action": "type", "text": "this will be erased"}),
        )
        .await
        .unwrap();
    let pressed = desktop
        .call("keyboard", json!({"action": "press", "keys": "ctrl+u"}))
        .await
        .unwrap();
    assert_eq!(pressed.text, "Pressed ctrl+u.");
    let text = "Hello, World! 1+2=3 (ok) [x] {y} <z> ~/a_b-c;d:e'f\"g?@#$%^&*|";
    let typed = desktop
        .call(
            "keyboard",
            json!({"action": "type", "text": format!("{text}X")}),
        )
        .await
        .unwrap();
    assert_eq!(
        typed.text,
        format!("Typed {} characters.", text.chars().count() + 1)
    );
    // Single keys, with Shift given or needed by the layout.
    for keys in ["backspace", "shift+a", "plus", "?", "é", "enter"] {
        desktop
            .call("keyboard", json!({"action": "press", "keys": keys}))
            .await
            .unwrap();
    }

    assert_eq!(xterm.line().await, format!("{text}A+?é\n"));
    assert!(!desktop.control.is_controlling());
}

#[tokio::test]
async fn characters_the_keyboard_layout_lacks_are_typed_too() {
    let _session = session().await;
    let desktop = Desktop::new();
    let xterm = LineReader::start(desktop.dir.path(), "pincer-unicode").await;
    xterm.focus();
    let text = "naïve café: 5€, ½ × π ≈ 1.57 — ok";
    desktop
        .call(
            "keyboard",
            json!({"action": "type", "text": format!("{text}\n")}),
        )
        .await
        .unwrap();
    assert_eq!(xterm.line().await, format!("{text}\n"));
}

#[tokio::test]
async fn the_mouse_moves_the_pointer_and_refuses_points_off_the_screen() {
    let _session = session().await;
    let desktop = Desktop::new();
    move_pointer_with_xdotool(5, 5);

    let done = desktop
        .call("mouse", json!({"action": "move", "x": 321, "y": 123}))
        .await
        .unwrap();
    assert_eq!(pointer(), (321, 123));
    assert_eq!(
        done.text,
        "Done: move the mouse pointer to (321, 123) on the screen. The pointer is now at (321, 123) on the screen."
    );

    let err = desktop
        .call("mouse", json!({"action": "move", "x": 1280, "y": 10}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ToolError::InvalidArguments(m) if m.contains("(1280, 10) is outside the screen, which is 1280×800")),
        "{err}"
    );
    assert_eq!(
        pointer(),
        (321, 123),
        "a refused call does not move the pointer"
    );
}

#[tokio::test]
async fn clicks_drags_and_scrolls_reach_the_window_under_the_pointer() {
    let _session = session().await;
    let desktop = Desktop::new();
    let events = EventWindow::start("pincer-events", 400, 300).await;
    let (left, top, _, _) = events.geometry;
    let inside = |x: i32, y: i32| json!({"x": left + x, "y": top + y});

    let mut args = inside(30, 40);
    args["action"] = json!("click");
    desktop.call("mouse", args).await.unwrap();
    let press = events.next_button();
    assert_eq!(
        (press.kind.as_str(), press.button, press.at),
        ("ButtonPress", Some(1), (30, 40))
    );
    assert_eq!(events.next_button().kind, "ButtonRelease");

    let mut args = inside(50, 60);
    args["action"] = json!("right_click");
    desktop.call("mouse", args).await.unwrap();
    let press = events.next_button();
    assert_eq!((press.button, press.at), (Some(3), (50, 60)));
    assert_eq!(events.next_button().button, Some(3));

    let mut args = inside(70, 80);
    args["action"] = json!("double_click");
    desktop.call("mouse", args).await.unwrap();
    let buttons: Vec<_> = (0..4).map(|_| events.next_button()).collect();
    let kinds: Vec<_> = buttons
        .iter()
        .map(|e| (e.kind.as_str(), e.button))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ButtonPress", Some(1)),
            ("ButtonRelease", Some(1)),
            ("ButtonPress", Some(1)),
            ("ButtonRelease", Some(1))
        ]
    );

    // A drag presses at the start and releases at the end.
    let args = json!({
        "action": "drag",
        "x": left + 20, "y": top + 20,
        "to_x": left + 200, "to_y": top + 150
    });
    desktop.call("mouse", args).await.unwrap();
    let press = events.next_button();
    assert_eq!((press.kind.as_str(), press.at), ("ButtonPress", (20, 20)));
    let release = events.next_button();
    assert_eq!(
        (release.kind.as_str(), release.at),
        ("ButtonRelease", (200, 150))
    );
    assert_eq!(pointer(), (left + 200, top + 150));

    // Scrolling down is wheel button 5, once per notch; up is 4.
    desktop
        .call("mouse", json!({"action": "scroll", "dy": 2}))
        .await
        .unwrap();
    let wheel: Vec<_> = (0..4).map(|_| events.next_button().button).collect();
    assert_eq!(wheel, [Some(5), Some(5), Some(5), Some(5)]);
    desktop
        .call("mouse", json!({"action": "scroll", "dy": -1}))
        .await
        .unwrap();
    assert_eq!(events.next_button().button, Some(4));
    assert_eq!(events.next_button().button, Some(4));
    events.assert_no_button_within(Duration::from_millis(200));
}

// Multi-threaded: the test blocks on xev's output while the drag runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emergency_stop_lets_go_of_a_dragged_button() {
    let _session = session().await;
    let desktop = Desktop::new();
    let events = EventWindow::start("pincer-stop-drag", 400, 300).await;
    let (left, top, _, _) = events.geometry;
    let drag = tokio::spawn({
        let tool = desktop.tool("mouse");
        let settings = desktop.settings.clone();
        let args = json!({
            "action": "drag",
            "x": left + 10, "y": top + 10,
            "to_x": left + 290, "to_y": top + 190
        });
        async move { tool.call(args, &settings).await }
    });
    // The button is down and the pointer on its way...
    let press = events.next_button();
    assert_eq!((press.kind.as_str(), press.at), ("ButtonPress", (10, 10)));
    desktop.control.emergency_stop();
    let err = tokio::time::timeout(Duration::from_secs(2), drag)
        .await
        .expect("the drag ended promptly")
        .unwrap()
        .unwrap_err();
    assert!(
        err.to_string().starts_with("stopped by the emergency stop"),
        "{err}"
    );
    // ...and it is let go where the pointer got to, short of the target.
    let release = events.next_button();
    assert_eq!(
        (release.kind.as_str(), release.button),
        ("ButtonRelease", Some(1))
    );
    assert_ne!(release.at, (290, 190));
    assert_ne!(pointer(), (left + 290, top + 190));
    events.assert_no_button_within(Duration::from_millis(200));
}

#[tokio::test]
async fn the_notify_tool_reaches_the_notification_service() {
    let _session = session().await;
    let desktop = Desktop::new();
    let listener = Listener::start();

    let output = desktop
        .call(
            "notify",
            json!({"summary": "Build finished", "body": "All 42 tests passed"}),
        )
        .await
        .unwrap();
    assert_eq!(output.text, "Notification shown: \"Build finished\"");
    let received = listener.next();
    assert_eq!(received["app_name"], "Pincer");
    assert_eq!(received["summary"], "Build finished");
    assert_eq!(received["body"], "All 42 tests passed");
    assert_eq!(received["actions"], json!([]));
}

#[tokio::test]
async fn an_app_notification_advertises_its_action_and_a_click_runs_on_click() {
    let _session = session().await;
    let mut listener = Listener::start();
    let (clicked, was_clicked) = std::sync::mpsc::channel();

    notifications::show(
        AppNotification {
            summary: "Approval waiting".to_owned(),
            body: "exec wants to run cargo test".to_owned(),
            action: Some("Open".to_owned()),
        },
        Some(Box::new(move || {
            let _ = clicked.send("clicked");
        })),
    )
    .unwrap();
    let received = listener.next();
    assert_eq!(received["app_name"], "Pincer");
    assert_eq!(received["summary"], "Approval waiting");
    assert_eq!(received["body"], "exec wants to run cargo test");
    assert_eq!(received["actions"], json!(["default", "Open"]));

    listener.invoke(received["id"].as_u64().unwrap(), "default");
    let got = was_clicked.recv_timeout(support::TIMEOUT);
    listener.stop_invoking();
    assert_eq!(got, Ok("clicked"), "on_click did not run after the click");

    // Without a listener for clicks, showing is all there is.
    notifications::show(
        AppNotification {
            summary: "Done".to_owned(),
            body: String::new(),
            action: None,
        },
        None,
    )
    .unwrap();
    let received = listener.next();
    assert_eq!(
        (received["summary"].as_str(), received["actions"].clone()),
        (Some("Done"), json!([]))
    );
}

#[tokio::test]
async fn the_emergency_stop_cancels_a_long_typing_at_once() {
    let _session = session().await;
    let desktop = Desktop::new();
    let xterm = LineReader::start(desktop.dir.path(), "pincer-stop").await;
    xterm.focus();
    let text: String = "abcdefghij".repeat(40);

    let typing = tokio::spawn({
        let tool = desktop.tool("keyboard");
        let settings = desktop.settings.clone();
        let text = text.clone();
        async move {
            let started = Instant::now();
            let result = tool
                .call(json!({"action": "type", "text": text}), &settings)
                .await;
            (result, started)
        }
    });
    let mut watch = desktop.control.watch();
    tokio::time::timeout(support::TIMEOUT, watch.wait_for(|on| *on))
        .await
        .expect("typing started")
        .unwrap();
    let stopped_at = Instant::now();
    desktop.control.emergency_stop();
    let (result, started) = tokio::time::timeout(Duration::from_secs(2), typing)
        .await
        .expect("the tool returned promptly after the stop")
        .unwrap();
    let returned_after_stop = stopped_at.elapsed();
    let err = result.unwrap_err().to_string();
    assert!(
        err.starts_with("stopped by the emergency stop after typing "),
        "{err}"
    );
    assert!(
        returned_after_stop < Duration::from_millis(500),
        "took {returned_after_stop:?} after the stop ({:?} in all)",
        started.elapsed()
    );
    let typed: usize = err
        .trim_start_matches("stopped by the emergency stop after typing ")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        err.contains(&format!("after typing {typed} of 400 characters")),
        "{err}"
    );
    assert!(
        typed < 100,
        "{typed} of 400 characters were typed before the stop"
    );
    assert!(!desktop.control.is_controlling());

    // What reached the window is exactly what the tool says it typed.
    run_xdotool_key("Return");
    let line = xterm.line().await;
    assert_eq!(line, format!("{}\n", &text[..typed]));

    // The stop does not stick: the next call types normally.
    let again = LineReader::start(desktop.dir.path(), "pincer-after-stop").await;
    again.focus();
    desktop
        .call("keyboard", json!({"action": "type", "text": "still works"}))
        .await
        .unwrap();
    desktop
        .call("keyboard", json!({"action": "press", "keys": "return"}))
        .await
        .unwrap();
    assert_eq!(again.line().await, "still works\n");
}

fn run_xdotool_key(key: &str) {
    support::run("xdotool", &["key", key]);
}

mod engine {
    //! Approval gating and the emergency stop through the real engine and a scripted model.

    use pincer_core::agent::{ApprovalMode, Engine};
    use pincer_core::config::{FileConfig, Settings};
    use pincer_core::protocol::{self, ApprovalDecision, Event, Op, SessionEvent, Submission};
    use pincer_core::store::Store;
    use pincer_core::tools::ToolRegistry;
    use pincer_desktop::{Control, register_tools};
    use pincer_testkit::{Reply, ScriptedLlm};
    use tokio::sync::broadcast;

    use super::*;

    struct Harness {
        _home: tempfile::TempDir,
        engine: Engine,
        control: Control,
        events: broadcast::Receiver<SessionEvent>,
    }

    impl Harness {
        fn new(llm: &ScriptedLlm, mode: ApprovalMode) -> Harness {
            let home = tempfile::tempdir().unwrap();
            let file = FileConfig::parse(&home.path().join("config.toml"), "").unwrap();
            let url = llm.base_url();
            let env = [
                ("PINCER_PROVIDER", "openai"),
                ("PINCER_BASE_URL", url.as_str()),
                ("PINCER_API_KEY", "sk-test"),
                ("PINCER_MODEL", "scripted-model"),
            ];
            let settings = Settings::resolve(home.path().to_path_buf(), file, &env, None).unwrap();
            let store = Store::open(&home.path().join("pincer.db")).unwrap();
            let control = Control::new();
            let mut tools = ToolRegistry::builtin();
            register_tools(&mut tools, &control);
            let engine = Engine::with_store(settings, store, tools, mode).unwrap();
            let events = engine.subscribe();
            Harness {
                _home: home,
                engine,
                control,
                events,
            }
        }

        fn submit(&self, text: &str) {
            assert!(self.engine.session("s").user_turn(text.to_owned()).is_ok());
        }

        async fn until(&mut self, pick: impl Fn(&Event) -> bool) -> Vec<Event> {
            let mut seen = Vec::new();
            loop {
                let event = tokio::time::timeout(support::TIMEOUT, self.events.recv())
                    .await
                    .expect("an event within the timeout")
                    .unwrap();
                if event.session != "s" {
                    continue;
                }
                let hit = pick(&event.event);
                seen.push(event.event);
                if hit {
                    return seen;
                }
            }
        }

        async fn until_end(&mut self) -> Vec<Event> {
            self.until(Event::ends_turn).await
        }
    }

    fn finished_output(events: &[Event]) -> (bool, String) {
        events
            .iter()
            .find_map(|e| match e {
                Event::ToolCallFinished {
                    outcome, output, ..
                } => Some((outcome.is_ok(), output.clone())),
                _ => None,
            })
            .expect("a tool call finished")
    }

    #[tokio::test]
    async fn input_waits_for_approval_and_does_nothing_when_denied() {
        let _session = session().await;
        let dir = tempfile::tempdir().unwrap();
        let xterm = LineReader::start(dir.path(), "pincer-approval").await;
        xterm.focus();
        let start = pointer();
        let llm = ScriptedLlm::start().await;
        llm.push(Reply::tool_calls(&[
            ("m1", "mouse", r#"{"action": "move", "x": 900, "y": 700}"#),
            ("k1", "keyboard", r#"{"action": "type", "text": "sneaky"}"#),
        ]));
        llm.push(Reply::text("fine, I will not"));
        let mut h = Harness::new(&llm, ApprovalMode::Ask);

        h.submit("move the mouse and type");
        for (tool_name, summary) in [
            (
                "mouse",
                "move the mouse pointer to (900, 700) on the screen",
            ),
            (
                "keyboard",
                "type \"sneaky\" (6 characters) into the focused window",
            ),
        ] {
            let seen = h
                .until(|e| matches!(e, Event::ApprovalRequested { .. }))
                .await;
            let Some(Event::ApprovalRequested {
                call_id,
                tool,
                summary: asked,
                ..
            }) = seen.last()
            else {
                unreachable!()
            };
            assert_eq!(
                (tool.as_str(), asked.as_str()),
                (tool_name, summary),
                "{tool}"
            );
            assert!(!h.control.is_controlling(), "nothing runs while waiting");
            h.engine
                .session("s")
                .approve(call_id.clone(), ApprovalDecision::Deny)
                .unwrap();
        }
        let events = h.until_end().await;
        assert!(
            matches!(events.last(), Some(Event::TurnCompleted { text, .. }) if text == "fine, I will not"),
            "{events:#?}"
        );

        assert_eq!(pointer(), start, "the pointer did not move");
        // Nothing was typed: the first thing the window gets is this line.
        support::run("xdotool", &["type", "--delay", "5", "marker"]);
        support::run("xdotool", &["key", "Return"]);
        assert_eq!(xterm.line().await, "marker\n");
    }

    #[tokio::test]
    async fn an_approved_mouse_call_moves_the_pointer() {
        let _session = session().await;
        move_pointer_with_xdotool(10, 10);
        let llm = ScriptedLlm::start().await;
        llm.push(Reply::tool_call(
            "m1",
            "mouse",
            r#"{"action": "move", "x": 640, "y": 400}"#,
        ));
        llm.push(Reply::text("moved"));
        let mut h = Harness::new(&llm, ApprovalMode::Ask);

        h.submit("move the mouse");
        let seen = h
            .until(|e| matches!(e, Event::ApprovalRequested { .. }))
            .await;
        let Some(Event::ApprovalRequested { call_id, .. }) = seen.last() else {
            unreachable!()
        };
        assert_eq!(pointer(), (10, 10), "nothing moves before the answer");
        h.engine
            .session("s")
            .approve(call_id.clone(), ApprovalDecision::Once)
            .unwrap();
        let events = h.until_end().await;
        let (ok, output) = finished_output(&events);
        assert!(ok, "{output}");
        assert_eq!(pointer(), (640, 400));
        assert!(matches!(events.last(), Some(Event::TurnCompleted { .. })));
    }

    /// The point the approval names is the point the click goes to: the screenshot mapping
    /// is applied when the call is planned, so a screenshot taken while the approval waits
    /// (with another mapping) does not move it.
    #[tokio::test]
    async fn an_approved_click_goes_where_the_approval_said_even_after_a_new_screenshot() {
        let _session = session().await;
        move_pointer_with_xdotool(10, 10);
        let llm = ScriptedLlm::start().await;
        // A region screenshot: its (0, 0) is the screen's (100, 150), at scale 1.
        llm.push(Reply::tool_call(
            "s1",
            "screenshot",
            r#"{"region": {"x": 100, "y": 150, "width": 200, "height": 100}}"#,
        ));
        // Then a move to (10, 20) of that screenshot, through use_tool as the model reaches it.
        llm.push(Reply::tool_call(
            "m1",
            "use_tool",
            r#"{"name": "mouse", "arguments": {"action": "move", "x": 10, "y": 20}}"#,
        ));
        llm.push(Reply::text("moved"));
        let mut h = Harness::new(&llm, ApprovalMode::Ask);

        h.submit("look at that part of the screen, then point at it");
        let seen = h
            .until(|e| matches!(e, Event::ApprovalRequested { .. }))
            .await;
        let Some(Event::ApprovalRequested { call_id, tool, .. }) = seen.last() else {
            unreachable!()
        };
        assert_eq!(tool, "screenshot");
        h.engine
            .session("s")
            .approve(call_id.clone(), ApprovalDecision::Once)
            .unwrap();
        let seen = h
            .until(|e| matches!(e, Event::ApprovalRequested { .. }))
            .await;
        let (ok, output) = finished_output(&seen);
        assert!(
            ok && output.contains("screen coordinates = (100, 150)"),
            "{output}"
        );
        let Some(Event::ApprovalRequested {
            call_id,
            tool,
            summary,
            ..
        }) = seen.last()
        else {
            unreachable!()
        };
        assert_eq!(
            (tool.as_str(), summary.as_str()),
            (
                "mouse",
                "move the mouse pointer to (10, 20) in the last screenshot = (110, 170) on the screen"
            )
        );

        // While the approval waits, a whole-screen screenshot (its (10, 20) is the screen's
        // (10, 20)) replaces the mapping, through the same Control the engine's tools share.
        let mut tools = ToolRegistry::default();
        register_tools(&mut tools, &h.control);
        let workspace = tempfile::tempdir().unwrap();
        let settings =
            pincer_core::tools::ToolSettings::new(workspace.path().canonicalize().unwrap());
        let shot = tools
            .get("screenshot")
            .unwrap()
            .call(json!({}), &settings)
            .await
            .unwrap();
        assert!(
            shot.text
                .contains("screen coordinates = image coordinates × 1.0"),
            "{}",
            shot.text
        );
        assert_eq!(pointer(), (10, 10), "nothing moves before the answer");

        h.engine
            .session("s")
            .approve(call_id.clone(), ApprovalDecision::Once)
            .unwrap();
        let events = h.until_end().await;
        let (ok, output) = finished_output(&events);
        assert!(ok, "{output}");
        assert_eq!(
            pointer(),
            (110, 170),
            "the approved point, not the remapped one"
        );
        assert!(output.contains("(110, 170) on the screen"), "{output}");
    }

    #[tokio::test]
    async fn a_screenshot_reaches_the_model_as_an_image() {
        let _session = session().await;
        let llm = ScriptedLlm::start().await;
        llm.push(Reply::tool_call("s1", "screenshot", "{}"));
        llm.push(Reply::text("I see the screen"));
        let mut h = Harness::new(&llm, ApprovalMode::Auto);

        h.submit("what is on my screen?");
        let events = h.until_end().await;
        let images = events
            .iter()
            .find_map(|e| match e {
                Event::ToolCallFinished { images, .. } => Some(images.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(images.len(), 1);
        assert!(std::path::Path::new(&images[0]).is_file(), "{images:?}");
        let second = llm.requests()[1].body.to_string();
        assert!(
            second.contains("data:image/png;base64,"),
            "the model was sent the image"
        );
    }

    #[tokio::test]
    async fn interrupt_all_and_the_emergency_stop_end_a_typing_turn() {
        let _session = session().await;
        let dir = tempfile::tempdir().unwrap();
        let xterm = LineReader::start(dir.path(), "pincer-engine-stop").await;
        xterm.focus();
        let text = "0123456789".repeat(300);
        let llm = ScriptedLlm::start().await;
        let args = json!({"action": "type", "text": text}).to_string();
        llm.push(Reply::tool_call("k1", "keyboard", &args));
        llm.push(Reply::text("should not be needed"));
        let mut h = Harness::new(&llm, ApprovalMode::Auto);

        h.submit("type a lot");
        let mut watch = h.control.watch();
        tokio::time::timeout(support::TIMEOUT, watch.wait_for(|on| *on))
            .await
            .expect("typing started")
            .unwrap();
        assert_eq!(
            h.engine.submit(Submission::fresh(Op::InterruptAll)),
            Ok(protocol::Reply::Interrupted { turns: 1 })
        );
        h.control.emergency_stop();
        let events = h.until_end().await;
        assert!(
            matches!(events.last(), Some(Event::TurnCancelled { .. })),
            "{events:#?}"
        );
        tokio::time::timeout(Duration::from_secs(2), watch.wait_for(|on| !*on))
            .await
            .expect("the typing stopped")
            .unwrap();
        // The spare reply is there to be left: a stopped turn asks the model nothing more.
        assert_eq!(llm.pending(), 1, "the stopped turn asked the model again");
        llm.allow_unused();

        run_xdotool_key("Return");
        let line = xterm.line().await;
        let typed = line.trim_end().len();
        assert!(typed < 300, "{typed} of 3000 characters arrived");
        assert_eq!(line.trim_end(), &text[..typed]);
    }
}
