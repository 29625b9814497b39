//! A real gateway on `127.0.0.1:0` over a temporary data home, set up the way `pincer
//! daemon` does it (settings from `<home>/config.toml`), with its model provider pointed at
//! a scripted LLM server. Plus HTTP and WebSocket clients that wait for concrete events
//! with a bounded timeout instead of sleeping.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use pincer_core::agent::{ApprovalMode, Engine, LiveTurn};
use pincer_core::clock::ManualClock;
use pincer_core::config::{FileConfig, Settings};
use pincer_core::protocol::Event;
use pincer_gateway::wire::ServerMessage;
use pincer_gateway::{ConnectionLimits, DesktopHooks, Gateway, GatewayError, GatewayOptions};
use pincer_testkit::ScriptedLlm;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderValue, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest any test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(10);

/// An environment with none of the machine's variables, so a developer's
/// `PINCER_PROVIDER` or `OPENAI_API_KEY` cannot leak into the settings.
const NO_ENV: [(&str, &str); 1] = [("PINCER_GATEWAY_TEST", "1")];

/// The config a fresh test home gets: one OpenAI-dialect provider at the scripted server,
/// and retries that give up quickly.
pub fn config_for(base_url: &str) -> String {
    format!(
        "# written by the gateway tests\n\
         [[providers]]\n\
         preset = \"openai\"\n\
         base_url = \"{base_url}\"\n\
         model = \"test-model\"\n\
         \n\
         [retry]\n\
         max_attempts = 1\n\
         base_delay_ms = 5\n\
         max_delay_ms = 50\n\
         timeout_secs = 10\n"
    )
}

/// Settings from `<home>/config.toml` (+ secrets.toml), as the daemon reads them.
pub fn settings_from_home(home: &Path) -> Settings {
    let file = FileConfig::load(home).expect("config.toml loads");
    Settings::resolve_allowing_no_provider(home.to_path_buf(), file, &NO_ENV, None)
        .expect("settings resolve")
}

/// An engine over `home` as the daemon starts it: settings from the file, approvals asked.
pub fn engine_for(home: &Path) -> Engine {
    Engine::start(settings_from_home(home), ApprovalMode::Ask).expect("engine starts")
}

pub struct TestGateway {
    pub home: tempfile::TempDir,
    pub llm: ScriptedLlm,
    /// A clone of the engine the gateway serves.
    pub engine: Engine,
    pub addr: SocketAddr,
    /// The code obtained from `Gateway::login_code` before serving (what the daemon prints).
    first_code: std::sync::Mutex<Option<String>>,
    /// A browser login, made on first use by [`TestGateway::browser_login`].
    browser: tokio::sync::OnceCell<BrowserLogin>,
    /// The desktop shell's hooks this gateway was given, if any.
    desktop: Option<Arc<dyn DesktopHooks>>,
    /// The clock of the login codes: it stands still until a test advances it.
    pub clock: Arc<ManualClock>,
    server: Server,
}

/// The serving task; stopped when dropped.
struct Server {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), GatewayError>>>,
}

