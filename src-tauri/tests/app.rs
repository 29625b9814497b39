//! The desktop app as a user meets it, under Xvfb and a D-Bus session: the window shows the
//! chat, the tray registers and its menu works, closing the window keeps Pincer in the
//! tray, a second launch hands over to the first, work is announced, the shortcuts work,
//! start at login is switched from Settings, and a running daemon is attached to.
//!
//! Run with `xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- cargo test -p
//! pincer-app --features display-tests` (scripts/test.sh does).

#![cfg(feature = "display-tests")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::{Value, json};
use support::*;

const START: Duration = Duration::from_secs(90);

/// Pixels of `image` in the rectangle that have exactly `rgb`.
fn count_color(image: &image::RgbImage, rgb: [u8; 3], x0: u32, y0: u32, w: u32, h: u32) -> usize {
    let mut n = 0;
    for y in y0..(y0 + h).min(image.height()) {
        for x in x0..(x0 + w).min(image.width()) {
            if image.get_pixel(x, y).0 == rgb {
                n += 1;
            }
        }
    }
    n
}

/// True when the screen shows Pincer's chat page: the sidebar's background (a column of
/// about 270 × 700 pixels) and the accent colour of the "New chat" button are on screen.
/// The splash page and a login page have neither.
fn shows_chat(image: &image::RgbImage) -> bool {
    let (w, h) = image.dimensions();
    let sidebar = count_color(image, [0xf7, 0xf7, 0xf8], 0, 0, w, h);
    let accent = count_color(image, [0xc2, 0x40, 0x2a], 0, 0, w, h);
    sidebar > 120_000 && accent > 2_000
}

fn menu_labels(host: &mut Helper) -> Vec<String> {
    let menu = host.ask("menu", "menu");
    menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_window_shows_the_chat_and_the_tray_menu_quits_cleanly() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm.base_url());
    let mut host = Helper::tray_host();
    let mut app = App::start(&home, &[]);
    app.url();

    // The tray registers with the StatusNotifier host and lists its items.
    host.expect("registered", START);
    let labels = menu_labels(&mut host);
    for expected in [
        "Open Pincer",
        "New chat",
        "Quick ask…",
        "Nothing running",
        "Stop everything now",
        "Quit Pincer",
    ] {
        assert!(
            labels.iter().any(|l| l == expected),
            "{expected:?} missing from the tray menu {labels:?}"
        );
    }

    // The window shows the chat UI (logged in by the one-time code, no login page).
    app.log.wait_for("page loaded", START);
    let shot = artifacts().join("app-window.png");
    wait_until("the chat UI on screen", START, || {
        shows_chat(&screenshot(&shot))
    });

    // Quit from the tray menu, over D-Bus: the app exits cleanly.
    host.ask("click Quit Pincer", "clicked");
    let status = app.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "the app exited with {status}");
}

#[test]
fn closing_the_window_keeps_pincer_in_the_tray_and_a_second_launch_shows_it() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm.base_url());
    let mut app = App::start(&home, &[]);
    app.url();
    app.log.wait_for("page loaded", START);
    wait_until("the window is visible", START, || {
        !visible_windows("Pincer").is_empty()
    });

    // Close it as the close button does (the WM sends WM_DELETE_WINDOW).
    run("wmctrl", &["-c", "Pincer", "-F"]);
    wait_until("the window is hidden", Duration::from_secs(10), || {
        visible_windows("Pincer").is_empty()
    });
    assert!(app.is_running(), "closing the window must not quit Pincer");

    // A second launch hands over to the first and exits.
    let mut second = App::start(&home, &[]);
    let status = second.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "the second launch exited with {status}");
    app.log.wait_for("launched again", Duration::from_secs(10));
    wait_until(
        "the first instance's window is back",
        Duration::from_secs(10),
        || !visible_windows("Pincer").is_empty(),
    );
    assert!(app.is_running());
}

/// Opens the gateway's WebSocket with the API token, as any client does.
async fn connect(url: &str, token: &str) -> WsStream {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let ws_url = format!("{}/api/ws", url.replacen("http", "ws", 1));
    let mut request = ws_url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws
}

