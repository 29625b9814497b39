//! `pincer memory …`: what Pincer remembers. Reads (list, search, show, export) open the
//! data home's store beside a running engine (SQLite in WAL mode lets readers in); every
//! change goes to the data home's one engine as an op, so a running daemon or app applies
//! it and every open window hears of it.

use std::process::ExitCode;

use anyhow::Context as _;
use pincer_core::memory::markdown;
use pincer_core::protocol::{MemoryOp, Op, Reply, Submission};
use pincer_core::store::{Memory, MemoryFilter, Provenance, Store};
use pincer_core::text::{for_terminal, for_terminal_line};

use crate::cli::{Global, MemoryArgs, MemoryCommand};
use crate::context;
use crate::interrupts::Interrupts;

pub async fn memory(global: &Global, args: MemoryArgs) -> anyhow::Result<ExitCode> {
    let (done, change) = match args.command {
        MemoryCommand::Add { text, kind, scope } => (
            "saved",
            MemoryOp::Save {
                content: text,
                kind,
                scope,
            },
        ),
        MemoryCommand::Edit { id, text } => ("edited", MemoryOp::Edit { id, content: text }),
        MemoryCommand::Pin { id } => ("pinned", MemoryOp::Pin { id, pinned: true }),
        MemoryCommand::Unpin { id } => ("unpinned", MemoryOp::Pin { id, pinned: false }),
        MemoryCommand::Forget { id } => ("forgot", MemoryOp::Forget { id }),
        MemoryCommand::Undo { id } => ("undone", MemoryOp::Undo { id }),
        MemoryCommand::Import { file } => {
            let markdown = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            ("imported", MemoryOp::Import { markdown })
        }
        MemoryCommand::Status { json } => return status(global, json).await,
        read => return read_only(&context::store(global)?, read),
    };
    let Some(reply) = submit(global, "pincer memory", Op::Memory { change }).await? else {
        return Ok(ExitCode::from(130));
    };
    match reply {
        Reply::Memory { memory, changed } => {
            let what = if changed {
                done
            } else {
                "unchanged (already so)"
            };
            println!(
                "{what}: {}  {}",
                memory.id,
                for_terminal_line(&memory.content)
            );
        }
        Reply::Imported { added, already } => {
            println!("imported {added} memories ({already} were already remembered)");
        }
        other => anyhow::bail!("unexpected answer from the engine: {other:?}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks the data home's engine (the running one's worker is the one embedding) how far
/// memories are embedded.
async fn status(global: &Global, json: bool) -> anyhow::Result<ExitCode> {
    let Some(reply) = submit(global, "pincer memory status", Op::MemoryIndex).await? else {
        return Ok(ExitCode::from(130));
    };
    let Reply::MemoryIndex { status } = reply else {
        anyhow::bail!("unexpected answer from the engine: {reply:?}");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(status) = status else {
        println!(
            "recall goes by words only: no [memory.embeddings] endpoint is configured (see docs/memory.md)"
        );
        return Ok(ExitCode::SUCCESS);
    };
    let done = status.embedded + status.refused;
    let state = if done < status.total {
        "indexing"
    } else {
        "ready"
    };
    println!(
        "recall by meaning: {state}, {} of {} memories embedded with {} at {}",
        status.embedded,
        status.total,
        for_terminal_line(&status.model),
        for_terminal_line(&status.endpoint)
    );
    if status.refused > 0 {
        println!(
            "{} refused by the endpoint (recalled by words only)",
            status.refused
        );
    }
    if let Some(error) = &status.error {
        eprintln!("last failure: {}", for_terminal_line(error));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends `op` to the data home's engine (the running daemon's or app's, else one started
/// here); `None` when Ctrl-C ended the wait for the data home.
pub async fn submit(global: &Global, command: &str, op: Op) -> anyhow::Result<Option<Reply>> {
    let mut interrupts = Interrupts::listen();
    let Some(linked) = context::link_without_provider(global, command, &mut interrupts).await?
    else {
        return Ok(None);
    };
    Ok(Some(linked.link.submit(Submission::fresh(op)).await?))
}

fn read_only(store: &Store, command: MemoryCommand) -> anyhow::Result<ExitCode> {
    match command {
        MemoryCommand::List {
            scope,
            provenance,
            all,
            limit,
            json,
        } => {
            let provenance = provenance
                .map(|p| match p.as_str() {
                    "user" => Ok(Provenance::User),
                    "agent" => Ok(Provenance::Agent),
                    "tool" => Ok(Provenance::Tool),
                    "untrusted" => Ok(Provenance::Untrusted),
                    other => Err(anyhow::anyhow!(
                        "--provenance {other:?}: use user, agent, tool or untrusted"
                    )),
                })
                .transpose()?;
            let memories = store.list_memories(&MemoryFilter {
                scope,
                provenance,
                all,
                limit,
                offset: 0,
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&memories)?);
            } else if memories.is_empty() {
                println!(
                    "nothing remembered yet (`pincer memory add TEXT`, or tell Pincer in a chat)"
                );
            } else {
                for memory in &memories {
                    print_line(memory);
                }
            }
        }
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
                anyhow::bail!("there is no memory {id:?} (see `pincer memory list`)");
            };
            let history = store.memory_history(&id)?.unwrap_or_default();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "memory": memory,
                        "history": history,
                    }))?
                );
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
                println!(
                    "forgotten (kept in history; `pincer memory undo {}` restores it)",
                    memory.id
                );
            }
            println!("history:");
            for change in &history {
                let text = change
                    .after
                    .as_deref()
                    .or(change.before.as_deref())
                    .unwrap_or("");
                println!(
                    "  {}  {:<9} {}",
                    change.at,
                    change.action,
                    for_terminal_line(&excerpt(text, 100))
                );
            }
        }
        MemoryCommand::Export { file } => {
            let memories = store.list_memories(&MemoryFilter::default())?;
            let text = markdown::export(&memories);
            match file {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "wrote {} memories to {}",
                        memories.len(),
                        for_terminal_line(&path.display().to_string())
                    );
                }
                None => print!("{text}"),
            }
        }
        // Changes went to the engine before this was called.
        change => anyhow::bail!("{change:?} is a change, not a read"),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_line(memory: &Memory) {
    let mut marks = String::new();
    if memory.pinned {
        marks.push_str(" pinned");
    }
    if memory.forgotten {
        marks.push_str(" forgotten");
    }
    if memory.superseded_by.is_some() {
        marks.push_str(" replaced");
    }
    println!(
        "{}  [{} · {}{}]  {}",
        memory.id,
        for_terminal_line(&memory.scope),
        memory.provenance.as_str(),
        marks,
        for_terminal_line(&memory.content)
    );
}

/// The first `max` characters of `text` on one line, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}
