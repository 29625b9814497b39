//! `[memory]` in `config.toml`: what recall may add to a message.

use serde::Deserialize;

/// As the user writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemorySection {
    /// Add the memories and past messages a new message is about to its request.
    pub recall: bool,
    /// At most this many tokens of recalled text per message (a small local model's
    /// window gets at most a third of it).
    pub recall_tokens: u32,
    /// Compact a session when its request passes this share of the window, in percent.
    pub compact_percent: u32,
    /// The model's window in tokens, where the provider does not say (a local model
    /// does): default 32,000.
    pub context_window: Option<u64>,
    /// When a session goes idle (`agent.session_idle_secs`), save the durable facts in
    /// what the user wrote since the last flush (one model request of the engine's own).
    pub idle_flush: bool,
    /// `[memory.embeddings]`: an endpoint that embeds memories and messages, for recall
    /// by meaning beside recall by words. None: words only.
    pub embeddings: Option<super::embeddings::EmbeddingsSection>,
}

impl Default for MemorySection {
    fn default() -> Self {
        Self {
            recall: true,
            recall_tokens: 400,
            compact_percent: 80,
            context_window: None,
            idle_flush: true,
            embeddings: None,
        }
    }
}

/// Resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryOptions {
    pub recall: bool,
    pub recall_tokens: u32,
    /// 10 to 95.
    pub compact_percent: u32,
    pub context_window: Option<u64>,
    pub idle_flush: bool,
}

impl Default for MemoryOptions {
    fn default() -> Self {
        MemorySection::default().resolve()
    }
}

impl MemorySection {
    pub fn resolve(&self) -> MemoryOptions {
        MemoryOptions {
            recall: self.recall,
            recall_tokens: self.recall_tokens.min(4000),
            compact_percent: self.compact_percent.clamp(10, 95),
            context_window: self.context_window.filter(|w| *w >= 1024),
            idle_flush: self.idle_flush,
        }
    }
}
