#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Memory page's API against a real gateway and data home: changes go through the
//! engine (and are refused there with a reason), lists filter, searches find CJK by one
//! character and return matching past messages, a memory shows its history, and what
//! recall gave a turn reads back for the chat's chip.

mod common;

use common::{TestGateway, expect_error, post_json, status_and_json};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn change(gw: &TestGateway, client: &reqwest::Client, body: Value) -> Value {
    let (status, reply) =
        status_and_json(post_json(client, &gw.url("/api/memories"), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{body}: {reply}");
    reply
}

fn contents(list: &Value) -> Vec<String> {
    list["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn memories_are_changed_through_the_engine_listed_searched_and_shown_with_history() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let saved = change(
        &gw,
        &client,
        json!({"action": "save", "content": "我每周六去杭州西湖散步", "kind": "preference"}),
    )
    .await;
    assert_eq!(saved["type"], "memory");
    assert_eq!(saved["changed"], true);
    let lake = saved["memory"]["id"].as_str().unwrap().to_owned();
    let again = change(
        &gw,
        &client,
        json!({"action": "save", "content": "我每周六去杭州西湖散步。"}),
    )
    .await;
    assert_eq!(again["changed"], false);
    let ana = change(
        &gw,
        &client,
        json!({"action": "save", "content": "Her daughter is Lucía", "scope": "contact:ana"}),
    )
    .await;
    let ana = ana["memory"]["id"].as_str().unwrap().to_owned();
    change(
        &gw,
        &client,
        json!({"action": "pin", "id": ana, "pinned": true}),
    )
    .await;

    let (_, all) = gw.get(&client, "/api/memories").await;
    assert_eq!(all["total"], 2);
    // No embeddings endpoint configured: nothing to say about indexing.
    assert!(all.get("index").is_none(), "{all}");
    assert_eq!(
        contents(&all),
        ["Her daughter is Lucía", "我每周六去杭州西湖散步"]
    );
    let (_, scoped) = gw.get(&client, "/api/memories?scope=contact:ana").await;
    assert_eq!(contents(&scoped), ["Her daughter is Lucía"]);
    let (_, by_agent) = gw.get(&client, "/api/memories?provenance=agent").await;
    assert_eq!(contents(&by_agent), Vec::<String>::new());
    let (_, found) = gw.get(&client, "/api/memories?q=%E6%B9%96").await; // 湖
    assert_eq!(contents(&found), ["我每周六去杭州西湖散步"]);
    let (status, hostile) = gw.get(&client, "/api/memories?q=NEAR(%22").await;
    assert_eq!(status, StatusCode::OK, "{hostile}");

    change(
        &gw,
        &client,
        json!({"action": "edit", "id": lake, "content": "我每周日去杭州西湖散步"}),
    )
    .await;
    change(&gw, &client, json!({"action": "forget", "id": lake})).await;
    let (_, listed) = gw.get(&client, "/api/memories").await;
    assert_eq!(contents(&listed), ["Her daughter is Lucía"]);
    let (_, with_forgotten) = gw.get(&client, "/api/memories?all=true").await;
    assert_eq!(contents(&with_forgotten).len(), 2);
    change(&gw, &client, json!({"action": "undo", "id": lake})).await;
    let undone = change(&gw, &client, json!({"action": "undo", "id": lake})).await;
    assert_eq!(undone["memory"]["content"], "我每周六去杭州西湖散步");
    let (status, detail) = gw.get(&client, &format!("/api/memories/{lake}")).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "edit", "forget", "restore", "edit"]);

    for (body, status, reason) in [
        (
            json!({"action": "save", "content": "  "}),
            StatusCode::BAD_REQUEST,
            "cannot be empty",
        ),
        (
            json!({"action": "save", "content": "x", "scope": "everyone"}),
            StatusCode::BAD_REQUEST,
            "scope \"everyone\"",
        ),
        (
            json!({"action": "edit", "id": "mem-nope", "content": "x"}),
            StatusCode::NOT_FOUND,
            "no memory",
        ),
        (
            json!({"action": "undo", "id": "mem-nope"}),
            StatusCode::NOT_FOUND,
            "no memory",
        ),
    ] {
        let message = expect_error(
            post_json(&client, &gw.url("/api/memories"), &body).await,
            status,
        )
        .await;
        assert!(message.contains(reason), "{body}: {message}");
    }
    let (status, _) = gw.get(&client, "/api/memories/mem-nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = gw.get(&client, "/api/memories?provenance=boss").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let anonymous = gw.anonymous();
    let (status, _) = gw.get(&anonymous, "/api/memories").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
