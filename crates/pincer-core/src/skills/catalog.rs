//! Loading every skill folder into one catalog: precedence and shadowing, gating, vetting
//! and the user's decisions, and the prompt text and tools the engine offers from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::approvals::Approvals;
use super::definition::Definition;
use super::gating::{self, Environment};
use super::vetting::{self, Finding};
use crate::tools::Tool;

/// Where a skill was found, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SkillSource {
    /// `<workspace>/skills`
    Workspace,
    /// `<home>/skills`
    Home,
    /// `~/.agents/skills`
    Agents,
    /// `[skills] extra_dirs` in config.toml
    Extra,
    /// The skills that ship with Pincer.
    Bundled,
}

impl SkillSource {
    pub fn label(self) -> &'static str {
        match self {
            SkillSource::Workspace => "workspace",
            SkillSource::Home => "home",
            SkillSource::Agents => "~/.agents",
            SkillSource::Extra => "extra",
            SkillSource::Bundled => "bundled",
        }
    }
}

/// A folder of skill folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub source: SkillSource,
    pub dir: PathBuf,
}

/// Whether the agent can use a skill now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SkillStatus {
    Ready,
    /// Something it requires is missing here (`unmet` says what).
    Unavailable,
    /// Vetting found something dangerous; off until the user enables it.
    NeedsReview,
    /// The user turned it off.
    Disabled,
}

/// A skill of the same name that a higher one hides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Shadowed {
    pub source: SkillSource,
    pub path: String,
}

/// A `SKILL.md` that could not be loaded, or something wrong next to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// One loaded skill.
#[derive(Debug, Clone)]
pub struct Skill {
    pub def: Definition,
    pub source: SkillSource,
    /// The skill's folder (what `{baseDir}` expands to).
    pub dir: PathBuf,
    /// The Markdown after the frontmatter, as written.
    pub body: String,
    pub hash: String,
    pub findings: Vec<Finding>,
    /// Requirements not met here.
    pub unmet: Vec<String>,
    pub status: SkillStatus,
    /// The user enabled it with its current content despite findings.
    pub approved: bool,
    /// Created by the user (`pincer skills new`) and unchanged since, or since the user last
    /// enabled it.
    pub authored: bool,
    /// A bundled skill whose files are exactly the copy inside this binary.
    pub shipped: bool,
    pub shadows: Vec<Shadowed>,
}

impl Skill {
    /// The body with `{baseDir}` replaced by the skill's folder.
    pub fn expanded_body(&self) -> String {
        self.body.replace("{baseDir}", &self.dir.to_string_lossy())
    }

    /// Its tools run without asking by default: it ships with Pincer or the user wrote it,
    /// and its files are still the ones that made it so.
    pub fn trusted(&self) -> bool {
        self.shipped || self.authored
    }

    /// What "always" and "for the session" grants for its tools are keyed by: its folder and
    /// its content. A changed skill, or another skill of the same name, inherits nothing.
    pub fn grant_key(&self) -> String {
        grant_key(&self.dir, &self.hash)
    }

    pub fn view(&self) -> SkillView {
        let d = &self.def;
        SkillView {
            name: d.name.clone(),
            description: d.description.clone(),
            source: self.source,
            path: self.dir.to_string_lossy().into_owned(),
            status: self.status,
            unmet: self.unmet.clone(),
            findings: self.findings.clone(),
            approved: self.approved,
            shadows: self.shadows.clone(),
            emoji: d.emoji.clone(),
            homepage: d.homepage.clone(),
            license: d.license.clone(),
            compatibility: d.compatibility.clone(),
            allowed_tools: d.allowed_tools.clone(),
            user_invocable: d.user_invocable,
            model_invocable: d.model_invocable,
            always: d.always,
            primary_env: d.primary_env.clone(),
            install: d.install.iter().map(|h| h.label.clone()).collect(),
            tools: d.tools.iter().map(|t| t.name.clone()).collect(),
            warnings: d.warnings.clone(),
            authored: self.authored,
            hash: self.hash.clone(),
        }
    }
}

