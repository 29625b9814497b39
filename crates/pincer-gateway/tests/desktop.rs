#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The desktop shell's hooks over HTTP: `/api/desktop` shows and changes the app's
//! settings and `/api/desktop/open` shows the main window at a session; a headless
//! daemon says it is not the app and has nothing to change.

mod common;

use std::sync::{Arc, Mutex};

use common::{TestGateway, expect_error, post_json};
use pincer_gateway::{DesktopHooks, DesktopStatus, DesktopUpdate};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use reqwest::header::ORIGIN;
use serde_json::{Value, json};

/// An in-memory desktop shell: remembers its settings and the sessions it was asked to
/// show; refuses shortcuts without a `+` the way a real accelerator parser would.
struct FakeShell {
    status: Mutex<DesktopStatus>,
    opened: Mutex<Vec<String>>,
}

impl FakeShell {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            status: Mutex::new(DesktopStatus {
                autostart: false,
                quick_ask_shortcut: "CommandOrControl+Shift+Space".to_owned(),
                stop_shortcut: "CommandOrControl+Shift+Escape".to_owned(),
                automation_unavailable: Some("Wayland does not allow it".to_owned()),
            }),
            opened: Mutex::new(Vec::new()),
        })
    }

    fn opened(&self) -> Vec<String> {
        self.opened.lock().unwrap().clone()
    }
}

impl DesktopHooks for FakeShell {
    fn status(&self) -> DesktopStatus {
        self.status.lock().unwrap().clone()
    }

    fn update(&self, update: DesktopUpdate) -> Result<DesktopStatus, String> {
        let mut status = self.status.lock().unwrap();
        if let Some(shortcut) = &update.quick_ask_shortcut
            && !shortcut.contains('+')
        {
            return Err(format!(
                "{shortcut:?} is not a shortcut like Ctrl+Shift+Space"
            ));
        }
        if let Some(autostart) = update.autostart {
            status.autostart = autostart;
        }
        if let Some(shortcut) = update.quick_ask_shortcut {
            status.quick_ask_shortcut = shortcut;
        }
        Ok(status.clone())
    }

    fn open_session(&self, id: &str) {
        self.opened.lock().unwrap().push(id.to_owned());
    }
}

async fn put_json(client: &reqwest::Client, url: &str, body: &Value) -> reqwest::Response {
    client.put(url).json(body).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_shows_and_changes_its_settings_and_opens_sessions() {
    let shell = FakeShell::new();
    let gw = TestGateway::start_desktop(shell.clone()).await;
    let client = gw.logged_in_client().await;

    let (status, body) = gw.get(&client, "/api/desktop").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "app": true,
            "autostart": false,
            "quick_ask_shortcut": "CommandOrControl+Shift+Space",
            "stop_shortcut": "CommandOrControl+Shift+Escape",
            "automation_unavailable": "Wayland does not allow it",
        })
    );

    // One field at a time; the other stays.
    let response = put_json(
        &client,
        &gw.url("/api/desktop"),
        &json!({ "autostart": true }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed: DesktopStatus = response.json().await.unwrap();
    assert!(changed.autostart);
    assert_eq!(changed.quick_ask_shortcut, "CommandOrControl+Shift+Space");
    let response = put_json(
        &client,
        &gw.url("/api/desktop"),
        &json!({ "quick_ask_shortcut": "Alt+Space" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed: DesktopStatus = response.json().await.unwrap();
    assert_eq!(
        (changed.autostart, changed.quick_ask_shortcut.as_str()),
        (true, "Alt+Space")
    );
    let (_, body) = gw.get(&client, "/api/desktop").await;
    assert_eq!(body["autostart"], true, "{body}");
    assert_eq!(body["quick_ask_shortcut"], "Alt+Space", "{body}");

    // "Open in Pincer" for a session that exists.
    let response = post_json(&client, &gw.url("/api/sessions"), &json!({})).await;
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = post_json(
        &client,
        &gw.url("/api/desktop/open"),
        &json!({ "session": id }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(shell.opened(), vec![id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_change_is_a_400_with_the_shells_reason() {
    let shell = FakeShell::new();
    let gw = TestGateway::start_desktop(shell.clone()).await;
    let client = gw.logged_in_client().await;
    let response = put_json(
        &client,
        &gw.url("/api/desktop"),
        &json!({ "autostart": true, "quick_ask_shortcut": "Space" }),
    )
    .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(message, "\"Space\" is not a shortcut like Ctrl+Shift+Space");
    assert_eq!(
        shell.status().quick_ask_shortcut,
        "CommandOrControl+Shift+Space",
        "nothing changed"
    );
    assert!(!shell.status().autostart, "nothing changed");

    // A body that is not a DesktopUpdate never reaches the shell.
    let response = put_json(
        &client,
        &gw.url("/api/desktop"),
        &json!({ "autostart": "yes" }),
    )
    .await;
    // axum answers a wrongly typed field with 422.
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(!shell.status().autostart, "nothing changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn open_refuses_bad_and_unknown_sessions() {
    let shell = FakeShell::new();
    let gw = TestGateway::start_desktop(shell.clone()).await;
    let client = gw.logged_in_client().await;
    let response = post_json(
        &client,
        &gw.url("/api/desktop/open"),
        &json!({ "session": "../../etc" }),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST).await;
    let response = post_json(
        &client,
        &gw.url("/api/desktop/open"),
        &json!({ "session": "nosuchsession" }),
    )
    .await;
    let message = expect_error(response, StatusCode::NOT_FOUND).await;
    assert!(message.contains("nosuchsession"), "{message}");
    assert!(shell.opened().is_empty(), "{:?}", shell.opened());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_headless_daemon_is_not_the_app() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let (status, body) = gw.get(&client, "/api/desktop").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "app": false }));

    let response = put_json(
        &client,
        &gw.url("/api/desktop"),
        &json!({ "autostart": true }),
    )
    .await;
    let message = expect_error(response, StatusCode::NOT_FOUND).await;
    assert!(message.contains("desktop app"), "{message}");
    let response = post_json(
        &client,
        &gw.url("/api/desktop/open"),
        &json!({ "session": "abc" }),
    )
    .await;
    expect_error(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn desktop_routes_need_a_login_and_the_pages_origin() {
    let shell = FakeShell::new();
    let gw = TestGateway::start_desktop(shell.clone()).await;
    let anonymous = gw.anonymous();
    let response = anonymous.get(gw.url("/api/desktop")).send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    let response = put_json(
        &anonymous,
        &gw.url("/api/desktop"),
        &json!({ "autostart": true }),
    )
    .await;
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    let response = post_json(
        &anonymous,
        &gw.url("/api/desktop/open"),
        &json!({ "session": "abc" }),
    )
    .await;
    expect_error(response, StatusCode::UNAUTHORIZED).await;

    // Logged in, but from another site: refused before the shell hears of it.
    let browser = gw.logged_in_client().await;
    let response = browser
        .put(gw.url("/api/desktop"))
        .header(ORIGIN, "http://evil.example")
        .json(&json!({ "autostart": true }))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN).await;
    assert!(!shell.status().autostart);

    // The bearer token works, as for every other resource.
    let (status, body) = gw.get(&gw.bearer_client(), "/api/desktop").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["app"], true);
}
