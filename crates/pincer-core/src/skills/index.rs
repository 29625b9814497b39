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
            out.push('\n');
            out.push_str(&skill.def.name);
            out.push_str(": ");
            out.push_str(&text::first_line_at_word_unmarked(
                &skill.def.description,
                INDEX_DESCRIPTION_CHARS,
            ));
        }
    }
    for skill in always {
        out.push_str("\n\n");
        out.push_str(&skill_tool::instructions(skill, None));
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
