//! What can go wrong turning `config.toml` and the environment into settings.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A syntax error, a value of the wrong type or an unknown key, with its place.
    #[error("{path}:{line}:{column}: {message}{key}", key = key.as_deref().map(|k| format!(" (key `{k}`)")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: Option<String>,
        message: String,
    },
    #[error("provider {index}: {message}")]
    Provider { index: usize, message: String },
    #[error("[memory.embeddings]: {0}")]
    Embeddings(String),
    /// `[heartbeat]` does not resolve; the message names the key.
    #[error("{0}")]
    Heartbeat(String),
    #[error(
        "no model provider is configured: set PINCER_PROVIDER (and PINCER_BASE_URL, PINCER_API_KEY, PINCER_MODEL), \
         a vendor key such as OPENAI_API_KEY or ANTHROPIC_API_KEY, or add [[providers]] to {path}"
    )]
    NoProvider { path: PathBuf },
    #[error(
        "unknown provider {name:?}; known: {known}, or 'openai' with PINCER_BASE_URL for any compatible server"
    )]
    UnknownProvider { name: String, known: String },
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
}
