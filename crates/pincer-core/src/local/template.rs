//! Renders a conversation into the prompt text a local model expects, with the chat
//! template from its GGUF metadata (Jinja, as Hugging Face and llama.cpp's servers run it).

use minijinja::value::Serde;
use minijinja::{Environment, Error as JinjaError, ErrorKind, Value, context};
use serde_json::{Value as Json, json};

use crate::model::{ChatRequest, Message, Role};

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    /// The template renders a `tools` list and `tool_calls` (Qwen's `<tool_call>` format).
    pub tools: bool,
    bos: String,
    eos: String,
}

/// Used when a GGUF has no template of its own: ChatML, which SmolLM2 and Qwen share.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// Instructions a template may run per rendering (minijinja's fuel): far above what a
/// long conversation needs, far below a hang.
const TEMPLATE_FUEL: u64 = 5_000_000;

#[derive(Debug, thiserror::Error)]
#[error("the model's chat template {0}")]
pub struct TemplateError(String);

impl ChatTemplate {
    /// Compiles `source`; `bos` and `eos` are the model's special tokens as text.
    pub fn new(source: &str, bos: &str, eos: &str) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        // As transformers and llama-cpp-python configure Jinja for chat templates.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| TemplateError(format!("cannot be set up: {e}")))?;
        env.set_syntax(syntax);
        // The template comes with a downloaded file: a loop that never ends must fail the
        // request, not hold the model thread for ever. Real templates spend a few thousand.
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_filter("tojson", tojson);
        env.add_template_owned("chat", source.to_owned())
            .map_err(|e| TemplateError(format!("does not compile: {e}")))?;
        Ok(Self {
            env,
            tools: source.contains("tools") && source.contains("tool_call"),
            bos: bos.to_owned(),
            eos: eos.to_owned(),
        })
    }

    /// The prompt for `request`, ending where the assistant's answer begins.
    pub fn render(&self, request: &ChatRequest) -> Result<String, TemplateError> {
        let mut messages = vec![json!({ "role": "system", "content": request.system })];
        let names = call_names(&request.messages);
        for message in &request.messages {
            messages.push(self.message(message, &names));
        }
        let tools: Option<Vec<Json>> = (self.tools && !request.tools.is_empty()).then(|| {
            request
                .tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "function": {
                        "name": t.name, "description": t.description, "parameters": t.parameters
                    }})
                })
                .collect()
        });
        let template = self
            .env
            .get_template("chat")
            .map_err(|e| TemplateError(e.to_string()))?;
        template
            .render(context! {
                messages => Value::from(Serde(&messages)),
                tools => tools.map(|t| Value::from(Serde(t))),
                add_generation_prompt => true,
                bos_token => self.bos.as_str(),
                eos_token => self.eos.as_str(),
            })
            .map_err(|e| TemplateError(format!("failed: {e:#}")))
    }

    fn message(&self, message: &Message, names: &std::collections::HashMap<&str, &str>) -> Json {
        match message.role {
            Role::User => json!({ "role": "user", "content": message.content }),
            Role::Assistant if self.tools => {
                let calls: Vec<Json> = message
                    .tool_calls
                    .iter()
                    .map(|call| {
                        json!({"type": "function", "id": call.echo_id(), "function": {
                            "name": call.name, "arguments": arguments(&call.arguments)
                        }})
                    })
                    .collect();
                if calls.is_empty() {
                    json!({ "role": "assistant", "content": message.content })
                } else {
                    json!({ "role": "assistant", "content": message.content, "tool_calls": calls })
                }
            }
            // A template without tools has no place for calls: they are shown as the model
            // would have written them.
            Role::Assistant => {
                let mut content = message.content.clone();
                for call in &message.tool_calls {
                    let mut written = String::new();
                    python_json(
                        &json!({ "name": call.name, "arguments": arguments(&call.arguments) }),
                        &mut written,
                    );
                    content.push_str(&format!("\n<tool_call>\n{written}\n</tool_call>"));
                }
                json!({ "role": "assistant", "content": content.trim_start() })
            }
            Role::Tool if self.tools => json!({
                "role": "tool",
                "content": message.content,
                "tool_call_id": message.tool_call_id,
                "name": message.tool_call_id.as_deref().and_then(|id| names.get(id)),
            }),
            Role::Tool => {
                let name = message
                    .tool_call_id
                    .as_deref()
                    .and_then(|id| names.get(id))
                    .unwrap_or(&"tool");
                json!({ "role": "user", "content": format!("<tool_response name=\"{name}\">\n{}\n</tool_response>", message.content) })
            }
        }
    }
}

/// Each call id in the conversation → the tool it called.
fn call_names(messages: &[Message]) -> std::collections::HashMap<&str, &str> {
    messages
        .iter()
        .flat_map(|m| &m.tool_calls)
        .map(|call| (call.id.as_str(), call.name.as_str()))
        .collect()
}

/// Arguments as the object templates expect; text that is not JSON stays text.
fn arguments(raw: &str) -> Json {
    serde_json::from_str(raw).unwrap_or_else(|_| Json::String(raw.to_owned()))
}

