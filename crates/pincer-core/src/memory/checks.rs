//! What makes a memory acceptable, checked the same way for the user's changes
//! (`Op::Memory`) and the model's tools; each answer's message says what to do instead.

use super::markdown;

/// The longest memory: a fact, not a document.
pub const MAX_CHARS: usize = 4000;

/// The text, trimmed, if it is a memory's.
pub fn content(content: &str) -> Result<String, String> {
    let content = content.trim();
    if content.is_empty() {
        return Err("a memory cannot be empty".to_owned());
    }
    let chars = content.chars().count();
    if chars > MAX_CHARS {
        return Err(format!(
            "a memory is at most {MAX_CHARS} characters (a fact, not a document); this one has {chars}"
        ));
    }
    Ok(content.to_owned())
}

/// `fact` (the default) or `preference`.
pub fn kind(kind: Option<&str>) -> Result<String, String> {
    match kind.unwrap_or("fact") {
        kind @ ("fact" | "preference") => Ok(kind.to_owned()),
        other => Err(format!("kind {other:?}: use \"fact\" or \"preference\"")),
    }
}

/// `global` (the default), `contact:<id>` or `chat:<id>`.
pub fn scope(scope: Option<&str>) -> Result<String, String> {
    let scope = scope.unwrap_or("global");
    if markdown::is_scope(scope) {
        Ok(scope.to_owned())
    } else {
        Err(format!(
            "scope {scope:?}: use \"global\", \"contact:<id>\" or \"chat:<id>\""
        ))
    }
}