/// Sends a user turn over the gateway's WebSocket with the API token.
async fn user_turn(url: &str, token: &str, session: &str, text: &str) -> WsStream {
    let mut ws = connect(url, token).await;
    send_op(
        &mut ws,
        Some(session),
        json!({"type": "user_turn", "text": text}),
    )
    .await;
    ws
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next event of `kind` on the socket.
async fn next_event(ws: &mut WsStream, kind: &str) -> Value {
    next_message(ws, kind, |v| {
        v["type"] == "event" && v["event"]["type"] == kind
    })
    .await
}

/// The next message on the socket that `wanted` accepts (`what` names it in a failure).
async fn next_message(ws: &mut WsStream, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    use futures::StreamExt as _;
    let wait = async {
        while let Some(message) = ws.next().await {
            let message = message.unwrap();
            let Ok(text) = message.to_text() else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if wanted(&value) {
                return value;
            }
            if value["type"] == "event" && value["event"]["type"] != "text_delta" {
                eprintln!("[ws] {}", value["event"]);
            }
            if value["type"] == "error" {
                eprintln!("[ws] refused: {value}");
            }
        }
        panic!("the socket closed before {what}");
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("no {what} within 30 s"))
}

#[test]
fn work_shows_in_the_tray_and_is_announced_when_done() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::text("All 12 photos are sorted by year.").delay(Duration::from_millis(1500)));
    let home = Home::new(&llm.base_url());
    let mut host = Helper::tray_host();
    let mut notifications = Helper::notification_listener();
    // In the tray only: nobody is looking at the window, so finished work is announced.
    let app = App::start(&home, &["--hidden"]);
    let url = app.url();
    host.expect("registered", START);
    let idle_icon = host.ask("icon", "icon");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut ws = user_turn(&url, &home.token(), "photos", "sort my photos").await;
        next_event(&mut ws, "turn_started").await;
        // While it runs the tray says so: menu entry and a different icon.
        wait_until(
            "the tray lists the running work",
            Duration::from_secs(10),
            || {
                menu_labels(&mut host)
                    .iter()
                    .any(|l| l == "Running: sort my photos")
            },
        );
        let working_icon = host.ask("icon", "icon");
        assert_ne!(
            working_icon["name"], idle_icon["name"],
            "the icon shows work"
        );
        next_event(&mut ws, "turn_completed").await;
    });

    let shown = notifications.expect("notify", Duration::from_secs(10));
    assert_eq!(shown["summary"], "Pincer finished");
    assert_eq!(shown["body"], "All 12 photos are sorted by year.");
    wait_until("the tray is idle again", Duration::from_secs(10), || {
        menu_labels(&mut host)
            .iter()
            .any(|l| l == "Nothing running")
    });
    drop(app);
}

#[test]
fn the_shortcuts_open_quick_ask_and_stop_running_work() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    // The model takes a minute to answer: the turn is still running when the stop comes.
    llm.push(Reply::text("too late").delay(Duration::from_secs(60)));
    let home = Home::new(&llm.base_url());
    let app = App::start(&home, &["--hidden"]);
    let url = app.url();
    app.log.wait_for("shortcut registered", START);
    app.log.wait_for("page loaded", START);

    // Quick ask: the default shortcut opens the small window.
    run("xdotool", &["key", "ctrl+shift+space"]);
    wait_until("the quick-ask window", Duration::from_secs(30), || {
        !visible_windows("Ask Pincer").is_empty()
    });

    // The emergency stop shortcut ends a running turn at once.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut ws = user_turn(&url, &home.token(), "long", "do something long").await;
        next_event(&mut ws, "turn_started").await;
        llm.wait_for_requests(1).await;
        run("xdotool", &["key", "ctrl+shift+Escape"]);
        next_event(&mut ws, "turn_cancelled").await;
    });
    app.log.wait_for("emergency stop", Duration::from_secs(5));
}

#[test]
fn start_at_login_is_switched_from_settings() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm.base_url());
    let app = App::start(&home, &["--hidden"]);
    let url = app.url();
    let entry = home.user_home().join(".config/autostart/Pincer.desktop");
    assert!(!entry.exists());

    let client = reqwest::blocking::Client::new();
    let put = |body: Value| {
        client
            .put(format!("{url}/api/desktop"))
            .bearer_auth(home.token())
            .json(&body)
            .send()
            .unwrap()
    };
    let on = put(json!({"autostart": true}));
    let code = on.status();
    let body = on.json::<Value>().unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["autostart"], true);
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(text.contains("--hidden"), "starts in the tray: {text}");

    let status: Value = client
        .get(format!("{url}/api/desktop"))
        .bearer_auth(home.token())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["app"], true);
    assert_eq!(status["autostart"], true);
    assert_eq!(status["quick_ask_shortcut"], "CommandOrControl+Shift+Space");

    let bad = put(json!({"quick_ask_shortcut": "Ctrl+Nonsense+"}));
    assert_eq!(bad.status(), 400);
    assert!(
        bad.json::<Value>().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("not a shortcut")
    );

    let off = put(json!({"autostart": false}));
    assert_eq!(off.status(), 200);
    assert!(!entry.exists(), "switching it off removes the entry");
    drop(app);
}

