//! Images a tool returns (the desktop app's screenshots) reach models that accept images,
//! in each dialect's own shape, survive a restart with the history, and are left out for
//! models that do not take images.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::Harness;
use futures::future::BoxFuture;
use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{FileConfig, Settings};
use pincer_core::model::ImageRef;
use pincer_core::protocol::Event;
use pincer_core::store::Store;
use pincer_core::tools::{Access, ToolError, ToolOutput, ToolRegistry, ToolSettings, TypedTool};
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::{Value, json};

/// A PNG's first bytes are enough: the engine sends files, it does not decode them.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really a picture";
const PNG_BASE64: &str = "iVBORw0KGgpub3QgcmVhbGx5IGEgcGljdHVyZQ==";

/// Saves a picture in the workspace and returns it, as `screenshot` does.
struct Snap;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoArgs {}

impl TypedTool for Snap {
    type Args = NoArgs;
    type Plan = ();

    fn name(&self) -> &'static str {
        "snap"
    }
    fn description(&self) -> &'static str {
        "takes a picture"
    }
    fn plan(&self, _: NoArgs, settings: &ToolSettings) -> Result<(Access, ()), ToolError> {
        let access = Access::Read {
            path: settings.workspace.join("snap.png"),
            inside: true,
        };
        Ok((access, ()))
    }
    fn run<'a>(
        &'a self,
        (): (),
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let path = settings.workspace.join("snap.png");
            std::fs::write(&path, PNG).unwrap();
            Ok(
                ToolOutput::from("Picture saved to snap.png (640×400)".to_owned()).with_image(
                    ImageRef {
                        path: path.display().to_string(),
                        media_type: "image/png".to_owned(),
                    },
                ),
            )
        })
    }
}

fn harness(llm: &ScriptedLlm, dialect: &str, images: bool) -> Harness {
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        "{}[[providers]]\ndialect = \"{dialect}\"\nbase_url = \"{}\"\nmodel = \"m\"\napi_key = \"k\"\nimages = {images}\n",
        common::FAST,
        llm.base_url()
    );
    let file = FileConfig::parse(&home.path().join("config.toml"), &config).unwrap();
    let settings = Settings::resolve(home.path().to_path_buf(), file, &[], None).unwrap();
    engine_with_snap(home, settings)
}

fn engine_with_snap(home: tempfile::TempDir, settings: Settings) -> Harness {
    let store = Store::open(&home.path().join("pincer.db")).unwrap();
    let mut tools = ToolRegistry::builtin();
    tools.register(Arc::new(Snap));
    let engine = Engine::with_store(settings, store, tools, ApprovalMode::Deny).unwrap();
    let events = engine.subscribe();
    Harness {
        home,
        engine,
        events,
        asked: None,
    }
}

async fn snap_turn(h: &mut Harness, llm: &ScriptedLlm) -> Vec<Event> {
    llm.push(Reply::tool_call("call_1", "snap", "{}"));
    llm.push(Reply::text("I see a window."));
    h.turn("s", "what is on screen?").await
}

#[tokio::test]
async fn openai_dialect_gets_the_image_as_a_user_message_after_the_tool_results() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, "openai", true);
    let events = snap_turn(&mut h, &llm).await;

    let finished = events.iter().find_map(|e| match e {
        Event::ToolCallFinished { images, .. } => Some(images.clone()),
        _ => None,
    });
    let path = h
        .engine
        .settings()
        .workspace
        .join("snap.png")
        .display()
        .to_string();
    assert_eq!(
        finished,
        Some(vec![path.clone()]),
        "the event names the picture"
    );

    let body = &llm.requests()[1].body;
    let messages = body["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "user"]);
    assert_eq!(
        messages[3]["content"],
        "Picture saved to snap.png (640×400)"
    );
    let parts = messages[4]["content"].as_array().unwrap();
    assert_eq!(parts[0]["type"], "text");
    assert_eq!(
        parts[1],
        json!({"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG_BASE64}")}})
    );

    // The history keeps the picture: after a restart the next request still carries it.
    let settings = h.engine.settings();
    let home = h.home;
    drop(h.engine);
    let mut h = engine_with_snap(home, settings);
    llm.push(Reply::text("Still a window."));
    h.turn("s", "and now?").await;
    let body = &llm.requests()[2].body;
    let images: Vec<&Value> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"].to_string().contains(PNG_BASE64))
        .collect();
    assert_eq!(
        images.len(),
        1,
        "the image is sent once, after its tool result: {body}"
    );
    assert!(h.engine.store().messages("s").unwrap()[2].message.images[0].path == path);
}

#[tokio::test]
async fn anthropic_dialect_gets_the_image_inside_the_tool_result() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, "anthropic", true);
    snap_turn(&mut h, &llm).await;
    let body = &llm.requests()[1].body;
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "user");
    let result = &last["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(
        result["content"],
        json!([
            {"type": "text", "text": "Picture saved to snap.png (640×400)"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}},
        ])
    );
}

#[tokio::test]
async fn a_model_without_image_input_gets_the_text_only() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, "openai", false);
    snap_turn(&mut h, &llm).await;
    let body = &llm.requests()[1].body;
    let text = body.to_string();
    assert!(
        !text.contains(PNG_BASE64),
        "no image for a text-only model: {text}"
    );
    let last = body["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(last["role"], "tool");
    assert_eq!(last["content"], "Picture saved to snap.png (640×400)");
}

#[tokio::test]
async fn a_picture_deleted_since_is_described_not_fatal() {
    let llm = ScriptedLlm::start().await;
    let mut h = harness(&llm, "anthropic", true);
    snap_turn(&mut h, &llm).await;
    std::fs::remove_file(h.engine.settings().workspace.join("snap.png")).unwrap();
    llm.push(Reply::text("ok"));
    let events = h.turn("s", "again").await;
    assert!(matches!(events.last(), Some(Event::TurnCompleted { .. })));
    let text = llm.requests()[2].body.to_string();
    assert!(text.contains("could not be read"), "{text}");
}
