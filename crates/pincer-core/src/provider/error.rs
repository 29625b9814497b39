use std::time::Duration;

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
            | ProviderError::Client { .. } => false,
        }
    }

    /// Whether another provider may do better; the request itself was not at fault.
    pub fn allows_fallback(&self) -> bool {
        self.is_retryable()
    }

    /// The delay the server asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. }
            | ProviderError::Server { retry_after, .. } => *retry_after,
            _ => None,
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
}