#[test]
fn a_running_daemon_for_the_same_home_is_attached_to() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm.base_url());
    let daemon = Daemon::start(&home);

    let app = App::start(&home, &[]);
    assert_eq!(app.url(), daemon.url, "the app uses the daemon's gateway");
    app.log.wait_for("attaching", Duration::from_secs(5));
    app.log.wait_for("page loaded", START);
    // No second engine: the app has neither the database nor the instance lock open.
    let open_files: Vec<_> = std::fs::read_dir(format!("/proc/{}/fd", app.child.id()))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .collect();
    assert!(
        !open_files.iter().any(|f| f.starts_with(home.pincer())
            && f.file_name().is_some_and(|n| {
                n.to_string_lossy().starts_with("pincer.db") || n == "daemon.lock"
            })),
        "the attached app opened the daemon's files: {open_files:?}"
    );
    let shot = artifacts().join("app-attached.png");
    wait_until("the chat UI on screen", START, || {
        shows_chat(&screenshot(&shot))
    });
    drop(app);
}

/// Waits until the tray menu has an item labelled exactly `label`.
fn wait_for_item(host: &mut Helper, label: &str) {
    wait_until(
        &format!("the tray menu shows {label:?}"),
        Duration::from_secs(10),
        || menu_labels(host).iter().any(|l| l == label),
    );
}

#[test]
fn attached_to_a_daemon_the_tray_shows_its_work_and_approvals_and_that_it_went_away() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    // Slow enough to be seen running.
    llm.push(Reply::text("All 12 photos are sorted by year.").delay(Duration::from_millis(1500)));
    // Writing a file asks first (the default policy).
    llm.push(Reply::tool_call(
        "w1",
        "write_file",
        r#"{"path":"note.txt","content":"hello"}"#,
    ));
    llm.push(Reply::text("I did not write it."));
    let home = Home::new(&llm.base_url());
    let mut daemon = Daemon::start(&home);
    let mut host = Helper::tray_host();
    let mut notifications = Helper::notification_listener();
    // In the tray only: nobody is looking at a window, so everything is announced.
    let mut app = App::start(&home, &["--hidden"]);
    assert_eq!(app.url(), daemon.url, "the app uses the daemon's gateway");
    app.log.wait_for("attaching", Duration::from_secs(5));
    host.expect("registered", START);
    let labels = menu_labels(&mut host);
    let using = format!("Using the Pincer daemon at {}", daemon.url);
    assert!(labels.contains(&using), "{labels:?}");
    assert!(labels.iter().any(|l| l == "Nothing running"), "{labels:?}");
    let idle_icon = host.ask("icon", "icon");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    // (a) A turn another client starts in the daemon shows in the tray, and its answer
    // is announced.
    runtime.block_on(async {
        let mut ws = user_turn(&daemon.url, &home.token(), "photos", "sort my photos").await;
        next_event(&mut ws, "turn_started").await;
        wait_for_item(&mut host, "Running: sort my photos");
        wait_for_item(&mut host, "1 running");
        let working_icon = host.ask("icon", "icon");
        assert_ne!(
            working_icon["name"], idle_icon["name"],
            "the icon shows work"
        );
        next_event(&mut ws, "turn_completed").await;
    });
    let shown = notifications.expect("notify", Duration::from_secs(10));
    assert_eq!(shown["summary"], "Pincer finished");
    assert_eq!(shown["body"], "All 12 photos are sorted by year.");
    wait_for_item(&mut host, "Nothing running");

    // (b) An approval waiting in the daemon is listed in the tray and announced.
    runtime.block_on(async {
        let mut ws = user_turn(&daemon.url, &home.token(), "notes", "write a note").await;
        let asked = next_event(&mut ws, "approval_requested").await;
        assert_eq!(asked["event"]["tool"], "write_file");
        let summary = asked["event"]["summary"].as_str().unwrap().to_owned();
        wait_until(
            "the tray lists the approval",
            Duration::from_secs(10),
            || {
                menu_labels(&mut host)
                    .iter()
                    .any(|l| l.starts_with("Approve: write"))
            },
        );
        wait_for_item(&mut host, "1 running, 1 waiting for your approval");
        let shown = notifications.expect("notify", Duration::from_secs(10));
        assert_eq!(shown["summary"], "Pincer needs your approval");
        assert_eq!(shown["body"], summary.as_str());
        approve(&mut ws, &asked, "deny").await;
        next_event(&mut ws, "turn_completed").await;
    });
    wait_for_item(&mut host, "Nothing running");
    assert!(
        !menu_labels(&mut host)
            .iter()
            .any(|l| l.starts_with("Approve: ")),
        "an answered approval leaves the menu"
    );
    // The "finished" notice of the denied turn.
    notifications.expect("notify", Duration::from_secs(10));

    // The daemon goes away: the tray and a notification say so; the app stays.
    daemon.kill();
    let shown = notifications.expect("notify", Duration::from_secs(20));
    assert_eq!(shown["summary"], "The Pincer daemon stopped");
    assert!(
        shown["body"].as_str().unwrap().contains(&daemon.url),
        "{shown}"
    );
    wait_for_item(
        &mut host,
        "The Pincer daemon stopped: quit and start Pincer again",
    );
    let menu = host.ask("menu", "menu");
    let pause = menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Pause background work")
        .unwrap();
    assert_eq!(pause["enabled"], false, "nothing left to pause");
    assert!(app.is_running(), "the app stays, saying what happened");
}

