//! `pincer memory search|show`: reading what Pincer remembers. Reads the data home's store
//! beside a running engine (SQLite in WAL mode lets readers in); changes go through the
//! engine.

use std::process::ExitCode;

use pincer_core::text::{for_terminal, for_terminal_line};

use crate::cli::{Global, MemoryArgs, MemoryCommand};
use crate::context;

pub fn memory(global: &Global, args: MemoryArgs) -> anyhow::Result<ExitCode> {
    let store = context::store(global)?;
    match args.command {
        MemoryCommand::Search { query, limit, json } => {
            let memories = store.search_memories(&query, None, limit)?;
            let messages = store.search_messages(&query, limit)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "memories": memories,
                        "messages": messages,
                    }))?
                );
                return Ok(ExitCode::SUCCESS);
            }
            if memories.is_empty() && messages.is_empty() {
                println!("nothing matches {}", for_terminal_line(&query));
            }
            for memory in &memories {
                println!(
                    "{}  [{} · {}]  {}",
                    memory.id,
                    for_terminal_line(&memory.scope),
                    memory.provenance.as_str(),
                    for_terminal_line(&memory.content)
                );
            }
            if !messages.is_empty() {
                if !memories.is_empty() {
                    println!();
                }
                println!("in past conversations:");
            }
            for hit in &messages {
                println!(
                    "  session {}  {}  {}: {}",
                    for_terminal_line(&hit.session_id),
                    hit.created_at,
                    hit.role,
                    for_terminal_line(&excerpt(&hit.content, 160))
                );
            }
        }
        MemoryCommand::Show { id, json } => {
            let Some(memory) = store.memory(&id)? else {
                anyhow::bail!("there is no memory {id:?} (see `pincer memory search`)");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&memory)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("{}", for_terminal(&memory.content));
            println!("id          {}", memory.id);
            println!("kind        {}", for_terminal_line(&memory.kind));
            println!("scope       {}", for_terminal_line(&memory.scope));
            println!("written by  {}", memory.provenance.as_str());
            if let Some(session) = &memory.source_session {
                println!(
                    "from        session {}{}",
                    for_terminal_line(session),
                    memory
                        .source_message
                        .map(|m| format!(", message {m}"))
                        .unwrap_or_default()
                );
            }
            println!("created     {}", memory.created_at);
            println!("updated     {}", memory.updated_at);
            if memory.pinned {
                println!("pinned");
            }
            if let Some(newer) = &memory.superseded_by {
                println!("replaced by {newer}");
            }
            if memory.forgotten {
                println!("forgotten (kept in history)");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first `max` characters of `text` on one line, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}
