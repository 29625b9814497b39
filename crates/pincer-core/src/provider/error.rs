use std::time::Duration;

use crate::protocol::{Failure, FailureKind};

/// Why a model request failed, with what a caller needs to decide on a retry.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the API key was rejected by {provider} (HTTP {status}): {message}")]
    Auth {
        provider: String,
        status: u16,
        message: String,
    },
    #[error("{provider} does not know this model or endpoint (HTTP 404): {message}")]
    NotFound { provider: String, message: String },
    #[error("{provider} rejected the request (HTTP {status}): {message}")]
    Rejected {
        provider: String,
        status: u16,
        message: String,
    },
    #[error(
        "{provider} says this conversation is too long for the model (HTTP {status}): {message}"
    )]
    ContextTooLong {
        provider: String,
        status: u16,
        message: String,
    },
    #[error(
        "{provider} says the account is out of credit or over its quota (HTTP {status}): {message}"
    )]
    Quota {
        provider: String,
        status: u16,
        message: String,
    },
    #[error("{provider} is rate limiting requests (HTTP 429): {message}")]
    RateLimited {
        provider: String,
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("{provider} failed (HTTP {status}): {message}")]
    Server {
        provider: String,
        status: u16,
        retry_after: Option<Duration>,
        message: String,
    },
    /// `detail` holds the whole cause chain ("connection refused" and the like), which
    /// reqwest's own message leaves out.
    #[error("could not reach {provider}: {detail}")]
    Connect { provider: String, detail: String },
    #[error("the stream from {provider} was cut off: {detail}")]
    StreamCut { provider: String, detail: String },
    #[error("{provider} sent a malformed stream event: {detail}")]
    Malformed { provider: String, detail: String },
    /// The local model could not be loaded or run.
    #[error("the local model {provider} failed: {detail}")]
    Local { provider: String, detail: String },
    /// The conversation does not fit the local model's window; nothing was cut.
    #[error(
        "this conversation needs {needed} tokens but the local model {provider} holds {window}: \
         start a new session, or add a model with a larger window (`pincer model list`)"
    )]
    WindowFull {
        provider: String,
        needed: u64,
        window: u64,
    },
    #[error("could not set up the HTTP client for {provider}: {source}")]
    Client {
        provider: String,
        #[source]
        source: reqwest::Error,
    },
}

impl ProviderError {
    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. }
            | ProviderError::Server { .. }
            | ProviderError::Connect { .. }
            | ProviderError::StreamCut { .. }
            | ProviderError::Malformed { .. } => true,
            ProviderError::Auth { .. }
            | ProviderError::NotFound { .. }
            | ProviderError::Rejected { .. }
            | ProviderError::ContextTooLong { .. }
            | ProviderError::Quota { .. }
            | ProviderError::Local { .. }
            | ProviderError::WindowFull { .. }
            | ProviderError::Client { .. } => false,
        }
    }

    /// The kind of failure, for a surface to choose its hint from.
    pub fn kind(&self) -> FailureKind {
        match self {
            ProviderError::Auth { .. } => FailureKind::Auth,
            ProviderError::NotFound { .. } => FailureKind::NotFound,
            ProviderError::Rejected { .. } => FailureKind::BadRequest,
            ProviderError::ContextTooLong { .. } | ProviderError::WindowFull { .. } => {
                FailureKind::ContextTooLong
            }
            ProviderError::Local { .. } => FailureKind::Server,
            ProviderError::Quota { .. } => FailureKind::Quota,
            ProviderError::RateLimited { .. } => FailureKind::RateLimit,
            ProviderError::Server { .. } | ProviderError::Malformed { .. } => FailureKind::Server,
            ProviderError::Connect { .. } | ProviderError::StreamCut { .. } => FailureKind::Network,
            ProviderError::Client { .. } => FailureKind::Internal,
        }
    }

    /// The kind and the human message together, as events carry them.
    pub fn failure(&self) -> Failure {
        Failure::new(self.kind(), self.to_string())
    }

    /// Whether another provider may do better; the request itself was not at fault.
    pub fn allows_fallback(&self) -> bool {
        // A local model that cannot load or whose window is too small: another provider
        // may well answer the same request.
        self.is_retryable()
            || matches!(
                self,
                ProviderError::Local { .. } | ProviderError::WindowFull { .. }
            )
    }

    /// The delay the server asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. }
            | ProviderError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The same error with `key` (and any long part of it) taken out of every message, as
    /// vendors echo a rejected key back.
    pub fn redact(self, key: &str) -> Self {
        let clean = |text: String| match super::redact::redact(&text, key) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(redacted) => redacted,
        };
        match self {
            ProviderError::Auth {
                provider,
                status,
                message,
            } => ProviderError::Auth {
                provider,
                status,
                message: clean(message),
            },
            ProviderError::NotFound { provider, message } => ProviderError::NotFound {
                provider,
                message: clean(message),
            },
            ProviderError::Rejected {
                provider,
                status,
                message,
            } => ProviderError::Rejected {
                provider,
                status,
                message: clean(message),
            },
            ProviderError::ContextTooLong {
                provider,
                status,
                message,
            } => ProviderError::ContextTooLong {
                provider,
                status,
                message: clean(message),
            },
            ProviderError::Quota {
                provider,
                status,
                message,
            } => ProviderError::Quota {
                provider,
                status,
                message: clean(message),
            },
            ProviderError::RateLimited {
                provider,
                retry_after,
                message,
            } => ProviderError::RateLimited {
                provider,
                retry_after,
                message: clean(message),
            },
            ProviderError::Server {
                provider,
                status,
                retry_after,
                message,
            } => ProviderError::Server {
                provider,
                status,
                retry_after,
                message: clean(message),
            },
            ProviderError::Connect { provider, detail } => ProviderError::Connect {
                provider,
                detail: clean(detail),
            },
            ProviderError::StreamCut { provider, detail } => ProviderError::StreamCut {
                provider,
                detail: clean(detail),
            },
            ProviderError::Malformed { provider, detail } => ProviderError::Malformed {
                provider,
                detail: clean(detail),
            },
            // Produced in-process; nothing from a server to clean.
            local @ (ProviderError::Local { .. } | ProviderError::WindowFull { .. }) => local,
            // Built from our own settings before any request; its source is reqwest's.
            ProviderError::Client { provider, source } => {
                ProviderError::Client { provider, source }
            }
        }
    }

    pub(crate) fn connect(provider: &str, error: &reqwest::Error) -> Self {
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !detail.contains(&cause_text) {
                detail.push_str(": ");
                detail.push_str(&cause_text);
            }
            source = cause.source();
        }
        ProviderError::Connect {
            provider: provider.to_owned(),
            detail,
        }
    }

    /// Maps an HTTP error status to the error a user understands.
    pub(crate) fn from_status(
        provider: &str,
        status: u16,
        retry_after: Option<Duration>,
        body: &str,
    ) -> Self {
        let provider = provider.to_owned();
        let message = error_message(body);
        // Vendors say "context too long" and "out of quota" with a 400 or a 429 and a code
        // in the body; the user's fix differs from a plain refusal or a rate limit.
        let lowered = body.to_ascii_lowercase();
        if matches!(status, 400 | 413 | 422) && CONTEXT_MARKERS.iter().any(|m| lowered.contains(m))
        {
            return ProviderError::ContextTooLong {
                provider,
                status,
                message,
            };
        }
        if status == 402 || (status == 429 && QUOTA_MARKERS.iter().any(|m| lowered.contains(m))) {
            return ProviderError::Quota {
                provider,
                status,
                message,
            };
        }
        match status {
            401 | 403 => ProviderError::Auth {
                provider,
                status,
                message,
            },
            404 => ProviderError::NotFound { provider, message },
            429 => ProviderError::RateLimited {
                provider,
                retry_after,
                message,
            },
            500..=599 => ProviderError::Server {
                provider,
                status,
                retry_after,
                message,
            },
            _ => ProviderError::Rejected {
                provider,
                status,
                message,
            },
        }
    }
}

