//! Splits a `SKILL.md` into its YAML frontmatter and Markdown body, and reads the
//! frontmatter's fields. Every failure names the line it is on.

use serde_json::Value;

/// Why a `SKILL.md` could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line in the file, when the problem has one.
    pub line: Option<u32>,
    pub message: String,
}

impl ParseError {
    fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(u32::try_from(line).unwrap_or(u32::MAX)),
            message: message.into(),
        }
    }
}

/// The frontmatter as a JSON value (a mapping), and the body after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub fields: serde_json::Map<String, Value>,
    pub body: String,
    /// The YAML error the frontmatter has, when it was read line by line instead (as
    /// OpenClaw does: `description: Use it when: …` is common and not valid YAML).
    pub tolerated: Option<ParseError>,
}

/// Longest description kept; the AgentSkills format allows 1,024 characters.
pub const MAX_DESCRIPTION: usize = 1024;

/// Reads the raw bytes of a `SKILL.md`.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        ParseError::at(
            line,
            format!(
                "the file is not UTF-8 text (byte {}); save it as UTF-8",
                e.valid_up_to()
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if first.trim_end() != "---" {
        return Err(ParseError::at(
            1,
            "the file must start with a `---` line that opens the YAML frontmatter",
        ));
    }
    let mut yaml = String::new();
    let mut offset = first.len();
    let mut closed = None;
    for (index, line) in lines.enumerate() {
        offset += line.len();
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            closed = Some(index + 2);
            break;
        }
        yaml.push_str(line);
    }
    if closed.is_none() {
        return Err(ParseError::at(
            1,
            "the frontmatter opened on line 1 is never closed with a `---` line",
        ));
    }
    let body = text.get(offset..).unwrap_or_default().to_owned();
    if let Some(line) = too_deep(&yaml) {
        return Err(ParseError::at(
            line + 1,
            format!("the frontmatter nests brackets or braces deeper than {MAX_NESTING} levels"),
        ));
    }
    let value: serde_norway::Value = match serde_norway::from_str(&yaml) {
        Ok(value) => value,
        Err(e) => {
            let error = yaml_error(&e);
            return match line_by_line(&yaml) {
                Some(fields) => Ok(Parsed {
                    fields,
                    body,
                    tolerated: Some(error),
                }),
                None => Err(error),
            };
        }
    };
    let fields = match serde_json::to_value(&value) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => serde_json::Map::new(),
        Ok(_) => {
            return Err(ParseError::at(
                2,
                "the frontmatter must be a mapping of keys to values",
            ));
        }
        Err(e) => {
            return Err(ParseError::at(
                2,
                format!("the frontmatter has values JSON cannot hold: {e}"),
            ));
        }
    };
    Ok(Parsed {
        fields,
        body,
        tolerated: None,
    })
}

/// Deepest `[`/`{` nesting the frontmatter may have. The YAML scanner's work grows with
/// the square of the depth (100,000 `[` took minutes), so deeper text is refused before it
/// is parsed; real metadata nests a few levels.
const MAX_NESTING: usize = 64;

/// The 1-based line of the frontmatter text where brackets and braces first nest deeper
/// than [`MAX_NESTING`] (counted over the raw text, quotes included: erring towards
/// refusing).
fn too_deep(yaml: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1;
    for c in yaml.chars() {
        match c {
            '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(line);
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            '\n' => line += 1,
            _ => {}
        }
    }
    None
}

/// Reads frontmatter that is not valid YAML the way OpenClaw's loader does: one `key:
/// value` per line, the value being the rest of the line; indented lines continue the
/// key above (OpenClaw's multi-line JSON `metadata`). `None` unless it yields both a name
/// and a description, so real mistakes are still reported.
fn line_by_line(yaml: &str) -> Option<serde_json::Map<String, Value>> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in yaml.lines() {
        let continued = line.starts_with([' ', '\t']) || line.trim().is_empty();
        if continued {
            if let Some((_, value)) = entries.last_mut() {
                value.push('\n');
                value.push_str(line);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(':')?;
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return None;
        }
        entries.push((key.to_owned(), value.trim().to_owned()));
    }
    let mut fields = serde_json::Map::new();
    for (key, value) in entries {
        fields.insert(key, loose_value(&value)?);
    }
    let has = |key: &str| {
        fields
            .get(key)
            .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    };
    (has("name") && has("description")).then_some(fields)
}

/// One value of a line-by-line frontmatter. `{…}`, `[…]` and a value written only on the
/// indented lines below its key are YAML (OpenClaw's JSON is YAML too); one of those that
/// does not parse is a real mistake, so `None`, and the YAML error is reported instead.
fn loose_value(value: &str) -> Option<Value> {
    let text = value.trim();
    if text.is_empty() {
        return Some(Value::Null);
    }
    if text.starts_with(['{', '[']) || value.starts_with('\n') {
        let parsed: serde_norway::Value = serde_norway::from_str(value).ok()?;
        return serde_json::to_value(parsed).ok();
    }
    if text.len() >= 2
        && text.starts_with('"')
        && text.ends_with('"')
        && let Ok(Value::String(s)) = serde_json::from_str(text)
    {
        return Some(Value::String(s));
    }
    if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
        return Some(Value::String(text[1..text.len() - 1].replace("''", "'")));
    }
    Some(match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text.to_owned()),
    })
}

