//! What a skill's frontmatter says, normalized across the dialects that write it: the
//! AgentSkills/Claude fields at the top level, OpenClaw's `metadata.openclaw` (and the
//! legacy `metadata.clawdbot`), nanobot's `metadata.nanobot`, and Pincer's own
//! `metadata.pincer` (skill tools). Unknown keys are kept in the file and ignored here.

use std::time::Duration;

use serde_json::{Map, Value};

use super::frontmatter::{
    self, MAX_DESCRIPTION, ParseError, bool_field, string_field, string_list,
};

/// The metadata blocks read for requirements and presentation, in the order they are merged.
const DIALECT_BLOCKS: &[&str] = &["pincer", "openclaw", "clawdbot", "clawdis", "nanobot"];

/// Longest skill name, as in the AgentSkills format.
pub const MAX_NAME: usize = 64;
/// Default and longest run time of a skill tool.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_TOOL_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub name: String,
    pub description: String,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    /// Tools the skill expects to use (`allowed-tools`). Shown to the model with the skill's
    /// instructions and to the user; it grants nothing the policy would not.
    pub allowed_tools: Vec<String>,
    /// `/name` in chat may force it (`user-invocable`, default true).
    pub user_invocable: bool,
    /// Listed in the model's index (false with `disable-model-invocation: true`).
    pub model_invocable: bool,
    /// Inlined into every prompt instead of loaded on demand.
    pub always: bool,
    pub emoji: Option<String>,
    pub homepage: Option<String>,
    /// The environment variable that holds the skill's main credential.
    pub primary_env: Option<String>,
    /// Operating systems it runs on, in Node's names (`darwin`, `linux`, `win32`); empty: any.
    pub os: Vec<String>,
    pub requires: Requires,
    pub install: Vec<InstallHint>,
    pub tools: Vec<ToolDecl>,
    /// Things that load but deserve a look (a description cut short, a bad install hint).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requires {
    /// Every one of these programs must be on PATH.
    pub bins: Vec<String>,
    /// At least one of these programs must be on PATH.
    pub any_bins: Vec<String>,
    /// Every one of these environment variables must be set and not empty.
    pub env: Vec<String>,
    /// Every one of these dotted keys must be set to a true value in Pincer's config.toml.
    pub config: Vec<String>,
    /// Every one of these Pincer tools must exist here (e.g. `screenshot`: the desktop app).
    pub tools: Vec<String>,
}

/// How to get what a skill needs. Shown to the user; never run by Pincer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallHint {
    pub kind: String,
    /// What to do, e.g. "brew install gh" or the hint's own label.
    pub label: String,
    pub bins: Vec<String>,
}

/// A tool a skill declares in `metadata.pincer.tools`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDecl {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
    /// Program and arguments; a program with a `/` is relative to the skill folder.
    pub command: Vec<String>,
    pub timeout: Duration,
}

/// A frontmatter value that is wrong, with the top-level key it is under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

fn field_error(key: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        key: key.to_owned(),
        message: message.into(),
    }
}