#[test]
fn attached_to_a_daemon_the_tray_pauses_and_stops_the_daemons_work() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::text("done after the pause"));
    // The model takes a minute: the turn is still running when the stop comes.
    llm.push(Reply::text("too late").delay(Duration::from_secs(60)));
    let home = Home::new(&llm.base_url());
    let daemon = Daemon::start(&home);
    let mut host = Helper::tray_host();
    let app = App::start(&home, &["--hidden"]);
    assert_eq!(app.url(), daemon.url, "the app uses the daemon's gateway");
    host.expect("registered", START);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // (c) Pause from the tray pauses the daemon: every client of it hears so.
        let mut ws = connect(&daemon.url, &home.token()).await;
        let snapshot = next_message(&mut ws, "the snapshot", |v| v["type"] == "snapshot").await;
        assert_eq!(snapshot["paused"], false);
        host.ask("click Pause background work", "clicked");
        next_message(&mut ws, "paused", |v| {
            v["type"] == "paused" && v["paused"] == true
        })
        .await;
        wait_for_item(&mut host, "Resume background work");
        wait_until("the tray says paused", Duration::from_secs(10), || {
            menu_labels(&mut host)
                .iter()
                .any(|l| l.starts_with("Paused: nothing new starts"))
        });

        // A turn submitted now waits: the model is not asked.
        send_op(
            &mut ws,
            Some("later"),
            json!({"type": "user_turn", "text": "sort my photos"}),
        )
        .await;
        let early = tokio::time::timeout(
            Duration::from_millis(500),
            next_event(&mut ws, "turn_started"),
        )
        .await;
        assert!(early.is_err(), "a turn started while paused");
        assert_eq!(llm.requests().len(), 0);
        let status = send_op(&mut ws, None, json!({"type": "status"})).await;
        let reply = next_message(&mut ws, "the status", |v| {
            v["type"] == "reply" && v["submission"] == status.as_str()
        })
        .await;
        assert_eq!(reply["reply"]["paused"], true, "{reply}");

        // Resume from the tray: it starts.
        host.ask("click Resume background work", "clicked");
        next_event(&mut ws, "turn_started").await;
        let done = next_event(&mut ws, "turn_completed").await;
        assert_eq!(done["event"]["text"], "done after the pause");
        wait_for_item(&mut host, "Pause background work");

        // (d) "Stop everything now" cancels a turn running in the daemon.
        send_op(
            &mut ws,
            Some("long"),
            json!({"type": "user_turn", "text": "do something long"}),
        )
        .await;
        next_event(&mut ws, "turn_started").await;
        llm.wait_for_requests(2).await;
        wait_for_item(&mut host, "Running: do something long");
        host.ask("click Stop everything now", "clicked");
        let cancelled = next_event(&mut ws, "turn_cancelled").await;
        assert_eq!(cancelled["session"], "long");
    });
    wait_for_item(&mut host, "Nothing running");
    app.log
        .wait_for("emergency stop turns=1", Duration::from_secs(5));
}

/// Sends `op` (about `session`, if given) as a submission with a fresh id; returns the id.
async fn send_op(ws: &mut WsStream, session: Option<&str>, mut op: Value) -> String {
    use futures::SinkExt as _;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let id = format!(
        "test-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    if let Some(session) = session {
        op["session"] = json!(session);
    }
    let message = json!({"id": id, "op": op});
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        message.to_string(),
    ))
    .await
    .unwrap();
    id
}

/// Answers the approval request `asked` (an `approval_requested` message).
async fn approve(ws: &mut WsStream, asked: &Value, decision: &str) {
    let call_id = asked["event"]["call_id"].as_str().unwrap();
    let session = asked["session"].as_str().unwrap();
    send_op(
        ws,
        Some(session),
        json!({"type": "approve", "call_id": call_id, "decision": decision}),
    )
    .await;
}

