//! The built-in tools the model can call. Their names are part of Pincer's contract.
//!
//! A tool parses a call's arguments once into a plan ([`Tool::prepare`]) and says what that
//! plan would touch ([`Prepared::access`]); the policy decides on that before the plan runs. Results longer than the configured limit are
//! offloaded to a file by [`offload`], so no tool has to care about result size itself.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::model::{ImageRef, ToolSpec};

pub mod dispatch;
pub mod edit_file;
pub mod exec;
pub mod find_files;
pub mod grep;
pub mod list_dir;
pub mod offload;
pub mod paths;
pub mod read_file;
pub mod schema;
pub mod secret_env;
pub mod web_fetch;
pub mod write_file;

/// What one tool call would touch. The policy decides allow / ask / deny from this alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Reads a file or folder. `inside` is false when the resolved path leaves the workspace.
    Read { path: PathBuf, inside: bool },
    /// Creates or changes a file. `preview` shows what would be written, for writes the
    /// approval must show in full (under `.git/`).
    Write {
        path: PathBuf,
        inside: bool,
        preview: Option<String>,
    },
    /// Runs a shell command in the workspace, confined as `sandbox` says.
    Exec {
        command: String,
        sandbox: ExecSandbox,
    },
    /// Fetches a URL.
    Network { url: String },
    /// Acts on the desktop: looks at the screen, drives mouse or keyboard, notifies.
    /// `summary` says exactly what, e.g. "click at (120, 40)".
    Desktop {
        kind: DesktopAccess,
        summary: String,
    },
    /// Loads a skill's instructions into the conversation.
    Skill { name: String },
    /// Reads a tool's description and schema (`use_tool` without arguments); touches
    /// nothing.
    Describe { names: Vec<String> },
    /// Reads or changes long-term memory. Every change can be undone from the Memory page.
    Memory {
        action: MemoryAccess,
        summary: String,
    },
    /// Reads (`change: false`) or changes background jobs; `summary` says the job in words.
    Jobs { change: bool, summary: String },
    /// Runs a tool a skill declares. `trusted`: the skill ships with Pincer or the user
    /// wrote it. `key`: the skill's folder and content as a short id, so a grant covers
    /// this skill as it is and no other skill of the same name.
    SkillTool {
        skill: String,
        tool: String,
        key: String,
        trusted: bool,
        summary: String,
    },
}

/// Whether a memory tool reads or changes what is remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryAccess {
    Read,
    Change,
}

/// How an `exec` command is confined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecSandbox {
    /// In the sandbox: writes only in the workspace and a temp folder; sockets only with
    /// `network`.
    Sandboxed { network: bool },
    /// With all the user's rights: the owner chose so for this command's rule.
    Unsandboxed,
}

/// What a desktop automation call does, each with its own policy setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesktopAccess {
    /// Captures the screen or a window.
    Screen,
    /// Moves or clicks the mouse, types or presses keys.
    Input,
    /// Shows a desktop notification.
    Notify,
}

impl Access {
    pub fn read(resolved: paths::Resolved) -> Self {
        Access::Read {
            inside: resolved.readable_inside(),
            path: resolved.path,
        }
    }

    pub fn write(resolved: paths::Resolved) -> Self {
        Access::Write {
            inside: resolved.writable_inside(),
            path: resolved.path,
            preview: None,
        }
    }

    /// A write whose approval shows `preview` when the file is repository metadata
    /// (under a `.git` folder): a changed hook or `core.fsmonitor` runs code later.
    pub fn write_previewed(resolved: paths::Resolved, preview: impl FnOnce() -> String) -> Self {
        let preview = crate::policy::is_git_metadata(&resolved.path).then(preview);
        Access::Write {
            inside: resolved.writable_inside(),
            path: resolved.path,
            preview,
        }
    }
}

/// Text as an approval shows it: whole up to a few pages, else the start and a count.
pub(crate) fn preview(text: &str) -> String {
    const MAX: usize = 4000;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[… {} more bytes]", &text[..end], text.len() - end)
}

/// Limits and settings the tools run under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolSettings {
    /// Canonical path of the agent's working folder; relative paths resolve against it.
    pub workspace: PathBuf,
    /// `exec`: the command is killed after this long.
    pub exec_timeout: Duration,
    /// `exec`: at most this many bytes of stdout+stderr are kept.
    pub exec_output_limit: usize,
    /// `web_fetch`: at most this many bytes of the body are read.
    pub fetch_limit: usize,
    /// `web_fetch`: allow loopback, private and link-local addresses.
    pub fetch_allow_private: bool,
    /// `read_file`: files larger than this are refused (the model can grep instead).
    pub read_limit: usize,
    /// `exec`: the rules whose `sandbox` / `network` settings say how a command runs.
    pub exec_rules: Vec<crate::policy::ExecRule>,
    /// `exec` and skill tools: which sandbox mechanisms may be used.
    pub sandbox: crate::sandbox::Ladder,
    /// Real paths of folders that are never inside the workspace, even when it contains
    /// them, and that a sandboxed command may never change: the data home (its config,
    /// keys and grants) and the user's skill folders.
    pub protected: Vec<PathBuf>,
    /// Environment variables Pincer reads a provider key from: never passed to a command
    /// or a skill tool, whatever they are called.
    pub key_env: Vec<String>,
    /// The real path of the calling session's offloaded outputs, which its reads may reach.
    pub own_output: Option<PathBuf>,
    /// The calling session, for what a tool records about where something came from.
    pub session: Option<String>,
}

