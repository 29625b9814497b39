//! Skills: folders with a `SKILL.md` (the AgentSkills format also used by OpenClaw, nanobot
//! and Claude) that teach the agent a task. Only a one-line index sits in the prompt; the
//! instructions load on demand through the `skill` tool or `/name` in chat. Skills can
//! declare tools, are gated on what they need, and are vetted for dangerous patterns.

pub mod approvals;
pub mod bundled;
pub mod catalog;
pub mod command_tool;
pub mod definition;
pub mod frontmatter;
pub mod gating;
pub mod index;
pub mod library;
pub mod scaffold;
pub mod skill_tool;
pub mod vetting;

pub use catalog::{Catalog, Problem, Root, Shadowed, Skill, SkillSource, SkillStatus, SkillView};
pub use definition::{SkillFile, parse_skill_file};
pub use library::{Library, SkillsError, roots};
pub use vetting::{Finding, FindingKind};

/// A `/name args` message: the skill name and the rest, if the text starts that way.
pub fn slash_command(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim_start().strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (name, args) = rest.split_at(end);
    if name.is_empty() || definition::check_name(name).is_err() {
        return None;
    }
    Some((name, args.trim()))
}
