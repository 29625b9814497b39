//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "pincer",
    version,
    about = "A small, fast, safe personal AI agent"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// More log output on stderr (-v, -vv). PINCER_LOG takes a tracing filter.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Data folder (config.toml, pincer.db, workspace/); default PINCER_HOME or the platform data folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The agent's working folder; default PINCER_WORKSPACE, config `workspace`, or HOME/workspace.
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one turn to the end and print the reply.
    Run(RunArgs),
    /// Chat in the terminal.
    Chat(ChatArgs),
    /// List and show stored sessions.
    Sessions(SessionsArgs),
    /// Tokens used and what they cost, in total, per model and per session.
    Usage(UsageArgs),
    /// Print the effective configuration and check that the provider answers.
    Doctor,
    /// Serve the web UI and API (loopback only unless told otherwise).
    Daemon(DaemonArgs),
    /// Print a one-time login link for the running daemon's web UI.
    Login,
    /// End browser logins of the running daemon (`--all`: every browser, this one too).
    Logout(LogoutArgs),
    /// List, check, create, enable and disable skills.
    Skills(SkillsArgs),
    /// Local models: list them, register a GGUF file, download a known one, pick the default.
    Model(ModelArgs),
    /// What Pincer remembers: list, search, show, add, edit, pin, forget, undo, export,
    /// import.
    Memory(MemoryArgs),
    /// Background jobs: list, show, add, edit, pause, resume, run now, remove, and the
    /// ledger of their runs. Jobs run while the daemon or the desktop app runs.
    Tasks(Box<TasksArgs>),
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    #[command(subcommand)]
    pub command: TasksCommand,
}

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Every job with its schedule in words and its next run.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One job and its latest runs.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// A new job: PROMPT is what it asks, as you would in a chat.
    Add {
        prompt: String,
        /// `every 20m`, `cron "0 9 * * MON" Europe/Lisbon`, `at 2026-12-08T09:00
        /// Europe/Lisbon` or `at startup`.
        #[arg(long)]
        schedule: String,
        /// A name for lists (default: the prompt's start).
        #[arg(long)]
        name: Option<String>,
        /// Deliver PROMPT as written at each run (a reminder), asking no model.
        #[arg(long)]
        reminder: bool,
        #[command(flatten)]
        options: JobOptionArgs,
    },
    /// Change a job's name, prompt, schedule or options (the others stay).
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        prompt: Option<String>,
        #[arg(long)]
        schedule: Option<String>,
        #[command(flatten)]
        options: JobOptionArgs,
    },
    /// Stop a run: a queued one never starts, a running one stops at once.
    Cancel {
        run: String,
    },
    /// Stop running a job on its schedule (what passes meanwhile is not run later).
    Pause {
        id: String,
    },
    Resume {
        id: String,
    },
    /// Run a job now, outside its schedule.
    Run {
        id: String,
    },
    /// Remove a job (its runs stay in the ledger).
    Rm {
        id: String,
    },
    /// The ledger: runs of every job, or of one, newest first.
    Runs {
        id: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

/// A job's options (docs/scheduler.md); unset ones keep their value (or the default).
#[derive(Debug, Clone, Default, Args)]
pub struct JobOptionArgs {
    /// What runs of instants missed while Pincer was not running: skip, once (the latest;
    /// default) or each:N (the latest N).
    #[arg(long)]
    pub missed: Option<String>,
    /// How late, in seconds, a missed instant may still run (default 3600).
    #[arg(long)]
    pub lateness: Option<i64>,
    /// Stop a run after this many seconds (default 600).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// What a run does with a tool call the policy would ask about: ask (wait for your
    /// answer; default) or deny (refuse it and go on).
    #[arg(long, value_name = "ask|deny")]
    pub unattended: Option<String>,
    /// A tool (`web_fetch`) or approval pattern (`exec:git *`) the job's runs may use
    /// without asking; repeat for more.
    #[arg(long = "allow", value_name = "TOOL_OR_PATTERN")]
    pub allow: Vec<String>,
    /// Where a run's result goes: notify (a desktop notification; default) or none.
    #[arg(long, value_name = "notify|none")]
    pub deliver: Option<String>,
    /// Stop a run once it has spent this many US dollars.
    #[arg(long, value_name = "USD")]
    pub spend_cap: Option<f64>,
    /// A configured provider's name to ask first (e.g. a cheaper model).
    #[arg(long)]
    pub model: Option<String>,
    /// A skill each run uses.
    #[arg(long)]
    pub skill: Option<String>,
}

#[derive(Debug, Args)]
pub struct MemoryArgs {
    #[command(subcommand)]
    pub command: MemoryCommand,
}

#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// Memories, pinned first, then the most recently changed.
    List {
        /// Only this scope: global, contact:<id> or chat:<id>.
        #[arg(long)]
        scope: Option<String>,
        /// Only memories written by: user, agent, tool or untrusted.
        #[arg(long, value_name = "WHO")]
        provenance: Option<String>,
        /// Also forgotten and replaced ones.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Memories and past messages matching QUERY (any language; 1-character Chinese,
    /// Japanese and Korean queries too), best first.
    Search {
        query: String,
        /// At most this many of each.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print JSON: `{"memories": [...], "messages": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// One memory, with where it came from and its history.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Remember TEXT (as said by you).
    Add {
        text: String,
        /// fact (default) or preference.
        #[arg(long)]
        kind: Option<String>,
        /// global (default), contact:<id> or chat:<id>.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Replace a memory's text.
    Edit {
        id: String,
        text: String,
    },
    /// Recall a memory in every conversation of its scope.
    Pin {
        id: String,
    },
    Unpin {
        id: String,
    },
    /// Take a memory out of recall and search (`undo` brings it back).
    Forget {
        id: String,
    },
    /// Revert a memory's latest change.
    Undo {
        id: String,
    },
    /// Write every current memory as a MEMORY.md (to FILE, or standard output).
    Export {
        file: Option<std::path::PathBuf>,
    },
    /// Save the memories a MEMORY.md lists (one per list item); ones already remembered
    /// are left as they are.
    Import {
        file: std::path::PathBuf,
    },
    /// How far memories are embedded for recall by meaning (`[memory.embeddings]`), and
    /// the endpoint's last failure.
    Status {
        /// Print JSON (`null` without an endpoint).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    pub command: ModelCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// The local models of this data home, the default marked, and the ones `pull` knows.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Register a GGUF file where it lies (it is checked, not copied unless --copy).
    Add {
        path: PathBuf,
        /// Copy it into the data home's models/ instead of registering it where it lies.
        #[arg(long)]
        copy: bool,
        /// The name to call it (default: from the file name).
        #[arg(long)]
        name: Option<String>,
        /// Also make it the default.
        #[arg(long)]
        default: bool,
    },
    /// Download a GGUF model by name (see `list`) or URL into the data home's models/,
    /// with progress; an interrupted download resumes, and the file is checked against its
    /// known size and SHA-256.
    Pull {
        /// A known model's name, or an http(s) URL of a .gguf file.
        model: String,
        /// The SHA-256 the file must have (for a URL; known models carry theirs).
        #[arg(long)]
        sha256: Option<String>,
        /// Also make it the default.
        #[arg(long)]
        default: bool,
    },
    /// Make a model the one used when no provider is configured.
    Default { name: String },
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Every browser and app window logged in to the daemon; the API token keeps working.
    #[arg(long, required = true)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct SkillsArgs {
    #[command(subcommand)]
    pub command: SkillsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SkillsCommand {
    /// Every skill with its status, source and what it shadows.
    List {
        /// Print JSON (an array of skills) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One skill: its details, findings and instructions.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Report every problem: files that do not load, missing requirements, vetting
    /// findings. Exits 1 when a file does not load or a skill waits for review.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Create a skill to fill in, in the data home's skills/ (or the workspace's).
    New {
        name: String,
        /// Its one-line description.
        #[arg(long, short)]
        description: Option<String>,
        /// Create it in the workspace's skills/ instead.
        #[arg(long)]
        in_workspace: bool,
    },
    /// Turn a skill on; for one vetting flagged, after you have read why.
    Enable { name: String },
    /// Turn a skill off.
    Disable { name: String },
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = pincer_gateway::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Allow a non-loopback --listen address (anyone who can reach it can try to log in).
    #[arg(long)]
    pub allow_remote: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Approve {
    /// Ask on the terminal (stdin) for every call the policy wants approved.
    Ask,
    /// Approve them all (what the policy denies stays denied).
    Auto,
    /// Refuse them all.
    Deny,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Continue this session (created if new); default a fresh session.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    #[arg(long, value_enum, default_value = "ask")]
    pub approve: Approve,
    /// Print one JSON event per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// What to ask.
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    pub prompt: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Continue this session; default a fresh one.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    #[arg(long, value_enum, default_value = "ask")]
    pub approve: Approve,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(subcommand)]
    pub command: SessionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Sessions, most recent first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// The messages of one session.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Bring past conversations in from FILE: Pincer's JSONL (one message per line) or an
    /// OpenClaw session file (`~/.openclaw/agents/<agent>/sessions/<id>.jsonl`). Each
    /// becomes a searchable session; importing the same file again adds nothing.
    Import { file: std::path::PathBuf },
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Only this session.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    #[arg(long)]
    pub json: bool,
}
