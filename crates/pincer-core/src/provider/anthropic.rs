//! Anthropic Messages API.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};

use super::{Endpoint, EventStream, Provider, ProviderError, sse};
use crate::model::{
    ChatRequest, Message, Role, StopReason, StreamEvent, ToolCall, Usage, echo_ids,
};

const API_VERSION: &str = "2023-06-01";
const DEFAULT_MAX_TOKENS: u32 = 8192;

pub struct Anthropic {
    endpoint: Endpoint,
    client: reqwest::Client,
}

impl Anthropic {
    pub(super) fn new(endpoint: Endpoint, client: reqwest::Client) -> Self {
        Self { endpoint, client }
    }
}

/// A content block being streamed.
enum Block {
    Text,
    Thinking,
    ToolUse(ToolCall),
    Other,
}

impl Provider for Anthropic {
    fn name(&self) -> &str {
        &self.endpoint.name
    }

    fn model(&self) -> &str {
        &self.endpoint.model
    }

    fn stream<'a>(&'a self, request: &'a ChatRequest) -> EventStream<'a> {
        let provider = self.endpoint.name.as_str();
        let url = format!("{}/messages", self.endpoint.base_url.trim_end_matches('/'));
        let body = request_body(&self.endpoint.model, self.endpoint.images, request);
        let mut http = self
            .client
            .post(url)
            .header("anthropic-version", API_VERSION)
            .json(&body);
        if let Some(key) = &self.endpoint.api_key {
            http = http.header("x-api-key", key);
        }
        let key = self.endpoint.api_key.as_deref();
        super::without_key(
            Box::pin(async_stream::stream! {
                let response = match super::http::send(provider, key, http).await {
                    Ok(response) => response,
                    Err(e) => { yield Err(e); return; }
                };
                let mut events = Box::pin(sse::events(provider, response));
                let mut blocks: BTreeMap<u64, Block> = BTreeMap::new();
                let mut calls = Vec::new();
                let mut usage = Usage::default();
                let mut stop = StopReason::EndTurn;
                let mut finished = false;
                while let Some(event) = events.next().await {
                    let event = match event {
                        Ok(event) => event,
                        Err(e) => { yield Err(e); return; }
                    };
                    if event.event == "ping" {
                        continue;
                    }
                    let data: Value = match serde_json::from_str(&event.data) {
                        Ok(data) => data,
                        Err(e) => {
                            let detail = format!("{e} in {:?}", event.data.chars().take(120).collect::<String>());
                            yield Err(ProviderError::Malformed { provider: provider.to_owned(), detail });
                            return;
                        }
                    };
                    let kind = data.get("type").and_then(Value::as_str).unwrap_or(event.event.as_str());
                    let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
                    match kind {
                        "message_start" => {
                            if let Some(u) = data.pointer("/message/usage") {
                                usage = parse_usage(u, usage);
                            }
                        }
                        "content_block_start" => {
                            let block = data.get("content_block").unwrap_or(&Value::Null);
                            let block = match block.get("type").and_then(Value::as_str) {
                                Some("text") => Block::Text,
                                Some("thinking") => Block::Thinking,
                                Some("tool_use") => Block::ToolUse(ToolCall {
                                    id: str_field(block, "id"),
                                    provider_id: None,
                                    name: str_field(block, "name"),
                                    arguments: String::new(),
                                }),
                                _ => Block::Other,
                            };
                            blocks.insert(index, block);
                        }
                        "content_block_delta" => {
                            let delta = data.get("delta").unwrap_or(&Value::Null);
                            match (blocks.get_mut(&index), delta.get("type").and_then(Value::as_str)) {
                                (_, Some("text_delta")) => {
                                    let text = str_field(delta, "text");
                                    if !text.is_empty() { yield Ok(StreamEvent::TextDelta(text)); }
                                }
                                (_, Some("thinking_delta")) => {
                                    let text = str_field(delta, "thinking");
                                    if !text.is_empty() { yield Ok(StreamEvent::ReasoningDelta(text)); }
                                }
                                (Some(Block::ToolUse(call)), Some("input_json_delta")) => {
                                    call.arguments.push_str(&str_field(delta, "partial_json"));
                                }
                                _ => {}
                            }
                        }
                        "content_block_stop" => {
                            if let Some(Block::ToolUse(mut call)) = blocks.remove(&index) {
                                // A tool without arguments streams no input at all.
                                if call.arguments.trim().is_empty() {
                                    call.arguments = "{}".to_owned();
                                }
                                calls.push(call);
                            }
                        }
                        "message_delta" => {
                            if let Some(reason) = data.pointer("/delta/stop_reason").and_then(Value::as_str) {
                                stop = match reason {
                                    "end_turn" | "stop_sequence" => StopReason::EndTurn,
                                    "tool_use" => StopReason::ToolUse,
                                    "max_tokens" => StopReason::MaxTokens,
                                    other => StopReason::Other(other.to_owned()),
                                };
                            }
                            if let Some(u) = data.get("usage") {
                                usage = parse_usage(u, usage);
                            }
                        }
                        "message_stop" => {
                            finished = true;
                            break;
                        }
                        "error" => {
                            let message = data.pointer("/error/message").and_then(Value::as_str).unwrap_or("unknown error").to_owned();
                            let overloaded = data.pointer("/error/type").and_then(Value::as_str) == Some("overloaded_error");
                            yield Err(ProviderError::Server { provider: provider.to_owned(), status: if overloaded { 529 } else { 500 }, retry_after: None, message });
                            return;
                        }
                        _ => {}
                    }
                }
                if !finished {
                    yield Err(ProviderError::StreamCut { provider: provider.to_owned(), detail: "the connection closed before message_stop".to_owned() });
                    return;
                }
                for call in calls {
                    yield Ok(StreamEvent::ToolCall(call));
                }
                yield Ok(StreamEvent::Usage(usage));
                yield Ok(StreamEvent::Done(stop));
            }),
            key,
        )
    }
}