/// Clicks the control indicator's Stop button (the right end of the bar), in the bar's
/// own coordinates, so wherever the window manager put it.
fn click_stop_button(bar: &str) {
    let geometry = run("xdotool", &["getwindowgeometry", "--shell", bar]);
    let field = |key: &str| -> i64 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let (x, y) = (field("WIDTH") - 40, field("HEIGHT") / 2);
    run(
        "xdotool",
        &[
            "mousemove",
            "--window",
            bar,
            &x.to_string(),
            &y.to_string(),
            "click",
            "1",
        ],
    );
}

fn pointer() -> (i32, i32) {
    let out = run("xdotool", &["getmouselocation", "--shell"]);
    let get = |key: &str| -> i32 {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    (get("X"), get("Y"))
}

#[test]
fn the_agent_asks_before_driving_the_computer_and_the_tray_stops_it() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::tool_call(
        "m1",
        "mouse",
        r#"{"action":"move","x":300,"y":200}"#,
    ));
    llm.push(Reply::text("I did not move it."));
    // Long enough (about 2 s here) that the stop lands while it types.
    let long_text = "a".repeat(19_000);
    llm.push(Reply::tool_call(
        "k1",
        "keyboard",
        &json!({"action": "type", "text": long_text}).to_string(),
    ));
    // A stopped turn asks the model nothing more, so the next reply is the next turn's.
    llm.push(Reply::tool_call(
        "k2",
        "keyboard",
        &json!({"action": "type", "text": "b".repeat(19_000)}).to_string(),
    ));
    let home = Home::new(&llm.base_url());
    let mut host = Helper::tray_host();
    let app = App::start(&home, &["--hidden"]);
    let url = app.url();
    host.expect("registered", START);
    run("xdotool", &["mousemove", "10", "10"]);
    wait_until("the pointer is at (10, 10)", Duration::from_secs(5), || {
        pointer() == (10, 10)
    });

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // Moving the mouse asks first; the tray shows the waiting approval.
        let mut ws = user_turn(&url, &home.token(), "desk", "move the mouse").await;
        let asked = next_event(&mut ws, "approval_requested").await;
        assert_eq!(asked["event"]["tool"], "mouse");
        wait_until(
            "the tray lists the approval",
            Duration::from_secs(10),
            || {
                menu_labels(&mut host)
                    .iter()
                    .any(|l| l.starts_with("Approve: move the mouse pointer to"))
            },
        );
        let attention_icon = host.ask("icon", "icon");
        approve(&mut ws, &asked, "deny").await;
        next_event(&mut ws, "turn_completed").await;
        assert_eq!(pointer(), (10, 10), "a denied move does nothing");

        // Typing, allowed once: the indicator shows while it runs, the tray stops it.
        send_op(
            &mut ws,
            Some("desk"),
            json!({"type": "user_turn", "text": "type a lot"}),
        )
        .await;
        let asked = next_event(&mut ws, "approval_requested").await;
        approve(&mut ws, &asked, "once").await;
        wait_until("the control indicator", Duration::from_secs(10), || {
            !visible_windows("Pincer is controlling the computer").is_empty()
        });
        let controlling_icon = host.ask("icon", "icon");
        assert_ne!(controlling_icon["name"], attention_icon["name"]);
        host.ask("click Stop everything now", "clicked");
        let finished = next_event(&mut ws, "tool_call_finished").await;
        assert_ne!(finished["event"]["outcome"], "ok", "{finished}");
        // Either the tool saw the stop between two chunks, or the turn's cancellation
        // dropped it first: both end the typing.
        let output = finished["event"]["output"].as_str().unwrap();
        assert!(
            output.contains("stop") || output.contains("cancel"),
            "{finished}"
        );
        next_event(&mut ws, "turn_cancelled").await;
        wait_until("the indicator goes away", Duration::from_secs(10), || {
            visible_windows("Pincer is controlling the computer").is_empty()
        });

        // The indicator's own Stop button does the same.
        send_op(
            &mut ws,
            Some("desk"),
            json!({"type": "user_turn", "text": "type more"}),
        )
        .await;
        let asked = next_event(&mut ws, "approval_requested").await;
        approve(&mut ws, &asked, "once").await;
        let mut bar = String::new();
        wait_until(
            "the control indicator again",
            Duration::from_secs(10),
            || {
                bar = visible_windows("Pincer is controlling the computer")
                    .pop()
                    .unwrap_or_default();
                !bar.is_empty()
            },
        );
        // Click its Stop button as a user would: again if the first click came before the
        // bar was drawn.
        let mut clicks = 0;
        loop {
            click_stop_button(&bar);
            clicks += 1;
            let wait = tokio::time::timeout(
                Duration::from_millis(500),
                next_event(&mut ws, "turn_cancelled"),
            );
            if wait.await.is_ok() {
                break;
            }
            assert!(clicks < 5, "the indicator's Stop button did nothing");
        }
    });
    assert!(
        app.log
            .count("emergency stop: cancelling every desktop action")
            >= 2,
        "tray and indicator both stopped"
    );
    drop(app);
}

