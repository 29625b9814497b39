//! `[local]` in `config.toml`: how the in-process model runs.

use std::time::Duration;

use serde::Deserialize;

/// As the user writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalSection {
    /// CPU threads for generation; default: the machine's cores, at most 8.
    pub threads: Option<u32>,
    /// The window in tokens, at most what the model was trained with.
    pub context: u32,
    /// Seconds without a request after which the model is unloaded from memory.
    pub idle_unload_secs: u64,
    /// 0 picks the most likely token every time (the same answer for the same prompt).
    pub temperature: f32,
    /// Seed for sampling when `temperature` > 0; default: a new one per answer.
    pub seed: Option<u32>,
    /// llama.cpp's flash attention: default on where it helps (llama.cpp decides). Off
    /// computes attention as older llama.cpp builds (and llama-cpp-python 0.3) do, which
    /// makes greedy output identical to theirs.
    pub flash_attention: Option<bool>,
    /// The longest answer in tokens when `[agent] max_tokens` says nothing: a small model
    /// can repeat itself until its window is full.
    pub max_answer_tokens: u32,
}

impl Default for LocalSection {
    fn default() -> Self {
        Self {
            threads: None,
            context: 8192,
            idle_unload_secs: 600,
            temperature: 0.3,
            seed: None,
            flash_attention: None,
            max_answer_tokens: 1024,
        }
    }
}

/// Resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalOptions {
    pub threads: u32,
    pub context: u32,
    pub idle_unload: Duration,
    pub temperature: f32,
    pub seed: Option<u32>,
    /// `None`: llama.cpp decides.
    pub flash_attention: Option<bool>,
    pub max_answer_tokens: u32,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalSection::default().resolve()
    }
}

impl LocalSection {
    pub fn resolve(&self) -> LocalOptions {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        LocalOptions {
            threads: self.threads.unwrap_or(cores.min(8)).clamp(1, 256),
            context: self.context.clamp(512, 1 << 20),
            idle_unload: Duration::from_secs(self.idle_unload_secs.max(1)),
            temperature: if self.temperature.is_finite() {
                self.temperature.clamp(0.0, 2.0)
            } else {
                0.0
            },
            seed: self.seed,
            flash_attention: self.flash_attention,
            max_answer_tokens: self.max_answer_tokens.max(16),
        }
    }
}
