//! `pincer run`, and the turn driver `pincer chat` shares.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use pincer_core::agent::{Engine, SessionHandle};
use pincer_core::protocol::{ApprovalDecision, Event, Op};
use tokio::sync::broadcast::error::RecvError;

use crate::cli::{Global, RunArgs};
use crate::context;
use crate::input::Input;
use crate::interrupts::Interrupts;
use crate::render::Renderer;

/// How a turn ended, as the CLI reports it.
#[derive(Debug, PartialEq, Eq)]
pub enum TurnEnd {
    Completed,
    Cancelled,
    StepLimit(u32),
    Failed(String),
}

impl TurnEnd {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            TurnEnd::Completed => ExitCode::SUCCESS,
            TurnEnd::Failed(_) => ExitCode::FAILURE,
            TurnEnd::StepLimit(_) => ExitCode::from(3),
            TurnEnd::Cancelled => ExitCode::from(130),
        }
    }

    /// The one-line reason printed on failure.
    pub fn reason(&self) -> Option<String> {
        match self {
            TurnEnd::Completed => None,
            TurnEnd::Cancelled => {
                Some("cancelled; what happened so far is kept in the session".to_owned())
            }
            TurnEnd::StepLimit(limit) => Some(format!(
                "stopped after {limit} model steps (agent.max_steps); continue the session to go on"
            )),
            TurnEnd::Failed(error) => Some(error.clone()),
        }
    }
}

pub async fn run(global: &Global, args: RunArgs) -> anyhow::Result<ExitCode> {
    let engine = context::engine(global, args.approve)?;
    let id = args.session.unwrap_or_else(context::new_session_id);
    let session = engine.session(&id);
    let mut input = Input::stdin();
    let mut interrupts = Interrupts::listen();
    let mut renderer = Renderer::new();
    let end = drive(
        &engine,
        &session,
        args.prompt.join(" "),
        &mut input,
        &mut interrupts,
        &mut renderer,
        args.json,
    )
    .await;
    if !args.json {
        renderer.finish_line();
        if std::io::stderr().is_terminal() {
            eprintln!("(session {id}; continue with --session {id})");
        }
    }
    if let Some(reason) = end.reason() {
        eprintln!("pincer: {reason}");
    }
    Ok(end.exit_code())
}

/// Submits one user turn and follows its events to the end, answering approvals from
/// `input` and turning Ctrl-C into an interrupt (a second Ctrl-C stops waiting).
pub async fn drive(
    engine: &Engine,
    session: &SessionHandle,
    text: String,
    input: &mut Input,
    interrupts: &mut Interrupts,
    renderer: &mut Renderer,
    json: bool,
) -> TurnEnd {
    let mut events = engine.subscribe();
    if !session.submit(Op::UserTurn { text }) {
        return TurnEnd::Failed("the session stopped unexpectedly".to_owned());
    }
    let mut interrupted = false;
    loop {
        let received = tokio::select! {
            () = interrupts.next() => {
                if interrupted {
                    return TurnEnd::Cancelled;
                }
                interrupted = true;
                renderer.note("interrupting… (Ctrl-C again to stop waiting)");
                session.submit(Op::Interrupt);
                continue;
            }
            received = events.recv() => received,
        };
        let event = match received {
            Ok(event) if event.session == session.id() => event,
            Ok(_) => continue,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "the terminal fell behind; some events were skipped");
                continue;
            }
            Err(RecvError::Closed) => return TurnEnd::Failed("the engine stopped".to_owned()),
        };
        if json {
            let mut out = std::io::stdout().lock();
            if let Ok(line) = serde_json::to_string(&event) {
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        } else {
            renderer.event(&event.event);
        }
        match event.event {
            Event::ApprovalRequested {
                call_id, summary, ..
            } => {
                let decision = ask(input, &summary).await;
                session.submit(Op::Approve { call_id, decision });
            }
            Event::TurnCompleted { .. } => return TurnEnd::Completed,
            Event::TurnCancelled { .. } => return TurnEnd::Cancelled,
            Event::StepLimitReached { limit, .. } => return TurnEnd::StepLimit(limit),
            Event::TurnFailed { error, .. } => return TurnEnd::Failed(error),
            _ => {}
        }
    }
}

/// Asks on stderr, reads the answer from stdin. End of input means no.
async fn ask(input: &mut Input, summary: &str) -> ApprovalDecision {
    eprint!("? allow: {summary}\n  [y] once  [s] this session  [a] always  [n] no > ");
    let _ = std::io::stderr().flush();
    let answer = input.line().await.unwrap_or_default();
    let decision = parse_answer(&answer);
    if answer.is_empty() && !std::io::stdin().is_terminal() {
        eprintln!();
    }
    decision
}

fn parse_answer(answer: &str) -> ApprovalDecision {
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "o" | "once" => ApprovalDecision::Once,
        "s" | "session" => ApprovalDecision::Session,
        "a" | "always" => ApprovalDecision::Always,
        _ => ApprovalDecision::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_default_to_no() {
        assert_eq!(parse_answer("Y"), ApprovalDecision::Once);
        assert_eq!(parse_answer(" session "), ApprovalDecision::Session);
        assert_eq!(parse_answer("a"), ApprovalDecision::Always);
        assert_eq!(parse_answer(""), ApprovalDecision::Deny);
        assert_eq!(parse_answer("maybe"), ApprovalDecision::Deny);
    }
}