#[test]
fn pausing_from_the_tray_holds_new_work_until_resumed() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::text("done after the pause"));
    let home = Home::new(&llm.base_url());
    let mut host = Helper::tray_host();
    let app = App::start(&home, &["--hidden"]);
    let url = app.url();
    host.expect("registered", START);

    host.ask("click Pause background work", "clicked");
    wait_until("the tray says paused", Duration::from_secs(10), || {
        let labels = menu_labels(&mut host);
        labels.iter().any(|l| l == "Resume background work")
            && labels
                .iter()
                .any(|l| l.starts_with("Paused: nothing new starts"))
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut ws = user_turn(&url, &home.token(), "later", "sort my photos").await;
        // Nothing starts while paused: the model is not asked.
        let early = tokio::time::timeout(
            Duration::from_millis(500),
            next_event(&mut ws, "turn_started"),
        )
        .await;
        assert!(early.is_err(), "a turn started while paused");
        assert_eq!(llm.requests().len(), 0);

        host.ask("click Resume background work", "clicked");
        next_event(&mut ws, "turn_started").await;
        let done = next_event(&mut ws, "turn_completed").await;
        assert_eq!(done["event"]["text"], "done after the pause");
    });
    // The menu is rebuilt on the main thread and published over D-Bus after
    // the resume, so the host sees it a moment later.
    wait_until(
        "the tray offers Pause again",
        Duration::from_secs(10),
        || {
            menu_labels(&mut host)
                .iter()
                .any(|l| l == "Pause background work")
        },
    );
    drop(app);
}

#[test]
fn a_broken_config_is_reported_on_screen_not_only_in_a_terminal() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm.base_url());
    std::fs::write(home.pincer().join("config.toml"), "[[providers]\nbroken = ").unwrap();
    let mut notifications = Helper::notification_listener();
    let mut app = App::start(&home, &[]);
    let status = app.wait_exit(Duration::from_secs(30));
    assert!(
        !status.success(),
        "a config that does not parse stops the app"
    );
    let shown = notifications.expect("notify", Duration::from_secs(10));
    assert_eq!(shown["summary"], "Pincer could not start");
    assert!(
        shown["body"].as_str().unwrap().contains("config.toml"),
        "the notification names the file: {shown}"
    );
}

#[test]
fn a_fresh_home_without_a_provider_answers_with_the_local_model() {
    require_desktop();
    let _serial = serial();
    let gguf = std::path::PathBuf::from(std::env::var_os("PINCER_TEST_GGUF").expect(
        "PINCER_TEST_GGUF names SmolLM2-135M-Instruct.Q4_1.gguf (scripts/test.sh fetches it)",
    ));
    let llm = ScriptedLlm::start_in_background();
    let home = Home::new(&llm.base_url());
    // No provider at all: only the model in the data home's models/, as the installer
    // leaves it. Greedy, so the answer is the same every run.
    std::fs::write(
        home.pincer().join("config.toml"),
        "[local]\ntemperature = 0\n",
    )
    .unwrap();
    std::fs::create_dir_all(home.pincer().join("models")).unwrap();
    std::os::unix::fs::symlink(
        &gguf,
        home.pincer()
            .join("models")
            .join("SmolLM2-135M-Instruct.Q4_1.gguf"),
    )
    .unwrap();
    let app = App::start(&home, &[]);
    let url = app.url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let done = runtime.block_on(async {
        let mut ws = user_turn(
            &url,
            &home.token(),
            "first",
            "What is the capital of France?",
        )
        .await;
        next_event(&mut ws, "turn_completed").await
    });
    let done = &done["event"];
    assert!(
        done["text"].as_str().unwrap().contains("Paris"),
        "answered by the local model: {done}"
    );
    assert!(
        done["usage"]["input_tokens"].as_u64().unwrap() > 10,
        "{done}"
    );
    assert!(
        llm.requests().is_empty(),
        "nothing went to a remote provider"
    );
    wait_until("the window shows the chat", START, || {
        shows_chat(&screenshot(&artifacts().join("local-model-first-run.png")))
    });
    drop(app);
}

