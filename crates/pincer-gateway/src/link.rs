//! A surface's link to the one engine of its data home: the engine itself when it runs in
//! this process, or a running daemon (or desktop app) reached over its authenticated
//! WebSocket. Both speak the same protocol — submissions in, replies and events out — so
//! the CLI and the desktop shell drive an attached engine exactly as an in-process one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use pincer_core::agent::{Engine, LiveTurns};
use pincer_core::protocol::{EngineStatus, OpError, OpErrorKind, Reply, SessionEvent, Submission};
use pincer_core::sync::lock;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::wire::ServerMessage;

/// Events a slow local subscriber of a remote engine may fall behind by.
const REMOTE_CAPACITY: usize = 4096;
/// How long a submission waits for the daemon's answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("could not read the API token {path}: {source}")]
    Token {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not connect to Pincer at {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("Pincer at {url} did not start the conversation as expected: {detail}")]
    Handshake { url: String, detail: String },
}

/// The engine a surface drives. Cheap to clone.
#[derive(Clone)]
pub enum EngineLink {
    Local(Engine),
    Remote(RemoteEngine),
}

impl EngineLink {
    /// Applies a submission; the same validation and answers either way.
    pub async fn submit(&self, submission: Submission) -> Result<Reply, OpError> {
        match self {
            EngineLink::Local(engine) => engine.submit(submission),
            EngineLink::Remote(remote) => remote.submit(submission).await,
        }
    }

    /// What runs now and whether work is paused, then every event after that: nothing
    /// missed or repeated between the two.
    pub fn subscribe_live(&self) -> (EngineStatus, LinkEvents) {
        match self {
            EngineLink::Local(engine) => {
                let (turns, events) = engine.subscribe_live();
                let status = EngineStatus {
                    turns,
                    paused: engine.is_paused(),
                };
                (
                    status,
                    LinkEvents {
                        source: Source::Local {
                            engine: engine.clone(),
                            events,
                        },
                    },
                )
            }
            EngineLink::Remote(remote) => remote.subscribe_live(),
        }
    }

    /// Changes of the engine's paused state.
    pub fn watch_paused(&self) -> watch::Receiver<bool> {
        match self {
            EngineLink::Local(engine) => engine.watch_paused(),
            EngineLink::Remote(remote) => remote.shared.paused.subscribe(),
        }
    }

    pub fn is_paused(&self) -> bool {
        *self.watch_paused().borrow()
    }

    /// The in-process engine, if this is one.
    pub fn local(&self) -> Option<&Engine> {
        match self {
            EngineLink::Local(engine) => Some(engine),
            EngineLink::Remote(_) => None,
        }
    }
}

/// What a subscriber receives: events, or — after it fell behind, or after the link to a
/// remote engine was re-established — a fresh status to start over from.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    Event(SessionEvent),
    Resync(EngineStatus),
}

/// Internal: what the remote task publishes to local subscribers.
#[derive(Debug, Clone)]
enum Published {
    Event(LinkEvent),
    /// The connection closed: nothing more will come.
    Closed,
}

/// The stream behind [`EngineLink::subscribe_live`].
pub struct LinkEvents {
    source: Source,
}

enum Source {
    Local {
        engine: Engine,
        events: broadcast::Receiver<SessionEvent>,
    },
    Remote {
        shared: Arc<RemoteShared>,
        events: broadcast::Receiver<Published>,
    },
}

impl LinkEvents {
    /// The next event, or a resync; `None` once the engine (or the link) is gone for good.
    pub async fn recv(&mut self) -> Option<LinkEvent> {
        match &mut self.source {
            Source::Local { engine, events } => match events.recv().await {
                Ok(event) => Some(LinkEvent::Event(event)),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind; starting it over");
                    let (turns, fresh) = engine.subscribe_live();
                    *events = fresh;
                    Some(LinkEvent::Resync(EngineStatus {
                        turns,
                        paused: engine.is_paused(),
                    }))
                }
                Err(RecvError::Closed) => None,
            },
            Source::Remote { shared, events } => match events.recv().await {
                Ok(Published::Event(event)) => Some(event),
                Ok(Published::Closed) => None,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind; starting it over");
                    let (status, fresh) = shared.subscribe_live();
                    *events = fresh;
                    Some(LinkEvent::Resync(status))
                }
                Err(RecvError::Closed) => None,
            },
        }
    }
}

