#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Local models on the Settings page: the list of GGUF files in the data home with the
//! default marked, the catalog `pincer model pull` fetches, choosing the default, saving a
//! `local` provider, and the settings saying when the default local model answers because
//! nothing else is configured. Against a real gateway and data home; the model files are
//! valid GGUF headers only (the runtime never loads them here).

mod common;

use std::path::Path;

use common::{TestGateway, expect_error, post_json, status_and_json};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A minimal valid GGUF header (architecture `llama`, this context length): enough for the
/// registry, not for the runtime. `padding` bytes make the file bigger.
fn tiny_gguf(path: &Path, context: u32, padding: usize) {
    gguf_with_template(path, context, padding, None);
}

/// [`tiny_gguf`] with a `tokenizer.chat_template`.
fn gguf_with_template(path: &Path, context: u32, padding: usize, template: Option<&str>) {
    let string = |text: &str| {
        let mut v = (text.len() as u64).to_le_bytes().to_vec();
        v.extend(text.as_bytes());
        v
    };
    let mut entries = vec![
        ("general.architecture", 8u32, string("llama")),
        ("llama.context_length", 4u32, context.to_le_bytes().to_vec()),
    ];
    if let Some(template) = template {
        entries.push(("tokenizer.chat_template", 8u32, string(template)));
    }
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend(0u64.to_le_bytes());
    out.extend((entries.len() as u64).to_le_bytes());
    for (key, kind, value) in entries {
        out.extend((key.len() as u64).to_le_bytes());
        out.extend(key.as_bytes());
        out.extend(kind.to_le_bytes());
        out.extend(value);
    }
    out.extend(vec![0; padding]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out).unwrap();
}

