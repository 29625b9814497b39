//! `pincer run`, and the turn driver `pincer chat` shares.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use pincer_core::agent::ApprovalMode;
use pincer_core::protocol::{ApprovalDecision, Event, Failure, FailureKind, Op, Submission};
use pincer_core::text::for_terminal_line;
use pincer_gateway::link::{EngineLink, LinkEvent};

use crate::cli::{Global, RunArgs};
use crate::context;
use crate::hints::hint;
use crate::input::Input;
use crate::interrupts::Interrupts;
use crate::render::Renderer;

/// How a turn ended, as the CLI reports it.
#[derive(Debug, PartialEq, Eq)]
pub enum TurnEnd {
    Completed,
    Cancelled,
    StepLimit(u32),
    Failed(Failure),
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
            // The message can quote a provider's error body.
            TurnEnd::Failed(failure) => Some(match hint(failure.kind) {
                Some(hint) => format!("{} — {hint}", for_terminal_line(&failure.message)),
                None => for_terminal_line(&failure.message).into_owned(),
            }),
        }
    }
}

pub async fn run(global: &Global, args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut interrupts = Interrupts::listen();
    let Some(linked) = context::link(global, "pincer run", &mut interrupts).await? else {
        return Ok(TurnEnd::Cancelled.exit_code());
    };
    let id = args.session.unwrap_or_else(context::new_session_id);
    if let EngineLink::Local(local) = &linked.link
        && !args.json
        && let Some(note) = crate::hints::local_model_note_once(&local.settings())
    {
        eprintln!("pincer: {note}");
    }
    let mut input = Input::stdin();
    let mut renderer = Renderer::new();
    let end = drive(
        &linked.link,
        &id,
        args.prompt.join(" "),
        args.approve.mode(),
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
/// `input` and turning Ctrl-C into an interrupt (a second Ctrl-C stops waiting). The same
/// whether the engine runs here or in a daemon: only the link differs.
#[allow(clippy::too_many_arguments)]
pub async fn drive(
    engine: &EngineLink,
    session: &str,
    text: String,
    approvals: ApprovalMode,
    input: &mut Input,
    interrupts: &mut Interrupts,
    renderer: &mut Renderer,
    json: bool,
) -> TurnEnd {
    // Subscribed before submitting, so not one event of the turn can be missed.
    let (_, mut events) = engine.subscribe_live();
    let submission = Submission::fresh(Op::UserTurn {
        session: session.to_owned(),
        text,
        approvals: Some(approvals),
        job: None,
    });
    let id = submission.id.clone();
    if let Err(e) = engine.submit(submission).await {
        return TurnEnd::Failed(Failure::new(FailureKind::Internal, e.message));
    }
    let mut started = false;
    let mut interrupted = false;
    loop {
        let received = tokio::select! {
            () = interrupts.next() => {
                if interrupted {
                    return TurnEnd::Cancelled;
                }
                interrupted = true;
                renderer.note("interrupting… (Ctrl-C again to stop waiting)");
                let interrupt = Submission::fresh(Op::Interrupt { session: session.to_owned() });
                if let Err(e) = engine.submit(interrupt).await {
                    renderer.note(&format!("({})", e.message));
                }
                continue;
            }
            received = events.recv() => received,
        };
        let event = match received {
            // Only this submission's turn: other surfaces may run turns in this session too.
            Some(LinkEvent::Event(event)) if event.submission == id => event,
            Some(LinkEvent::Event(_)) => continue,
            Some(LinkEvent::Resync(status)) => {
                tracing::warn!("the terminal fell behind; some events were skipped");
                // A turn that started and is no longer running ended in the gap; how is in
                // the session's history, not in any event still to come.
                if started && !status.turns.iter().any(|turn| turn.submission == id) {
                    return TurnEnd::Failed(Failure::new(
                        FailureKind::Internal,
                        "lost track of the turn; see the session's history",
                    ));
                }
                continue;
            }
            None => {
                return TurnEnd::Failed(Failure::new(FailureKind::Internal, "the engine stopped"));
            }
        };
        started = true;
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
                let answer = Submission::fresh(Op::Approve {
                    session: session.to_owned(),
                    call_id,
                    decision,
                });
                // Refused when another surface answered first: that answer stands.
                if let Err(e) = engine.submit(answer).await {
                    renderer.note(&format!("({})", e.message));
                }
            }
            Event::TurnCompleted { .. } => return TurnEnd::Completed,
            Event::TurnCancelled { .. } => return TurnEnd::Cancelled,
            Event::StepLimitReached { limit, .. } => return TurnEnd::StepLimit(limit),
            Event::TurnFailed { error, .. } => return TurnEnd::Failed(error),
            _ => {}
        }
    }
}

/// Asks on stderr, reads the answer from stdin. End of input means no. The summary quotes
/// the model's command or path: shown on one line with every control character visible,
/// what the user reads is what runs.
async fn ask(input: &mut Input, summary: &str) -> ApprovalDecision {
    eprint!(
        "? allow: {}\n  [y] once  [s] this session  [a] always  [n] no > ",
        for_terminal_line(summary)
    );
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
