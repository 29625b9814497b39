//! Recall by meaning: an OpenAI-compatible `/v1/embeddings` endpoint (configured in
//! `[memory.embeddings]`, independent of the chat provider) turns memories and each new
//! message into vectors. The store keeps the vectors ([`crate::store::EmbeddingKey`]); a
//! background worker embeds what is missing ([`worker`]); an in-memory index finds the
//! nearest ([`index`]); recall fuses them with the keyword ranks.

pub mod background;
pub mod client;
pub mod index;
pub mod worker;

use serde::Deserialize;

use crate::config::{Env, ProviderEntry};
use crate::provider::Endpoint;
use crate::store::EmbeddingKey;

/// `[memory.embeddings]` as the user writes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsSection {
    /// A configured provider (its name or preset) whose base URL and key to use.
    pub provider: Option<String>,
    /// The endpoint's base URL up to the version, e.g. `http://127.0.0.1:8089/v1`.
    pub base_url: Option<String>,
    /// The embedding model, e.g. `text-embedding-3-small`.
    pub model: String,
    /// Name of the environment variable that holds the key, if the endpoint needs one and
    /// `provider` does not give it.
    pub api_key_env: Option<String>,
    /// Send `input_type: "query" | "document"` (servers of asymmetric models such as e5
    /// read it; OpenAI's API refuses unknown fields).
    #[serde(default)]
    pub input_type: bool,
    /// Text put before each query and each memory (e5 without `input_type` wants
    /// `"query: "` and `"passage: "`).
    #[serde(default)]
    pub query_prefix: String,
    #[serde(default)]
    pub document_prefix: String,
}

/// Resolved: where to send texts and how. `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct EmbeddingsEndpoint {
    /// The provider's name, else the base URL: part of what identifies the vectors.
    pub name: String,
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub input_type: bool,
    pub query_prefix: String,
    pub document_prefix: String,
}

impl std::fmt::Debug for EmbeddingsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingsEndpoint")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("input_type", &self.input_type)
            .field("query_prefix", &self.query_prefix)
            .field("document_prefix", &self.document_prefix)
            .finish()
    }
}

impl EmbeddingsEndpoint {
    /// What identifies this endpoint's vectors: anything that changes them is in it, so a
    /// change of model or prefix re-embeds instead of comparing unlike vectors.
    pub fn key(&self) -> EmbeddingKey {
        let mut model = self.model.clone();
        if self.input_type {
            model.push_str(" +input_type");
        }
        if !self.query_prefix.is_empty() || !self.document_prefix.is_empty() {
            model.push_str(&format!(
                " +prefixes({:?}, {:?})",
                self.query_prefix, self.document_prefix
            ));
        }
        EmbeddingKey {
            provider: self.name.clone(),
            model,
        }
    }
}

