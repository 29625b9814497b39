//! A tool a skill declares in `metadata.pincer.tools`: a program in (or named by) the skill
//! that receives the call's arguments as JSON on stdin, runs in the skill's folder under a
//! timeout, and answers with its output. The policy sees which skill and tool it is.

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;

use super::catalog::{Skill, grant_key};
use super::definition::ToolDecl;
use super::vetting::read_dir;
use crate::tools::exec::{Confinement, Process, run_process};
use crate::tools::secret_env::may_pass;
use crate::tools::{Access, Disclosure, ToolError, ToolOutput, ToolSettings, TypedTool};

/// A skill tool's arguments: any JSON object; the skill declares their schema.
type Arguments = serde_json::Map<String, serde_json::Value>;

pub struct CommandTool {
    skill: String,
    dir: PathBuf,
    decl: ToolDecl,
    trusted: bool,
    /// The skill's content hash when it was loaded (and judged trusted or not).
    hash: String,
    /// Environment variables the skill declares it needs; kept although they look secret.
    keep_env: Vec<String>,
    home: Option<PathBuf>,
}

impl CommandTool {
    pub fn new(skill: &Skill, decl: &ToolDecl, home: Option<&Path>) -> Self {
        let mut keep_env = skill.def.requires.env.clone();
        keep_env.extend(skill.def.primary_env.clone());
        Self {
            skill: skill.def.name.clone(),
            dir: skill.dir.clone(),
            decl: decl.clone(),
            trusted: skill.trusted(),
            hash: skill.hash.clone(),
            keep_env,
            home: home.map(Path::to_path_buf),
        }
    }

    /// The program: a path with a separator is inside the skill folder, a bare name is
    /// looked up on PATH.
    fn program(&self) -> PathBuf {
        let first = self
            .decl
            .command
            .first()
            .map(String::as_str)
            .unwrap_or_default();
        let first = first.replace("{baseDir}", &self.dir.to_string_lossy());
        let path = PathBuf::from(&first);
        if path.is_absolute() || !first.contains(['/', '\\']) {
            path
        } else {
            self.dir.join(path)
        }
    }

    fn command_line(&self) -> String {
        self.decl.command.join(" ")
    }

    /// The declared variables it gets: never Pincer's own or a provider key variable.
    fn passed_env(&self, settings: &ToolSettings) -> Vec<String> {
        self.keep_env
            .iter()
            .filter(|name| may_pass(name, &settings.key_env))
            .cloned()
            .collect()
    }

    /// What the approval says about the environment: the variables passed, and the ones
    /// the skill asked for but does not get.
    fn env_summary(&self, settings: &ToolSettings) -> String {
        let passed = self.passed_env(settings);
        let withheld: Vec<&str> = self
            .keep_env
            .iter()
            .filter(|name| !passed.contains(name))
            .map(String::as_str)
            .collect();
        let mut text = if passed.is_empty() {
            String::new()
        } else {
            format!("; gets the environment variables {}", passed.join(", "))
        };
        if !withheld.is_empty() {
            text.push_str(&format!(
                "; withheld (Pincer's keys): {}",
                withheld.join(", ")
            ));
        }
        text
    }
}

impl TypedTool for CommandTool {
    type Args = Arguments;
    /// The arguments and the content hash the decision was made on.
    type Plan = (Arguments, String);

    fn name(&self) -> &str {
        &self.decl.name
    }

    fn description(&self) -> &str {
        &self.decl.description
    }

    fn disclosure(&self) -> Disclosure {
        Disclosure::OnRequest
    }

    /// The schema the skill declares: data from its SKILL.md, not a Rust type.
    fn parameters(&self) -> serde_json::Value {
        self.decl.parameters.clone()
    }

    /// Hashes the skill's folder now: a skill changed since it was loaded is not trusted,
    /// and a grant covers only the content it was given for.
    fn plan(
        &self,
        args: Arguments,
        settings: &ToolSettings,
    ) -> Result<(Access, (Arguments, String)), ToolError> {
        let hash = read_dir(&self.dir, false).hash;
        let shown =
            crate::text::first_line(&serde_json::Value::from(args.clone()).to_string(), 200);
        let access = Access::SkillTool {
            skill: self.skill.clone(),
            tool: self.decl.name.clone(),
            key: grant_key(&self.dir, &hash),
            trusted: self.trusted && hash == self.hash,
            summary: format!(
                "run `{}` of the skill `{}` ({}) with {shown}{}",
                self.decl.name,
                self.skill,
                self.command_line(),
                self.env_summary(settings)
            ),
        };
        Ok((access, (args, hash)))
    }

    fn run<'a>(
        &'a self,
        (args, decided_on): (Arguments, String),
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            if read_dir(&self.dir, false).hash != decided_on {
                return Err(ToolError::Failed(format!(
                    "the files of the skill `{}` changed after this call was allowed; nothing was run",
                    self.skill
                )));
            }
            let base = self.dir.to_string_lossy();
            let mut env = vec![
                ("PINCER_SKILL_DIR".into(), self.dir.clone().into_os_string()),
                (
                    "PINCER_WORKSPACE".into(),
                    settings.workspace.clone().into_os_string(),
                ),
            ];
            if let Some(home) = &self.home {
                env.push(("PINCER_HOME".into(), home.clone().into_os_string()));
            }
            let input = serde_json::to_vec(&args)
                .map_err(|e| ToolError::InvalidArguments(e.to_string()))?;
            let process = Process {
                program: self.program().into_os_string(),
                args: self
                    .decl
                    .command
                    .iter()
                    .skip(1)
                    .map(|a| a.replace("{baseDir}", &base).into())
                    .collect(),
                cwd: self.dir.clone(),
                env,
                keep_env: self.passed_env(settings),
                stdin: input,
                confinement: Confinement::Sandboxed {
                    ladder: settings.sandbox,
                    network: false,
                },
            };
            let output = run_process(process, settings, self.decl.timeout).await?;
            Ok(ToolOutput::from(output))
        })
    }
}