fn str_field(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Anthropic reports input without cached tokens; Pincer counts cached tokens inside input.
/// Later usage objects (message_delta) repeat or update earlier counts, so keep the maximum.
fn parse_usage(usage: &Value, previous: Usage) -> Usage {
    let get = |key: &str| usage.get(key).and_then(super::token_count);
    let cache_read = get("cache_read_input_tokens");
    let input = get("input_tokens").map(|input| {
        (input + cache_read.unwrap_or(0) + get("cache_creation_input_tokens").unwrap_or(0))
            .min(super::MAX_REPORTED_TOKENS)
    });
    Usage {
        input_tokens: input
            .unwrap_or(previous.input_tokens)
            .max(previous.input_tokens),
        cached_input_tokens: cache_read.unwrap_or(previous.cached_input_tokens),
        output_tokens: get("output_tokens").unwrap_or(previous.output_tokens),
        estimated: false,
    }
}

/// The request body. Cache breakpoints sit on the stable prefix (system prompt and tools)
/// and on the newest message, so each turn reads the previous turn's cache.
/// The request body; `images`: the model accepts images, so tool images are attached.
pub fn request_body(model: &str, images: bool, request: &ChatRequest) -> Value {
    let mut messages = messages(&request.messages, images);
    if let Some(block) = messages
        .last_mut()
        .and_then(|m| m.get_mut("content"))
        .and_then(Value::as_array_mut)
        .and_then(|blocks| blocks.last_mut())
    {
        block["cache_control"] = json!({"type": "ephemeral"});
    }
    let mut body = json!({
        "model": model,
        "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "stream": true,
    });
    if !request.tools.is_empty() {
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": tool.parameters,
                })
            })
            .collect();
        if let Some(last) = tools.last_mut() {
            last["cache_control"] = json!({"type": "ephemeral"});
        }
        body["tools"] = Value::Array(tools);
    }
    body["system"] =
        json!([{"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}}]);
    body["messages"] = Value::Array(messages);
    body
}

/// Renders history as alternating user/assistant turns; tool results ride in user turns.
fn messages(history: &[Message], images: bool) -> Vec<Value> {
    let ids = echo_ids(history);
    let mut out: Vec<Value> = Vec::new();
    for message in history {
        let (role, blocks) = match message.role {
            Role::User => (
                "user",
                vec![json!({"type": "text", "text": message.content})],
            ),
            Role::Tool => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": message.echo_call_id(&ids),
                    "content": tool_content(message, images),
                    "is_error": message.is_error,
                })],
            ),
            Role::Assistant => {
                let mut blocks = Vec::new();
                if !message.content.is_empty() {
                    blocks.push(json!({"type": "text", "text": message.content}));
                }
                for call in &message.tool_calls {
                    let input = serde_json::from_str::<Value>(&call.arguments)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    blocks.push(json!({"type": "tool_use", "id": call.echo_id(), "name": call.name, "input": input}));
                }
                if blocks.is_empty() {
                    blocks.push(json!({"type": "text", "text": "(no answer)"}));
                }
                ("assistant", blocks)
            }
        };
        match out.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(existing) = last["content"].as_array_mut() {
                    existing.extend(blocks);
                }
            }
            _ => out.push(json!({"role": role, "content": blocks})),
        }
    }
    out
}

/// A tool result's content: its text, plus its images when the model takes them.
fn tool_content(message: &Message, images: bool) -> Value {
    if !images || message.images.is_empty() {
        return json!(message.content);
    }
    let mut blocks = vec![json!({"type": "text", "text": message.content})];
    for image in &message.images {
        blocks.push(match image.base64() {
            Ok(data) => json!({
                "type": "image",
                "source": {"type": "base64", "media_type": image.media_type, "data": data},
            }),
            Err(e) => {
                json!({"type": "text", "text": format!("(image {} could not be read: {e})", image.path)})
            }
        });
    }
    Value::Array(blocks)
}
