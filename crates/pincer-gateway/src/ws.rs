//! The WebSocket: the engine's Op/Event protocol as JSON. Each connection first gets a
//! snapshot of the running turns, then every event; ops come back as `ClientMessage`s.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt as _, StreamExt as _};
use pincer_core::protocol::{Event, Op};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;
use crate::wire::{ClientMessage, ServerMessage};

/// Pings keep idle connections alive through proxies and reveal dead ones.
const PING_EVERY: Duration = Duration::from_secs(30);
/// Longest accepted client message (a long pasted prompt fits easily).
const MAX_MESSAGE_BYTES: usize = 1 << 20;

pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<Arc<AppState>>) -> Response {
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| run(socket, state))
}

async fn run(socket: WebSocket, state: Arc<AppState>) {
    let (mut sink, mut incoming) = socket.split();
    let (turns, mut events) = state.engine.subscribe_live();
    let mut changes = state.sessions_changed.subscribe();
    let mut skills = state.engine.skills().subscribe();
    skills.mark_unchanged();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    if send(&mut sink, &ServerMessage::Snapshot { turns })
        .await
        .is_err()
    {
        return;
    }
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                Ok(event) => ServerMessage::Event { session: event.session, event: event.event },
                Err(RecvError::Lagged(missed)) => {
                    // Too slow to keep up: start over from a fresh snapshot, never a gap.
                    tracing::warn!(missed, "a client fell behind; sending a new snapshot");
                    let (turns, fresh) = state.engine.subscribe_live();
                    events = fresh;
                    ServerMessage::Snapshot { turns }
                }
                Err(RecvError::Closed) => break,
            },
            change = changes.recv() => match change {
                Ok(()) | Err(RecvError::Lagged(_)) => ServerMessage::SessionsChanged,
                Err(RecvError::Closed) => break,
            },
            changed = skills.changed() => match changed {
                Ok(()) => ServerMessage::SkillsChanged,
                // The engine is gone; the connection ends with it.
                Err(_) => break,
            },
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => match handle(&state, text.as_str()) {
                    Some(reply) => reply,
                    None => continue,
                },
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "websocket read failed");
                    break;
                }
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

/// Applies one client message; returns an error message for the client if it was refused.
fn handle(state: &AppState, text: &str) -> Option<ServerMessage> {
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(message) => message,
        Err(e) => {
            return Some(ServerMessage::Error {
                session: None,
                message: format!("could not read that message: {e}"),
            });
        }
    };
    let refuse = |message: &str| {
        Some(ServerMessage::Error {
            session: Some(message_session(text)),
            message: message.to_owned(),
        })
    };
    if !valid_session_id(&message.session) {
        return refuse("a session id is 1–64 letters, digits, '-' or '_'");
    }
    if let Op::UserTurn { text } = &message.op {
        if text.trim().is_empty() {
            return refuse("the message is empty");
        }
        let store = state.engine.store();
        match store.session_exists(&message.session) {
            Ok(true) => {}
            Ok(false) => {
                if let Err(e) = store.ensure_session(&message.session) {
                    return refuse(&e.to_string());
                }
                state.notify_sessions_changed();
            }
            Err(e) => return refuse(&e.to_string()),
        }
    }
    if !state.engine.session(&message.session).submit(message.op) {
        return refuse("this session has stopped; reload the page");
    }
    None
}

fn message_session(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("session")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn valid_session_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