impl ToolSettings {
    pub fn new(workspace: PathBuf) -> Self {
        Self {
            workspace,
            exec_timeout: Duration::from_secs(120),
            exec_output_limit: 256 * 1024,
            fetch_limit: 2 * 1024 * 1024,
            fetch_allow_private: false,
            read_limit: 8 * 1024 * 1024,
            exec_rules: Vec::new(),
            sandbox: crate::sandbox::Ladder::default(),
            protected: Vec::new(),
            key_env: secret_env::key_variables(&[]),
            own_output: None,
            session: None,
        }
    }
}

/// A tool failure. The message goes back to the model as the tool result, so it should say
/// what was wrong in words the model can act on.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    #[error("{0}")]
    Failed(String),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

impl ToolError {
    pub fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        ToolError::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}

/// What a tool call returns: text for the model, and images (screenshots) for models that
/// take them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolOutput {
    pub text: String,
    pub images: Vec<ImageRef>,
}

impl ToolOutput {
    pub fn with_image(mut self, image: ImageRef) -> Self {
        self.images.push(image);
        self
    }
}

impl From<String> for ToolOutput {
    fn from(text: String) -> Self {
        Self {
            text,
            images: Vec::new(),
        }
    }
}

/// Runs a tool body that answers with text only.
pub(crate) async fn text_output(
    body: impl Future<Output = Result<String, ToolError>>,
) -> Result<ToolOutput, ToolError> {
    body.await.map(ToolOutput::from)
}

/// The arguments object of a call, from the text the model streamed for it; empty text
/// means no arguments. The message of an error is for the model.
pub fn arguments_object(raw: &str) -> Result<serde_json::Value, ToolError> {
    let raw = if raw.trim().is_empty() { "{}" } else { raw };
    match serde_json::from_str(raw) {
        Ok(args @ serde_json::Value::Object(_)) => Ok(args),
        Ok(_) => Err(ToolError::InvalidArguments(
            "expected a JSON object".to_owned(),
        )),
        Err(e) => Err(ToolError::InvalidArguments(format!(
            "not valid JSON ({e}); send the arguments as one JSON object"
        ))),
    }
}

/// Parses a tool's arguments object into its typed form.
pub fn parse_args<T: DeserializeOwned>(args: &serde_json::Value) -> Result<T, ToolError> {
    T::deserialize(args).map_err(|e| ToolError::InvalidArguments(e.to_string()))
}

/// Whether the request's tools array carries a tool in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// Offered with its full schema in every request.
    Core,
    /// Listed as one line; the model reads its schema with `use_tool { name }` and calls
    /// it with `use_tool { name, arguments }`, so the tools array never changes mid-session (see [`dispatch`]).
    OnRequest,
    /// Listed nowhere: reached through `use_tool` when a message names it (the message
    /// that stands for compacted turns names `expand`), so it costs no prompt until then.
    Hidden,
}

/// A call whose arguments were parsed and checked once: what it would touch, and the run
/// of exactly that plan. Nothing happens until [`Prepared::run`] is called, so the policy
/// decides on [`Prepared::access`] before any side effect.
pub struct Prepared<'a> {
    pub access: Access,
    run: Box<dyn FnOnce() -> BoxFuture<'a, Result<ToolOutput, ToolError>> + Send + 'a>,
}

impl<'a> Prepared<'a> {
    pub fn new(
        access: Access,
        run: impl FnOnce() -> BoxFuture<'a, Result<ToolOutput, ToolError>> + Send + 'a,
    ) -> Self {
        Self {
            access,
            run: Box::new(run),
        }
    }

    /// Runs the prepared plan. Only called after the policy allowed [`Prepared::access`].
    pub fn run(self) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        (self.run)()
    }
}

/// A tool with typed arguments. Its schema is derived from [`TypedTool::Args`]; the
/// arguments are parsed once and turned into a plan once, and both the approval and the
/// run use that plan, so what the user approves is what runs.
pub trait TypedTool: Send + Sync {
    type Args: DeserializeOwned + JsonSchema;
    type Plan: Send;