impl Server {
    /// Stops serving and waits (bounded) for the gateway to finish.
    async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Graceful shutdown waits for open requests; none should be open, but an idle
            // client connection must not stall the test.
            match tokio::time::timeout(WAIT, &mut task).await {
                Ok(result) => result
                    .expect("serve task")
                    .unwrap_or_else(|e| panic!("gateway stopped with an error: {e}")),
                Err(_) => task.abort(),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl TestGateway {
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A gateway as the desktop shell runs it, with these hooks.
    pub async fn start_desktop(hooks: Arc<dyn DesktopHooks>) -> Self {
        Self::start_with(Some(hooks)).await
    }

    async fn start_with(desktop: Option<Arc<dyn DesktopHooks>>) -> Self {
        Self::start_full(desktop, ConnectionLimits::default()).await
    }

    /// A gateway over a data home `prepare` fills in; no config.toml is written for it
    /// (the scripted LLM runs, but nothing points at it unless `prepare` does).
    pub async fn start_in(prepare: impl FnOnce(&Path)) -> Self {
        let llm = ScriptedLlm::start_in_background();
        let home = tempfile::tempdir().expect("tempdir");
        prepare(home.path());
        Self::serve(
            home,
            llm,
            None,
            Arc::new(ManualClock::new()),
            ConnectionLimits::default(),
        )
        .await
    }

    /// A gateway with these connection limits (short timeouts, small caps).
    pub async fn start_with_limits(limits: ConnectionLimits) -> Self {
        Self::start_full(None, limits).await
    }

    async fn start_full(desktop: Option<Arc<dyn DesktopHooks>>, limits: ConnectionLimits) -> Self {
        let llm = ScriptedLlm::start_in_background();
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::write(home.path().join("config.toml"), config_for(&llm.base_url()))
            .expect("write config.toml");
        Self::serve(home, llm, desktop, Arc::new(ManualClock::new()), limits).await
    }

    async fn serve(
        home: tempfile::TempDir,
        llm: ScriptedLlm,
        desktop: Option<Arc<dyn DesktopHooks>>,
        clock: Arc<ManualClock>,
        limits: ConnectionLimits,
    ) -> Self {
        let engine = engine_for(home.path());
        let mut gateway = Gateway::bind_with_clock(
            engine.clone(),
            home.path().to_path_buf(),
            GatewayOptions {
                listen: "127.0.0.1:0".parse().unwrap(),
                allow_remote: false,
                extra_origins: Vec::new(),
                workspace_override: None,
                desktop: desktop.clone(),
            },
            clock.clone(),
        )
        .await
        .unwrap_or_else(|e| panic!("gateway binds: {e}"));
        gateway.set_connection_limits(limits);
        let addr = gateway.local_addr().expect("local addr");
        let code = gateway.login_code().expect("login code");
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(gateway.serve(async move {
            let _ = stop.await;
        }));
        Self {
            home,
            llm,
            engine,
            addr,
            first_code: std::sync::Mutex::new(Some(code)),
            browser: tokio::sync::OnceCell::new(),
            desktop,
            clock,
            server: Server {
                shutdown: Some(shutdown),
                task: Some(task),
            },
        }
    }

    /// Stops this gateway and starts a new engine and gateway over the same data home, as
    /// after `pincer daemon` is restarted. The new one listens on a new port.
    pub async fn restart(self) -> Self {
        let Self {
            home,
            llm,
            engine,
            server,
            desktop,
            clock,
            ..
        } = self;
        server.stop().await;
        drop(engine);
        Self::serve(home, llm, desktop, clock, ConnectionLimits::default()).await
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The folder the agent's file tools work in.
    pub fn workspace(&self) -> PathBuf {
        self.engine.settings().workspace
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What a browser showing this gateway's page sends as `Origin`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API token from `<home>/gateway.token`.
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.home().join("gateway.token"))
            .expect("read gateway.token")
            .trim()
            .to_owned()
    }

    /// The login code the gateway issued before serving; only once.
    pub fn take_first_code(&self) -> String {
        self.first_code
            .lock()
            .unwrap()
            .take()
            .expect("the first login code was already used")
    }

    /// A new one-time code, minted over the API with the token (what `pincer login` does).
    pub async fn fresh_code(&self) -> String {
        let response = reqwest::Client::new()
            .post(self.url("/api/login-codes"))
            .bearer_auth(self.token())
            .send()
            .await
            .expect("POST /api/login-codes");
        assert_eq!(response.status(), StatusCode::OK, "minting a login code");
        let body: Value = response.json().await.expect("login code JSON");
        body["code"].as_str().expect("code").to_owned()
    }

    /// A client with a cookie jar and no login.
    pub fn anonymous(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    /// A client that sends the API token on every request, like a script would.
    pub fn bearer_client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", self.token())).unwrap(),
        );
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client")
    }

    /// The name of this gateway's login cookie (it names the port).
    pub fn cookie_name(&self) -> String {
        format!("pincer_session_{}", self.addr.port())
    }

    /// Logs in with a fresh one-time code; returns a browser-like client (its jar holds the
    /// cookie, and it sends the key header on every request, as the page does) and the
    /// login's two secrets.
    pub async fn login(&self) -> (reqwest::Client, BrowserLogin) {
        let code = self.fresh_code().await;
        self.login_with_code(&code).await
    }

    /// [`TestGateway::login`] with a given code.
    pub async fn login_with_code(&self, code: &str) -> (reqwest::Client, BrowserLogin) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("client");
        let response = post_json(&client, &self.url("/api/login"), &json!({ "code": code })).await;
        assert_eq!(response.status(), StatusCode::OK, "login");
        let cookie = login_cookie(&response).expect("the login sets a pincer_session_PORT cookie");
        let body: Value = response.json().await.expect("login answers JSON");
        let key = body["key"]
            .as_str()
            .expect("the login answers a key")
            .to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(KEY_HEADER, HeaderValue::from_str(&key).unwrap());
        let client = reqwest::Client::builder()
            .cookie_provider(jar)
            .default_headers(headers)
            .build()
            .expect("client");
        (client, BrowserLogin { cookie, key })
    }