/// A daemon (or desktop app) serving this data home, reached over its WebSocket with the
/// API token. The connection is kept by a task; it ends when the daemon goes away, and then
/// every waiting submission fails and subscribers see the end of their stream.
#[derive(Clone)]
pub struct RemoteEngine {
    shared: Arc<RemoteShared>,
}

struct RemoteShared {
    url: String,
    outgoing: mpsc::UnboundedSender<String>,
    /// Submissions sent and not answered yet, by id.
    waiting: Mutex<HashMap<String, oneshot::Sender<Result<Reply, OpError>>>>,
    /// The daemon's running turns as its events build them; locked around every publish
    /// so a snapshot and the stream after it never overlap (as in the engine).
    live: Mutex<LiveTurns>,
    events: broadcast::Sender<Published>,
    paused: watch::Sender<bool>,
}

impl RemoteEngine {
    /// Connects to the gateway at `url` (e.g. `http://127.0.0.1:7420`) serving `home`, and
    /// waits for its first snapshot.
    pub async fn connect(home: &Path, url: &str) -> Result<Self, LinkError> {
        let token_path = crate::auth::token::token_path(home);
        let token = std::fs::read_to_string(&token_path).map_err(|source| LinkError::Token {
            path: token_path.display().to_string(),
            source,
        })?;
        let url = url.trim_end_matches('/').to_owned();
        let ws_url = format!(
            "{}/api/ws",
            url.replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1)
        );
        let connect_error = |detail: String| LinkError::Connect {
            url: url.clone(),
            detail,
        };
        let mut request = ws_url
            .as_str()
            .into_client_request()
            .map_err(|e| connect_error(e.to_string()))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|e| connect_error(e.to_string()))?;
        request.headers_mut().insert("authorization", bearer);
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        let (mut sink, mut stream) = socket.split();

        // The first message is always the snapshot.
        let first = loop {
            match stream.next().await {
                Some(Ok(Message::Text(text))) => break text,
                Some(Ok(Message::Close(_))) | None => {
                    return Err(LinkError::Handshake {
                        url,
                        detail: "the connection closed".to_owned(),
                    });
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    return Err(LinkError::Handshake {
                        url,
                        detail: e.to_string(),
                    });
                }
            }
        };
        let (turns, paused) = match serde_json::from_str::<ServerMessage>(first.as_str()) {
            Ok(ServerMessage::Snapshot { turns, paused }) => (turns, paused),
            Ok(_) => {
                return Err(LinkError::Handshake {
                    url,
                    detail: "its first message was not a snapshot".to_owned(),
                });
            }
            Err(e) => {
                return Err(LinkError::Handshake {
                    url,
                    detail: e.to_string(),
                });
            }
        };

        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();
        let (events, _) = broadcast::channel(REMOTE_CAPACITY);
        let shared = Arc::new(RemoteShared {
            url,
            outgoing,
            waiting: Mutex::new(HashMap::new()),
            live: Mutex::new(LiveTurns::from_snapshot(&turns)),
            events,
            paused: watch::Sender::new(paused),
        });
        let task_shared = Arc::downgrade(&shared);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    text = to_send.recv() => match text {
                        Some(text) => {
                            if sink.send(Message::Text(text.into())).await.is_err() {
                                break;
                            }
                        }
                        // Every handle is gone.
                        None => break,
                    },
                    message = stream.next() => {
                        let text = match message {
                            Some(Ok(Message::Text(text))) => text,
                            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                            Some(Ok(_)) => continue,
                        };
                        let Some(shared) = task_shared.upgrade() else { break };
                        shared.receive(text.as_str());
                    }
                }
            }
            let _ = sink.close().await;
            if let Some(shared) = task_shared.upgrade() {
                shared.disconnected();
            }
        });
        Ok(Self { shared })
    }

    pub fn url(&self) -> &str {
        &self.shared.url
    }

    pub async fn submit(&self, submission: Submission) -> Result<Reply, OpError> {
        let id = submission.id.clone();
        let text = serde_json::to_string(&submission)
            .map_err(|e| OpError::new(OpErrorKind::Internal, e.to_string()))?;
        let (answer, answered) = oneshot::channel();
        lock(&self.shared.waiting).insert(id.clone(), answer);
        if self.shared.outgoing.send(text).is_err() {
            lock(&self.shared.waiting).remove(&id);
            return Err(self.shared.gone());
        }
        match tokio::time::timeout(REPLY_TIMEOUT, answered).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(self.shared.gone()),
            Err(_) => {
                lock(&self.shared.waiting).remove(&id);
                Err(OpError::new(
                    OpErrorKind::Internal,
                    format!(
                        "Pincer at {} did not answer within {} s; what was asked may still be carried out",
                        self.shared.url,
                        REPLY_TIMEOUT.as_secs()
                    ),
                ))
            }
        }
    }

    pub fn subscribe_live(&self) -> (EngineStatus, LinkEvents) {
        let (status, events) = self.shared.subscribe_live();
        (
            status,
            LinkEvents {
                source: Source::Remote {
                    shared: self.shared.clone(),
                    events,
                },
            },
        )
    }
}

