//! `pincer chat`: an interactive terminal conversation.

use std::io::Write;
use std::process::ExitCode;

use pincer_core::pricing;
use pincer_core::skills::{self, Library, SkillStatus};
use pincer_core::text::for_terminal_line;
use pincer_gateway::link::EngineLink;

use crate::cli::{ChatArgs, Global};
use crate::context;
use crate::input::Input;
use crate::interrupts::Interrupts;
use crate::render::Renderer;
use crate::run::{TurnEnd, drive};

const HELP: &str = "commands: /new (fresh session)  /sessions  /usage  /skills  /<skill> [what to do]  /help  /quit";

pub async fn chat(global: &Global, args: ChatArgs) -> anyhow::Result<ExitCode> {
    let mut interrupts = Interrupts::listen();
    let Some(linked) = context::link(global, "pincer chat", &mut interrupts).await? else {
        return Ok(ExitCode::from(130));
    };
    let engine = &linked.link;
    // Sessions, usage and skills: the engine's own when it runs here; read from the data
    // home's files when the turns run in a daemon (SQLite in WAL mode lets readers sit
    // beside the writer).
    let attached_store;
    let (settings, store, library) = match engine {
        EngineLink::Local(local) => (local.settings(), local.store(), local.skills().clone()),
        EngineLink::Remote(_) => {
            let settings = context::settings_allowing_no_provider(global)?;
            attached_store = context::store(global)?;
            let library = crate::skills::library(&settings);
            (settings, &attached_store, library)
        }
    };
    let library = &library;
    let provider = match engine {
        EngineLink::Local(_) => settings
            .providers
            .first()
            .map(|p| format!("{} · {}", p.name, p.model))
            .unwrap_or_default(),
        EngineLink::Remote(remote) => format!("attached to {}", remote.url()),
    };
    let mut id = args.session.unwrap_or_else(context::new_session_id);
    let mut input = Input::stdin();
    let mut renderer = Renderer::new();
    eprintln!("pincer chat — {provider} — session {id}\n{HELP}");
    // Attached to a daemon, its data home's settings say the same.
    if let Some(note) = crate::hints::local_model_note(&settings) {
        eprintln!("{note}");
    }
    loop {
        eprint!("\n› ");
        let _ = std::io::stderr().flush();
        let line = tokio::select! {
            line = input.line() => line,
            () = interrupts.next() => None,
        };
        let Some(line) = line else {
            eprintln!();
            return Ok(ExitCode::SUCCESS);
        };
        let text = line.trim();
        match text {
            "" => continue,
            "/quit" | "/exit" => return Ok(ExitCode::SUCCESS),
            "/help" => eprintln!("{HELP}"),
            "/new" => {
                id = context::new_session_id();
                eprintln!("new session {id}");
            }
            "/sessions" => {
                for s in store.sessions()?.iter().take(20) {
                    let mark = if s.id == id { "*" } else { " " };
                    eprintln!(
                        "{mark} {}  {}  {:>4} msgs  {}",
                        s.id,
                        s.updated_at,
                        s.messages,
                        for_terminal_line(&s.title)
                    );
                }
            }
            "/usage" => {
                // Priced as `pincer usage` and the Usage page price it.
                let usage = pricing::price_usage(
                    store.usage_summary(Some(&id))?,
                    &store.usage_slices(Some(&id))?,
                    &settings.pricing,
                );
                let t = &usage.total.totals;
                let estimated = if t.estimated_requests > 0 {
                    format!(
                        " ({} requests estimated: the provider sent no counts)",
                        t.estimated_requests
                    )
                } else {
                    String::new()
                };
                eprintln!(
                    "session {id}: {} requests, {} input tokens ({} cached), {} output tokens, cost {}{estimated}",
                    t.requests,
                    t.input_tokens,
                    t.cached_input_tokens,
                    t.output_tokens,
                    crate::usage::shown(&usage.total.cost)
                );
            }
            "/skills" => {
                let catalog = library.current();
                let usable: Vec<_> = catalog
                    .skills
                    .iter()
                    .filter(|s| s.status == SkillStatus::Ready && s.def.user_invocable)
                    .collect();
                if usable.is_empty() {
                    eprintln!("no skills to start (see `pincer skills list`)");
                }
                for skill in usable {
                    eprintln!(
                        "  /{}  {}",
                        for_terminal_line(&skill.def.name),
                        for_terminal_line(&pincer_core::text::first_line_at_word(
                            &skill.def.description,
                            70
                        ))
                    );
                }
            }
            command if command.starts_with('/') && !names_a_skill(library, command) => {
                eprintln!("unknown command {}; {HELP}", for_terminal_line(command));
            }
            _ => {
                let end = drive(
                    engine,
                    &id,
                    text.to_owned(),
                    args.approve.mode(),
                    &mut input,
                    &mut interrupts,
                    &mut renderer,
                    false,
                )
                .await;
                renderer.finish_line();
                if end != TurnEnd::Completed
                    && let Some(reason) = end.reason()
                {
                    eprintln!("({reason})");
                }
            }
        }
    }
}

/// `/name …` where `name` is a skill: a message for the engine, which starts that skill.
fn names_a_skill(library: &Library, text: &str) -> bool {
    skills::slash_command(text).is_some_and(|(name, _)| library.current().get(name).is_some())
}
