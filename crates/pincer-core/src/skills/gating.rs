//! Whether a skill can run here: its programs, environment variables, config keys, tools and
//! operating system. Each unmet requirement becomes one reason a person can act on.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::definition::Definition;
use crate::config::Env;

/// What the machine and this Pincer offer.
pub struct Environment<'a> {
    pub env: &'a dyn Env,
    /// Node's name for this OS (`linux`, `darwin`, `win32`), as skills write it.
    pub os: &'static str,
    /// `config.toml` as a value, for `requires.config`.
    pub config: Option<&'a toml::Value>,
    /// The tools this engine has.
    pub tools: &'a BTreeSet<String>,
}

/// Node's platform name of the OS this was built for.
pub fn current_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

/// Desktop automation tools exist only in the desktop app; a skill needing them says so.
const DESKTOP_TOOLS: &[&str] = &["screenshot", "mouse", "keyboard", "notify"];

/// Every requirement `def` has that this environment does not meet, as reasons.
pub fn unmet(def: &Definition, here: &Environment<'_>) -> Vec<String> {
    let mut reasons = Vec::new();
    if !def.os.is_empty() && !def.os.iter().any(|os| os == here.os) {
        let names: Vec<&str> = def.os.iter().map(|os| os_name(os)).collect();
        reasons.push(match names.as_slice() {
            [one] => format!("{one} only"),
            _ => format!("runs on {} only", names.join(" and ")),
        });
    }
    for bin in &def.requires.bins {
        if !on_path(bin, here.env) {
            reasons.push(format!("needs the `{bin}` binary"));
        }
    }
    if !def.requires.any_bins.is_empty()
        && !def.requires.any_bins.iter().any(|b| on_path(b, here.env))
    {
        let list: Vec<String> = def
            .requires
            .any_bins
            .iter()
            .map(|b| format!("`{b}`"))
            .collect();
        reasons.push(format!("needs one of the binaries {}", list.join(", ")));
    }
    for var in &def.requires.env {
        if here.env.var(var).is_none() {
            reasons.push(format!("needs {var}"));
        }
    }
    for key in &def.requires.config {
        if !config_truthy(here.config, key) {
            reasons.push(format!("needs `{key}` set in config.toml"));
        }
    }
    for tool in &def.requires.tools {
        if !here.tools.contains(tool) {
            reasons.push(if DESKTOP_TOOLS.contains(&tool.as_str()) {
                format!("needs the `{tool}` tool of the desktop app")
            } else {
                format!("needs the `{tool}` tool")
            });
        }
    }
    reasons
}

fn os_name(os: &str) -> &str {
    match os {
        "darwin" => "macOS",
        "win32" => "Windows",
        "linux" => "Linux",
        other => other,
    }
}

/// Whether `bin` is an executable on the environment's PATH (or a path that exists).
pub fn on_path(bin: &str, env: &dyn Env) -> bool {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    which::which_in(bin, env.var("PATH"), cwd).is_ok()
}

fn config_truthy(config: Option<&toml::Value>, dotted: &str) -> bool {
    let mut value = match config {
        Some(value) => value,
        None => return false,
    };
    for part in dotted.split('.') {
        match value.get(part) {
            Some(next) => value = next,
            None => return false,
        }
    }
    match value {
        toml::Value::Boolean(b) => *b,
        toml::Value::String(s) => !s.is_empty(),
        toml::Value::Integer(i) => *i != 0,
        toml::Value::Float(f) => *f != 0.0,
        toml::Value::Array(a) => !a.is_empty(),
        toml::Value::Table(t) => !t.is_empty(),
        toml::Value::Datetime(_) => true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn def(metadata: serde_json::Value) -> Definition {
        let fields = json!({"name": "s", "description": "d", "metadata": metadata});
        Definition::from_fields(fields.as_object().unwrap()).unwrap()
    }

    #[test]
    fn reasons_name_what_is_missing() {
        let tools = BTreeSet::from(["read_file".to_owned()]);
        let config: toml::Value = toml::from_str("[browser]\nenabled = true\n").unwrap();
        let env = [("PATH", "/usr/bin:/bin"), ("HAVE", "1")];
        let here = Environment {
            env: &env,
            os: "linux",
            config: Some(&config),
            tools: &tools,
        };
        let d = def(json!({"openclaw": {"os": ["darwin"], "requires": {
            "bins": ["sh", "surely-not-a-program"], "anyBins": ["nope1", "nope2"],
            "env": ["HAVE", "GITHUB_TOKEN"], "config": ["browser.enabled", "voice.enabled"],
            "tools": ["read_file", "screenshot"]
        }}}));
        assert_eq!(
            unmet(&d, &here),
            [
                "macOS only",
                "needs the `surely-not-a-program` binary",
                "needs one of the binaries `nope1`, `nope2`",
                "needs GITHUB_TOKEN",
                "needs `voice.enabled` set in config.toml",
                "needs the `screenshot` tool of the desktop app",
            ]
        );
    }
}