    /// A browser-like client: logged in with a one-time code, cookie in its jar, key sent.
    pub async fn logged_in_client(&self) -> reqwest::Client {
        self.login().await.0
    }

    /// A browser login for this gateway (made once, then reused).
    pub async fn browser_login(&self) -> BrowserLogin {
        self.browser
            .get_or_init(|| async { self.login().await.1 })
            .await
            .clone()
    }

    /// Opens the WebSocket the way the page does (login cookie and key, the page's own
    /// Origin) and reads the first message, which must be a snapshot.
    pub async fn ws(&self) -> Ws {
        let login = self.browser_login().await;
        self.ws_connect(WsAuth::Browser(login), Some(self.origin()))
            .await
            .unwrap_or_else(|e| panic!("WebSocket connects: {e}"))
    }

    /// Opens the WebSocket with the given credentials and `Origin` header. On success the
    /// first message (which must be a snapshot) has been read into [`Ws::snapshot`].
    pub async fn ws_connect(
        &self,
        auth: WsAuth,
        origin: Option<String>,
    ) -> Result<Ws, tungstenite::Error> {
        let mut request = format!("ws://{}/api/ws", self.addr)
            .into_client_request()
            .expect("request");
        let headers = request.headers_mut();
        let cookie = |value: &str| {
            HeaderValue::from_str(&format!("{}={value}", self.cookie_name())).unwrap()
        };
        match auth {
            WsAuth::None => {}
            WsAuth::CookieOnly(value) => {
                headers.insert(COOKIE, cookie(&value));
            }
            WsAuth::Browser(login) => {
                headers.insert(COOKIE, cookie(&login.cookie));
                headers.insert(
                    "sec-websocket-protocol",
                    HeaderValue::from_str(&format!("pincer.v1, pincer.key.{}", login.key)).unwrap(),
                );
            }
            WsAuth::Bearer(token) => {
                headers.insert(
                    AUTHORIZATION,
                    HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
                );
            }
        }
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(&origin).unwrap());
        }
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("the WebSocket handshake did not finish within 10 s")?;
        let mut ws = Ws {
            stream,
            snapshot: Vec::new(),
        };
        let first = ws.next_raw().await;
        assert_eq!(
            first["type"], "snapshot",
            "the first message on a connection must be a snapshot: {first}"
        );
        match serde_json::from_value(first).expect("snapshot parses") {
            ServerMessage::Snapshot { turns, .. } => ws.snapshot = turns,
            other => panic!("expected a snapshot, got {other:?}"),
        }
        Ok(ws)
    }

    /// `GET path` with `client`; the status and the JSON body (Null if not JSON).
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> (StatusCode, Value) {
        let response = client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        status_and_json(response).await
    }

    /// The sessions the list shows, as (id, title).
    pub async fn session_list(
        &self,
        client: &reqwest::Client,
        query: &str,
    ) -> Vec<(String, String)> {
        let path = if query.is_empty() {
            "/api/sessions".to_owned()
        } else {
            format!("/api/sessions?q={query}")
        };
        let (status, body) = self.get(client, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body.as_array()
            .expect("a list")
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().unwrap().to_owned(),
                    s["title"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

pub enum WsAuth {
    None,
    /// The login cookie without its key: what another local web server could steal.
    CookieOnly(String),
    /// The cookie plus the key as a WebSocket protocol, as the page sends them.
    Browser(BrowserLogin),
    Bearer(String),
}

/// The two secrets of a browser login.
#[derive(Debug, Clone)]
pub struct BrowserLogin {
    pub cookie: String,
    pub key: String,
}

/// The header that carries a browser login's key.
pub const KEY_HEADER: &str = "x-pincer-key";

pub async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> reqwest::Response {
    client
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

pub async fn status_and_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body)
}

/// Asserts an API error: the status and a `{"error": "..."}` body with a non-empty message;
/// returns the message.
pub async fn expect_error(response: reqwest::Response, status: StatusCode) -> String {
    let url = response.url().clone();
    let (got, body) = status_and_json(response).await;
    assert_eq!(got, status, "{url}: {body}");
    let message = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{url}: the body is not {{\"error\": ...}}: {body}"));
    assert!(!message.trim().is_empty(), "{url}: empty error message");
    message.to_owned()
}

/// The value of the `pincer_session_PORT` cookie a response sets.
pub fn login_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("pincer_session_"))
        .find_map(|v| v.split_once('='))
        .map(|(_, rest)| rest.split(';').next().unwrap_or_default().to_owned())
}

