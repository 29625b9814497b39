//! `pincer sessions list|show`.

use std::process::ExitCode;

use pincer_core::model::Role;

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
                        s.id, s.updated_at, s.messages, s.title
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
                    Role::User => println!("\n[{}] you: {}", stored.created_at, m.content),
                    Role::Assistant => {
                        if !m.content.is_empty() {
                            println!("\n[{}] pincer: {}", stored.created_at, m.content);
                        }
                        for call in &m.tool_calls {
                            println!("  ⚙ {} {}", call.name, call.arguments);
                        }
                    }
                    Role::Tool => {
                        let mark = if m.is_error { "✗" } else { "✓" };
                        let first = m.content.lines().next().unwrap_or_default();
                        println!("  {mark} {first}");
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
