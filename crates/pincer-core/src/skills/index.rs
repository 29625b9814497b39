//! What the engine offers from a catalog: the compact skill index (and the `always` skills)
//! for the system prompt, and the tools. Byte-stable for an unchanged catalog, so the
//! provider's prompt cache keeps working.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::catalog::{Problem, Skill, SkillStatus};
use super::command_tool::CommandTool;
use super::skill_tool::{self, SkillTool};
use crate::tools::Tool;

/// Characters of a description the index keeps; the rest is one `skill` call away.
pub const INDEX_DESCRIPTION_CHARS: usize = 32;

/// The system prompt's skills part: empty without skills.
pub fn prompt_section(skills: &[Skill]) -> String {
    let listed: Vec<&Skill> = skills
        .iter()
        .filter(|s| s.status == SkillStatus::Ready && s.def.model_invocable && !s.def.always)
        .collect();
    let always: Vec<&Skill> = skills
        .iter()
        .filter(|s| s.status == SkillStatus::Ready && s.def.always)
        .collect();
    let mut out = String::new();
    if !listed.is_empty() {
        out.push_str(
            "\n\nSkills (cut short; load one with `skill` before a task it covers and follow it):",
        );
        for skill in listed {
            out.push('\n');
            out.push_str(&skill.def.name);
            out.push_str(": ");
            out.push_str(&index_line(&skill.def.description, INDEX_DESCRIPTION_CHARS));
        }
    }
    for skill in always {
        out.push_str("\n\n");
        out.push_str(&skill_tool::instructions(skill, None));
    }
    out
}

/// The first line of `text`, cut at a word boundary to at most `max` characters, with a
/// `…` where it was cut mid-sentence.
pub fn one_line(text: &str, max: usize) -> String {
    match cut(text, max) {
        (line, Cut::MidSentence) => format!("{line}…"),
        (line, _) => line,
    }
}

/// [`one_line`] for a list in the prompt whose heading says its entries are cut short:
/// there the `…` would cost tokens on every line and tell the model nothing more.
pub fn index_line(text: &str, max: usize) -> String {
    cut(text, max).0
}

#[derive(PartialEq)]
enum Cut {
    Whole,
    AtSentence,
    MidSentence,
}

fn cut(text: &str, max: usize) -> (String, Cut) {
    let line = crate::store::first_line(text, usize::MAX);
    if line.chars().count() <= max {
        return (line, Cut::Whole);
    }
    let line = line.as_str();
    let end = line.char_indices().nth(max).map_or(line.len(), |(i, _)| i);
    let head = &line[..end];
    // A whole first sentence reads better than a cut one.
    if let Some(end) = head.find(". ").filter(|end| *end >= max / 3) {
        return (line[..=end].to_owned(), Cut::AtSentence);
    }
    let head = match head.rfind(' ') {
        Some(space) if space > max / 2 => &head[..space],
        _ => head,
    };
    (
        head.trim_end_matches([',', ';', ':', '.', ' ']).to_owned(),
        Cut::MidSentence,
    )
}

/// The `skill` tool (when the index lists any skill) and the tools of ready skills, with the
/// skill each belongs to. A tool whose name is taken is left out and reported.
pub fn tools(
    skills: &Arc<Vec<Skill>>,
    taken: &BTreeSet<String>,
    home: Option<&Path>,
    problems: &mut Vec<Problem>,
) -> (BTreeMap<String, Arc<dyn Tool>>, BTreeMap<String, String>) {
    let mut tools: BTreeMap<String, Arc<dyn Tool>> = BTreeMap::new();
    let mut owners = BTreeMap::new();
    let ready: Vec<&Skill> = skills
        .iter()
        .filter(|s| s.status == SkillStatus::Ready)
        .collect();
    if ready.iter().any(|s| s.def.model_invocable && !s.def.always) {
        tools.insert(
            skill_tool::NAME.to_owned(),
            Arc::new(SkillTool::new(Arc::clone(skills))),
        );
    }
    for skill in ready {
        for decl in &skill.def.tools {
            if taken.contains(&decl.name) || tools.contains_key(&decl.name) {
                problems.push(Problem {
                    path: skill.dir.join("SKILL.md").to_string_lossy().into_owned(),
                    line: None,
                    message: format!(
                        "the tool name `{}` is already taken; this skill's tool of that name is not offered",
                        decl.name
                    ),
                });
                continue;
            }
            tools.insert(
                decl.name.clone(),
                Arc::new(CommandTool::new(skill, decl, home)),
            );
            owners.insert(decl.name.clone(), skill.def.name.clone());
        }
    }
    (tools, owners)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_cuts_at_a_word() {
        assert_eq!(one_line("Short.\nMore", 90), "Short.");
        assert_eq!(
            one_line(
                "Forecasts for any city. Use when asked about the weather.",
                40
            ),
            "Forecasts for any city."
        );
        let long = "Search the web for sources, read them and write a summary with citations for every claim made";
        let cut = one_line(long, 40);
        assert!(cut.ends_with('…') && cut.chars().count() <= 41, "{cut}");
        assert!(long.starts_with(cut.trim_end_matches('…')));
        assert_eq!(index_line(long, 40), cut.trim_end_matches('…'));
        assert_eq!(index_line("Short.\nMore", 90), "Short.");
    }
}
