//! The WebSocket: the engine's Op/Event protocol as JSON. Each connection first gets a
//! snapshot of the running turns, then every event; ops come back as `ClientMessage`s.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt as _, StreamExt as _};
use pincer_core::protocol::{Event, Op, OpError, OpErrorKind, Submission};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{Caller, WS_PROTOCOL};
use crate::state::AppState;
use crate::wire::ServerMessage;

/// Pings keep idle connections alive through proxies and reveal dead ones.
const PING_EVERY: Duration = Duration::from_secs(30);
/// Longest accepted client message (a long pasted prompt fits easily).
const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Close code telling the page its login ended (4401, by analogy with HTTP 401).
const LOGGED_OUT: u16 = 4401;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    // The page offers `pincer.v1` plus its login key as a second protocol; the answer
    // names only `pincer.v1`, so the key is never echoed.
    ws.protocols([WS_PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| run(socket, state, caller))
}

async fn run(socket: WebSocket, state: Arc<AppState>, caller: Caller) {
    let (mut sink, mut incoming) = socket.split();
    let browser = matches!(caller, Caller::Browser { .. });
    let mut logins_ended = state.auth.logins_ended();
    let (turns, mut events) = state.engine.subscribe_live();
    let mut changes = state.sessions_changed.subscribe();
    let mut skills = state.engine.skills().subscribe();
    skills.mark_unchanged();
    let mut paused = state.engine.watch_paused();
    let snapshot = ServerMessage::Snapshot {
        turns,
        paused: *paused.borrow_and_update(),
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    if send(&mut sink, &snapshot).await.is_err() {
        return;
    }
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                Ok(event) => ServerMessage::Event {
                    session: event.session,
                    submission: event.submission,
                    event: event.event,
                },
                Err(RecvError::Lagged(missed)) => {
                    // Too slow to keep up: start over from a fresh snapshot, never a gap.
                    tracing::warn!(missed, "a client fell behind; sending a new snapshot");
                    let (turns, fresh) = state.engine.subscribe_live();
                    events = fresh;
                    ServerMessage::Snapshot { turns, paused: state.engine.is_paused() }
                }
                Err(RecvError::Closed) => break,
            },
            change = changes.recv() => match change {
                Ok(()) | Err(RecvError::Lagged(_)) => ServerMessage::SessionsChanged,
                Err(RecvError::Closed) => break,
            },
            changed = paused.changed() => match changed {
                Ok(()) => ServerMessage::Paused { paused: *paused.borrow_and_update() },
                Err(_) => break,
            },
            changed = skills.changed() => match changed {
                Ok(()) => ServerMessage::SkillsChanged,
                // The engine is gone; the connection ends with it.
                Err(_) => break,
            },
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => handle(&state, text.as_str()).await,
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "websocket read failed");
                    break;
                }
            },
            changed = logins_ended.changed(), if browser => {
                let valid = changed.is_ok()
                    && state
                        .auth
                        .still_valid(&caller, state.engine.store())
                        .unwrap_or(false);
                if valid {
                    continue;
                }
                let close = CloseFrame { code: LOGGED_OUT, reason: "logged out".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            },
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
                continue;
            }
        };
        // A turn starting or ending changes the session list (title, order, running).
        let list_changed = matches!(
            &outgoing,
            ServerMessage::Event { event, .. } if starts_or_ends_turn(event)
        );
        if send(&mut sink, &outgoing).await.is_err() {
            break;
        }
        if list_changed
            && send(&mut sink, &ServerMessage::SessionsChanged)
                .await
                .is_err()
        {
            break;
        }
    }
}

fn starts_or_ends_turn(event: &Event) -> bool {
    matches!(event, Event::TurnStarted { .. }) || event.ends_turn()
}

async fn send<S>(sink: &mut S, message: &ServerMessage) -> Result<(), ()>
where
    S: futures::Sink<Message> + Unpin,
{
    let text = serde_json::to_string(message).map_err(|e| {
        tracing::error!(error = %e, "could not encode a message");
    })?;
    sink.send(Message::Text(text.into())).await.map_err(|_| ())
}

/// A client's message as a submission, or the error answer naming its id when it had one.
pub(crate) fn decode(text: &str) -> Result<Submission, Box<ServerMessage>> {
    serde_json::from_str(text).map_err(|e| {
        let id = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("id")?.as_str().map(str::to_owned));
        Box::new(ServerMessage::Error {
            submission: id,
            session: None,
            kind: OpErrorKind::Invalid,
            message: format!("could not read that message: {e}"),
        })
    })
}

/// Applies one submission through the engine (which validates it) and answers with its
/// reply or why it was refused, naming the submission either way.
async fn handle(state: &AppState, text: &str) -> ServerMessage {
    let submission = match decode(text) {
        Ok(submission) => submission,
        Err(refusal) => return *refusal,
    };
    let id = submission.id.clone();
    let session = submission.op.session().map(str::to_owned);
    let deletes = matches!(submission.op, Op::DeleteSession { .. });
    let turn = matches!(submission.op, Op::UserTurn { .. });
    // These read folders and files (a history import can be hundreds of megabytes) or
    // write the store: off the async workers, as the REST handlers do.
    let reads_files = matches!(
        submission.op,
        Op::ReloadSkills
            | Op::SetSkillEnabled { .. }
            | Op::ReloadSettings
            | Op::ImportSessions { .. }
            | Op::Memory { .. }
            | Op::MemoryIndex
            | Op::Job { .. }
    );
    let answer = if reads_files {
        let engine = state.engine.clone();
        tokio::task::spawn_blocking(move || engine.submit(submission))
            .await
            .unwrap_or_else(|e| {
                Err(OpError::new(
                    OpErrorKind::Internal,
                    format!("the engine failed: {e}"),
                ))
            })
    } else {
        state.engine.submit(submission)
    };
    match answer {
        Ok(reply) => {
            // A turn may have created its session (it shows once the turn starts, but a
            // paused engine starts nothing); a delete removed one.
            if turn || deletes {
                state.notify_sessions_changed();
            }
            ServerMessage::Reply {
                submission: id,
                reply,
            }
        }
        Err(error) => ServerMessage::Error {
            submission: Some(id),
            session,
            kind: error.kind,
            message: error.message,
        },
    }
}
