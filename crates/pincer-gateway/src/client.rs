//! Talking to a running gateway from another process: `pincer login` and the desktop app
//! (when it attaches to a daemon, and for every window it opens) check that Pincer answers
//! and ask for fresh one-time login codes with the API token.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::wire::{Health, LoggedOut, LoginCode};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not read the API token {path}: {source}")]
    Token {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not reach Pincer at {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("Pincer at {url} refused: HTTP {status}")]
    Refused { url: String, status: u16 },
    #[error("{url} does not answer like a Pincer gateway ({detail})")]
    NotPincer { url: String, detail: String },
    #[error("could not build an HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// A gateway at `url` serving the data home `home` (whose token file it reads).
pub struct Client {
    http: reqwest::Client,
    url: String,
    token_path: PathBuf,
}

impl Client {
    pub fn new(home: &Path, url: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(ClientError::Build)?;
        Ok(Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            token_path: crate::auth::token::token_path(home),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The health handshake: a Pincer gateway answers at this address.
    pub async fn health(&self) -> Result<Health, ClientError> {
        let response = self
            .send(self.http.get(format!("{}/api/health", self.url)))
            .await?;
        let health: Health = response.json().await.map_err(|e| ClientError::NotPincer {
            url: self.url.clone(),
            detail: e.to_string(),
        })?;
        if health.service != "pincer" {
            return Err(ClientError::NotPincer {
                url: self.url.clone(),
                detail: format!("it says it is {:?}", health.service),
            });
        }
        Ok(health)
    }

    /// A fresh one-time login code, asked for with the API token.
    pub async fn login_code(&self) -> Result<LoginCode, ClientError> {
        self.post_with_token("/api/login-codes").await
    }

    /// Ends every browser login ("log out everywhere"); how many there were.
    pub async fn logout_all(&self) -> Result<u64, ClientError> {
        let answer: LoggedOut = self.post_with_token("/api/logout-all").await?;
        Ok(answer.ended)
    }

    async fn post_with_token<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, ClientError> {
        let token =
            std::fs::read_to_string(&self.token_path).map_err(|source| ClientError::Token {
                path: self.token_path.clone(),
                source,
            })?;
        let request = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token.trim());
        let response = self.send(request).await?;
        response.json().await.map_err(|e| ClientError::NotPincer {
            url: self.url.clone(),
            detail: e.to_string(),
        })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let response = request
            .send()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: self.url.clone(),
                source,
            })?;
        if !response.status().is_success() {
            return Err(ClientError::Refused {
                url: self.url.clone(),
                status: response.status().as_u16(),
            });
        }
        Ok(response)
    }
}
