//! Anthropic Messages wire format.

use serde_json::{Value, json};

use crate::reply::{Reply, split_fragments};

pub(crate) struct Ctx {
    pub(crate) id: String,
    pub(crate) model: String,
}

pub(crate) const MALFORMED_EVENT: &str =
    "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": \n\n";

/// Signatures are opaque to clients, which only have to echo them back.
const THINKING_SIGNATURE: &str = "scripted-thinking-signature";

fn event(kind: &str, value: &Value) -> String {
    format!("event: {kind}\ndata: {value}\n\n")
}

fn stop_reason(reply: &Reply) -> &'static str {
    if reply.tool_calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    }
}

fn usage(reply: &Reply, output_tokens: u64) -> Value {
    let u = reply.usage;
    // Anthropic's input_tokens excludes cache reads, unlike OpenAI's prompt_tokens.
    json!({
        "input_tokens": u.input.saturating_sub(u.cached),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": u.cached,
        "output_tokens": output_tokens,
    })
}

pub(crate) fn stream_events(ctx: &Ctx, reply: &Reply) -> Vec<String> {
    let mut events = vec![
        event(
            "message_start",
            &json!({
                "type": "message_start",
                "message": {
                    "id": ctx.id,
                    "type": "message",
                    "role": "assistant",
                    "model": ctx.model,
                    "content": [],
                    "stop_reason": null,
                    "stop_sequence": null,
                    "usage": usage(reply, 1),
                },
            }),
        ),
        event("ping", &json!({ "type": "ping" })),
    ];

    let mut index = 0usize;
    let mut block = |events: &mut Vec<String>, start: Value, deltas: Vec<Value>| {
        events.push(event(
            "content_block_start",
            &json!({ "type": "content_block_start", "index": index, "content_block": start }),
        ));
        for delta in deltas {
            events.push(event(
                "content_block_delta",
                &json!({ "type": "content_block_delta", "index": index, "delta": delta }),
            ));
        }
        events.push(event(
            "content_block_stop",
            &json!({ "type": "content_block_stop", "index": index }),
        ));
        index += 1;
    };

    if let Some(reasoning) = &reply.reasoning {
        let mut deltas: Vec<Value> = reply
            .split
            .split(reasoning)
            .into_iter()
            .map(|frag| json!({ "type": "thinking_delta", "thinking": frag }))
            .collect();
        deltas.push(json!({ "type": "signature_delta", "signature": THINKING_SIGNATURE }));
        block(
            &mut events,
            json!({ "type": "thinking", "thinking": "" }),
            deltas,
        );
    }
    if let Some(text) = &reply.text {
        let deltas = reply
            .split
            .split(text)
            .into_iter()
            .map(|frag| json!({ "type": "text_delta", "text": frag }))
            .collect();
        block(&mut events, json!({ "type": "text", "text": "" }), deltas);
    }
    for call in &reply.tool_calls {
        let mut deltas: Vec<Value> = split_fragments(&call.arguments, 3)
            .into_iter()
            .map(|frag| json!({ "type": "input_json_delta", "partial_json": frag }))
            .collect();
        // A tool without arguments still gets one (empty) delta on the real API.
        if deltas.is_empty() {
            deltas.push(json!({ "type": "input_json_delta", "partial_json": "" }));
        }
        block(
            &mut events,
            json!({ "type": "tool_use", "id": call.id, "name": call.name, "input": {} }),
            deltas,
        );
    }

    events.push(event(
        "message_delta",
        &json!({
            "type": "message_delta",
            "delta": { "stop_reason": stop_reason(reply), "stop_sequence": null },
            "usage": { "output_tokens": reply.usage.output },
        }),
    ));
    events.push(event("message_stop", &json!({ "type": "message_stop" })));
    events
}

pub(crate) fn message(ctx: &Ctx, reply: &Reply) -> Value {
    let mut content = Vec::new();
    if let Some(reasoning) = &reply.reasoning {
        content.push(json!({
            "type": "thinking",
            "thinking": reasoning,
            "signature": THINKING_SIGNATURE,
        }));
    }
    if let Some(text) = &reply.text {
        content.push(json!({ "type": "text", "text": text }));
    }
    for call in &reply.tool_calls {
        // A non-streamed message cannot carry malformed JSON input, so
        // unparseable arguments are passed through as a JSON string.
        let input = if call.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&call.arguments)
                .unwrap_or_else(|_| Value::String(call.arguments.clone()))
        };
        content.push(json!({
            "type": "tool_use",
            "id": call.id,
            "name": call.name,
            "input": input,
        }));
    }
    json!({
        "id": ctx.id,
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": content,
        "stop_reason": stop_reason(reply),
        "stop_sequence": null,
        "usage": usage(reply, reply.usage.output),
    })
}

pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    };
    json!({
        "type": "error",
        "error": { "type": kind, "message": message },
    })
}