/// Creates a job over the socket (schedule: once a day, so only "run now" runs it today)
/// and runs it now; returns the run's id, which is also its session's.
async fn run_job_now(ws: &mut WsStream, name: &str, prompt: &str, options: Value) -> String {
    let created = job_op(
        ws,
        json!({"action": "create", "name": name, "prompt": prompt, "schedule": "every 1d",
               "options": options}),
    )
    .await;
    let job = created["job"]["job"]["id"].as_str().unwrap().to_owned();
    let queued = job_op(ws, json!({"action": "run_now", "id": job})).await;
    queued["run"]["id"].as_str().unwrap().to_owned()
}

/// Sends a job change (`Op::Job`) and returns the engine's reply.
async fn job_op(ws: &mut WsStream, change: Value) -> Value {
    let id = send_op(ws, None, json!({"type": "job", "change": change})).await;
    let answer = next_message(ws, "the job's answer", |v| {
        v["submission"] == id.as_str() && (v["type"] == "reply" || v["type"] == "error")
    })
    .await;
    assert_eq!(answer["type"], "reply", "{answer}");
    answer["reply"].clone()
}

/// Waits for the update saying run `run` is now `status`.
async fn run_reaches(ws: &mut WsStream, run: &str, status: &str) -> Value {
    next_message(ws, &format!("{run} {status}"), |v| {
        v["type"] == "event"
            && v["event"]["type"] == "run_updated"
            && v["event"]["run"]["id"] == run
            && v["event"]["run"]["status"] == status
    })
    .await
}

#[test]
fn background_runs_are_listed_in_the_tray_and_announced_by_their_job() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    // "Morning brief": slow enough to be seen running.
    llm.push(Reply::text("Markets are up; two meetings today.").delay(Duration::from_secs(3)));
    // "Price check": asks to write a file first (the default policy asks), then answers.
    llm.push(Reply::tool_call(
        "w1",
        "write_file",
        r#"{"path":"price.txt","content":"35"}"#,
    ));
    llm.push(Reply::text("The kettle costs 35."));
    // "Slow check": longer than its four-second time limit.
    llm.push(Reply::text("too late").delay(Duration::from_secs(30)));
    let home = Home::new(&llm.base_url());
    let mut host = Helper::tray_host();
    let mut notifications = Helper::notification_listener();
    // In the tray only: nobody is looking at a window, so everything is announced.
    let app = App::start(&home, &["--hidden"]);
    let url = app.url();
    host.expect("registered", START);
    let idle_icon = host.ask("icon", "icon");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut ws = connect(&url, &home.token()).await;

        // (a) A run is listed by its job's name while it runs, not as a chat's turn, and
        // its result is announced under the job's name (delivery defaults to notify).
        let brief = run_job_now(&mut ws, "Morning brief", "Brief me on my day", Value::Null).await;
        run_reaches(&mut ws, &brief, "running").await;
        wait_for_item(&mut host, "▶ Morning brief — running");
        let labels = menu_labels(&mut host);
        assert!(labels.iter().any(|l| l == "1 running"), "{labels:?}");
        assert!(
            !labels.iter().any(|l| l.starts_with("Running: ")),
            "the run is listed once, as a run: {labels:?}"
        );
        assert_ne!(host.ask("icon", "icon")["name"], idle_icon["name"]);
        run_reaches(&mut ws, &brief, "succeeded").await;
        let shown = notifications.expect("notify", Duration::from_secs(10));
        assert_eq!(shown["summary"], "Morning brief");
        assert_eq!(shown["body"], "Markets are up; two meetings today.");
        wait_for_item(&mut host, "Nothing running");

        // (b) A run waiting for an approval: listed as waiting and announced with what it
        // asks; its entry opens its session. Its result is not announced (delivery none).
        let check = run_job_now(
            &mut ws,
            "Price check",
            "Check the kettle's price",
            json!({"delivery": "none"}),
        )
        .await;
        let asked = next_message(&mut ws, "the run's approval request", |v| {
            v["type"] == "event"
                && v["event"]["type"] == "approval_requested"
                && v["session"] == check.as_str()
        })
        .await;
        run_reaches(&mut ws, &check, "waiting_approval").await;
        let waiting = "⏸ Price check — waiting for your approval";
        wait_for_item(&mut host, waiting);
        wait_for_item(&mut host, "1 running, 1 waiting for your approval");
        let shown = notifications.expect("notify", Duration::from_secs(10));
        assert_eq!(shown["summary"], "Price check needs your approval");
        assert_eq!(shown["body"], asked["event"]["summary"]);
        host.ask(&format!("click {waiting}"), "clicked");
        app.log.wait_for(
            &format!("showing the Pincer window route=#/chat/{check}"),
            Duration::from_secs(10),
        );
        app.log.wait_for("page loaded", START);
        // Hidden again: nobody looks, so what follows is announced.
        wait_until("the window is visible", START, || {
            !visible_windows("Pincer").is_empty()
        });
        run("wmctrl", &["-c", "Pincer", "-F"]);
        wait_until("the window is hidden", Duration::from_secs(10), || {
            visible_windows("Pincer").is_empty()
        });
        approve(&mut ws, &asked, "deny").await;
        run_reaches(&mut ws, &check, "running").await;
        let done = run_reaches(&mut ws, &check, "succeeded").await;
        assert_eq!(done["event"]["run"]["output"], "The kettle costs 35.");
        assert_eq!(done["event"]["delivery"], "none");
        wait_for_item(&mut host, "Nothing running");

        // (c) A run past its time limit is announced, whatever its delivery; its
        // interrupted turn is not announced as well.
        let slow = run_job_now(
            &mut ws,
            "Slow check",
            "Take your time",
            json!({"timeout_secs": 4, "delivery": "none"}),
        )
        .await;
        wait_for_item(&mut host, "▶ Slow check — running");
        let ended = run_reaches(&mut ws, &slow, "timed_out").await;
        // The next notification is this one: "Price check" finishing said nothing.
        let shown = notifications.expect("notify", Duration::from_secs(10));
        assert_eq!(shown["summary"], "Slow check timed out");
        assert_eq!(shown["body"], ended["event"]["run"]["reason"]);
        assert!(
            shown["body"].as_str().unwrap().contains("time limit"),
            "{shown}"
        );
        wait_for_item(&mut host, "Nothing running");
    });
    // Each state was announced once, and nothing else was.
    notifications.expect_none("notify", Duration::from_secs(2));
    drop(app);
}

