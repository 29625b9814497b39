//! Model providers behind one trait. Each dialect is one file; presets name the vendors.

use std::time::Duration;

use futures::stream::BoxStream;

use crate::model::{ChatRequest, StreamEvent};

pub mod anthropic;
mod error;
mod http;
pub mod local;
pub mod openai;
pub mod presets;
pub mod redact;
pub mod retry_after;
pub mod sse;

pub use error::ProviderError;
pub use presets::{Dialect, Preset};

/// The most tokens one response may report per count; a provider claiming more is
/// believed up to here. Far above any model's context, low enough that sums over years of
/// requests fit SQLite's signed integers.
pub const MAX_REPORTED_TOKENS: u64 = 1 << 40;

/// A token count from a provider's usage object, within [`MAX_REPORTED_TOKENS`].
fn token_count(value: &serde_json::Value) -> Option<u64> {
    value.as_u64().map(|n| n.min(MAX_REPORTED_TOKENS))
}

/// A stream of normalized events for one model round trip.
pub type EventStream<'a> = BoxStream<'a, Result<StreamEvent, ProviderError>>;

/// One configured model endpoint.
pub trait Provider: Send + Sync {
    /// The name users know it by, e.g. "deepseek"; used in events and error messages.
    fn name(&self) -> &str;
    fn model(&self) -> &str;
    /// Sends the request and streams the answer. The stream ends after [`StreamEvent::Done`];
    /// a stream that ends without it yields [`ProviderError::StreamCut`] first.
    fn stream<'a>(&'a self, request: &'a ChatRequest) -> EventStream<'a>;
    /// How the engine should shape requests for this provider.
    fn profile(&self) -> PromptProfile {
        PromptProfile::default()
    }
}

/// What a provider can take: remote models get the full prompt and every tool schema; a
/// small local window gets a compact prompt and tools disclosed on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PromptProfile {
    /// Use the compact prompt (short system prompt, capped skill index, tools on request).
    pub compact: bool,
    /// The model can call tools (for a local model: its chat template defines them).
    pub tools: bool,
    /// The context window in tokens, when known.
    pub window: Option<u64>,
}

/// Where and how to reach a provider; built from config and the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub name: String,
    pub dialect: Dialect,
    /// Base URL up to and including the version segment, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    /// The model accepts images; otherwise a tool's images are described in text.
    pub images: bool,
    /// Request timeout for connecting and for silence between stream events.
    pub timeout: Duration,
    /// The model's context window in tokens, when the entry or its preset says.
    pub context_window: Option<u64>,
}

/// Never prints the key, so a logged endpoint cannot leak it.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .field("dialect", &self.dialect)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("images", &self.images)
            .field("timeout", &self.timeout)
            .field("context_window", &self.context_window)
            .finish()
    }
}

/// Takes `key` out of every error `stream` yields: a stream's error events and malformed
/// chunks come from the server and may echo the key, as error bodies do.
fn without_key<'a>(stream: EventStream<'a>, key: Option<&'a str>) -> EventStream<'a> {
    use futures::StreamExt;
    match key {
        Some(key) => Box::pin(stream.map(move |item| item.map_err(|e| e.redact(key)))),
        None => stream,
    }
}

/// Builds the provider for an endpoint.
pub fn connect(endpoint: Endpoint) -> Result<Box<dyn Provider>, ProviderError> {
    connect_with(endpoint, &crate::local::options::LocalOptions::default())
}

/// Builds the provider for an endpoint; a local model runs with `local`.
pub fn connect_with(
    endpoint: Endpoint,
    local: &crate::local::options::LocalOptions,
) -> Result<Box<dyn Provider>, ProviderError> {
    if endpoint.dialect == Dialect::Local {
        return Ok(Box::new(local::Local::new(endpoint, local.clone())));
    }
    let client = http::client(endpoint.timeout).map_err(|source| ProviderError::Client {
        provider: endpoint.name.clone(),
        source,
    })?;
    Ok(match endpoint.dialect {
        Dialect::OpenAi => Box::new(openai::OpenAi::new(endpoint, client)),
        Dialect::Anthropic => Box::new(anthropic::Anthropic::new(endpoint, client)),
        Dialect::Local => Box::new(local::Local::new(endpoint, local.clone())),
    })
}

/// Checks that an endpoint answers and accepts the key by listing its models.
/// Returns how long the answer took.
pub async fn probe(endpoint: &Endpoint) -> Result<Duration, ProviderError> {
    if endpoint.dialect == Dialect::Local {
        let started = std::time::Instant::now();
        crate::local::gguf::read_info(std::path::Path::new(&endpoint.base_url)).map_err(|e| {
            ProviderError::Local {
                provider: endpoint.name.clone(),
                detail: e.to_string(),
            }
        })?;
        return Ok(started.elapsed());
    }
    let client = http::client(endpoint.timeout).map_err(|source| ProviderError::Client {
        provider: endpoint.name.clone(),
        source,
    })?;
    let url = format!("{}/models", endpoint.base_url.trim_end_matches('/'));
    let mut request = client.get(url);
    if let Some(key) = &endpoint.api_key {
        request = match endpoint.dialect {
            Dialect::OpenAi => request.bearer_auth(key),
            Dialect::Anthropic => request
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01"),
            Dialect::Local => request,
        };
    }
    let started = std::time::Instant::now();
    http::send(&endpoint.name, endpoint.api_key.as_deref(), request).await?;
    Ok(started.elapsed())
}