impl Definition {
    pub fn from_fields(fields: &Map<String, Value>) -> Result<Self, FieldError> {
        let text = |key: &str| string_field(fields, key).map_err(|m| field_error(key, m));
        let flag = |key: &str| bool_field(fields, key).map_err(|m| field_error(key, m));
        let name = text("name")?
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| field_error("name", "`name` is required"))?;
        check_name(&name).map_err(|m| field_error("name", m))?;
        let description = text("description")?
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| field_error("description", "`description` is required"))?;
        let mut warnings = Vec::new();
        if description.chars().count() > MAX_DESCRIPTION {
            warnings.push(format!(
                "the description has {} characters (the format allows {MAX_DESCRIPTION}); the index shows its first line",
                description.chars().count()
            ));
        }

        let metadata =
            metadata_map(fields.get("metadata")).map_err(|m| field_error("metadata", m))?;
        let blocks: Vec<&Map<String, Value>> = DIALECT_BLOCKS
            .iter()
            .filter_map(|key| metadata.get(*key).and_then(Value::as_object))
            .collect();
        let first_text = |key: &str| {
            blocks
                .iter()
                .find_map(|b| b.get(key).and_then(Value::as_str).map(str::to_owned))
        };
        let mut requires = Requires::default();
        let mut os = Vec::new();
        let mut install = Vec::new();
        let mut always = flag("always")?.unwrap_or(false);
        for block in &blocks {
            if let Some(req) = block.get("requires").and_then(Value::as_object) {
                extend_unique(&mut requires.bins, string_list(req.get("bins")));
                extend_unique(&mut requires.any_bins, string_list(req.get("anyBins")));
                extend_unique(&mut requires.any_bins, string_list(req.get("any_bins")));
                extend_unique(&mut requires.env, string_list(req.get("env")));
                extend_unique(&mut requires.config, string_list(req.get("config")));
                extend_unique(&mut requires.tools, string_list(req.get("tools")));
            }
            extend_unique(&mut os, string_list(block.get("os")));
            always |= block
                .get("always")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            for hint in block
                .get("install")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match install_hint(hint) {
                    Some(hint) => install.push(hint),
                    None => warnings.push(format!("an install hint could not be read: {hint}")),
                }
            }
        }
        // nanobot and some Claude skills write `os` at the top level too.
        extend_unique(&mut os, string_list(fields.get("os")));
        let os = os.into_iter().map(|o| normalize_os(&o)).collect();

        let tools = match metadata.get("pincer").and_then(|p| p.get("tools")) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(tool_decl)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| field_error("metadata", format!("metadata.pincer.tools: {m}")))?,
            Some(_) => {
                return Err(field_error(
                    "metadata",
                    "metadata.pincer.tools must be a list",
                ));
            }
        };

        Ok(Self {
            name,
            description,
            license: text("license")?,
            compatibility: text("compatibility")?,
            allowed_tools: string_list(fields.get("allowed-tools")),
            user_invocable: flag("user-invocable")?.unwrap_or(true),
            model_invocable: !flag("disable-model-invocation")?.unwrap_or(false),
            always,
            emoji: first_text("emoji"),
            homepage: text("homepage")?.or_else(|| first_text("homepage")),
            primary_env: first_text("primaryEnv"),
            os,
            requires,
            install,
            tools,
            warnings,
        })
    }
}

/// `metadata` as a mapping; OpenClaw writes it as JSON on one line, which YAML reads as a
/// mapping already, and some skills quote that JSON, which is read here.
fn metadata_map(value: Option<&Value>) -> Result<Map<String, Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err("`metadata` must be a mapping".to_owned()),
            Err(e) => Err(format!("`metadata` is text but not a JSON object: {e}")),
        },
        Some(_) => Err("`metadata` must be a mapping".to_owned()),
    }
}

/// A `SKILL.md` read whole.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillFile {
    pub def: Definition,
    /// The Markdown after the frontmatter, as written.
    pub body: String,
}

/// Reads the bytes of a `SKILL.md` into its definition and body, or says what is wrong and on
/// which line. Total: any bytes at all give `Ok` or `Err`, never a panic (the bytes come from
/// strangers; the fuzz target calls this).
pub fn parse_skill_file(bytes: &[u8]) -> Result<SkillFile, ParseError> {
    let parsed = frontmatter::parse(bytes)?;
    let mut def = Definition::from_fields(&parsed.fields).map_err(|e| ParseError {
        line: frontmatter::key_line(bytes, &e.key).or(Some(2)),
        message: e.message,
    })?;
    if let Some(e) = &parsed.tolerated {
        def.warnings.push(format!(
            "line {}: {}; read line by line instead (quote values that contain \": \")",
            e.line.unwrap_or(1),
            e.message
        ));
    }
    Ok(SkillFile {
        def,
        body: parsed.body,
    })
}

