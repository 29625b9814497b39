//! `pincer`: the command-line surface of the Pincer engine.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

mod chat;
mod cli;
mod context;
mod daemon;
mod doctor;
mod hints;
mod input;
mod interrupts;
mod login;
mod memory;
mod models;
mod render;
mod run;
mod sessions;
mod skills;
mod tasks;
mod usage;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("pincer: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pincer: {}", pincer_core::text::for_terminal(&one_line(&e)));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Run(args) => run::run(&global, args).await,
        Command::Chat(args) => chat::chat(&global, args).await,
        Command::Sessions(args) => sessions::sessions(&global, args).await,
        Command::Usage(args) => usage::usage(&global, args),
        Command::Doctor => doctor::doctor(&global).await,
        Command::Daemon(args) => daemon::daemon(&global, args).await,
        Command::Login => login::login(&global).await,
        Command::Logout(_) => login::logout_all(&global).await,
        Command::Skills(args) => skills::skills(&global, args).await,
        Command::Model(args) => models::models(&global, args).await,
        Command::Memory(args) => memory::memory(&global, args).await,
        Command::Tasks(args) => tasks::tasks(&global, *args).await,
    }
}

/// An error chain on one line: "what failed: because: because".
fn one_line(error: &anyhow::Error) -> String {
    error
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,pincer_core=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PINCER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