fn names(view: &Value) -> Vec<(String, bool)> {
    view["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap().to_owned(), m["default"] == true))
        .collect()
}

fn known<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["known"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the catalog: {view:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nothing_configured_the_model_in_the_models_folder_is_the_default_that_answers() {
    let gw = TestGateway::start_in(|home| {
        tiny_gguf(
            &home.join("models").join("SmolLM2-135M-Instruct.Q4_1.gguf"),
            8192,
            0,
        );
        std::fs::write(home.join("models").join("notes.txt"), "not a model").unwrap();
    })
    .await;
    let client = gw.bearer_client();
    let file = gw
        .home()
        .join("models")
        .join("SmolLM2-135M-Instruct.Q4_1.gguf");

    let (status, view) = gw.get(&client, "/api/local-models").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        view["models"],
        json!([{
            "name": "smollm2-135m-instruct",
            "title": "SmolLM2-135M-Instruct",
            "path": file.display().to_string(),
            "size": std::fs::metadata(&file).unwrap().len(),
            "added": false,
            "default": true,
            "context_length": 8192,
            "architecture": "llama",
            "tools": false,
            "problem": null,
        }])
    );
    assert_eq!(
        view["models_dir"],
        gw.home().join("models").display().to_string()
    );
    let smollm = known(&view, "smollm2-135m-instruct");
    assert_eq!(smollm["size"], 98_362_432);
    assert_eq!(smollm["context"], 8192);
    assert_eq!(smollm["tools"], false);
    assert_eq!(smollm["installed"], true);
    assert_eq!(smollm["title"], "SmolLM2-135M-Instruct");
    assert!(!smollm["note"].as_str().unwrap().is_empty());
    let qwen = known(&view, "qwen3-4b");
    assert_eq!(
        (&qwen["installed"], &qwen["tools"]),
        (&json!(false), &json!(true))
    );

    // The settings say who answers: the default local model, because nothing is saved.
    let effective = json!({
        "name": "local",
        "model": "smollm2-135m-instruct",
        "model_title": "SmolLM2-135M-Instruct",
        "local": true,
        "tools": false,
        "local_default": true,
    });
    let (status, settings) = gw.get(&client, "/api/settings").await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["providers"], json!([]));
    assert_eq!(settings["active"], json!(["local"]));
    assert_eq!(settings["env_override"], Value::Null);
    assert_eq!(settings["effective"], effective);
    let local = settings["presets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "local")
        .unwrap_or_else(|| panic!("no local preset: {settings:#}"));
    assert_eq!(local["dialect"], "local");
    assert_eq!(local["key_env"], Value::Null);
    // And the light answer an empty chat asks for.
    let (status, light) = gw.get(&client, "/api/settings/effective").await;
    assert_eq!(status, StatusCode::OK, "{light}");
    assert_eq!(light, json!({ "effective": effective }));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_home_has_no_models_and_no_provider() {
    let gw = TestGateway::start_in(|_| {}).await;
    let client = gw.bearer_client();
    let (status, view) = gw.get(&client, "/api/local-models").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["models"], json!([]));
    assert_eq!(known(&view, "smollm2-135m-instruct")["installed"], false);
    assert_eq!(
        view["known"].as_array().unwrap().len(),
        pincer_core::local::catalog::KNOWN.len()
    );
    let (_, light) = gw.get(&client, "/api/settings/effective").await;
    assert_eq!(light, json!({ "effective": null }));
    let (_, settings) = gw.get(&client, "/api/settings").await;
    assert_eq!(settings["effective"], Value::Null);
    assert_eq!(settings["active"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_can_be_chosen_and_unknown_or_broken_models_are_refused() {
    let gw = TestGateway::start_in(|home| {
        let models = home.join("models");
        // Its template offers tools, Qwen-style.
        gguf_with_template(
            &models.join("big.gguf"),
            4096,
            1000,
            Some("{% if tools %}<tools>{{ tools }}</tools> reply with <tool_call>{% endif %}"),
        );
        tiny_gguf(&models.join("small.gguf"), 2048, 0);
        std::fs::write(models.join("broken.gguf"), "<html>not found</html>").unwrap();
    })
    .await;
    let client = gw.bearer_client();
    let (_, view) = gw.get(&client, "/api/local-models").await;
    assert_eq!(
        names(&view),
        vec![
            ("big".to_owned(), false),
            ("broken".to_owned(), false),
            ("small".to_owned(), true)
        ],
        "without a choice the smallest usable model is the default: {view:#}"
    );
    let broken = &view["models"][1];
    assert!(
        broken["problem"].as_str().unwrap().contains("not a GGUF"),
        "{broken}"
    );
    let (_, light) = gw.get(&client, "/api/settings/effective").await;
    assert_eq!(light["effective"]["model"], "small");
    assert_eq!(light["effective"]["tools"], false);

    // Choosing one (any case) records it and the engine switches to it.
    let url = gw.url("/api/local-models/default");
    let (status, view) =
        status_and_json(post_json(&client, &url, &json!({ "name": "BIG" })).await).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        names(&view),
        vec![
            ("big".to_owned(), true),
            ("broken".to_owned(), false),
            ("small".to_owned(), false)
        ]
    );
    let registry = std::fs::read_to_string(gw.home().join("models.toml")).unwrap();
    assert!(registry.contains("default = \"big\""), "{registry}");
    let (_, light) = gw.get(&client, "/api/settings/effective").await;
    assert_eq!(light["effective"]["model"], "big", "{light}");
    assert_eq!(light["effective"]["local_default"], true, "{light}");
    assert_eq!(light["effective"]["tools"], true, "{light}");
    assert_eq!(view["models"][0]["tools"], true, "{view:#}");
    assert_eq!(
        gw.engine.settings().providers[0].base_url,
        gw.home()
            .join("models")
            .join("big.gguf")
            .display()
            .to_string()
    );

    // An unknown name: 400, saying which models there are; nothing changes.
    let message = expect_error(
        post_json(&client, &url, &json!({ "name": "qwen3-4b" })).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        message,
        "no local model is called \"qwen3-4b\"; known: big, broken, small"
    );
    // A file that is not a model.
    let message = expect_error(
        post_json(&client, &url, &json!({ "name": "broken" })).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        message.starts_with("broken cannot be the default: ") && message.contains("not a GGUF"),
        "{message}"
    );
    // A GGUF elsewhere must be added first (`pincer model add`), not by choosing it.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("other.gguf");
    tiny_gguf(&outside, 1024, 0);
    let message = expect_error(
        post_json(
            &client,
            &url,
            &json!({ "name": outside.display().to_string() }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("pincer model add PATH"), "{message}");
    // No name at all.
    let message = expect_error(
        post_json(&client, &url, &json!({ "name": "  " })).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(message, "name the model to make the default");
    let (_, view) = gw.get(&client, "/api/local-models").await;
    assert_eq!(view["models"][0]["default"], true, "still big: {view:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_provider_is_saved_without_url_or_key_and_a_missing_model_is_refused() {
    let gw = TestGateway::start_in(|home| {
        tiny_gguf(&home.join("models").join("small.gguf"), 2048, 0);
    })
    .await;
    let client = gw.logged_in_client().await;
    let put = |body: Value| {
        let client = client.clone();
        let url = gw.url("/api/settings/providers");
        async move { client.put(url).json(&body).send().await.unwrap() }
    };

    let message = expect_error(
        put(json!([{ "preset": "local", "model": "nope" }])).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        message,
        "provider 1 (local): no local model is called \"nope\"; known: small"
    );
    assert!(!gw.home().join("config.toml").exists(), "nothing written");

    let (status, settings) =
        status_and_json(put(json!([{ "preset": "local", "model": "small" }])).await).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let file = gw.home().join("models").join("small.gguf");
    assert_eq!(
        settings["providers"],
        json!([{
            "name": "local",
            "preset": "local",
            "dialect": "local",
            "base_url": file.display().to_string(),
            "model": "small",
            "has_key": false,
            "key_hint": null,
            "key_env": null,
        }])
    );
    let text = std::fs::read_to_string(gw.home().join("config.toml")).unwrap();
    assert!(
        text.contains("preset = \"local\"") && text.contains("model = \"small\""),
        "{text}"
    );
    assert!(!text.contains("base_url"), "{text}");
    // Saved on purpose, it is a local provider but not the fallback default.
    assert_eq!(
        settings["effective"],
        json!({
            "name": "local",
            "model": "small",
            "model_title": "small",
            "local": true,
            "tools": false,
            "local_default": false,
        })
    );

    // Without a model, the entry means "the default local model".
    let (status, settings) = status_and_json(put(json!([{ "preset": "local" }])).await).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["providers"][0]["model"], "");
    assert_eq!(settings["effective"]["model"], "small");

    // The connection test reads the model file.
    let (status, test) = status_and_json(
        post_json(
            &client,
            &gw.url("/api/settings/test"),
            &json!({ "preset": "local", "model": "small" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{test}");
    assert_eq!(test["ok"], true, "{test}");
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .starts_with("small is a readable model file"),
        "{test}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_provider_is_effective_and_not_the_local_default() {
    let gw = TestGateway::start().await;
    tiny_gguf(&gw.home().join("models").join("small.gguf"), 2048, 0);
    let client = gw.bearer_client();
    let (_, settings) = gw.get(&client, "/api/settings").await;
    assert_eq!(
        settings["effective"],
        json!({
            "name": "openai",
            "model": "test-model",
            "model_title": "test-model",
            "local": false,
            "tools": true,
            "local_default": false,
        })
    );
    let (_, view) = gw.get(&client, "/api/local-models").await;
    assert_eq!(names(&view), vec![("small".to_owned(), true)]);
}