    fn name(&self) -> &str;
    fn description(&self) -> &str;
    fn disclosure(&self) -> Disclosure {
        Disclosure::Core
    }
    /// For tools listed on request: one line shared by a family of tools (`memory_save`,
    /// `memory_search`, `memory_forget`), so the listing names them together.
    fn index_group(&self) -> Option<&str> {
        None
    }
    /// JSON Schema of the arguments object. Only a tool whose schema is data (a skill's
    /// declared tool) overrides this.
    fn parameters(&self) -> serde_json::Value {
        schema::of::<Self::Args>()
    }
    /// Checks the arguments and decides everything the run will do; no side effects.
    fn plan(
        &self,
        args: Self::Args,
        settings: &ToolSettings,
    ) -> Result<(Access, Self::Plan), ToolError>;
    /// Carries out a plan [`TypedTool::plan`] made.
    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>>;
}

/// What the registry stores: any tool, behind one object-safe interface.
pub trait Tool: Send + Sync {
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    fn disclosure(&self) -> Disclosure;
    /// See [`TypedTool::index_group`].
    fn index_group(&self) -> Option<&str>;
    /// JSON Schema of the arguments object.
    fn parameters(&self) -> serde_json::Value;
    /// Parses the arguments and plans the call. Fails on arguments that do not parse or
    /// make no sense; the message is for the model.
    fn prepare<'a>(
        &'a self,
        arguments: &serde_json::Value,
        settings: &'a ToolSettings,
    ) -> Result<Prepared<'a>, ToolError>;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().to_owned(),
            description: self.description().to_owned(),
            parameters: self.parameters(),
        }
    }
}

impl<T: TypedTool> Tool for T {
    fn name(&self) -> &str {
        TypedTool::name(self)
    }

    fn description(&self) -> &str {
        TypedTool::description(self)
    }

    fn disclosure(&self) -> Disclosure {
        TypedTool::disclosure(self)
    }

    fn index_group(&self) -> Option<&str> {
        TypedTool::index_group(self)
    }

    fn parameters(&self) -> serde_json::Value {
        TypedTool::parameters(self)
    }

    fn prepare<'a>(
        &'a self,
        arguments: &serde_json::Value,
        settings: &'a ToolSettings,
    ) -> Result<Prepared<'a>, ToolError> {
        let (access, plan) = self.plan(parse_args(arguments)?, settings)?;
        Ok(Prepared::new(access, move || self.run(plan, settings)))
    }
}

/// Shortcuts for callers that have no policy to consult (tests, tools run on the user's
/// own command): the engine itself always goes through [`Tool::prepare`].
pub trait ToolExt {
    /// What a call would touch, without running it.
    fn access(
        &self,
        arguments: &serde_json::Value,
        settings: &ToolSettings,
    ) -> Result<Access, ToolError>;
    /// Prepares and runs a call with nothing asked in between.
    fn call<'a>(
        &'a self,
        arguments: serde_json::Value,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>>;
}

impl<T: Tool + ?Sized> ToolExt for T {
    fn access(
        &self,
        arguments: &serde_json::Value,
        settings: &ToolSettings,
    ) -> Result<Access, ToolError> {
        self.prepare(arguments, settings)
            .map(|prepared| prepared.access)
    }

    fn call<'a>(
        &'a self,
        arguments: serde_json::Value,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move { self.prepare(&arguments, settings)?.run().await })
    }
}

/// The tools of a session, kept sorted by name so the tool list is byte-stable.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<String, Arc<dyn Tool>>,
}

impl ToolRegistry {
    /// All built-in tools.
    pub fn builtin() -> Self {
        let mut registry = Self::default();
        for tool in builtin_tools() {
            registry.register(tool);
        }
        registry
    }

    /// Adds a tool; one with the same name is replaced.
    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        self.tools.insert(tool.name().to_owned(), tool);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.tools.keys().map(String::as_str)
    }

    /// Tool specs in name order.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.values().map(|tool| tool.spec()).collect()
    }

    /// The specs offered in full in every request, in name order.
    pub fn core_specs(&self) -> Vec<ToolSpec> {
        self.tools
            .values()
            .filter(|tool| tool.disclosure() == Disclosure::Core)
            .map(|tool| tool.spec())
            .collect()
    }

    /// The tools listed by one line only, in name order.
    pub fn on_request(&self) -> impl Iterator<Item = &Arc<dyn Tool>> + '_ {
        self.tools
            .values()
            .filter(|tool| tool.disclosure() == Disclosure::OnRequest)
    }
}

fn builtin_tools() -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(read_file::ReadFile),
        Arc::new(write_file::WriteFile),
        Arc::new(edit_file::EditFile),
        Arc::new(list_dir::ListDir),
        Arc::new(find_files::FindFiles),
        Arc::new(grep::Grep),
        Arc::new(exec::Exec),
        Arc::new(web_fetch::WebFetch::default()),
    ]
}
