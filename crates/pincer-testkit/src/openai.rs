//! OpenAI Chat Completions wire format (with DeepSeek's extensions).

use serde_json::{Value, json};

use crate::reply::{Reply, split_fragments};

pub(crate) struct Ctx {
    pub(crate) id: String,
    pub(crate) created: u64,
    pub(crate) model: String,
    pub(crate) include_usage: bool,
}

pub(crate) const MALFORMED_EVENT: &str = "data: {\"choices\": [\n\n";

fn data(value: &Value) -> String {
    format!("data: {value}\n\n")
}

fn chunk(ctx: &Ctx, delta: Value, finish_reason: Option<&str>) -> String {
    let mut obj = json!({
        "id": ctx.id,
        "object": "chat.completion.chunk",
        "created": ctx.created,
        "model": ctx.model,
        "choices": [{
            "index": 0,
            "delta": delta,
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
    });
    // Real OpenAI sends an explicit null on every chunk once usage is
    // requested; clients must tolerate it.
    if ctx.include_usage {
        obj["usage"] = Value::Null;
    }
    data(&obj)
}

pub(crate) fn usage(reply: &Reply) -> Value {
    let u = reply.usage;
    let mut usage = json!({
        "prompt_tokens": u.input,
        "completion_tokens": u.output,
        "total_tokens": u.input.saturating_add(u.output),
    });
    if reply.deepseek_cache_fields {
        usage["prompt_cache_hit_tokens"] = json!(u.cached);
        usage["prompt_cache_miss_tokens"] = json!(u.input.saturating_sub(u.cached));
    } else {
        usage["prompt_tokens_details"] = json!({ "cached_tokens": u.cached });
    }
    usage
}

fn finish_reason(reply: &Reply) -> &'static str {
    if reply.tool_calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    }
}

/// The full event list, `[DONE]` included; truncation happens later.
pub(crate) fn stream_events(ctx: &Ctx, reply: &Reply) -> Vec<String> {
    let mut events = Vec::new();
    let has_text = reply.text.as_deref().is_some_and(|t| !t.is_empty());
    // Mirrors OpenAI: content is "" when text will follow, null otherwise.
    let first_content = if has_text { json!("") } else { Value::Null };
    events.push(chunk(
        ctx,
        json!({ "role": "assistant", "content": first_content }),
        None,
    ));

    if let Some(reasoning) = &reply.reasoning {
        for frag in reply.split.split(reasoning) {
            // DeepSeek sends content: null alongside reasoning deltas.
            events.push(chunk(
                ctx,
                json!({ "content": null, "reasoning_content": frag }),
                None,
            ));
        }
    }
    if let Some(text) = &reply.text {
        for frag in reply.split.split(text) {
            events.push(chunk(ctx, json!({ "content": frag }), None));
        }
    }
    for (index, call) in reply.tool_calls.iter().enumerate() {
        events.push(chunk(
            ctx,
            json!({ "tool_calls": [{
                "index": index,
                "id": call.id,
                "type": "function",
                "function": { "name": call.name, "arguments": "" },
            }]}),
            None,
        ));
        for frag in split_fragments(&call.arguments, 3) {
            events.push(chunk(
                ctx,
                json!({ "tool_calls": [{
                    "index": index,
                    "function": { "arguments": frag },
                }]}),
                None,
            ));
        }
    }
    events.push(chunk(ctx, json!({}), Some(finish_reason(reply))));
    if ctx.include_usage && !reply.without_usage {
        events.push(data(&json!({
            "id": ctx.id,
            "object": "chat.completion.chunk",
            "created": ctx.created,
            "model": ctx.model,
            "choices": [],
            "usage": usage(reply),
        })));
    }
    events.push("data: [DONE]\n\n".to_owned());
    events
}

pub(crate) fn completion(ctx: &Ctx, reply: &Reply) -> Value {
    let mut message = json!({
        "role": "assistant",
        "content": reply.text,
    });
    if let Some(reasoning) = &reply.reasoning {
        message["reasoning_content"] = json!(reasoning);
    }
    if !reply.tool_calls.is_empty() {
        message["tool_calls"] = reply
            .tool_calls
            .iter()
            .map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": { "name": call.name, "arguments": call.arguments },
                })
            })
            .collect();
    }
    json!({
        "id": ctx.id,
        "object": "chat.completion",
        "created": ctx.created,
        "model": ctx.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(reply),
        }],
        "usage": usage(reply),
    })
}

pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let (kind, code) = match status {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        403 => ("invalid_request_error", Some("permission_denied")),
        404 => ("invalid_request_error", Some("model_not_found")),
        429 => ("rate_limit_exceeded", Some("rate_limit_exceeded")),
        500..=599 => ("server_error", None),
        _ => ("invalid_request_error", None),
    };
    json!({
        "error": {
            "message": message,
            "type": kind,
            "param": null,
            "code": code,
        }
    })
}