/// Skill names: what `/name` and the `skill` tool use, so no spaces or slashes.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.chars().count() > MAX_NAME {
        return Err(format!("`name` is longer than {MAX_NAME} characters"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "`name` may hold letters, digits, '-', '_' and '.', not {bad:?}"
        ));
    }
    if name.starts_with('.') {
        return Err("`name` may not start with '.'".to_owned());
    }
    Ok(())
}

fn extend_unique(into: &mut Vec<String>, items: Vec<String>) {
    for item in items {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

fn normalize_os(os: &str) -> String {
    match os.trim().to_ascii_lowercase().as_str() {
        "macos" | "mac" | "osx" | "darwin" => "darwin".to_owned(),
        "windows" | "win" | "win32" => "win32".to_owned(),
        other => other.to_owned(),
    }
}

fn install_hint(value: &Value) -> Option<InstallHint> {
    let hint = value.as_object()?;
    let get = |key: &str| hint.get(key).and_then(Value::as_str).map(str::to_owned);
    let kind = get("kind").unwrap_or_else(|| "manual".to_owned());
    let target = get("formula")
        .or_else(|| get("package"))
        .or_else(|| get("module"))
        .or_else(|| get("url"));
    let command = match (kind.as_str(), &target) {
        ("brew", Some(t)) => Some(format!("brew install {t}")),
        ("node" | "npm", Some(t)) => Some(format!("npm install -g {t}")),
        ("go", Some(t)) => Some(format!("go install {t}")),
        ("uv", Some(t)) => Some(format!("uv tool install {t}")),
        ("pip", Some(t)) => Some(format!("pip install {t}")),
        ("apt", Some(t)) => Some(format!("sudo apt install {t}")),
        ("download", Some(t)) => Some(format!("download {t}")),
        _ => None,
    };
    let label = get("label").or(command).or(target)?;
    Some(InstallHint {
        kind,
        label,
        bins: string_list(hint.get("bins")),
    })
}

fn tool_decl(value: &Value) -> Result<ToolDecl, String> {
    let tool = value.as_object().ok_or("each tool must be a mapping")?;
    let name = tool
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a tool has no `name`")?
        .to_owned();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "tool name {name:?} must be 1–64 ASCII letters, digits, '_' or '-'"
        ));
    }
    let description = tool
        .get("description")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| format!("tool `{name}` has no `description`"))?
        .to_owned();
    let parameters = match tool.get("parameters") {
        None | Some(Value::Null) => serde_json::json!({"type": "object", "properties": {}}),
        Some(Value::Object(schema))
            if schema.get("type").and_then(Value::as_str) == Some("object") =>
        {
            Value::Object(schema.clone())
        }
        Some(_) => {
            return Err(format!(
                "tool `{name}`: `parameters` must be a JSON Schema with \"type\": \"object\""
            ));
        }
    };
    let command = match tool.get("command") {
        Some(Value::String(line)) => line.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(_)) => string_list(tool.get("command")),
        _ => Vec::new(),
    };
    if command.is_empty() {
        return Err(format!("tool `{name}` has no `command`"));
    }
    let timeout = match tool.get("timeout") {
        None | Some(Value::Null) => DEFAULT_TOOL_TIMEOUT,
        Some(v) => tool_timeout(v).map_err(|why| format!("tool `{name}`: `timeout` {why}"))?,
    };
    Ok(ToolDecl {
        name,
        description,
        parameters,
        command,
        timeout,
    })
}

