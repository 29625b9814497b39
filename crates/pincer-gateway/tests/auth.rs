#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Who may use the gateway, and from where: the API token, one-time login codes and
//! cookies, login throttling, Host and Origin checks, loopback-only binding and the
//! security headers every response carries.

mod common;

use std::time::Duration;

use common::{KEY_HEADER, TestGateway, WsAuth, expect_error, login_cookie, mode, post_json};
use pincer_gateway::{Gateway, GatewayError, GatewayOptions, check_listen};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite;

/// The HTTP status of a refused WebSocket handshake.
fn refused_status(result: Result<common::Ws, tungstenite::Error>) -> StatusCode {
    match result {
        Ok(_) => panic!("the WebSocket was accepted"),
        Err(tungstenite::Error::Http(response)) => {
            StatusCode::from_u16(response.status().as_u16()).unwrap()
        }
        Err(other) => panic!("the handshake failed without an HTTP answer: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_resource_needs_a_login_but_health_does_not() {
    let gw = TestGateway::start().await;
    let anonymous = gw.anonymous();
    for path in [
        "/api/sessions",
        "/api/settings",
        "/api/usage",
        "/api/approvals",
        "/api/sessions/abc/messages",
    ] {
        let response = anonymous.get(gw.url(path)).send().await.unwrap();
        let message = expect_error(response, StatusCode::UNAUTHORIZED).await;
        assert!(message.contains("not logged in"), "{path}: {message}");
    }
    // Creating things and minting login codes need a login too.
    let response = post_json(&anonymous, &gw.url("/api/sessions"), &json!({})).await;
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    let response = anonymous
        .post(gw.url("/api/login-codes"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        gw.session_list(&gw.bearer_client(), "").await,
        Vec::<(String, String)>::new(),
        "the refused POST created nothing"
    );

    // The WebSocket from the page's own origin, but without a login.
    let status = refused_status(gw.ws_connect(WsAuth::None, Some(gw.origin())).await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = gw.get(&anonymous, "/api/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["service"], "pincer");
    assert!(!body["version"].as_str().unwrap().is_empty(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_file_is_private_and_works_as_a_bearer_token() {
    let gw = TestGateway::start().await;
    let path = gw.home().join("gateway.token");
    assert_eq!(
        mode(&path),
        0o600,
        "gateway.token must be readable by its owner only"
    );
    let token = gw.token();
    assert_eq!(token.len(), 64, "32 random bytes as hex: {token:?}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token:?}");

    let (status, body) = gw.get(&gw.bearer_client(), "/api/sessions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ws = gw
        .ws_connect(WsAuth::Bearer(token.clone()), None)
        .await
        .expect("the token opens the WebSocket");
    assert!(ws.snapshot.is_empty());

    let mut wrong = token.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    for bad in [wrong.as_str(), "nope", ""] {
        let response = reqwest::Client::new()
            .get(gw.url("/api/sessions"))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED).await;
    }
    let status = refused_status(gw.ws_connect(WsAuth::Bearer(wrong), None).await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_code_works_once_and_logout_ends_the_login() {
    let gw = TestGateway::start().await;
    let code = gw.take_first_code();
    let response = post_json(
        &gw.anonymous(),
        &gw.url("/api/login"),
        &json!({ "code": code }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .expect("Set-Cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.starts_with(&format!("{}=", gw.cookie_name())),
        "the cookie is named for this gateway's port: {set_cookie}"
    );
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    for wanted in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            attributes.contains(&wanted),
            "the login cookie lacks {wanted}: {set_cookie}"
        );
    }
    let cookie = login_cookie(&response).unwrap();
    assert!(cookie.len() >= 32, "a long random value: {cookie:?}");
    let body: serde_json::Value = response.json().await.unwrap();
    let key = body["key"].as_str().unwrap().to_owned();
    assert!(key.len() >= 32 && key != cookie, "a second secret: {key:?}");

    // The code is used up, also for someone else.
    let response = post_json(
        &gw.anonymous(),
        &gw.url("/api/login"),
        &json!({ "code": code }),
    )
    .await;
    let message = expect_error(response, StatusCode::UNAUTHORIZED).await;
    assert!(
        message.contains("pincer login"),
        "tells how to get a new code: {message}"
    );

    // Codes get read aloud and retyped: case, spaces and the dashes are forgiven.
    let typed = gw.fresh_code().await.to_lowercase().replace('-', " ");
    let (browser, _) = gw.login_with_code(&typed).await;
    let (status, _) = gw.get(&browser, "/api/sessions").await;
    assert_eq!(status, StatusCode::OK);

    let (browser, login) = gw.login().await;
    let response = browser.post(gw.url("/api/logout")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cleared.starts_with(&gw.cookie_name()), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The server forgot the login: both secrets, replayed by hand, are refused.
    let response = reqwest::Client::new()
        .get(gw.url("/api/sessions"))
        .header(COOKIE, format!("{}={}", gw.cookie_name(), login.cookie))
        .header(KEY_HEADER, &login.key)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    let status = refused_status(
        gw.ws_connect(WsAuth::Browser(login), Some(gw.origin()))
            .await,
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = gw.get(&browser, "/api/sessions").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Sends `GET /api/sessions` with exactly these cookie and key headers.
async fn sessions_with(gw: &TestGateway, cookie: Option<&str>, key: Option<&str>) -> StatusCode {
    let mut request = reqwest::Client::new().get(gw.url("/api/sessions"));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, format!("{}={cookie}", gw.cookie_name()));
    }
    if let Some(key) = key {
        request = request.header(KEY_HEADER, key);
    }
    request.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stolen_cookie_without_the_pages_key_logs_nobody_in() {
    let gw = TestGateway::start().await;
    let (_, login) = gw.login().await;
    let (_, other) = gw.login().await;
    assert_eq!(
        sessions_with(&gw, Some(&login.cookie), Some(&login.key)).await,
        StatusCode::OK,
        "cookie and key together"
    );
    // What another web server on 127.0.0.1 receives from the browser: the cookie alone.
    for (what, cookie, key) in [
        ("the cookie alone", Some(login.cookie.as_str()), None),
        ("the key alone", None, Some(login.key.as_str())),
        (
            "a made-up key",
            Some(login.cookie.as_str()),
            Some("0".repeat(64)).as_deref(),
        ),
        (
            "another browser's key",
            Some(login.cookie.as_str()),
            Some(other.key.as_str()),
        ),
    ] {
        assert_eq!(
            sessions_with(&gw, cookie, key).await,
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
    }
    let status = refused_status(
        gw.ws_connect(WsAuth::CookieOnly(login.cookie.clone()), Some(gw.origin()))
            .await,
    );
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the WebSocket with the cookie alone"
    );
    // Nor can the cookie alone end the login.
    let response = reqwest::Client::new()
        .post(gw.url("/api/logout"))
        .header(COOKIE, format!("{}={}", gw.cookie_name(), login.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        sessions_with(&gw, Some(&login.cookie), Some(&login.key)).await,
        StatusCode::OK,
        "still logged in"
    );
    gw.ws_connect(WsAuth::Browser(login), Some(gw.origin()))
        .await
        .expect("the page's WebSocket: cookie plus the key as a protocol");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_that_logs_in_again_keeps_its_cookie_so_its_other_pages_stay_in() {
    let gw = TestGateway::start().await;
    let jar_client = gw.anonymous();
    let mut logins = Vec::new();
    for _ in 0..2 {
        let code = gw.fresh_code().await;
        let response =
            post_json(&jar_client, &gw.url("/api/login"), &json!({ "code": code })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = login_cookie(&response).unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        logins.push((cookie, body["key"].as_str().unwrap().to_owned()));
    }
    assert_eq!(logins[0].0, logins[1].0, "the second login kept the cookie");
    assert_ne!(logins[0].1, logins[1].1, "each login has its own key");
    for (cookie, key) in &logins {
        assert_eq!(
            sessions_with(&gw, Some(cookie), Some(key)).await,
            StatusCode::OK
        );
    }
    // A cookie no login knows (planted by another local server) is replaced, not adopted.
    let code = gw.fresh_code().await;
    let response = reqwest::Client::new()
        .post(gw.url("/api/login"))
        .header(COOKIE, format!("{}={}", gw.cookie_name(), "a".repeat(64)))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_ne!(login_cookie(&response).unwrap(), "a".repeat(64));
}

#[tokio::test(flavor = "multi_thread")]
async fn log_out_everywhere_ends_every_browser_login_and_closes_their_sockets() {
    let gw = TestGateway::start().await;
    let (browser, login) = gw.login().await;
    let (_, other) = gw.login().await;
    let mut page_socket = gw
        .ws_connect(WsAuth::Browser(login.clone()), Some(gw.origin()))
        .await
        .unwrap();
    let mut script_socket = gw
        .ws_connect(WsAuth::Bearer(gw.token()), None)
        .await
        .unwrap();

    // Needs a login itself.
    let response = gw
        .anonymous()
        .post(gw.url("/api/logout-all"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;

    let response = browser
        .post(gw.url("/api/logout-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cleared = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["ended"], 2, "{body}");

    for (what, login) in [("this browser", &login), ("the other browser", &other)] {
        assert_eq!(
            sessions_with(&gw, Some(&login.cookie), Some(&login.key)).await,
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
    }
    assert_eq!(
        page_socket.close_code().await,
        Some(4401),
        "the page's socket closes"
    );
    // The API token is not a browser login: scripts and their sockets go on.
    let (status, _) = gw.get(&gw.bearer_client(), "/api/sessions").await;
    assert_eq!(status, StatusCode::OK);
    let response = post_json(&gw.bearer_client(), &gw.url("/api/sessions"), &json!({})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    script_socket.sessions_changed().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_survives_a_restart_over_the_same_data_home() {
    let gw = TestGateway::start().await;
    let (_, login) = gw.login().await;
    let token = gw.token();
    let old_addr = gw.addr;

    let gw = gw.restart().await;
    assert_ne!(gw.addr, old_addr, "a new gateway listens");
    assert_eq!(gw.token(), token, "the token file is reused");
    // The new gateway's cookie name has its new port; a restart on the same port would
    // find the browser's cookie under it.
    assert_eq!(
        sessions_with(&gw, Some(&login.cookie), Some(&login.key)).await,
        StatusCode::OK,
        "the old login still works"
    );
    let (status, _) = gw.get(&gw.bearer_client(), "/api/usage").await;
    assert_eq!(status, StatusCode::OK);
    // A made-up login does not.
    assert_eq!(
        sessions_with(&gw, Some(&"0".repeat(64)), Some(&login.key)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_websocket_refuses_foreign_origins_even_with_a_valid_login() {
    let gw = TestGateway::start().await;
    let login = gw.browser_login().await;
    let other_port = format!("http://127.0.0.1:{}", gw.addr.port().wrapping_add(1).max(1));
    for origin in ["http://evil.example", other_port.as_str(), "null"] {
        let status = refused_status(
            gw.ws_connect(WsAuth::Browser(login.clone()), Some(origin.to_owned()))
                .await,
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "Origin: {origin}");
    }
    // The page's own origin is welcome; the first message is the snapshot.
    let ws = gw
        .ws_connect(WsAuth::Browser(login), Some(gw.origin()))
        .await
        .expect("same-origin WebSocket");
    assert!(ws.snapshot.is_empty(), "no turn is running");
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_requests_from_a_foreign_origin_are_refused() {
    let gw = TestGateway::start().await;
    let browser = gw.logged_in_client().await;
    let config_before = std::fs::read_to_string(gw.home().join("config.toml")).unwrap();

    let response = browser
        .post(gw.url("/api/sessions"))
        .header(ORIGIN, "http://evil.example")
        .json(&json!({ "title": "planted" }))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::FORBIDDEN).await;
    assert!(message.contains("cross-origin"), "{message}");
    let response = browser
        .put(gw.url("/api/settings/policy"))
        .header(ORIGIN, "http://evil.example")
        .json(&json!({ "write": "allow", "exec": "allow" }))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN).await;
    // Not even a forced logout.
    let response = browser
        .post(gw.url("/api/logout"))
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN).await;

    assert!(
        gw.session_list(&browser, "").await.is_empty(),
        "nothing was created"
    );
    assert_eq!(
        std::fs::read_to_string(gw.home().join("config.toml")).unwrap(),
        config_before,
        "the policy was not changed"
    );

    // A cross-origin read gets no CORS permission to show it to the foreign page.
    let response = browser
        .get(gw.url("/api/sessions"))
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "{:?}",
        response.headers()
    );

    // The same request from the page itself works.
    let response = browser
        .post(gw.url("/api/sessions"))
        .header(ORIGIN, gw.origin())
        .json(&json!({ "title": "mine" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// Well-formed login codes that no gateway issued: `count` of them, varied ids.
fn made_up_codes(count: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            let chars: String = (0..13)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    ALPHABET[(x >> 33) as usize % ALPHABET.len()] as char
                })
                .collect();
            format!("{}-{}-{}", &chars[..5], &chars[5..9], &chars[9..])
        })
        .collect()
}

/// The same code with one secret character changed (the id stays).
fn wrong_secret(code: &str, n: usize) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    let last = chars.len() - 1 - n % 4;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_wrong_codes_does_not_stop_the_owners_code() {
    let gw = TestGateway::start().await;
    let valid = gw.take_first_code();
    let flood = gw.anonymous();
    let mut junk = made_up_codes(300);
    junk.extend(["WRNG-CODE", "", "x", "AAAA-AAAA", &"A".repeat(500)].map(str::to_owned));
    for code in &junk {
        let response = post_json(&flood, &gw.url("/api/login"), &json!({ "code": code })).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{code:?}");
    }
    // The owner's code from the start-up line, and a fresh one from `pincer login`.
    let response = post_json(
        &gw.anonymous(),
        &gw.url("/api/login"),
        &json!({ "code": valid }),
    )
    .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert!(login_cookie(&response).is_some());
    let (client, _) = gw.login().await;
    let (status, _) = gw.get(&client, "/api/sessions").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn five_wrong_secrets_burn_that_code_and_no_other() {
    let gw = TestGateway::start().await;
    let attacked = gw.take_first_code();
    let other = gw.fresh_code().await;
    let typo = gw.fresh_code().await;
    assert_eq!(attacked.len(), 15, "ABCDE-FGHJ-KMNP: {attacked}");
    let client = gw.anonymous();
    let login = async |code: &str| {
        post_json(&client, &gw.url("/api/login"), &json!({ "code": code })).await
    };

    for n in 0..5 {
        let message = expect_error(
            login(&wrong_secret(&attacked, n)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert!(message.contains("pincer login"), "{message}");
    }
    // Burnt: the right secret comes too late.
    let response = login(&attacked).await;
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    // Codes are counted apart: the other code still works.
    assert!(login(&other).await.status().is_success());
    // Four typos do not burn a code.
    for n in 0..4 {
        expect_error(
            login(&wrong_secret(&typo, n)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    assert!(login(&typo).await.status().is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_stops_working_after_ten_minutes() {
    let gw = TestGateway::start().await;
    let fresh = gw.fresh_code().await;
    let late = gw.fresh_code().await;
    let client = gw.anonymous();
    gw.clock
        .advance(Duration::from_secs(10 * 60) - Duration::from_millis(1));
    let response = post_json(&client, &gw.url("/api/login"), &json!({ "code": fresh })).await;
    assert!(
        response.status().is_success(),
        "still valid a moment before"
    );
    gw.clock.advance(Duration::from_millis(1));
    let response = post_json(&client, &gw.url("/api/login"), &json!({ "code": late })).await;
    expect_error(response, StatusCode::UNAUTHORIZED).await;
}

/// Sends a raw HTTP/1.1 request with the given Host header; returns (status, body).
async fn raw_request(gw: &TestGateway, path: &str, host: &str, extra: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut response))
        .await
        .expect("an answer within 10 s")
        .unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_for_a_foreign_host_are_refused() {
    let gw = TestGateway::start().await;
    let port = gw.addr.port();
    // DNS rebinding: a page at evil.example whose name now points at 127.0.0.1.
    let (status, body) = raw_request(&gw, "/api/health", &format!("evil.example:{port}"), "").await;
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("\"error\""), "{body}");
    let bearer = format!("Authorization: Bearer {}\r\n", gw.token());
    let (status, _) = raw_request(
        &gw,
        "/api/sessions",
        &format!("evil.example:{port}"),
        &bearer,
    )
    .await;
    assert_eq!(
        status, 421,
        "refused before authentication is even looked at"
    );
    let (status, _) = raw_request(&gw, "/", &format!("localhost.evil.example:{port}"), "").await;
    assert_eq!(status, 421);

    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let (status, body) = raw_request(&gw, "/api/health", &host, "").await;
        assert_eq!(status, 200, "Host: {host}: {body}");
    }
}

/// Host values that name a loopback address only to a sloppy parser: userinfo, paths,
/// junk ports, several hosts. Each must get 421 like a foreign name.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_header_that_is_not_exactly_host_and_port_is_refused() {
    let gw = TestGateway::start().await;
    let port = gw.addr.port();
    let hostile = [
        "127.0.0.1:1@evil".to_owned(),
        format!("127.0.0.1:{port}@evil.example"),
        format!("user@127.0.0.1:{port}"),
        format!("evil.example@127.0.0.1:{port}"),
        format!("127.0.0.1:{port}/evil"),
        format!("127.0.0.1:{port}?x"),
        format!("127.0.0.1:{port}#x"),
        format!("127.0.0.1:{port}:{port}"),
        "127.0.0.1:".to_owned(),
        "127.0.0.1:-1".to_owned(),
        "127.0.0.1:+80".to_owned(),
        "127.0.0.1:99999".to_owned(),
        "127.0.0.1:0x50".to_owned(),
        format!("127.0.0.1 :{port}"),
        format!("127.0.0.1:{port},evil.example"),
        format!("127.0.0.1\\@evil.example:{port}"),
        format!("[::1]evil:{port}"),
        format!("[::1]:{port}]"),
        "[::1".to_owned(),
        format!("[127.0.0.1]:{port}"),
        format!("localhost.:{port}"),
        format!("127.0.0.1.:{port}"),
        format!("127.1:{port}"),
        format!("0x7f.0.0.1:{port}"),
        format!("2130706433:{port}"),
        format!("127.000.000.001:{port}"),
        String::new(),
    ];
    let mut let_through = Vec::new();
    for host in &hostile {
        let (status, _) = raw_request(&gw, "/api/health", host, "").await;
        if status != 421 {
            let_through.push(format!("{host:?} → {status}"));
        }
    }
    assert_eq!(
        let_through,
        Vec::<String>::new(),
        "hostile Host values must get 421"
    );

    // Two Host headers, and an absolute URL naming another host than the Host header.
    let (status, _) = raw_request(
        &gw,
        "/api/health",
        &format!("127.0.0.1:{port}"),
        "Host: evil.example\r\n",
    )
    .await;
    assert_eq!(status, 421, "two Host headers");
    let (status, _) = raw_request(
        &gw,
        "http://evil.example/api/health",
        &format!("127.0.0.1:{port}"),
        "",
    )
    .await;
    assert_eq!(status, 421, "an absolute URL for another host");

    // The honest forms still work.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
    ] {
        let (status, body) = raw_request(&gw, "/api/health", &host, "").await;
        assert_eq!(status, 200, "Host: {host}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_address_is_refused_without_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let engine = common::engine_for(home.path());
    // A port that was free a moment ago, so "nothing listens" can be checked.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("0.0.0.0:{port}").parse().unwrap();
    let result = Gateway::bind(
        engine,
        home.path().to_path_buf(),
        GatewayOptions {
            listen,
            allow_remote: false,
            extra_origins: Vec::new(),
            workspace_override: None,
            desktop: None,
        },
    )
    .await;
    match result {
        Err(error @ GatewayError::NotLoopback { addr }) => {
            assert_eq!(addr, listen);
            assert!(error.to_string().contains("--allow-remote"), "{error}");
        }
        Err(other) => panic!("expected NotLoopback, got {other}"),
        Ok(_) => panic!("bound a public address without --allow-remote"),
    }
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "nothing may listen on port {port}"
    );
    assert!(
        !home.path().join("gateway.token").exists(),
        "refused before touching the data home"
    );

    assert!(check_listen("0.0.0.0:7420".parse().unwrap(), true).is_ok());
    assert!(check_listen("127.0.0.1:7420".parse().unwrap(), false).is_ok());
    assert!(check_listen("[::1]:7420".parse().unwrap(), false).is_ok());
    assert!(matches!(
        check_listen("192.168.1.10:7420".parse().unwrap(), false),
        Err(GatewayError::NotLoopback { .. })
    ));
    assert!(matches!(
        check_listen("[::]:7420".parse().unwrap(), false),
        Err(GatewayError::NotLoopback { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_and_api_answers_carry_security_headers() {
    let gw = TestGateway::start().await;
    let anonymous = gw.anonymous();
    let bearer = gw.bearer_client();
    let responses = [
        (
            "GET / (the page)",
            anonymous.get(gw.url("/")).send().await.unwrap(),
        ),
        (
            "GET /api/health",
            anonymous.get(gw.url("/api/health")).send().await.unwrap(),
        ),
        (
            "GET /api/sessions",
            bearer.get(gw.url("/api/sessions")).send().await.unwrap(),
        ),
        (
            "401 on /api/settings",
            anonymous.get(gw.url("/api/settings")).send().await.unwrap(),
        ),
        (
            "404 on /api/nonexistent",
            bearer.get(gw.url("/api/nonexistent")).send().await.unwrap(),
        ),
    ];
    for (what, response) in &responses {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .unwrap_or_else(|| panic!("{what}: no {name} header"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    }
    for (what, response) in &responses[1..] {
        assert_eq!(
            response.headers().get("cache-control").unwrap(),
            "no-store",
            "{what}: API answers are not cached"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_login_table_is_an_error_not_a_logout() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let (status, _) = gw.get(&client, "/api/sessions").await;
    assert_eq!(status, StatusCode::OK);
    // Something else breaks the database under the running daemon.
    let db = rusqlite::Connection::open(gw.home().join("pincer.db")).unwrap();
    db.execute_batch("DROP TABLE web_sessions;").unwrap();
    let response = client.get(gw.url("/api/sessions")).send().await.unwrap();
    let message = expect_error(response, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert!(message.contains("could not check the login"), "{message}");
    // The bearer token needs no database and still works.
    let (status, _) = gw.get(&gw.bearer_client(), "/api/sessions").await;
    assert_eq!(status, StatusCode::OK);
}