#[test]
fn attached_to_a_daemon_the_tray_lists_a_waiting_run_it_did_not_see_start() {
    require_desktop();
    let _serial = serial();
    let llm = ScriptedLlm::start_in_background();
    llm.push(Reply::tool_call(
        "w1",
        "write_file",
        r#"{"path":"digest.md","content":"papers"}"#,
    ));
    // Slow enough to be seen running again once the approval is answered.
    llm.push(Reply::text("3 new papers on tray icons.").delay(Duration::from_secs(3)));
    let home = Home::new(&llm.base_url());
    let daemon = Daemon::start(&home);
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // The run starts and waits in the daemon before the app is there.
    let (mut ws, digest, asked) = runtime.block_on(async {
        let mut ws = connect(&daemon.url, &home.token()).await;
        let digest = run_job_now(
            &mut ws,
            "Nightly digest",
            "Summarise new papers",
            Value::Null,
        )
        .await;
        let asked = next_message(&mut ws, "the run's approval request", |v| {
            v["type"] == "event"
                && v["event"]["type"] == "approval_requested"
                && v["session"] == digest.as_str()
        })
        .await;
        run_reaches(&mut ws, &digest, "waiting_approval").await;
        (ws, digest, asked)
    });

    let mut host = Helper::tray_host();
    let mut notifications = Helper::notification_listener();
    let app = App::start(&home, &["--hidden"]);
    assert_eq!(app.url(), daemon.url, "the app uses the daemon's gateway");
    app.log.wait_for("attaching", Duration::from_secs(5));
    host.expect("registered", START);
    // From the daemon's snapshot: the run and its wait, by the job's name.
    wait_for_item(&mut host, "⏸ Nightly digest — waiting for your approval");
    wait_for_item(&mut host, "1 running, 1 waiting for your approval");
    // What happened before the app was there is not announced.
    notifications.expect_none("notify", Duration::from_secs(1));

    // Answered from another client: running again, then its result is announced.
    runtime.block_on(async {
        approve(&mut ws, &asked, "deny").await;
        run_reaches(&mut ws, &digest, "running").await;
    });
    wait_for_item(&mut host, "▶ Nightly digest — running");
    runtime.block_on(async {
        run_reaches(&mut ws, &digest, "succeeded").await;
    });
    let shown = notifications.expect("notify", Duration::from_secs(10));
    assert_eq!(shown["summary"], "Nightly digest");
    assert_eq!(shown["body"], "3 new papers on tray icons.");
    wait_for_item(&mut host, "Nothing running");
    notifications.expect_none("notify", Duration::from_secs(2));
    drop(app);
}
