//! `pincer sessions list|show|import`.

use std::process::ExitCode;

use pincer_core::model::Role;
use pincer_core::text::{for_terminal, for_terminal_line};

use anyhow::Context as _;
use pincer_core::protocol::{Op, Reply};

use crate::cli::{Global, SessionsArgs, SessionsCommand};
use crate::context;

pub async fn sessions(global: &Global, args: SessionsArgs) -> anyhow::Result<ExitCode> {
    let store = context::store(global)?;
    match args.command {
        SessionsCommand::Import { file } => return import(global, &file).await,
        SessionsCommand::List { json } => {
            let sessions = store.sessions()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sessions)?);
            } else if sessions.is_empty() {
                println!("no sessions yet");
            } else {
                for s in sessions {
                    println!(
                        "{}  {}  {:>4} msgs  {}",
                        s.id,
                        s.updated_at,
                        s.messages,
                        for_terminal_line(&s.title)
                    );
                }
            }
        }
        SessionsCommand::Show { id, json } => {
            if !store.session_exists(&id)? {
                anyhow::bail!("there is no session {id:?} (see `pincer sessions list`)");
            }
            let messages = store.messages(&id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&messages)?);
                return Ok(ExitCode::SUCCESS);
            }
            for stored in messages {
                let m = &stored.message;
                match m.role {
                    Role::User => println!(
                        "\n[{}] you: {}",
                        stored.created_at,
                        for_terminal(&m.content)
                    ),
                    Role::Assistant => {
                        if !m.content.is_empty() {
                            println!(
                                "\n[{}] pincer: {}",
                                stored.created_at,
                                for_terminal(&m.content)
                            );
                        }
                        for call in &m.tool_calls {
                            println!(
                                "  ⚙ {} {}",
                                for_terminal_line(&call.name),
                                for_terminal_line(&call.arguments)
                            );
                        }
                    }
                    Role::Tool => {
                        let mark = if m.is_error { "✗" } else { "✓" };
                        let first = m.content.lines().next().unwrap_or_default();
                        println!("  {mark} {}", for_terminal_line(first));
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends the file to the engine to import: it reads and checks the whole file first, so a
/// bad line imports nothing and says where it is.
async fn import(global: &Global, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let path =
        std::path::absolute(file).with_context(|| format!("cannot resolve {}", file.display()))?;
    let op = Op::ImportSessions {
        path: path.display().to_string(),
    };
    let Some(reply) = crate::memory::submit(global, "pincer sessions import", op).await? else {
        return Ok(ExitCode::from(130));
    };
    match reply {
        Reply::Imported { added, already } => {
            println!(
                "imported {added} conversations from {} ({already} were imported before); `pincer memory search WORDS` finds them",
                for_terminal_line(&path.display().to_string())
            );
            Ok(ExitCode::SUCCESS)
        }
        other => anyhow::bail!("unexpected answer from the engine: {other:?}"),
    }
}