impl EmbeddingsSection {
    /// Resolves against the configured chat providers (`providers`, already resolved with
    /// their keys) and the environment.
    pub fn resolve(
        &self,
        providers: &[Endpoint],
        env: &dyn Env,
    ) -> Result<EmbeddingsEndpoint, String> {
        let model = self.model.trim();
        if model.is_empty() {
            return Err("model is missing (e.g. model = \"text-embedding-3-small\")".to_owned());
        }
        let named = match self.provider.as_deref() {
            None => None,
            Some(name) => {
                Some(match providers.iter().find(|p| p.name == name) {
                    Some(endpoint) => (endpoint.base_url.clone(), endpoint.api_key.clone()),
                    None => {
                        let entry = ProviderEntry {
                            preset: Some(name.to_owned()),
                            model: Some(model.to_owned()),
                            ..ProviderEntry::default()
                        };
                        let endpoint = entry.resolve(env).map_err(|e| {
                        format!("provider {name:?} is neither a configured provider nor a preset: {e}")
                    })?;
                        (endpoint.base_url, endpoint.api_key)
                    }
                })
            }
        };
        let base_url = self
            .base_url
            .clone()
            .or_else(|| named.as_ref().map(|(url, _)| url.clone()))
            .ok_or("base_url is missing (or name a provider)")?;
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(format!(
                "base_url {base_url:?} must start with http:// or https://"
            ));
        }
        let api_key = match &self.api_key_env {
            Some(var) => Some(
                env.var(var)
                    .ok_or_else(|| format!("api_key_env names {var:?}, which is not set"))?,
            ),
            // A provider's key goes only to that provider's own URL.
            None => named
                .filter(|(url, _)| url.trim_end_matches('/') == base_url)
                .and_then(|(_, key)| key),
        };
        Ok(EmbeddingsEndpoint {
            name: self.provider.clone().unwrap_or_else(|| base_url.clone()),
            base_url,
            model: model.to_owned(),
            api_key,
            input_type: self.input_type,
            query_prefix: self.query_prefix.clone(),
            document_prefix: self.document_prefix.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Dialect;
    use std::time::Duration;

    fn section(text: &str) -> EmbeddingsSection {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_provider_lends_its_url_and_key_but_the_key_goes_nowhere_else() {
        let openai = Endpoint {
            name: "openai".to_owned(),
            dialect: Dialect::OpenAi,
            base_url: "https://api.openai.com/v1".to_owned(),
            api_key: Some("sk-test".to_owned()),
            model: "gpt-4o-mini".to_owned(),
            images: true,
            timeout: Duration::from_secs(1),
            context_window: None,
        };
        let env: [(&str, &str); 1] = [("EMB_KEY", "k2")];
        let same = section("provider = \"openai\"\nmodel = \"text-embedding-3-small\"")
            .resolve(std::slice::from_ref(&openai), &env)
            .unwrap();
        assert_eq!(same.base_url, "https://api.openai.com/v1");
        assert_eq!(same.api_key.as_deref(), Some("sk-test"));
        assert!(!format!("{same:?}").contains("sk-test"));
        let elsewhere =
            section("provider = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1/\"\nmodel = \"e5\"")
                .resolve(std::slice::from_ref(&openai), &env)
                .unwrap();
        assert_eq!(elsewhere.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(elsewhere.api_key, None);
        let own = section("base_url = \"http://h/v1\"\nmodel = \"e5\"\napi_key_env = \"EMB_KEY\"")
            .resolve(&[], &env)
            .unwrap();
        assert_eq!(own.api_key.as_deref(), Some("k2"));
        assert_eq!(own.name, "http://h/v1");
    }

    #[test]
    fn what_is_missing_or_wrong_is_named() {
        let env: [(&str, &str); 0] = [];
        let no_model = section("base_url = \"http://h/v1\"\nmodel = \" \"").resolve(&[], &env);
        assert!(no_model.unwrap_err().contains("model is missing"));
        let no_url = section("model = \"e5\"").resolve(&[], &env);
        assert!(no_url.unwrap_err().contains("base_url is missing"));
        let bad_url = section("base_url = \"ftp://h\"\nmodel = \"e5\"").resolve(&[], &env);
        assert!(bad_url.unwrap_err().contains("http://"));
        let unset = section("base_url = \"http://h/v1\"\nmodel = \"e5\"\napi_key_env = \"NOPE\"")
            .resolve(&[], &env);
        assert!(unset.unwrap_err().contains("NOPE"));
        assert!(toml::from_str::<EmbeddingsSection>("model = \"e5\"\nmodle = 1").is_err());
    }

    #[test]
    fn what_changes_the_vectors_changes_their_key() {
        let env: [(&str, &str); 0] = [];
        let plain = section("base_url = \"http://h/v1\"\nmodel = \"e5\"")
            .resolve(&[], &env)
            .unwrap();
        let typed = section("base_url = \"http://h/v1\"\nmodel = \"e5\"\ninput_type = true")
            .resolve(&[], &env)
            .unwrap();
        let prefixed =
            section("base_url = \"http://h/v1\"\nmodel = \"e5\"\ndocument_prefix = \"passage: \"")
                .resolve(&[], &env)
                .unwrap();
        assert_eq!(plain.key().model, "e5");
        assert_ne!(plain.key(), typed.key());
        assert_ne!(plain.key(), prefixed.key());
        assert_ne!(typed.key(), prefixed.key());
    }
}
