#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The REST resources: sessions, settings (providers with server-side keys, approval
//! rules, connection test), usage, and the page itself.

mod common;

use common::{TestGateway, completed_text, expect_error, mode, post_json};
use pincer_core::config::FileConfig;
use pincer_core::policy::{ExecRule, PolicyConfig, Verdict};
use pincer_core::protocol::Event;
use pincer_testkit::{Reply, ScriptedLlm};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{Value, json};

const WRITE_NOTE: &str = r#"{"path":"note.txt","content":"hello"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn sessions_can_be_created_renamed_searched_and_deleted() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let mut watcher = gw.ws().await;

    // Create.
    let response = post_json(
        &client,
        &gw.url("/api/sessions"),
        &json!({ "title": "  Groceries \n list " }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["title"], "Groceries list", "whitespace is tidied");
    assert_eq!(created["messages"], 0);
    assert_eq!(created["running"], false);
    watcher.sessions_changed().await;
    // Without a body: an untitled session.
    let response = client.post(gw.url("/api/sessions")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let untitled: Value = response.json().await.unwrap();
    assert_eq!(untitled["title"], "");
    assert_ne!(untitled["id"], created["id"]);
    watcher.sessions_changed().await;

    // Rename.
    let response = client
        .patch(gw.url(&format!("/api/sessions/{id}")))
        .json(&json!({ "title": "Weekly groceries" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let renamed: Value = response.json().await.unwrap();
    assert_eq!(renamed["id"], id.as_str());
    assert_eq!(renamed["title"], "Weekly groceries");
    watcher.sessions_changed().await;

    // A conversation whose title does not contain what is said in it.
    gw.llm
        .push(Reply::text("The capital of Mongolia is Ulaanbaatar."));
    watcher
        .user_turn("geo", "Quick question\nwhat is the capital of Mongolia?")
        .await;
    assert_eq!(
        completed_text(&watcher.until_turn_end("geo").await),
        "The capital of Mongolia is Ulaanbaatar."
    );
    // The end of a turn reorders the list; take that announcement here so the one after
    // the delete below is the delete's own.
    watcher.sessions_changed().await;

    let ids = |list: Vec<(String, String)>| list.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    assert_eq!(
        ids(gw.session_list(&client, "weekly").await),
        vec![id.clone()],
        "by title, any case"
    );
    assert_eq!(
        ids(gw.session_list(&client, "MONGOLIA").await),
        vec!["geo".to_owned()],
        "by the user's text"
    );
    assert_eq!(
        ids(gw.session_list(&client, "ulaanbaatar").await),
        vec!["geo".to_owned()],
        "by the answer"
    );
    assert_eq!(
        gw.session_list(&client, "zebra").await,
        Vec::<(String, String)>::new()
    );
    // `%` and `_` are text, not wildcards.
    assert_eq!(
        gw.session_list(&client, "%25").await,
        Vec::<(String, String)>::new()
    );
    let all = gw.session_list(&client, "").await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(
        all[0],
        ("geo".to_owned(), "Quick question".to_owned()),
        "most recent first"
    );

    // Delete.
    let response = client
        .delete(gw.url(&format!("/api/sessions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    watcher.sessions_changed().await;
    let response = client
        .get(gw.url(&format!("/api/sessions/{id}/messages")))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND).await;
    assert!(!ids(gw.session_list(&client, "").await).contains(&id));

    let response = client
        .delete(gw.url("/api/sessions/geo"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = client
        .get(gw.url("/api/sessions/geo/messages"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND).await;
    // A deleted session starts over empty when written to again.
    gw.llm.push(Reply::text("Fresh start."));
    watcher.user_turn("geo", "hello again").await;
    watcher.until_turn_end("geo").await;
    let (_, messages) = gw.get(&client, "/api/sessions/geo/messages").await;
    assert_eq!(messages.as_array().unwrap().len(), 2, "{messages}");
    let request = gw.llm.requests().pop().unwrap();
    assert!(
        !request.raw_body.contains("Mongolia"),
        "the deleted conversation is not sent to the model again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_session_requests_get_clear_errors() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let response = post_json(
        &client,
        &gw.url("/api/sessions"),
        &json!({ "title": "Kept" }),
    )
    .await;
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for title in ["", "   \n\t "] {
        let response = client
            .patch(gw.url(&format!("/api/sessions/{id}")))
            .json(&json!({ "title": title }))
            .send()
            .await
            .unwrap();
        let message = expect_error(response, StatusCode::BAD_REQUEST).await;
        assert!(message.contains("empty"), "{message}");
    }
    assert_eq!(
        gw.session_list(&client, "").await,
        vec![(id.clone(), "Kept".to_owned())]
    );

    let response = client
        .patch(gw.url("/api/sessions/nosuchsession"))
        .json(&json!({ "title": "x" }))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::NOT_FOUND).await;
    assert!(message.contains("nosuchsession"), "{message}");
    let response = client
        .delete(gw.url("/api/sessions/nosuchsession"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND).await;
    let response = client
        .get(gw.url("/api/sessions/nosuchsession/messages"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND).await;

    // Overlong titles are cut, not refused.
    let response = client
        .patch(gw.url(&format!("/api/sessions/{id}")))
        .json(&json!({ "title": "x".repeat(1000) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["title"].as_str().unwrap().chars().count(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_with_a_running_turn_cannot_be_deleted() {
    let gw = TestGateway::start().await;
    gw.llm
        .push(Reply::tool_call("call_1", "write_file", WRITE_NOTE));
    gw.llm.push(Reply::text("Never mind."));
    let client = gw.logged_in_client().await;
    let mut ws = gw.ws().await;
    ws.user_turn("busy", "write a note").await;
    let call = common::call_id_of(&ws.approval_requested("busy").await);

    let (_, sessions) = gw.get(&client, "/api/sessions").await;
    assert_eq!(sessions[0]["id"], "busy");
    assert_eq!(
        sessions[0]["running"], true,
        "the list shows the running turn"
    );
    let response = client
        .delete(gw.url("/api/sessions/busy"))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::CONFLICT).await;
    assert!(message.contains("running"), "{message}");
    let (status, messages) = gw.get(&client, "/api/sessions/busy/messages").await;
    assert_eq!(status, StatusCode::OK, "still there");
    assert!(!messages.as_array().unwrap().is_empty());

    ws.approve("busy", &call, "deny").await;
    ws.until_turn_end("busy").await;
    let response = client
        .delete(gw.url("/api/sessions/busy"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "after the turn it can go"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_show_the_configured_provider_without_a_key() {
    let gw = TestGateway::start().await;
    let (status, settings) = gw.get(&gw.logged_in_client().await, "/api/settings").await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let providers = settings["providers"].as_array().unwrap();
    assert_eq!(providers.len(), 1, "{settings}");
    let provider = &providers[0];
    assert_eq!(provider["name"], "openai");
    assert_eq!(provider["preset"], "openai");
    assert_eq!(provider["dialect"], "openai");
    assert_eq!(provider["base_url"], gw.llm.base_url().as_str());
    assert_eq!(provider["model"], "test-model");
    assert_eq!(provider["has_key"], false);
    assert_eq!(provider["key_hint"], Value::Null);
    assert_eq!(settings["active"], json!(["openai"]));
    let policy: PolicyConfig = serde_json::from_value(settings["policy"].clone()).unwrap();
    assert_eq!(policy, PolicyConfig::default());
    let presets: Vec<&str> = settings["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        presets.contains(&"openai") && presets.contains(&"ollama"),
        "{presets:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_provider_key_stays_on_the_server_and_the_next_turn_uses_it() {
    let gw = TestGateway::start().await;
    let second = ScriptedLlm::start_in_background();
    second.push(Reply::text("Answer from the second server."));
    let key = "sk-test-0123456789-abcdWXYZ";
    let client = gw.logged_in_client().await;

    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(&json!([{
            "preset": "openai",
            "base_url": second.base_url(),
            "model": "second-model",
            "api_key": key,
        }]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(key),
        "the key must not leave the server: {text}"
    );
    assert!(!text.contains("0123456789"), "not even part of it: {text}");
    let view: Value = serde_json::from_str(&text).unwrap();
    let provider = &view["providers"][0];
    assert_eq!(provider["has_key"], true);
    assert_eq!(provider["key_hint"], "…WXYZ");
    assert_eq!(provider["base_url"], second.base_url().as_str());
    assert_eq!(provider["model"], "second-model");
    // Reading the settings back does not reveal it either.
    let shown = client
        .get(gw.url("/api/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!shown.contains(key), "{shown}");

    // The key is in the secret store (the OS keyring, or the encrypted file where none
    // runs), so no file in the data home holds it in plain text.
    let index = gw.home().join(pincer_core::secrets::INDEX_FILE);
    assert_eq!(mode(&index), 0o600, "the store's index is private");
    assert!(
        std::fs::read_to_string(&index)
            .unwrap()
            .contains("provider:openai")
    );
    assert_eq!(files_containing(gw.home(), key), Vec::<String>::new());
    let config = std::fs::read_to_string(gw.home().join("config.toml")).unwrap();
    assert!(config.contains(&second.base_url()), "{config}");
    assert!(!config.contains(key), "config.toml holds no key: {config}");
    assert!(
        config.starts_with("# written by the gateway tests\n"),
        "the rest is kept: {config}"
    );
    assert!(
        config.contains("max_attempts = 1"),
        "the rest is kept: {config}"
    );
    // What the daemon reads at its next start is the same provider with the key.
    let reloaded = common::settings_from_home(gw.home());
    assert_eq!(reloaded.providers[0].api_key.as_deref(), Some(key));

    // The next turn goes to the new server, with the key.
    let before = gw.llm.requests().len();
    let mut ws = gw.ws().await;
    ws.user_turn("s1", "hello").await;
    let events = ws.until_turn_end("s1").await;
    assert_eq!(completed_text(&events), "Answer from the second server.");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ModelRequest { model, .. } if model == "second-model")),
        "{events:#?}"
    );
    let requests = second.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].headers.get("authorization").map(String::as_str),
        Some(format!("Bearer {key}").as_str())
    );
    assert_eq!(requests[0].body["model"], "second-model");
    assert_eq!(
        gw.llm.requests().len(),
        before,
        "the old server got nothing"
    );

    // Saving again without `api_key` keeps the key; an empty one removes it.
    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(&json!([{ "preset": "openai", "base_url": second.base_url(), "model": "second-model" }]))
        .send()
        .await
        .unwrap();
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["providers"][0]["key_hint"], "…WXYZ");
    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(&json!([{ "preset": "openai", "base_url": second.base_url(), "model": "second-model", "api_key": "" }]))
        .send()
        .await
        .unwrap();
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["providers"][0]["has_key"], false);
    assert!(
        !std::fs::read_to_string(&index)
            .unwrap()
            .contains("provider:openai")
    );
    assert_eq!(
        common::settings_from_home(gw.home()).providers[0].api_key,
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_provider_is_refused_and_nothing_is_written() {
    let gw = TestGateway::start().await;
    gw.llm.push(Reply::text("Still the first server."));
    let client = gw.logged_in_client().await;
    let config = gw.home().join("config.toml");
    let before = std::fs::read_to_string(&config).unwrap();

    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(&json!([{ "preset": "openai", "base_url": "ftp://x", "model": "m", "api_key": "sk-nope" }]))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert!(
        message.contains("ftp://x") && message.contains("http"),
        "{message}"
    );
    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(&json!([{ "preset": "no-such-vendor" }]))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert!(message.contains("no-such-vendor"), "{message}");
    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(&json!([
            { "preset": "openai", "base_url": "http://127.0.0.1:9/v1" },
            { "preset": "openai", "base_url": "http://127.0.0.1:8/v1" },
        ]))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert!(message.contains("different name"), "{message}");

    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        before,
        "config.toml unchanged"
    );
    assert!(
        !gw.home().join(pincer_core::secrets::INDEX_FILE).exists(),
        "no key was saved"
    );
    // Turns still go where they went.
    let mut ws = gw.ws().await;
    ws.user_turn("s1", "hi").await;
    assert_eq!(
        completed_text(&ws.until_turn_end("s1").await),
        "Still the first server."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_rules_are_saved_and_applied() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    // Rules the user once wrote by hand, with a comment.
    let path = gw.home().join("config.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n# my approval rules\n[policy]\nexec = \"ask\"\n");
    std::fs::write(&path, text).unwrap();
    let policy = PolicyConfig {
        exec: Verdict::Deny,
        exec_rules: vec![ExecRule::new("git status", Verdict::Allow)],
        ..PolicyConfig::default()
    };
    let response = client
        .put(gw.url("/api/settings/policy"))
        .json(&policy)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(
        serde_json::from_value::<PolicyConfig>(view["policy"].clone()).unwrap(),
        policy
    );

    let (_, settings) = gw.get(&client, "/api/settings").await;
    assert_eq!(
        serde_json::from_value::<PolicyConfig>(settings["policy"].clone()).unwrap(),
        policy
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("exec = \"deny\""), "{text}");
    assert!(
        text.contains("# my approval rules\n[policy]"),
        "the comment is kept: {text}"
    );
    assert!(text.contains("git status"), "{text}");
    assert_eq!(FileConfig::parse(&path, &text).unwrap().policy, policy);
    assert!(
        text.contains("model = \"test-model\""),
        "providers kept: {text}"
    );

    // Applied to the next turn: an exec the rule does not allow is refused without asking.
    gw.llm
        .push(Reply::tool_call("call_1", "exec", r#"{"command":"ls"}"#));
    gw.llm.push(Reply::text("Not allowed, then."));
    let mut ws = gw.ws().await;
    ws.user_turn("s1", "list files").await;
    let events = ws.until_turn_end("s1").await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ApprovalRequested { .. })),
        "{events:#?}"
    );
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ToolCallFinished {
                outcome: pincer_core::protocol::ToolOutcome::Denied,
                ..
            }
        )),
        "{events:#?}"
    );

    // A rule without a command is refused and nothing changes.
    let response = client
        .put(gw.url("/api/settings/policy"))
        .json(&json!({ "exec_rules": [{ "prefix": "  ", "action": "allow" }] }))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert!(message.contains("prefix"), "{message}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connection_test_reports_a_live_server_and_a_closed_port() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let response = post_json(
        &client,
        &gw.url("/api/settings/test"),
        &json!({ "preset": "openai", "base_url": gw.llm.base_url(), "model": "test-model" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert!(result["latency_ms"].is_u64(), "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains(&gw.llm.base_url()),
        "{result}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let response = post_json(
        &client,
        &gw.url("/api/settings/test"),
        &json!({ "preset": "openai", "base_url": format!("http://{closed}/v1"), "model": "m" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["ok"], false, "{result}");
    assert_eq!(result["latency_ms"], Value::Null);
    assert!(!result["message"].as_str().unwrap().is_empty(), "{result}");

    // An entry that cannot work is reported the same way, not as an HTTP error.
    let response = post_json(
        &client,
        &gw.url("/api/settings/test"),
        &json!({ "preset": "openai", "base_url": "ftp://x" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["ok"], false);
    assert!(
        result["message"].as_str().unwrap().contains("http"),
        "{result}"
    );
    // Testing changes nothing.
    assert!(
        gw.llm.requests().is_empty(),
        "the probe is a GET of /models, not a chat"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_shows_tokens_per_provider_and_model() {
    let gw = TestGateway::start().await;
    gw.llm.push(Reply::text("Counted.").usage(100, 40, 20));
    let mut ws = gw.ws().await;
    ws.user_turn("s1", "count me").await;
    ws.until_turn_end("s1").await;

    let (status, report) = gw
        .get(&gw.logged_in_client().await, "/api/usage?days=7")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["since"].as_str().unwrap().len(),
        10,
        "YYYY-MM-DD: {report}"
    );
    let buckets = report["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 1, "{report}");
    let bucket = &buckets[0];
    assert_eq!(bucket["provider"], "openai");
    assert_eq!(bucket["model"], "test-model");
    let totals = &bucket["totals"];
    assert_eq!(totals["input_tokens"], 100, "{bucket}");
    assert_eq!(totals["cached_input_tokens"], 40, "{bucket}");
    assert_eq!(totals["output_tokens"], 20, "{bucket}");
    assert!(totals["requests"].as_u64().unwrap() >= 1, "{bucket}");
    assert_eq!(totals["failed_requests"], 0, "{bucket}");
    assert_eq!(
        bucket["cost_usd"],
        Value::Null,
        "no price is known for test-model"
    );
    assert!(report["since"].as_str().unwrap() <= bucket["day"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn prices_from_config_give_the_cost() {
    let gw = TestGateway::start().await;
    let config = gw.home().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[pricing.test-model]\ninput = 2.0\ncached_input = 0.5\noutput = 8.0\n");
    std::fs::write(&config, text).unwrap();
    let gw = gw.restart().await;
    gw.llm
        .push(Reply::text("Priced.").usage(1_000_000, 400_000, 100_000));
    let mut ws = gw.ws().await;
    ws.user_turn("p", "price me").await;
    ws.until_turn_end("p").await;
    let (_, report) = gw
        .get(&gw.logged_in_client().await, "/api/usage?days=1")
        .await;
    let cost = report["buckets"][0]["cost_usd"].as_f64().unwrap();
    // 600k uncached × $2 + 400k cached × $0.5 + 100k output × $8, per million.
    assert!((cost - (1.2 + 0.2 + 0.8)).abs() < 1e-9, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_web_ui_is_served_for_page_routes_but_not_for_unknown_api_routes() {
    let gw = TestGateway::start().await;
    let anonymous = gw.anonymous();
    let page = anonymous.get(gw.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert_eq!(
        page.headers()["cache-control"],
        "no-cache",
        "index.html is re-read"
    );
    let index = page.text().await.unwrap();
    assert!(index.to_lowercase().contains("<html"), "{index}");
    assert!(index.contains("Pincer"), "{index}");

    // A reload on one of the page's own routes gets the same page.
    for route in ["/some/client/route", "/settings", "/sessions/abc123"] {
        let response = anonymous.get(gw.url(route)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{route}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{route}: {content_type}"
        );
        assert_eq!(response.text().await.unwrap(), index, "{route}");
    }

    // Unknown API paths are not papered over with the page.
    let response = gw
        .bearer_client()
        .get(gw.url("/api/nonexistent"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<html"), "{body}");
}

#[tokio::test]
async fn malformed_requests_get_a_json_error_too() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    // A missing field, a body that is not JSON at all, a bad query value.
    let missing = post_json(&client, &gw.url("/api/login"), &serde_json::json!({})).await;
    let message = expect_error(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(message.contains("code"), "{message}");
    let not_json = client
        .put(gw.url("/api/settings/policy"))
        .body("exec = deny")
        .send()
        .await
        .unwrap();
    let message = expect_error(not_json, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(message.to_lowercase().contains("content-type"), "{message}");
    let bad_query = client
        .get(gw.url("/api/usage?days=abc"))
        .send()
        .await
        .unwrap();
    expect_error(bad_query, StatusCode::BAD_REQUEST).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn history_says_how_turns_and_tool_calls_ended() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let mut ws = gw.ws().await;
    // 1: a denied tool call, then an answer. 2: the provider rejects the key.
    gw.llm.push(Reply::tool_call(
        "call_x",
        "exec",
        r#"{"command":"touch nope"}"#,
    ));
    gw.llm.push(Reply::text("Fine, I will not."));
    ws.user_turn("h", "run it").await;
    let call = common::call_id_of(&ws.approval_requested("h").await);
    ws.approve("h", &call, "deny").await;
    ws.until_turn_end("h").await;
    gw.llm.push(Reply::status(401).with_text("bad key"));
    ws.user_turn("h", "again").await;
    ws.until_turn_end("h").await;

    let (status, turns) = gw.get(&client, "/api/sessions/h/turns").await;
    assert_eq!(status, StatusCode::OK);
    let turns = turns.as_array().unwrap();
    assert_eq!(turns.len(), 2, "{turns:?}");
    assert_eq!(turns[0]["outcome"], "completed");
    assert_eq!(turns[1]["outcome"], "failed");
    let detail = turns[1]["detail"].as_str().unwrap();
    assert!(detail.contains("401"), "{detail}");
    assert_eq!(turns[1]["failure_kind"], "auth", "read back with its kind");

    let (_, messages) = gw.get(&client, "/api/sessions/h/messages").await;
    let tool = messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap();
    assert_eq!(tool["tool_outcome"], "denied");
    let (status, _) = gw.get(&client, "/api/sessions/nope/turns").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A loopback HTTP server that answers every request with an empty model list and keeps
/// each request's path and headers: where a key went, and where it did not.
struct Spy {
    base_url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<(String, reqwest::header::HeaderMap)>>>,
}

impl Spy {
    async fn start() -> Self {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                let record = record.clone();
                async move {
                    record
                        .lock()
                        .unwrap()
                        .push((uri.path().to_owned(), headers));
                    axum::Json(json!({ "object": "list", "data": [] }))
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base_url: format!("http://{addr}/v1"),
            seen,
        }
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Every header value of every request, for searching.
    fn header_text(&self) -> String {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, headers)| headers.values())
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_key_never_reaches_a_url_it_was_not_saved_for() {
    let gw = TestGateway::start().await;
    let client = gw.logged_in_client().await;
    let saved_for = Spy::start().await;
    let other = Spy::start().await;
    let key = "sk-SENTINEL-bound-0123456789";
    let provider = |url: &str| json!({ "preset": "openai", "base_url": url, "model": "m" });
    let put = |body: Value| {
        let client = client.clone();
        let url = gw.url("/api/settings/providers");
        async move {
            let response = client.put(url).json(&body).send().await.unwrap();
            let (status, view) = common::status_and_json(response).await;
            assert_eq!(status, StatusCode::OK, "{view}");
            view
        }
    };
    let test = |body: Value| {
        let client = client.clone();
        let url = gw.url("/api/settings/test");
        async move {
            let (status, result) =
                common::status_and_json(post_json(&client, &url, &body).await).await;
            assert_eq!(status, StatusCode::OK, "{result}");
            assert_eq!(result["ok"], true, "{result}");
        }
    };

    let mut with_key = provider(&saved_for.base_url);
    with_key["api_key"] = json!(key);
    put(json!([with_key])).await;
    // The saved key goes where it was saved for.
    test(provider(&saved_for.base_url)).await;
    assert!(
        saved_for.header_text().contains(key),
        "control: the key is used"
    );

    // Testing another URL without typing a key sends none.
    test(provider(&other.base_url)).await;
    assert_eq!(other.requests(), 1);
    assert!(
        !other.header_text().contains(key),
        "{}",
        other.header_text()
    );

    // Moving the provider to another URL without a key drops the saved key.
    let view = put(json!([provider(&other.base_url)])).await;
    assert_eq!(view["providers"][0]["has_key"], false, "{view}");
    test(provider(&other.base_url)).await;
    assert_eq!(
        common::settings_from_home(gw.home()).providers[0].api_key,
        None,
        "the next turn sends no key either"
    );
    // And it is gone, not parked: moving back does not bring it back.
    let view = put(json!([provider(&saved_for.base_url)])).await;
    assert_eq!(view["providers"][0]["has_key"], false, "{view}");
    assert!(
        !other.header_text().contains(key),
        "{}",
        other.header_text()
    );

    // A key sent with the request is used for the new URL.
    let second_key = "sk-typed-again-9876543210";
    let mut typed = provider(&other.base_url);
    typed["api_key"] = json!(second_key);
    test(typed.clone()).await;
    put(json!([typed])).await;
    test(provider(&other.base_url)).await;
    assert!(other.header_text().contains(second_key));
    assert!(
        !other.header_text().contains(key),
        "{}",
        other.header_text()
    );
}

/// Every file under `dir` (recursively) whose bytes contain `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_written_into_config_toml_moves_to_the_secret_store_when_settings_are_saved() {
    let gw = TestGateway::start().await;
    let key = "sk-inline-SENTINEL-24680";
    let config = gw.home().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "model = \"test-model\"\n",
        &format!("model = \"test-model\"\napi_key = \"{key}\"\n"),
    );
    std::fs::write(&config, text).unwrap();
    let client = gw.logged_in_client().await;
    let response = client
        .put(gw.url("/api/settings/providers"))
        .json(
            &json!([{ "preset": "openai", "base_url": gw.llm.base_url(), "model": "test-model" }]),
        )
        .send()
        .await
        .unwrap();
    let (status, view) = common::status_and_json(response).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["providers"][0]["key_hint"], "…4680");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(!written.contains(key), "{written}");
    assert_eq!(
        common::settings_from_home(gw.home()).providers[0]
            .api_key
            .as_deref(),
        Some(key)
    );
    assert_eq!(files_containing(gw.home(), key), Vec::<String>::new());
}
