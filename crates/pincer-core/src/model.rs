//! Provider-neutral conversation types: what the agent loop sends to a model and what comes back.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One tool invocation requested by the model. `arguments` is the raw JSON text the model
/// produced; it is parsed by the tool, so malformed arguments become a tool error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ToolCall {
    /// The engine's own id, unique in the data home: events, audit, approvals and the UI use
    /// it. (Rows stored before engine ids existed hold the provider's id here.)
    pub id: String,
    /// The id the provider gave the call, kept only to echo it back to that provider:
    /// providers reuse theirs (`call_0` every turn), so it identifies nothing of ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub provider_id: Option<String>,
    pub name: String,
    pub arguments: String,
}

impl ToolCall {
    /// A call as a provider sent it, before the engine gives it an id of its own.
    pub fn from_provider(
        provider_id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        let provider_id = provider_id.into();
        Self {
            id: provider_id.clone(),
            provider_id: Some(provider_id),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    /// The id to send the provider for this call and its result.
    pub fn echo_id(&self) -> &str {
        self.provider_id.as_deref().unwrap_or(&self.id)
    }
}

/// A fresh engine id for a tool call.
pub fn new_call_id() -> String {
    format!("tc-{}", uuid::Uuid::new_v4().simple())
}

/// For every tool call in `history`: the engine's id → the id to echo to the provider.
pub fn echo_ids(history: &[Message]) -> std::collections::HashMap<&str, &str> {
    history
        .iter()
        .flat_map(|m| &m.tool_calls)
        .map(|call| (call.id.as_str(), call.echo_id()))
        .collect()
}

impl Message {
    /// The provider's id of the call this tool result answers (see [`echo_ids`]).
    pub fn echo_call_id<'a>(&'a self, ids: &std::collections::HashMap<&str, &'a str>) -> &'a str {
        let ours = self.tool_call_id.as_deref().unwrap_or_default();
        ids.get(ours).copied().unwrap_or(ours)
    }
}

/// One message of a conversation, in the shape every provider dialect can be rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    pub role: Role,
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Set on `Role::Tool` messages: the call this result answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Set on `Role::Tool` messages when the tool failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
    /// Images a tool produced (screenshots), sent to models that accept images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageRef>,
}

/// An image file the conversation refers to. The file is read when a request is built, so
/// the history stays small and the image is visible in the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImageRef {
    /// Absolute path of the image file.
    pub path: String,
    /// e.g. `image/png`.
    pub media_type: String,
}

impl ImageRef {
    /// The file's bytes as base64, or why they could not be read.
    pub fn base64(&self) -> Result<String, std::io::Error> {
        use base64::Engine as _;
        let bytes = std::fs::read(&self.path)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: text.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            is_error: false,
            images: Vec::new(),
        }
    }

    pub fn assistant(text: impl Into<String>, tool_calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            content: text.into(),
            tool_calls,
            tool_call_id: None,
            is_error: false,
            images: Vec::new(),
        }
    }

    pub fn tool_result(
        call_id: impl Into<String>,
        content: impl Into<String>,
        is_error: bool,
    ) -> Self {
        Self {
            role: Role::Tool,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: Some(call_id.into()),
            is_error,
            images: Vec::new(),
        }
    }
}

/// A tool as the model sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: serde_json::Value,
}

/// Everything a provider needs for one model round trip.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub system: String,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    /// Upper bound on output tokens; `None` leaves it to the provider where allowed.
    pub max_tokens: Option<u32>,
}

/// Token counts of one request, as the provider reported them, or as Pincer estimated
/// them when the provider reported nothing (`estimated`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Usage {
    /// All prompt tokens, cached ones included.
    pub input_tokens: u64,
    /// The part of `input_tokens` served from the provider's prompt cache.
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// True when the provider sent no counts and these are Pincer's estimate
    /// (about four characters a token). Never mixed up with reported figures.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        // Saturating: the counts come from the provider.
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.cached_input_tokens = self
            .cached_input_tokens
            .saturating_add(other.cached_input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.estimated |= other.estimated;
    }
}

/// Why the model stopped producing output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    Other(String),
}

/// What a provider stream yields, already normalized across dialects.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    TextDelta(String),
    ReasoningDelta(String),
    /// A complete tool call (fragments are assembled by the provider).
    ToolCall(ToolCall),
    Usage(Usage),
    Done(StopReason),
}

/// A rough token count for text: about four characters a token for English and code.
pub fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

impl ChatRequest {
    /// Characters the provider will tokenize: system prompt, tool specs and messages.
    pub fn prompt_chars(&self) -> usize {
        let tools: usize = self
            .tools
            .iter()
            .map(|t| t.name.len() + t.description.len() + t.parameters.to_string().len())
            .sum();
        let messages: usize = self
            .messages
            .iter()
            .map(|m| {
                m.content.len()
                    + m.tool_calls
                        .iter()
                        .map(|c| c.name.len() + c.arguments.len())
                        .sum::<usize>()
            })
            .sum();
        self.system.len() + tools + messages
    }
}