/// A WebSocket connection to the gateway.
pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The running turns the connection's first message reported.
    pub snapshot: Vec<LiveTurn>,
}

impl Ws {
    pub async fn send_text(&mut self, text: &str) {
        tokio::time::timeout(WAIT, self.stream.send(Message::Text(text.into())))
            .await
            .expect("sending on the WebSocket took over 10 s")
            .expect("WebSocket send");
    }

    /// Sends `op` about `session` as a submission with a fresh id; returns the id.
    pub async fn send_op(&mut self, session: &str, mut op: Value) -> String {
        op["session"] = json!(session);
        let id = format!("t-{}", uuid::Uuid::new_v4().simple());
        let message = json!({ "id": id, "op": op });
        self.send_text(&message.to_string()).await;
        id
    }

    pub async fn user_turn(&mut self, session: &str, text: &str) -> String {
        self.send_op(session, json!({ "type": "user_turn", "text": text }))
            .await
    }

    pub async fn approve(&mut self, session: &str, call_id: &str, decision: &str) {
        self.send_op(
            session,
            json!({ "type": "approve", "call_id": call_id, "decision": decision }),
        )
        .await;
    }

    pub async fn interrupt(&mut self, session: &str) {
        self.send_op(session, json!({ "type": "interrupt" })).await;
    }