/// serde_norway's error with its YAML lines turned into the file's (the YAML starts on the
/// file's second line); an unclosed bracket, brace or quote is reported where it opened.
fn yaml_error(e: &serde_norway::Error) -> ParseError {
    // "did not find expected ',' or ']' at line 7 column 10, while parsing a flow sequence
    // at line 6 column 13"
    let text = e.to_string();
    let noticed = e.location().map_or(1, |l| l.line() + 1);
    let (problem, context) = match text.split_once(", while ") {
        Some((problem, context)) => (problem, Some(context)),
        None => (text.as_str(), None),
    };
    let problem = problem
        .find(" at line ")
        .map_or(problem, |at| &problem[..at]);
    let opened = context.and_then(|context| {
        let (what, at) = context.split_once(" at line ")?;
        let line: usize = at.split_whitespace().next()?.parse().ok()?;
        Some((what, line + 1))
    });
    match opened {
        Some((what, line)) if line != noticed => ParseError::at(
            line,
            format!(
                "invalid YAML: {problem} (while {what} that starts here; noticed on line {noticed})"
            ),
        ),
        _ => ParseError::at(noticed, format!("invalid YAML: {problem}")),
    }
}

/// The line a top-level frontmatter key is written on (for errors about its value).
pub fn key_line(bytes: &[u8], key: &str) -> Option<u32> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .enumerate()
        .skip(1)
        .take_while(|(_, line)| line.trim_end() != "---")
        .find(|(_, line)| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .and_then(|(index, _)| u32::try_from(index + 1).ok())
}

/// A string field, or an error saying it must be one.
pub fn string_field(
    fields: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, String> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(format!("`{key}` must be text")),
    }
}

/// A boolean field; YAML's `true`/`false` and the strings "true"/"false".
pub fn bool_field(
    fields: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<bool>, String> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

/// A list of strings written as a YAML list, or as one string separated by spaces or commas.
pub fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect(),
        // Separated by spaces or commas, except inside parentheses: Claude's
        // `Bash(git add:*), Bash(git status:*)` is two entries.
        Some(Value::String(s)) => {
            let mut items = Vec::new();
            let mut current = String::new();
            let mut depth = 0usize;
            for c in s.chars() {
                match c {
                    '(' => {
                        depth += 1;
                        current.push(c);
                    }
                    ')' => {
                        depth = depth.saturating_sub(1);
                        current.push(c);
                    }
                    c if depth == 0 && (c.is_whitespace() || c == ',') => {
                        if !current.is_empty() {
                            items.push(std::mem::take(&mut current));
                        }
                    }
                    c => current.push(c),
                }
            }
            if !current.is_empty() {
                items.push(current);
            }
            items
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn splits_frontmatter_and_body() {
        let parsed = parse(b"---\nname: a\ndescription: b\n---\n# Body\ntext\n").unwrap();
        assert_eq!(parsed.fields["name"], "a");
        assert_eq!(parsed.body, "# Body\ntext\n");
    }

    #[test]
    fn crlf_and_bom_are_fine() {
        let parsed =
            parse("\u{feff}---\r\nname: a\r\ndescription: b\r\n---\r\nbody".as_bytes()).unwrap();
        assert_eq!(parsed.fields["description"], "b");
        assert_eq!(parsed.body, "body");
    }

    #[test]
    fn yaml_errors_name_the_file_line() {
        let err = parse(b"---\nname: a\ndescription: b\nlist: [1, 2\n: bad\n---\n").unwrap_err();
        assert!(err.line.unwrap() >= 4, "{err:?}");
        assert!(err.message.starts_with("invalid YAML"), "{err:?}");
    }

    #[test]
    fn openclaw_style_lines_that_are_not_yaml_still_load() {
        let parsed = parse(
            b"---\nname: gh\ndescription: Use when: the user asks about PRs\nmetadata:\n  {\n    \"openclaw\": {\"emoji\": \"x\"}\n  }\n---\nbody\n",
        )
        .unwrap();
        assert_eq!(
            parsed.fields["description"],
            "Use when: the user asks about PRs"
        );
        assert_eq!(parsed.fields["metadata"]["openclaw"]["emoji"], "x");
        assert_eq!(parsed.tolerated.unwrap().line, Some(3));
        // Without a name and a description it stays an error.
        assert!(parse(b"---\nname: a: b\n---\n").is_err());
    }

    #[test]
    fn non_utf8_names_the_line() {
        let err = parse(b"---\nname: a\ndescription: caf\xe9\n---\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("UTF-8"), "{err:?}");
    }

    #[test]
    fn unclosed_and_missing_frontmatter() {
        assert!(
            parse(b"# just markdown\n")
                .unwrap_err()
                .message
                .contains("start with")
        );
        assert!(
            parse(b"---\nname: a\n")
                .unwrap_err()
                .message
                .contains("never closed")
        );
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_before_parsing() {
        let deep = format!(
            "---\nname: a\ndescription: b\nx: {}\n---\n",
            "[".repeat(100_000)
        );
        let err = parse(deep.as_bytes()).unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.contains("deeper than 64"), "{err:?}");
        let fine = format!(
            "---\nname: a\ndescription: b\nx: {}{}\n---\n",
            "[".repeat(MAX_NESTING),
            "]".repeat(MAX_NESTING)
        );
        assert!(parse(fine.as_bytes()).is_ok());
    }

    #[test]
    fn lists_from_yaml_or_strings() {
        let v = serde_json::json!(["Read", "Bash(git:*)"]);
        assert_eq!(string_list(Some(&v)), ["Read", "Bash(git:*)"]);
        let v = serde_json::json!("Read, Grep  Bash");
        assert_eq!(string_list(Some(&v)), ["Read", "Grep", "Bash"]);
    }
}
