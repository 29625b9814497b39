//! The session actor: receives ops, runs one turn at a time, routes approvals and interrupts.

use std::collections::{HashMap, HashSet, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{Shared, history, idle_flush, turn};
use crate::model::Message;
use crate::protocol::{ApprovalDecision, ApprovalMode, Event, Failure, FailureKind};

/// What the engine sends a session's actor, after [`super::Engine::submit`] validated it.
#[derive(Debug)]
pub(crate) enum Command {
    Turn(Queued),
    Interrupt,
}

/// A user turn waiting for its session to be free.
#[derive(Debug)]
pub(crate) struct Queued {
    /// The submission that asked for it; every event of the turn names it.
    pub(crate) submission: String,
    /// Minted when the submission was accepted (and told to the surface in its reply).
    pub(crate) turn_id: String,
    pub(crate) text: String,
    pub(crate) approvals: ApprovalMode,
    /// A background run's grants, spend cap and model.
    pub(crate) job: Option<crate::protocol::JobTurn>,
}

/// What a running turn shares with its actor.
#[derive(Default)]
pub(crate) struct SessionShared {
    /// Approval requests waiting for an answer, by call id.
    pub(crate) pending: Mutex<HashMap<String, oneshot::Sender<ApprovalDecision>>>,
    /// Patterns granted for the rest of this session.
    pub(crate) granted: Mutex<HashSet<String>>,
}

/// The conversation, moved into a turn and handed back when it ends.
pub(crate) struct SessionState {
    pub(crate) id: String,
    pub(crate) history: Vec<Message>,
    /// Prompt tokens the provider reported for the last request over the engine's estimate
    /// of it: corrects the estimate that decides compaction.
    pub(crate) token_ratio: Option<f64>,
}

type Running = Pin<Box<dyn Future<Output = SessionState> + Send>>;

pub(crate) async fn run(
    shared: Arc<Shared>,
    id: String,
    mut ops: mpsc::UnboundedReceiver<Command>,
    session: Arc<SessionShared>,
) {
    let mut state = match history::load(&shared.store, &id) {
        Ok(history) => Some(SessionState {
            id: id.clone(),
            history,
            token_ratio: None,
        }),
        Err(e) => {
            tracing::error!(session = id, error = %e, "could not load session");
            fail_all(
                &shared,
                &id,
                &mut ops,
                &format!("could not load the session: {e}"),
            )
            .await;
            return;
        }
    };
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut running: Option<(Running, CancellationToken)> = None;
    let mut paused = shared.paused.subscribe();
    loop {
        if running.is_none()
            && !queue.is_empty()
            && !*paused.borrow_and_update()
            && let Some(idle) = state.take()
            && let Some(queued) = queue.pop_front()
        {
            let cancel = CancellationToken::new();
            let future = turn::run(
                shared.clone(),
                session.clone(),
                idle,
                queued,
                cancel.clone(),
            );
            running = Some((Box::pin(future), cancel));
        }
        let op = match running.as_mut() {
            Some((future, _)) => {
                tokio::select! {
                    done = future => {
                        state = Some(done);
                        running = None;
                        continue;
                    }
                    op = ops.recv() => op,
                }
            }
            None if queue.is_empty() => {
                // Idle: stop after a while; the history is reloaded from the store when
                // the next op starts a new actor.
                let idle = shared.config().settings.session_idle;
                match tokio::time::timeout(idle, ops.recv()).await {
                    Ok(op) => op,
                    Err(_) => {
                        // What was said since the last flush is remembered before the
                        // actor goes. A message that comes meanwhile does not wait for
                        // it: the flush is dropped (its mark unmoved, so the next idle
                        // period reads those messages again; facts it saved are not saved
                        // twice).
                        let interrupted = tokio::select! {
                            () = idle_flush::run(&shared, &id) => None,
                            op = ops.recv() => Some(op),
                        };
                        match interrupted {
                            Some(op) => op,
                            None => match shared.retire_or_take(&id, &mut ops) {
                                Some(op) => Some(op),
                                None => {
                                    tracing::debug!(session = id, "idle; its actor stops");
                                    return;
                                }
                            },
                        }
                    }
                }
            }
            // Paused with work queued: wait for an op or for the resume.
            None => {
                tokio::select! {
                    op = ops.recv() => op,
                    changed = paused.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        continue;
                    }
                }
            }
        };
        let Some(op) = op else {
            // Every handle is gone; finish what runs, then stop.
            if let Some((future, _)) = running.take() {
                future.await;
            }
            return;
        };
        match op {
            Command::Turn(queued) => queue.push_back(queued),
            Command::Interrupt => {
                if let Some((_, cancel)) = &running {
                    cancel.cancel();
                }
            }
        }
    }
}

async fn fail_all(
    shared: &Shared,
    id: &str,
    ops: &mut mpsc::UnboundedReceiver<Command>,
    error: &str,
) {
    while let Some(op) = ops.recv().await {
        if let Command::Turn(queued) = op {
            shared.emit(
                id,
                &queued.submission,
                Event::TurnFailed {
                    turn_id: queued.turn_id,
                    error: Failure::new(FailureKind::Internal, error),
                },
            );
        }
    }
}