/// A skill as the CLI's `--json`, the gateway and the UI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillView {
    pub name: String,
    pub description: String,
    pub source: SkillSource,
    /// The skill's folder.
    pub path: String,
    pub status: SkillStatus,
    /// Why it is unavailable, one reason each ("needs the `gh` binary").
    pub unmet: Vec<String>,
    pub findings: Vec<Finding>,
    /// Enabled by the user with its current findings.
    pub approved: bool,
    pub shadows: Vec<Shadowed>,
    pub emoji: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    pub allowed_tools: Vec<String>,
    pub user_invocable: bool,
    pub model_invocable: bool,
    pub always: bool,
    pub primary_env: Option<String>,
    /// How to install what it needs, as the skill suggests (never run by Pincer).
    pub install: Vec<String>,
    /// Names of the tools it adds.
    pub tools: Vec<String>,
    pub warnings: Vec<String>,
    pub authored: bool,
    pub hash: String,
}

/// Everything the loader looks at besides the skill folders.
pub struct LoadInput<'a> {
    pub roots: &'a [Root],
    pub approvals: &'a Approvals,
    pub here: &'a Environment<'a>,
    /// The data home, given to skill tools as `PINCER_HOME`.
    pub home: Option<&'a Path>,
}

/// Every skill found, the problems met, and what the engine offers from them.
#[derive(Clone, Default)]
pub struct Catalog {
    /// The winner of each name, in name order.
    pub skills: Arc<Vec<Skill>>,
    pub problems: Vec<Problem>,
    /// Appended to the system prompt: the index and the `always` skills.
    pub prompt: String,
    /// The same for a small local window: the index capped (see `index::compact_section`).
    pub compact_prompt: String,
    /// The `skill` tool (when any skill is listed) and the skills' own tools.
    pub tools: BTreeMap<String, Arc<dyn Tool>>,
    /// Which skill each skill tool belongs to, by tool name.
    pub tool_owners: BTreeMap<String, String>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field(
                "skills",
                &self.skills.iter().map(|s| &s.def.name).collect::<Vec<_>>(),
            )
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

/// SKILL.md files larger than this are refused.
const MAX_SKILL_FILE: u64 = 1 << 20;
const SKILL_FILES: &[&str] = &["SKILL.md", "skill.md"];

impl Catalog {
    pub fn get(&self, name: &str) -> Option<&Skill> {
        self.skills
            .binary_search_by(|s| s.def.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.skills.get(i))
    }

    pub fn views(&self) -> Vec<SkillView> {
        self.skills.iter().map(Skill::view).collect()
    }