impl RemoteShared {
    fn subscribe_live(&self) -> (EngineStatus, broadcast::Receiver<Published>) {
        let live = lock(&self.live);
        let status = EngineStatus {
            turns: live.snapshot(),
            paused: *self.paused.borrow(),
        };
        (status, self.events.subscribe())
    }

    fn receive(&self, text: &str) {
        let message = match serde_json::from_str::<ServerMessage>(text) {
            Ok(message) => message,
            Err(e) => {
                // A newer daemon may send messages this build does not know; skip them.
                tracing::debug!(error = %e, "skipped a message from the daemon");
                return;
            }
        };
        match message {
            ServerMessage::Event {
                session,
                submission,
                event,
            } => {
                let mut live = lock(&self.live);
                live.record(&session, &submission, &event);
                let _ = self
                    .events
                    .send(Published::Event(LinkEvent::Event(SessionEvent {
                        session,
                        submission,
                        event,
                    })));
            }
            ServerMessage::Snapshot { turns, paused } => {
                // The daemon dropped events for us: start over from its snapshot.
                let mut live = lock(&self.live);
                *live = LiveTurns::from_snapshot(&turns);
                self.paused.send_replace(paused);
                let _ = self
                    .events
                    .send(Published::Event(LinkEvent::Resync(EngineStatus {
                        turns,
                        paused,
                    })));
            }
            ServerMessage::Paused { paused } => {
                self.paused.send_replace(paused);
            }
            ServerMessage::Reply { submission, reply } => {
                if let Some(answer) = lock(&self.waiting).remove(&submission) {
                    let _ = answer.send(Ok(reply));
                }
            }
            ServerMessage::Error {
                submission: Some(submission),
                kind,
                message,
                ..
            } => {
                if let Some(answer) = lock(&self.waiting).remove(&submission) {
                    let _ = answer.send(Err(OpError::new(kind, message)));
                }
            }
            ServerMessage::Error {
                submission: None,
                message,
                ..
            } => tracing::warn!(message, "the daemon could not read a message of ours"),
            ServerMessage::SessionsChanged | ServerMessage::SkillsChanged => {}
        }
    }

    /// The daemon went away: nothing waiting will be answered, and the streams end.
    fn disconnected(&self) {
        tracing::warn!(url = self.url, "the connection to Pincer closed");
        for (_, answer) in lock(&self.waiting).drain() {
            let _ = answer.send(Err(self.gone()));
        }
        let _ = self.events.send(Published::Closed);
    }

    fn gone(&self) -> OpError {
        OpError::new(
            OpErrorKind::Internal,
            format!("the connection to Pincer at {} closed", self.url),
        )
    }
}
