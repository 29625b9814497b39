#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `GET /api/images`: images the agent made are served from the workspace, and nothing
//! else is, however the path is written.

mod common;

use std::path::Path;

use common::{TestGateway, expect_error};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;

/// The first bytes of a PNG file; the gateway does not look inside, so this is enough.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n fake screenshot";

async fn get_image(client: &reqwest::Client, gw: &TestGateway, path: &Path) -> reqwest::Response {
    client
        .get(gw.url("/api/images"))
        .query(&[("path", path.to_str().unwrap())])
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_screenshot_in_the_workspace_is_served_with_its_type_and_cached_privately() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let shots = gw.workspace().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("shot-1.png");
    std::fs::write(&png, PNG).unwrap();

    let response = get_image(&client, &gw, &png).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "image/png");
    assert_eq!(header(&response, "cache-control"), "private, max-age=3600");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);

    for (name, media_type) in [
        ("a.jpg", "image/jpeg"),
        ("b.JPEG", "image/jpeg"),
        ("c.gif", "image/gif"),
        ("d.WebP", "image/webp"),
    ] {
        let path = shots.join(name);
        std::fs::write(&path, b"image bytes").unwrap();
        let response = get_image(&client, &gw, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert_eq!(header(&response, "content-type"), media_type, "{name}");
    }

    // A symlink that stays inside the workspace is fine.
    let link = gw.workspace().join("latest.png");
    std::os::unix::fs::symlink(&png, &link).unwrap();
    let response = get_image(&client, &gw, &link).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_image_is_a_404() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let response = get_image(&client, &gw, &gw.workspace().join("screenshots/gone.png")).await;
    let message = expect_error(response, StatusCode::NOT_FOUND).await;
    assert!(message.contains("gone.png"), "{message}");
    // A folder is not an image either.
    let folder = gw.workspace().join("album.png");
    std::fs::create_dir_all(&folder).unwrap();
    let response = get_image(&client, &gw, &folder).await;
    expect_error(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn images_outside_the_workspace_are_refused_however_they_are_reached() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.png");
    std::fs::write(&secret, PNG).unwrap();

    // Directly.
    let response = get_image(&client, &gw, &secret).await;
    let message = expect_error(response, StatusCode::FORBIDDEN).await;
    assert!(message.contains("workspace"), "{message}");

    // Through `..` from inside the workspace.
    let ws = gw.workspace();
    let depth = ws.components().count();
    let mut dotted = ws.clone();
    for _ in 0..depth {
        dotted.push("..");
    }
    let dotted = dotted.join(secret.strip_prefix("/").unwrap());
    assert!(dotted.starts_with(&ws), "the path is written as if inside");
    let response = get_image(&client, &gw, &dotted).await;
    expect_error(response, StatusCode::FORBIDDEN).await;

    // Through a symlink in the workspace that points out.
    let link = ws.join("innocent.png");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let response = get_image(&client, &gw, &link).await;
    expect_error(response, StatusCode::FORBIDDEN).await;

    // Through a symlinked folder.
    let folder = ws.join("shots");
    std::os::unix::fs::symlink(outside.path(), &folder).unwrap();
    let response = get_image(&client, &gw, &folder.join("secret.png")).await;
    expect_error(response, StatusCode::FORBIDDEN).await;

    // The data home (config, secrets, database) is outside the workspace too.
    let response = get_image(&client, &gw, &gw.home().join("config.toml")).await;
    expect_error(response, StatusCode::FORBIDDEN).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_image_files_are_served() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let ws = gw.workspace();
    let notes = ws.join("notes.txt");
    std::fs::write(&notes, "not an image").unwrap();
    let response = get_image(&client, &gw, &notes).await;
    let message = expect_error(response, StatusCode::FORBIDDEN).await;
    assert!(message.contains("PNG"), "{message}");
    for name in ["page.html", "icon.svg", "no-extension"] {
        let path = ws.join(name);
        std::fs::write(&path, "<svg onload=alert(1)>").unwrap();
        let response = get_image(&client, &gw, &path).await;
        expect_error(response, StatusCode::FORBIDDEN).await;
    }
    // The name of the link does not matter, the file it points to does.
    let disguised = ws.join("notes.png");
    std::os::unix::fs::symlink(&notes, &disguised).unwrap();
    let response = get_image(&client, &gw, &disguised).await;
    expect_error(response, StatusCode::FORBIDDEN).await;

    // A relative path is refused rather than guessed at.
    let response = client
        .get(gw.url("/api/images?path=screenshots/a.png"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
    let response = client.get(gw.url("/api/images")).send().await.unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn images_need_a_login() {
    let gw = TestGateway::start().await;
    let png = gw.workspace().join("shot.png");
    std::fs::write(&png, PNG).unwrap();
    let response = get_image(&gw.anonymous(), &gw, &png).await;
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    let response = get_image(&gw.bearer_client(), &gw, &png).await;
    assert_eq!(response.status(), StatusCode::OK);
}