fn raise_exception(message: String) -> Result<Value, JinjaError> {
    Err(JinjaError::new(ErrorKind::InvalidOperation, message))
}

/// Templates put today's date into the system prompt with this (Llama 3.x). The date is
/// fixed so the prompt prefix stays byte-identical between turns (the time of day goes in
/// the user's message instead).
fn strftime_now(_format: String) -> String {
    "01 Jan 2026".to_owned()
}

/// `tojson` as Python's `json.dumps` writes it (`", "` and `": "`, no HTML escaping), so
/// prompts match what the model saw in training and what other runtimes send.
fn tojson(value: Value, _kwargs: minijinja::value::Kwargs) -> Result<Value, JinjaError> {
    let json = serde_json::to_value(&value)
        .map_err(|e| JinjaError::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let mut out = String::new();
    python_json(&json, &mut out);
    Ok(Value::from_safe_string(out))
}

fn python_json(value: &Json, out: &mut String) {
    match value {
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_json(item, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Json::String(key.clone()).to_string());
                out.push_str(": ");
                python_json(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ToolCall, ToolSpec};

    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    /// Qwen2.5-Instruct's template, as its GGUF files carry it.
    const QWEN25: &str = include_str!("testdata/qwen2.5-template.jinja");

    fn request(messages: Vec<Message>, tools: Vec<ToolSpec>) -> ChatRequest {
        ChatRequest {
            system: "Be brief.".to_owned(),
            messages,
            tools,
            max_tokens: None,
        }
    }

    /// A user asks, the model calls `read_file`, the tool answers.
    fn read_call_conversation() -> Vec<Message> {
        let call = ToolCall::from_provider("c1", "read_file", r#"{"path":"a.txt"}"#);
        vec![
            Message::user("read a.txt"),
            Message::assistant("", vec![call]),
            Message::tool_result("c1", "hello", false),
        ]
    }

    #[test]
    fn chatml_renders_system_user_and_the_open_assistant_turn() {
        let template = ChatTemplate::new(SMOLLM2, "<|im_start|>", "<|im_end|>").unwrap();
        assert!(!template.tools);
        let prompt = template
            .render(&request(vec![Message::user("hi")], vec![]))
            .unwrap();
        assert_eq!(
            prompt,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_template_without_tools_sees_calls_and_results_as_text() {
        let template = ChatTemplate::new(SMOLLM2, "", "").unwrap();
        let prompt = template
            .render(&request(read_call_conversation(), vec![]))
            .unwrap();
        assert!(
            prompt.contains("<tool_call>\n{")
                && prompt.contains("\"name\": \"read_file\"")
                && prompt.contains("\"path\": \"a.txt\""),
            "the call is written as the model would: {prompt}"
        );
        assert!(
            prompt.contains(
                "<|im_start|>user\n<tool_response name=\"read_file\">\nhello\n</tool_response>"
            ),
            "{prompt}"
        );
    }

    #[test]
    fn qwen_template_lists_tools_and_renders_calls_and_results() {
        let template = ChatTemplate::new(QWEN25, "", "<|im_end|>").unwrap();
        assert!(template.tools);
        let tools = vec![ToolSpec {
            name: "read_file".to_owned(),
            description: "Read a <file>".to_owned(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        }];
        let prompt = template
            .render(&request(read_call_conversation(), tools))
            .unwrap();
        assert!(
            prompt.starts_with("<|im_start|>system\nBe brief.\n\n# Tools"),
            "{prompt}"
        );
        assert!(
            prompt.contains(r#"{"type": "function", "function": {"name": "read_file", "description": "Read a <file>""#),
            "python-style JSON, no HTML escaping: {prompt}"
        );
        assert!(prompt.contains("<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.txt\"}}\n</tool_call>"), "{prompt}");
        assert!(
            prompt.contains("<tool_response>\nhello\n</tool_response>"),
            "{prompt}"
        );
        assert!(prompt.ends_with("<|im_start|>assistant\n"));
    }

    #[test]
    fn rendering_is_byte_stable_so_the_cached_prefix_holds() {
        let template = ChatTemplate::new(QWEN25, "", "").unwrap();
        let one = request(vec![Message::user("[Mon 09:00] hi")], vec![]);
        let mut two = one.clone();
        two.messages.push(Message::assistant("hello", vec![]));
        two.messages.push(Message::user("[Mon 09:01] more"));
        let first = template.render(&one).unwrap();
        let second = template.render(&two).unwrap();
        let head = first.trim_end_matches("<|im_start|>assistant\n");
        assert!(second.starts_with(head), "{first:?}\n{second:?}");
    }

    #[test]
    fn a_broken_template_is_an_error_not_a_panic() {
        assert!(ChatTemplate::new("{% for %}", "", "").is_err());
        let endless = ChatTemplate::new(
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            "",
            "",
        )
        .unwrap();
        let err = endless.render(&request(vec![], vec![])).unwrap_err();
        assert!(err.to_string().contains("fuel"), "{err}");
        let raising = ChatTemplate::new("{{ raise_exception('no system role') }}", "", "").unwrap();
        let err = raising.render(&request(vec![], vec![])).unwrap_err();
        assert!(err.to_string().contains("no system role"), "{err}");
    }
}