/// A declared timeout in seconds, held to [`MAX_TOOL_TIMEOUT`]; an error unless it is a
/// finite number above 0 that a duration can hold. Written by a stranger, so any number
/// (`1e20`, a 30-digit integer) must be taken without panicking, and nonsense is the
/// skill's problem, not quietly read as the maximum.
fn tool_timeout(value: &Value) -> Result<Duration, &'static str> {
    const ABOVE_ZERO: &str = "must be seconds above 0";
    let secs = value
        .as_f64()
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or(ABOVE_ZERO)?;
    let timeout = Duration::try_from_secs_f64(secs)
        .map_err(|_| "is too large to be a number of seconds (at most 600 are used)")?;
    if timeout.is_zero() {
        return Err(ABOVE_ZERO);
    }
    Ok(timeout.min(MAX_TOOL_TIMEOUT))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn def(v: Value) -> Result<Definition, FieldError> {
        Definition::from_fields(v.as_object().unwrap())
    }

    #[test]
    fn openclaw_nanobot_and_pincer_blocks_merge() {
        let d = def(json!({
            "name": "gh",
            "description": "GitHub",
            "metadata": {
                "openclaw": {"emoji": "🐙", "requires": {"bins": ["gh"], "env": ["GH_TOKEN"]}, "os": ["macos"],
                              "install": [{"kind": "brew", "formula": "gh", "bins": ["gh"]}]},
                "nanobot": {"requires": {"anyBins": ["git", "jj"]}, "always": true}
            }
        }))
        .unwrap();
        assert_eq!(d.emoji.as_deref(), Some("🐙"));
        assert_eq!(d.requires.bins, ["gh"]);
        assert_eq!(d.requires.any_bins, ["git", "jj"]);
        assert_eq!(d.requires.env, ["GH_TOKEN"]);
        assert_eq!(d.os, ["darwin"]);
        assert!(d.always);
        assert_eq!(d.install[0].label, "brew install gh");
    }

    #[test]
    fn metadata_as_quoted_json_is_read() {
        let d = def(json!({"name": "a", "description": "b",
            "metadata": "{\"clawdbot\": {\"requires\": {\"env\": [\"X\"]}}}"}))
        .unwrap();
        assert_eq!(d.requires.env, ["X"]);
    }

    #[test]
    fn required_fields_and_names() {
        assert_eq!(def(json!({"description": "b"})).unwrap_err().key, "name");
        assert_eq!(def(json!({"name": "a"})).unwrap_err().key, "description");
        assert!(
            def(json!({"name": "a b", "description": "c"}))
                .unwrap_err()
                .message
                .contains("not ' '")
        );
    }

    #[test]
    fn skill_tools_are_checked() {
        let ok = def(json!({"name": "a", "description": "b", "metadata": {"pincer": {"tools": [
            {"name": "count", "description": "Counts.", "command": ["python3", "scripts/count.py"], "timeout": 5}
        ]}}}))
        .unwrap();
        assert_eq!(ok.tools[0].command, ["python3", "scripts/count.py"]);
        assert_eq!(ok.tools[0].timeout, Duration::from_secs(5));
        let bad = def(
            json!({"name": "a", "description": "b", "metadata": {"pincer": {"tools": [
                {"name": "count", "description": "Counts."}
            ]}}}),
        )
        .unwrap_err();
        assert!(bad.message.contains("no `command`"), "{bad:?}");
    }

    #[test]
    fn any_timeout_number_is_taken_without_panicking() {
        let with = |timeout: Value| {
            def(
                json!({"name": "a", "description": "b", "metadata": {"pincer": {"tools": [
                    {"name": "t", "description": "T.", "command": ["true"], "timeout": timeout}
                ]}}}),
            )
            .map(|d| d.tools[0].timeout)
        };
        // Large but real durations are held to the maximum.
        for large in [json!(601), json!(86_400), json!(1e12)] {
            assert_eq!(with(large.clone()).unwrap(), MAX_TOOL_TIMEOUT, "{large}");
        }
        // Numbers no duration can hold are the skill's problem (`1e20` crashed the loader).
        for huge in [json!(1e20), json!(f64::MAX), json!(u64::MAX), json!(1e300)] {
            let e = with(huge.clone()).unwrap_err();
            assert!(e.message.contains("too large"), "{huge}: {e:?}");
        }
        for bad in [
            json!(1e-300),
            json!(-1),
            json!(0),
            json!(-1e20),
            json!("soon"),
            json!(true),
            json!([1]),
        ] {
            let e = with(bad.clone()).unwrap_err();
            assert!(
                e.message.contains("`timeout` must be seconds above 0"),
                "{bad}: {e:?}"
            );
        }
    }
}