    /// The next server message as JSON; fails the test after 10 s of silence or if the
    /// connection closes.
    pub async fn next_raw(&mut self) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.stream.next())
                .await
                .expect("no WebSocket message within 10 s")
                .expect("the server closed the WebSocket")
                .expect("WebSocket read");
            match message {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("the server sent invalid JSON ({e}): {text}"));
                }
                Message::Close(frame) => panic!("the server closed the WebSocket: {frame:?}"),
                // Pings are answered by tungstenite; nothing else is expected.
                _ => continue,
            }
        }
    }

    /// Reads messages until one matches `pick`; returns it and everything before it.
    /// Fails with `what` and what was seen when nothing matches within 10 s.
    pub async fn next_matching(
        &mut self,
        what: &str,
        pick: impl Fn(&ServerMessage) -> bool,
    ) -> (ServerMessage, Vec<ServerMessage>) {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let raw = match tokio::time::timeout(left, self.next_raw()).await {
                Ok(raw) => raw,
                Err(_) => panic!("waited 10 s for {what}; saw only: {seen:#?}"),
            };
            let message: ServerMessage = serde_json::from_value(raw.clone())
                .unwrap_or_else(|e| panic!("unexpected server message ({e}): {raw}"));
            if pick(&message) {
                return (message, seen);
            }
            seen.push(message);
        }
    }

    /// Reads until an event of `session` matches `pick`; returns it and the session's
    /// events before it (other messages are skipped).
    pub async fn next_event_matching(
        &mut self,
        session: &str,
        what: &str,
        pick: impl Fn(&Event) -> bool,
    ) -> (Event, Vec<Event>) {
        let (hit, seen) = self
            .next_matching(what, |m| {
                matches!(m, ServerMessage::Event { session: s, event, .. } if s == session && pick(event))
            })
            .await;
        let events = seen
            .into_iter()
            .filter_map(|m| match m {
                ServerMessage::Event {
                    session: s, event, ..
                } if s == session => Some(event),
                _ => None,
            })
            .collect();
        match hit {
            ServerMessage::Event { event, .. } => (event, events),
            _ => unreachable!(),
        }
    }

    /// The session's events up to and including the end of its turn.
    pub async fn until_turn_end(&mut self, session: &str) -> Vec<Event> {
        let (end, mut events) = self
            .next_event_matching(session, "the end of the turn", is_turn_end)
            .await;
        events.push(end);
        events
    }

    /// Waits for the `approval_requested` of `session` and returns it.
    pub async fn approval_requested(&mut self, session: &str) -> Event {
        self.next_event_matching(session, "approval_requested", |e| {
            matches!(e, Event::ApprovalRequested { .. })
        })
        .await
        .0
    }

    /// Waits for a `sessions_changed` message.
    pub async fn sessions_changed(&mut self) {
        self.next_matching("sessions_changed", |m| {
            matches!(m, ServerMessage::SessionsChanged)
        })
        .await;
    }

    /// Waits for an `error` message; returns (session, message).
    pub async fn error(&mut self) -> (Option<String>, String) {
        match self
            .next_matching("an error message", |m| {
                matches!(m, ServerMessage::Error { .. })
            })
            .await
            .0
        {
            ServerMessage::Error {
                session, message, ..
            } => (session, message),
            _ => unreachable!(),
        }
    }

    /// Reads until the server closes the connection; its close code (`None` when it
    /// closed without one). Fails after 10 s.
    pub async fn close_code(&mut self) -> Option<u16> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.stream.next())
                .await
                .expect("the server did not close the WebSocket within 10 s")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

pub fn is_turn_end(event: &Event) -> bool {
    event.ends_turn()
}

/// The text of the text deltas among `events`, concatenated.
pub fn streamed_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The `turn_completed` text, failing clearly when the turn ended otherwise.
pub fn completed_text(events: &[Event]) -> String {
    match events.last() {
        Some(Event::TurnCompleted { text, .. }) => text.clone(),
        other => panic!("the turn did not complete: {other:?}\nall events: {events:#?}"),
    }
}

/// The snapshot's turn of `session`.
pub fn live_turn<'a>(snapshot: &'a [LiveTurn], session: &str) -> &'a LiveTurn {
    snapshot
        .iter()
        .find(|t| t.session == session)
        .unwrap_or_else(|| panic!("the snapshot has no running turn of {session:?}: {snapshot:#?}"))
}

/// Permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The engine's call id an approval or tool event names.
pub fn call_id_of(event: &Event) -> String {
    match event {
        Event::ApprovalRequested { call_id, .. }
        | Event::ApprovalResolved { call_id, .. }
        | Event::ToolCallRequested { call_id, .. }
        | Event::ToolCallFinished { call_id, .. } => call_id.clone(),
        other => panic!("{other:?} names no tool call"),
    }
}
