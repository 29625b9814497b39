//! `pincer sessions list|show`.

use std::process::ExitCode;

use pincer_core::model::Role;
use pincer_core::text::{for_terminal, for_terminal_line};

use crate::cli::{Global, SessionsArgs, SessionsCommand};
use crate::context;

pub fn sessions(global: &Global, args: SessionsArgs) -> anyhow::Result<ExitCode> {
    let store = context::store(global)?;
    match args.command {
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
