//! What the engine offers from a catalog: the compact skill index (and the `always` skills)
//! for the system prompt, and the tools. Byte-stable for an unchanged catalog, so the
//! provider's prompt cache keeps working.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::catalog::{Problem, Skill, SkillStatus};
use super::command_tool::CommandTool;
use super::skill_tool::{self, SkillTool};
use crate::text;
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
            push_index_line(&mut out, skill);
        }
    }
    for skill in always {
        out.push_str("\n\n");
        out.push_str(&skill_tool::instructions(skill, None));
    }
    out
}

/// One line of the index: the name and the description cut short.
fn push_index_line(out: &mut String, skill: &Skill) {
    out.push('\n');
    out.push_str(&skill.def.name);
    out.push_str(": ");
    out.push_str(&text::first_line_at_word_unmarked(
        &skill.def.description,
        INDEX_DESCRIPTION_CHARS,
    ));
}

/// Skills a small local window's index lists with a description; the rest by name only.
pub const COMPACT_INDEX_SKILLS: usize = 8;

/// The skills part for a small local window: the first [`COMPACT_INDEX_SKILLS`] ready
/// skills as in the full index, the others by name on one line, and `always` skills by name
/// (loaded with `skill` like the others) rather than in full.
pub fn compact_section(skills: &[Skill]) -> String {
    let ready: Vec<&Skill> = skills
        .iter()
        .filter(|s| s.status == SkillStatus::Ready && s.def.model_invocable)
        .collect();
    if ready.is_empty() {
        return String::new();
    }
    let mut out =
        "\n\nSkills (load one with `skill` before a task it covers and follow it):".to_owned();
    for skill in ready.iter().take(COMPACT_INDEX_SKILLS) {
        push_index_line(&mut out, skill);
    }
    let rest: Vec<&str> = ready
        .iter()
        .skip(COMPACT_INDEX_SKILLS)
        .map(|s| s.def.name.as_str())
        .collect();
    if !rest.is_empty() {
        out.push_str("\nAlso: ");
        out.push_str(&rest.join(", "));
    }
    out
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