    /// Reads every root. Never fails: what cannot be read becomes a [`Problem`].
    pub fn load(input: &LoadInput<'_>) -> Self {
        let mut problems = Vec::new();
        let mut by_name: BTreeMap<String, Skill> = BTreeMap::new();
        for root in input.roots {
            for dir in skill_dirs(&root.dir, &mut problems) {
                let Some(skill) = load_one(root.source, &dir, input, &mut problems) else {
                    continue;
                };
                match by_name.get_mut(&skill.def.name) {
                    Some(winner) => winner.shadows.push(Shadowed {
                        source: skill.source,
                        path: skill.dir.to_string_lossy().into_owned(),
                    }),
                    None => {
                        by_name.insert(skill.def.name.clone(), skill);
                    }
                }
            }
        }
        let skills = Arc::new(by_name.into_values().collect::<Vec<Skill>>());
        let prompt = super::index::prompt_section(&skills);
        let compact_prompt = super::index::compact_section(&skills);
        let (tools, tool_owners) =
            super::index::tools(&skills, input.here.tools, input.home, &mut problems);
        Catalog {
            skills,
            problems,
            prompt,
            compact_prompt,
            tools,
            tool_owners,
        }
    }
}

/// The folders under `root` that hold a SKILL.md, sorted by name.
fn skill_dirs(root: &Path, problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            problems.push(Problem {
                path: root.to_string_lossy().into_owned(),
                line: None,
                message: format!("could not list the folder: {e}"),
            });
            return Vec::new();
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    dirs.sort();
    dirs.retain(|dir| skill_file(dir).is_some());
    dirs
}

/// The skill's file: `SKILL.md`, or `skill.md` as OpenClaw also accepts.
fn skill_file(dir: &Path) -> Option<PathBuf> {
    SKILL_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

fn load_one(
    source: SkillSource,
    dir: &Path,
    input: &LoadInput<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Skill> {
    let file = skill_file(dir).unwrap_or_else(|| dir.join(SKILL_FILES[0]));
    let problem = |line: Option<u32>, message: String| Problem {
        path: file.to_string_lossy().into_owned(),
        line,
        message,
    };
    match std::fs::metadata(&file) {
        Ok(meta) if meta.len() > MAX_SKILL_FILE => {
            problems.push(problem(
                None,
                format!("larger than {} KiB", MAX_SKILL_FILE / 1024),
            ));
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            problems.push(problem(None, format!("could not read: {e}")));
            return None;
        }
    }
    let bytes = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(problem(None, format!("could not read: {e}")));
            return None;
        }
    };
    let (mut def, body) = match super::definition::parse_skill_file(&bytes) {
        Ok(file) => (file.def, file.body),
        Err(e) => {
            problems.push(problem(e.line, e.message));
            return None;
        }
    };
    if let Some(folder) = dir.file_name().map(|n| n.to_string_lossy().into_owned())
        && folder != def.name
    {
        def.warnings.push(format!(
            "the folder is named `{folder}` but the skill `{}`",
            def.name
        ));
    }
    // A bundled skill exactly as shipped was reviewed with the code (and a test scans it);
    // everything else is vetted, a bundled copy that was edited too.
    let shipped_hash = (source == SkillSource::Bundled)
        .then(|| dir.file_name())
        .flatten()
        .and_then(|folder| super::bundled::folder_hash(&folder.to_string_lossy()));
    let (scan, shipped) = match shipped_hash {
        Some(expected) => {
            let hashed = vetting::read_dir(dir, false);
            if hashed.hash == expected {
                (hashed, true)
            } else {
                (vetting::read_dir(dir, true), false)
            }
        }
        None => (vetting::read_dir(dir, true), false),
    };
    let findings = scan.findings;
    let decision = input.approvals.get(dir);
    let current = |hash: &Option<String>| hash.as_deref() == Some(scan.hash.as_str());
    // The user enabled the skill with exactly these files.
    let reviewed = decision.is_some_and(|d| d.enabled == Some(true) && current(&d.approved_hash));
    let approved = !findings.is_empty() && reviewed;
    if source == SkillSource::Bundled && !shipped {
        def.warnings.push(
            "its files differ from the copy that ships with Pincer, so it counts as a skill from elsewhere (Pincer restores the copy on its next start)"
                .to_owned(),
        );
    }
    let authored = decision.is_some_and(|d| d.authored && current(&d.authored_hash));
    if decision.is_some_and(|d| d.authored) && !authored {
        def.warnings.push(format!(
            "changed since you made it or last enabled it, so it is no longer treated as yours: its tools ask before running; `pincer skills enable {}` (or Disable, then Enable, in Skills) trusts the current files",
            def.name
        ));
    }
    if def.always && !(shipped || authored || reviewed) {
        // Inlined text reaches the model unasked on every turn; a skill from a cloned repo
        // must not get there before its owner has looked at it.
        def.always = false;
        def.warnings.push(format!(
            "`always` is ignored until you enable this skill with its current files (`pincer skills enable {}`, or Disable, then Enable, in Skills); meanwhile it is listed like the others",
            def.name
        ));
    }
    let unmet = gating::unmet(&def, input.here);
    let status = if decision.is_some_and(|d| d.enabled == Some(false)) {
        SkillStatus::Disabled
    } else if !findings.is_empty() && !approved {
        SkillStatus::NeedsReview
    } else if !unmet.is_empty() {
        SkillStatus::Unavailable
    } else {
        SkillStatus::Ready
    };
    Some(Skill {
        def,
        source,
        dir: dir.to_path_buf(),
        body,
        hash: scan.hash,
        findings,
        unmet,
        status,
        approved,
        authored,
        shipped,
        shadows: Vec::new(),
    })
}

/// The grant key of the skill in `dir` whose content hash is `hash` (see [`Skill::grant_key`]).
pub fn grant_key(dir: &Path, hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let folder = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut hasher = Sha256::new();
    hasher.update(folder.to_string_lossy().as_bytes());
    hasher.update([0]);
    hasher.update(hash.as_bytes());
    hasher
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Names of tools that exist without skills, for gating and for name clashes.
pub fn tool_names<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names.into_iter().map(str::to_owned).collect()
}
