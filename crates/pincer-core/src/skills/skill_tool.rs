//! The `skill` tool: loads one skill's instructions into the conversation when the model
//! (or the user, with `/name`) asks for it. Only the index sits in the prompt; this is how
//! the rest arrives, as a tool result that later turns can read back.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;

use super::catalog::{Skill, SkillStatus};
use crate::tools::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, dispatch};

pub const NAME: &str = "skill";

/// Files listed after the instructions, so the model knows what it may read or run.
const MAX_LISTED_FILES: usize = 40;

pub struct SkillTool {
    skills: Arc<Vec<Skill>>,
}

#[derive(Deserialize, JsonSchema)]
pub struct Args {
    name: String,
}

impl SkillTool {
    pub fn new(skills: Arc<Vec<Skill>>) -> Self {
        Self { skills }
    }

    fn find(&self, name: &str) -> Option<&Skill> {
        let name = name.trim().trim_start_matches('/');
        self.skills.iter().find(|s| s.def.name == name)
    }
}

/// Why a skill cannot be loaded now, or `None` if it can.
fn refusal(skill: &Skill, by_user: bool) -> Option<String> {
    let name = &skill.def.name;
    match skill.status {
        SkillStatus::Ready => {}
        SkillStatus::Unavailable => {
            return Some(format!(
                "the skill `{name}` cannot run here: {}",
                skill.unmet.join("; ")
            ));
        }
        SkillStatus::NeedsReview => {
            return Some(format!(
                "the skill `{name}` is off until the user reviews it in Skills (it looked dangerous)"
            ));
        }
        SkillStatus::Disabled => return Some(format!("the user turned the skill `{name}` off")),
    }
    if by_user && !skill.def.user_invocable {
        return Some(format!("the skill `{name}` cannot be started with /{name}"));
    }
    if !by_user && !skill.def.model_invocable {
        return Some(format!(
            "only the user can start the skill `{name}` (with /{name})"
        ));
    }
    None
}

/// The text a loaded skill becomes: its instructions and what else is in its folder.
pub fn instructions(skill: &Skill, user_args: Option<&str>) -> String {
    let d = &skill.def;
    let mut out = format!(
        "<skill name=\"{}\" folder=\"{}\">\n",
        d.name,
        skill.dir.display()
    );
    if let Some(compat) = &d.compatibility {
        let _ = writeln!(out, "Compatibility: {compat}");
    }
    if !d.allowed_tools.is_empty() {
        let _ = writeln!(
            out,
            "Tools this skill expects to use: {}",
            d.allowed_tools.join(", ")
        );
    }
    if !d.tools.is_empty() {
        let _ = writeln!(
            out,
            "Its own tools (run them with {}; without arguments it returns a tool's parameters):",
            dispatch::USE
        );
        for tool in &d.tools {
            let _ = writeln!(
                out,
                "{}: {}",
                tool.name,
                crate::text::first_line_at_word(
                    &tool.description,
                    super::index::INDEX_DESCRIPTION_CHARS
                )
            );
        }
    }
    out.push_str(skill.expanded_body().trim());
    out.push('\n');
    let files = listed_files(&skill.dir);
    if !files.is_empty() {
        let _ = writeln!(
            out,
            "\nFiles in its folder (relative paths resolve against the folder above): {}",
            files.join(", ")
        );
    }
    out.push_str("</skill>");
    if let Some(args) = user_args.map(str::trim).filter(|a| !a.is_empty()) {
        let _ = write!(out, "\n\nThe user started this skill with: {args}");
    }
    out
}

fn listed_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((at, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.eq_ignore_ascii_case("SKILL.md") && depth == 0 {
                continue;
            }
            if path.is_dir() {
                if depth < 2 {
                    stack.push((path, depth + 1));
                }
            } else if let Ok(relative) = path.strip_prefix(dir) {
                files.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    if files.len() > MAX_LISTED_FILES {
        let more = files.len() - MAX_LISTED_FILES;
        files.truncate(MAX_LISTED_FILES);
        files.push(format!("… and {more} more"));
    }
    files
}

/// Loads `name` for a `/name args` the user typed; an error says why not.
pub fn load_for_user(skills: &[Skill], name: &str, args: &str) -> Result<String, String> {
    let skill = skills
        .iter()
        .find(|s| s.def.name == name)
        .ok_or_else(|| format!("there is no skill named `{name}`"))?;
    match refusal(skill, true) {
        Some(why) => Err(why),
        None => Ok(instructions(skill, Some(args))),
    }
}

/// The `skill` tool as a `/name args` message uses it: it may start skills only the user
/// may start, and passes on what the user wrote after the name.
pub struct UserSkill {
    skills: Arc<Vec<Skill>>,
    args: String,
}

impl UserSkill {
    pub fn new(skills: Arc<Vec<Skill>>, args: &str) -> Self {
        Self {
            skills,
            args: args.to_owned(),
        }
    }
}

impl TypedTool for UserSkill {
    type Args = Args;
    type Plan = String;

    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "Starts the skill the user named with /name."
    }

    fn plan(&self, args: Args, _: &ToolSettings) -> Result<(Access, String), ToolError> {
        let access = Access::Skill {
            name: args.name.clone(),
        };
        Ok((access, args.name))
    }

    fn run<'a>(
        &'a self,
        name: String,
        _: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            load_for_user(&self.skills, &name, &self.args)
                .map(ToolOutput::from)
                .map_err(ToolError::Failed)
        })
    }
}

impl TypedTool for SkillTool {
    type Args = Args;
    type Plan = String;

    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "Load a skill's instructions."
    }

    fn plan(&self, args: Args, _: &ToolSettings) -> Result<(Access, String), ToolError> {
        let access = Access::Skill {
            name: args.name.clone(),
        };
        Ok((access, args.name))
    }

    fn run<'a>(
        &'a self,
        name: String,
        _: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let skill = self.find(&name).ok_or_else(|| {
                let listed: Vec<&str> = self
                    .skills
                    .iter()
                    .filter(|s| refusal(s, false).is_none())
                    .map(|s| s.def.name.as_str())
                    .collect();
                ToolError::Failed(format!(
                    "there is no skill named `{}`; skills: {}",
                    name,
                    listed.join(", ")
                ))
            })?;
            if let Some(why) = refusal(skill, false) {
                return Err(ToolError::Failed(why));
            }
            Ok(ToolOutput::from(instructions(skill, None)))
        })
    }
}