/// What OpenAI, Anthropic, DeepSeek, llama.cpp and Ollama put in a context-length error.
const CONTEXT_MARKERS: &[&str] = &[
    "context_length_exceeded",
    "context length",
    "context window",
    "prompt is too long",
    "too many tokens",
    "exceeds the context",
    "maximum context",
];

/// What OpenAI, Anthropic and others put in an out-of-credit error.
const QUOTA_MARKERS: &[&str] = &["insufficient_quota", "quota", "billing", "credit balance"];

/// Pulls the human message out of an OpenAI- or Anthropic-style error body.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error"))
            .and_then(|m| m.as_str())
            .map(str::to_owned)
    });
    match message {
        Some(message) => message,
        None => {
            let trimmed = body.trim();
            if trimmed.is_empty() {
                "no details given".to_owned()
            } else {
                trimmed.chars().take(300).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_maps_to_user_words() {
        let err = ProviderError::from_status(
            "deepseek",
            401,
            None,
            r#"{"error":{"message":"Authentication Fails","type":"authentication_error"}}"#,
        );
        assert_eq!(
            err.to_string(),
            "the API key was rejected by deepseek (HTTP 401): Authentication Fails"
        );
        assert!(!err.is_retryable());
        let err = ProviderError::from_status("x", 503, Some(Duration::from_secs(2)), "");
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn redacting_keeps_the_kind_and_drops_the_key() {
        let key = "sk-live-0123456789abcdef";
        let body = format!(r#"{{"error":{{"message":"Incorrect API key provided: {key}"}}}}"#);
        for status in [400, 401, 402, 404, 429, 500] {
            let err = ProviderError::from_status("p", status, None, &body);
            let kind = err.kind();
            let redacted = err.redact(key);
            assert_eq!(redacted.kind(), kind);
            let text = redacted.to_string();
            assert!(!text.contains(key) && text.contains("[redacted]"), "{text}");
        }
        let cut = ProviderError::StreamCut {
            provider: "p".to_owned(),
            detail: format!("sent {key}"),
        };
        assert_eq!(
            cut.redact(key).to_string(),
            "the stream from p was cut off: sent [redacted]"
        );
    }

    #[test]
    fn each_status_has_its_kind() {
        let kind = |status, body: &str| ProviderError::from_status("p", status, None, body).kind();
        assert_eq!(kind(401, ""), FailureKind::Auth);
        assert_eq!(kind(403, ""), FailureKind::Auth);
        assert_eq!(kind(404, ""), FailureKind::NotFound);
        assert_eq!(
            kind(429, r#"{"error":{"message":"slow down"}}"#),
            FailureKind::RateLimit
        );
        assert_eq!(
            kind(
                429,
                r#"{"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}"#
            ),
            FailureKind::Quota
        );
        assert_eq!(kind(402, ""), FailureKind::Quota);
        assert_eq!(
            kind(
                400,
                r#"{"error":{"code":"context_length_exceeded","message":"This model's maximum context length is 8192 tokens"}}"#
            ),
            FailureKind::ContextTooLong
        );
        assert_eq!(
            kind(
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#
            ),
            FailureKind::ContextTooLong
        );
        assert_eq!(kind(400, "bad field"), FailureKind::BadRequest);
        assert_eq!(kind(502, ""), FailureKind::Server);
    }
}
