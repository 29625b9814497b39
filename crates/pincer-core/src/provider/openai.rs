//! OpenAI-compatible chat completions (OpenAI, DeepSeek, Qwen, Kimi, OpenRouter, Ollama,
//! LM Studio, llama.cpp).

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use serde_json::{Value, json};

use super::{Endpoint, EventStream, Provider, ProviderError, sse};
use crate::model::{
    ChatRequest, ImageRef, Message, Role, StopReason, StreamEvent, ToolCall, Usage, echo_ids,
};

pub struct OpenAi {
    endpoint: Endpoint,
    client: reqwest::Client,
}

impl OpenAi {
    pub(super) fn new(endpoint: Endpoint, client: reqwest::Client) -> Self {
        Self { endpoint, client }
    }
}

impl Provider for OpenAi {
    fn name(&self) -> &str {
        &self.endpoint.name
    }

    fn model(&self) -> &str {
        &self.endpoint.model
    }

    fn stream<'a>(&'a self, request: &'a ChatRequest) -> EventStream<'a> {
        let provider = self.endpoint.name.as_str();
        let url = format!(
            "{}/chat/completions",
            self.endpoint.base_url.trim_end_matches('/')
        );
        let body = request_body(&self.endpoint.model, self.endpoint.images, request);
        let mut http = self.client.post(url).json(&body);
        if let Some(key) = &self.endpoint.api_key {
            http = http.bearer_auth(key);
        }
        let key = self.endpoint.api_key.as_deref();
        super::without_key(
            Box::pin(async_stream::stream! {
                let response = match super::http::send(provider, key, http).await {
                    Ok(response) => response,
                    Err(e) => { yield Err(e); return; }
                };
                let mut events = Box::pin(sse::events(provider, response));
                let mut calls = ToolCallAssembler::default();
                let mut stop: Option<StopReason> = None;
                let mut done = false;
                while let Some(event) = events.next().await {
                    let event = match event {
                        Ok(event) => event,
                        Err(e) => { yield Err(e); return; }
                    };
                    if event.data.trim() == "[DONE]" {
                        done = true;
                        break;
                    }
                    let chunk: Value = match serde_json::from_str(&event.data) {
                        Ok(chunk) => chunk,
                        Err(e) => {
                            yield Err(ProviderError::Malformed { provider: provider.to_owned(), detail: format!("{e} in {:?}", crate::text::shorten(&event.data, 120)) });
                            return;
                        }
                    };
                    if let Some(message) = chunk.pointer("/error/message").and_then(Value::as_str) {
                        yield Err(ProviderError::Server { provider: provider.to_owned(), status: 200, retry_after: None, message: message.to_owned() });
                        return;
                    }
                    if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
                        yield Ok(StreamEvent::Usage(parse_usage(usage)));
                    }
                    let Some(choice) = chunk.pointer("/choices/0") else { continue };
                    if let Some(delta) = choice.get("delta") {
                        for key in ["reasoning_content", "reasoning"] {
                            if let Some(text) = delta.get(key).and_then(Value::as_str).filter(|t| !t.is_empty()) {
                                yield Ok(StreamEvent::ReasoningDelta(text.to_owned()));
                            }
                        }
                        if let Some(text) = delta.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                            yield Ok(StreamEvent::TextDelta(text.to_owned()));
                        }
                        if let Some(fragments) = delta.get("tool_calls").and_then(Value::as_array) {
                            for fragment in fragments {
                                calls.add(fragment);
                            }
                        }
                    }
                    if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                        stop = Some(match reason {
                            "stop" => StopReason::EndTurn,
                            "tool_calls" | "function_call" => StopReason::ToolUse,
                            "length" => StopReason::MaxTokens,
                            other => StopReason::Other(other.to_owned()),
                        });
                    }
                }
                // Some servers omit [DONE] but do send a finish reason; that answer is whole.
                if !done && stop.is_none() {
                    yield Err(ProviderError::StreamCut { provider: provider.to_owned(), detail: "the connection closed before the answer was finished".to_owned() });
                    return;
                }
                let calls = calls.finish();
                let stop = match stop {
                    Some(StopReason::EndTurn) | None if !calls.is_empty() => StopReason::ToolUse,
                    Some(stop) => stop,
                    None => StopReason::EndTurn,
                };
                for call in calls {
                    yield Ok(StreamEvent::ToolCall(call));
                }
                yield Ok(StreamEvent::Done(stop));
            }),
            key,
        )
    }
}

