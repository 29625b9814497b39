//! Known vendors: where they live, which key variable they use, a sensible default model.

use serde::{Deserialize, Serialize};

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// OpenAI-compatible chat completions.
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// A GGUF model run inside the Pincer process; the endpoint's `base_url` is the file's
    /// path and `model` its registered name.
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub dialect: Dialect,
    pub base_url: &'static str,
    /// Environment variable holding the key; `None` for local servers that need none.
    pub key_env: Option<&'static str>,
    pub default_model: &'static str,
    /// The default model accepts images.
    pub images: bool,
    /// The default model's context window in tokens (for a local server, the context it
    /// serves unless started with another); `None` where it is not known.
    pub context_window: Option<u64>,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "local",
        dialect: Dialect::Local,
        // Resolved from the model registry (`pincer model list`), not a URL.
        base_url: "",
        key_env: None,
        default_model: "",
        images: false,
        context_window: None,
    },
    Preset {
        name: "openai",
        dialect: Dialect::OpenAi,
        base_url: "https://api.openai.com/v1",
        key_env: Some("OPENAI_API_KEY"),
        default_model: "gpt-4.1-mini",
        images: true,
        context_window: Some(1_047_576),
    },
    Preset {
        name: "anthropic",
        dialect: Dialect::Anthropic,
        base_url: "https://api.anthropic.com/v1",
        key_env: Some("ANTHROPIC_API_KEY"),
        default_model: "claude-sonnet-4-5",
        images: true,
        context_window: Some(200_000),
    },
    Preset {
        name: "deepseek",
        dialect: Dialect::OpenAi,
        base_url: "https://api.deepseek.com/v1",
        key_env: Some("DEEPSEEK_API_KEY"),
        default_model: "deepseek-chat",
        images: false,
        context_window: Some(128_000),
    },
    Preset {
        name: "qwen",
        dialect: Dialect::OpenAi,
        base_url: "https://dashscope.aliyuncs.com/compatible-mode/v1",
        key_env: Some("DASHSCOPE_API_KEY"),
        default_model: "qwen-plus",
        images: false,
        context_window: Some(131_072),
    },
    Preset {
        name: "kimi",
        dialect: Dialect::OpenAi,
        base_url: "https://api.moonshot.ai/v1",
        key_env: Some("MOONSHOT_API_KEY"),
        default_model: "kimi-k2-turbo-preview",
        images: false,
        context_window: Some(262_144),
    },
    Preset {
        name: "openrouter",
        dialect: Dialect::OpenAi,
        base_url: "https://openrouter.ai/api/v1",
        key_env: Some("OPENROUTER_API_KEY"),
        default_model: "openai/gpt-4.1-mini",
        images: true,
        context_window: Some(1_047_576),
    },
    Preset {
        name: "ollama",
        dialect: Dialect::OpenAi,
        base_url: "http://127.0.0.1:11434/v1",
        key_env: None,
        default_model: "llama3.2",
        images: false,
        context_window: Some(4_096),
    },
    Preset {
        name: "lmstudio",
        dialect: Dialect::OpenAi,
        base_url: "http://127.0.0.1:1234/v1",
        key_env: None,
        default_model: "local-model",
        images: false,
        context_window: Some(4_096),
    },
    Preset {
        name: "llamacpp",
        dialect: Dialect::OpenAi,
        base_url: "http://127.0.0.1:8080/v1",
        key_env: None,
        default_model: "default",
        images: false,
        context_window: Some(4_096),
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    let name = name.to_ascii_lowercase();
    let name = match name.as_str() {
        "lm-studio" | "lm_studio" => "lmstudio",
        "llama.cpp" | "llama-cpp" | "llama_cpp" => "llamacpp",
        "gguf" | "embedded" => "local",
        "moonshot" => "kimi",
        "dashscope" => "qwen",
        other => other,
    };
    PRESETS.iter().find(|p| p.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|p| p.name)
}