/// Collects tool-call fragments by their `index` until the stream ends.
#[derive(Default)]
struct ToolCallAssembler {
    calls: BTreeMap<u64, ToolCall>,
}

impl ToolCallAssembler {
    fn add(&mut self, fragment: &Value) {
        let index = fragment
            .get("index")
            .and_then(Value::as_u64)
            .unwrap_or(self.calls.len() as u64);
        let call = self.calls.entry(index).or_insert_with(|| ToolCall {
            id: String::new(),
            provider_id: None,
            name: String::new(),
            arguments: String::new(),
        });
        if let Some(id) = fragment.get("id").and_then(Value::as_str) {
            call.id.push_str(id);
        }
        if let Some(function) = fragment.get("function") {
            if let Some(name) = function.get("name").and_then(Value::as_str) {
                call.name.push_str(name);
            }
            if let Some(arguments) = function.get("arguments").and_then(Value::as_str) {
                call.arguments.push_str(arguments);
            }
        }
    }

    fn finish(self) -> Vec<ToolCall> {
        self.calls
            .into_iter()
            .map(|(index, mut call)| {
                // Some local servers leave out ids; the loop needs one to pair results.
                if call.id.is_empty() {
                    call.id = format!("call_{index}");
                }
                call
            })
            .collect()
    }
}

fn parse_usage(usage: &Value) -> Usage {
    let get = |pointer: &str| usage.pointer(pointer).and_then(super::token_count);
    Usage {
        input_tokens: get("/prompt_tokens").unwrap_or(0),
        cached_input_tokens: get("/prompt_tokens_details/cached_tokens")
            .or_else(|| get("/prompt_cache_hit_tokens"))
            .unwrap_or(0),
        output_tokens: get("/completion_tokens").unwrap_or(0),
        estimated: false,
    }
}

/// The request body. Fields are in a fixed order with the growing history last, so each
/// request's bytes start with the previous request's bytes (providers cache by prefix).
/// The request body; `images`: the model accepts images, so tool images are attached.
pub fn request_body(model: &str, images: bool, request: &ChatRequest) -> Value {
    let mut body = json!({
        "model": model,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if let Some(max_tokens) = request.max_tokens {
        body["max_tokens"] = json!(max_tokens);
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                    }
                })
            })
            .collect();
    }
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    messages.push(json!({"role": "system", "content": request.system}));
    // Tool messages cannot carry images in this dialect, and nothing may come between the
    // results of one batch of tool calls: a batch's images follow it as one user message.
    let mut pending_images = Vec::new();
    let ids = echo_ids(&request.messages);
    for entry in &request.messages {
        if entry.role != Role::Tool && !pending_images.is_empty() {
            messages.push(image_message(std::mem::take(&mut pending_images)));
        }
        messages.push(message(entry, &ids));
        if images && entry.role == Role::Tool {
            pending_images.extend(entry.images.iter().map(image_part));
        }
    }
    if !pending_images.is_empty() {
        messages.push(image_message(pending_images));
    }
    body["messages"] = Value::Array(messages);
    body
}

fn image_part(image: &ImageRef) -> Value {
    match image.base64() {
        Ok(data) => json!({
            "type": "image_url",
            "image_url": {"url": format!("data:{};base64,{data}", image.media_type)},
        }),
        Err(e) => {
            json!({"type": "text", "text": format!("(image {} could not be read: {e})", image.path)})
        }
    }
}

fn image_message(mut parts: Vec<Value>) -> Value {
    parts.insert(
        0,
        json!({"type": "text", "text": "Images from the tool results above:"}),
    );
    json!({"role": "user", "content": parts})
}

fn message(message: &Message, ids: &HashMap<&str, &str>) -> Value {
    match message.role {
        Role::User => json!({"role": "user", "content": message.content}),
        Role::Assistant => {
            // `content: null` breaks some servers (llama.cpp); an empty string never does.
            let mut value = json!({"role": "assistant", "content": message.content});
            if !message.tool_calls.is_empty() {
                value["tool_calls"] = message
                    .tool_calls
                    .iter()
                    .map(|call| {
                        json!({
                            "id": call.echo_id(),
                            "type": "function",
                            "function": {"name": call.name, "arguments": call.arguments},
                        })
                    })
                    .collect();
            }
            value
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": message.echo_call_id(ids),
            "content": message.content,
        }),
    }
}
