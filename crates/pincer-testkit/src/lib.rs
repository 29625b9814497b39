//! Test fixtures for Pincer, chiefly [`ScriptedLlm`]: a fake LLM server that
//! speaks real HTTP on `127.0.0.1` and real SSE, in both the OpenAI Chat
//! Completions dialect (`POST /v1/chat/completions`, plus `GET /v1/models`)
//! and the Anthropic Messages dialect (`POST /v1/messages`).
//!
//! Tests queue [`Reply`]s; each incoming POST pops the next one (one FIFO
//! shared by both dialects) and renders it in the wire format of the endpoint
//! it hit, streamed or not depending on the request's `"stream"` flag. Every
//! POST is captured so tests can assert on what the client actually sent.
//!
//! ```no_run
//! # async fn demo() {
//! use pincer_testkit::{Reply, ScriptedLlm};
//!
//! let llm = ScriptedLlm::start().await;
//! llm.push(Reply::tool_call("call_1", "read_file", r#"{"path":"a.txt"}"#));
//! llm.push(Reply::text("done").usage(100, 80, 7));
//! // Point the provider at llm.base_url() ("http://127.0.0.1:PORT/v1"), run the agent...
//! llm.wait_for_requests(2).await;
//! assert_eq!(llm.requests()[1].path, "/v1/chat/completions");
//! # }
//! ```
//!
//! Synchronous tests that drive the `pincer` binary as a child process use
//! [`ScriptedLlm::start_in_background`], which brings its own runtime, and
//! [`ScriptedLlm::wait_for_requests_blocking`].
//!
//! A request that finds the queue empty gets HTTP 500 with the message
//! "scripted LLM: no scripted reply queued for this request", so a test that
//! scripted too few replies fails loudly instead of hanging.
//!
//! The server is strict the other way too:
//!
//! - Every LLM request's history is checked: each tool call an assistant
//!   message made must be answered by exactly one tool result right after
//!   it, and no result may answer a call that does not exist (see
//!   [`HistoryProblem`]). A request that breaks this gets HTTP 400 naming the
//!   problem, as a real provider would answer, takes no reply from the queue,
//!   and is recorded as a [`Violation`].
//! - When the server is dropped (or [`ScriptedLlm::verify`] is called), it
//!   panics if any request was a violation, or if scripted replies were never
//!   used, listing them. A test that leaves replies on purpose says so with
//!   [`ScriptedLlm::allow_unused`]; one that provokes violations on purpose
//!   takes them with [`ScriptedLlm::take_violations`]. The drop check is
//!   skipped while the thread is already panicking, so it never hides the
//!   test's own failure.
//!
//! The same server also answers a small control API under `/__testkit/`
//! (queue replies described as JSON, list captured requests, count pending
//! replies, reset), which the `pincer-scripted-llm` binary exposes to tests
//! written in other languages; see the crate's README and [`ReplySpec`].
//! Control requests are never captured.

mod anthropic;
mod control;
pub mod file_server;
mod history;
mod openai;
mod reply;
mod reply_spec;
pub mod skills;

pub use history::{HistoryProblem, Violation};
pub use reply::Reply;
pub use reply_spec::{ReplySpec, ReplySpecError, Split, ToolCallSpec, UsageSpec, parse_replies};

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::watch;

const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
const NO_REPLY_MESSAGE: &str = "scripted LLM: no scripted reply queued for this request";
const DEFAULT_MODEL: &str = "scripted-model";

/// A POST the server received, recorded before it was answered. Serializes
/// as `{path, headers, body, raw_body}` (the control API's request list).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CapturedRequest {
    /// e.g. `"/v1/chat/completions"`.
    pub path: String,
    /// Lower-case header names; repeated headers are joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// Parsed JSON body, or `Value::Null` when the body is not JSON.
    pub body: Value,
    /// The body exactly as sent (lossily decoded if not UTF-8), for
    /// byte-level comparisons such as prompt-cache prefix stability.
    pub raw_body: String,
}

/// The scripted fake LLM server. Dropping it shuts the server down, then
/// panics if the script went wrong (see [`ScriptedLlm::verify`]) unless it was
/// stopped with [`ScriptedLlm::finish`].
pub struct ScriptedLlm {
    addr: SocketAddr,
    inner: Arc<Inner>,
    shutdown: watch::Sender<bool>,
    background: Option<std::thread::JoinHandle<()>>,
    checked_on_drop: bool,
}

struct Inner {
    queue: Mutex<VecDeque<Reply>>,
    /// Replies given to every request whose system prompt starts with the text, instead
    /// of the queue's next one (an engine's own requests, such as compaction's).
    standing: Mutex<Vec<(String, Reply)>>,
    requests: Mutex<Vec<CapturedRequest>>,
    violations: Mutex<Vec<Violation>>,
    allow_unused: AtomicBool,
    next_id: AtomicU64,
    shutdown: watch::Receiver<bool>,
}

/// What went wrong with a script: requests whose history broke the tool
/// call/result pairing, and replies that no request used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptProblems {
    /// Requests answered with HTTP 400 because of their history.
    pub violations: Vec<Violation>,
    /// A summary of each reply still queued (empty if unused replies were
    /// allowed).
    pub unused: Vec<String>,
}

impl fmt::Display for ScriptProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("scripted LLM:")?;
        if !self.violations.is_empty() {
            write!(
                f,
                "\n  {} request(s) broke the tool call/result pairing (answered with HTTP 400):",
                self.violations.len()
            )?;
            for violation in &self.violations {
                write!(f, "\n    {violation}")?;
            }
        }
        if !self.unused.is_empty() {
            write!(
                f,
                "\n  {} scripted repl(ies) never used (call allow_unused() if that is intended):",
                self.unused.len()
            )?;
            for (i, reply) in self.unused.iter().enumerate() {
                write!(f, "\n    [{i}] {reply}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ScriptProblems {}

/// Poisoning only means another test thread panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ScriptedLlm {
    /// Binds `127.0.0.1:0` and serves both dialects on a task of the current
    /// tokio runtime. Panics if the socket cannot be bound.
    pub async fn start() -> ScriptedLlm {
        match Self::try_start().await {
            Ok(llm) => llm,
            Err(e) => panic!("scripted LLM: failed to start: {e}"),
        }
    }

    /// Like [`ScriptedLlm::start`], but reports bind failures.
    pub async fn try_start() -> io::Result<ScriptedLlm> {
        Self::try_start_on(0).await
    }

    /// Like [`ScriptedLlm::try_start`], but binds `127.0.0.1:port` (`0` picks
    /// a free port).
    pub async fn try_start_on(port: u16) -> io::Result<ScriptedLlm> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, rx) = watch::channel(false);
        let inner = Arc::new(Inner::new(rx.clone()));
        tokio::spawn(serve(listener, router(inner.clone()), rx));
        Ok(ScriptedLlm {
            addr,
            inner,
            shutdown,
            background: None,
            checked_on_drop: true,
        })
    }

    /// Starts the server on its own multi-thread runtime in a background
    /// thread, for synchronous tests (e.g. ones spawning the `pincer` binary).
    /// Panics if the runtime or socket cannot be set up.
    pub fn start_in_background() -> ScriptedLlm {
        match Self::try_start_in_background() {
            Ok(llm) => llm,
            Err(e) => panic!("scripted LLM: failed to start in background: {e}"),
        }
    }

    /// Like [`ScriptedLlm::start_in_background`], but reports setup failures.
    pub fn try_start_in_background() -> io::Result<ScriptedLlm> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("scripted-llm")
            .enable_all()
            .build()?;
        // Bound synchronously so the address is known before this returns.
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let (shutdown, rx) = watch::channel(false);
        let inner = Arc::new(Inner::new(rx.clone()));
        let app = router(inner.clone());
        let background = std::thread::Builder::new()
            .name("scripted-llm".to_owned())
            .spawn(move || {
                let mut stop = rx.clone();
                runtime.block_on(async move {
                    tokio::spawn(serve(listener, app, rx));
                    wait_shutdown(&mut stop).await;
                });
                // Dropping the runtime kills every connection task, so a client
                // that keeps its connection open cannot stall the test's drop.
                runtime.shutdown_timeout(Duration::from_millis(100));
            })?;
        Ok(ScriptedLlm {
            addr,
            inner,
            shutdown,
            background: Some(background),
            checked_on_drop: true,
        })
    }

    /// e.g. `"http://127.0.0.1:41234/v1"`; both dialects live under it.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next POST to either dialect.
    pub fn push(&self, reply: Reply) {
        lock(&self.inner.queue).push_back(reply);
    }

    /// Answers every request whose system prompt starts with `prefix` with `reply`,
    /// whenever it comes, leaving the queue for the others: for requests a test cannot
    /// place in order (an engine compacting when its estimate says so).
    pub fn answer_system_prefix(&self, prefix: &str, reply: Reply) {
        lock(&self.inner.standing).push((prefix.to_owned(), reply));
    }

    /// Number of replies still queued.
    pub fn pending(&self) -> usize {
        lock(&self.inner.queue).len()
    }

    /// All POSTs received so far, in arrival order, including those answered
    /// with an error status.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        lock(&self.inner.requests).clone()
    }

    /// Drops every queued reply, every captured request and every recorded
    /// violation. Responses already being streamed are not affected.
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// Replies still queued when the server is dropped or verified are not a
    /// failure. For tests whose client may legitimately stop early (a
    /// cancelled run, a killed process).
    pub fn allow_unused(&self) -> &Self {
        self.inner.allow_unused.store(true, Ordering::Relaxed);
        self
    }

    /// The requests so far whose history broke the tool call/result pairing
    /// (each was answered with HTTP 400).
    pub fn violations(&self) -> Vec<Violation> {
        lock(&self.inner.violations).clone()
    }

    /// Like [`ScriptedLlm::violations`], but forgets them, so a test that
    /// sends a broken history on purpose can assert on it without failing
    /// when the server is dropped.
    pub fn take_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut *lock(&self.inner.violations))
    }

    /// What is wrong with the script so far, without panicking.
    pub fn check(&self) -> Result<(), ScriptProblems> {
        self.inner.check()
    }

    /// Panics, listing them, if any request broke the tool call/result
    /// pairing or (unless [`ScriptedLlm::allow_unused`]) replies are still
    /// queued. Dropping the server does the same check; call this to fail at
    /// a point of the test's choosing.
    pub fn verify(&self) {
        if let Err(problems) = self.check() {
            panic!("{problems}");
        }
    }

    /// Shuts the server down and returns what went wrong instead of
    /// panicking (for the standalone binary, which reports it on stderr).
    pub fn finish(mut self) -> Result<(), ScriptProblems> {
        self.checked_on_drop = false;
        self.stop();
        self.check()
    }

    fn stop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(thread) = self.background.take() {
            let _ = thread.join();
        }
    }

    fn request_count(&self) -> usize {
        lock(&self.inner.requests).len()
    }

    fn wait_timed_out(&self, n: usize) -> ! {
        let paths: Vec<String> = self.requests().into_iter().map(|r| r.path).collect();
        panic!(
            "scripted LLM: waited {WAIT_TIMEOUT:?} for {n} request(s), but only {} arrived (paths: {paths:?}; {} repl(ies) still queued)",
            paths.len(),
            self.pending(),
        );
    }

    /// Waits until at least `n` requests have arrived; panics after 10 s.
    pub async fn wait_for_requests(&self, n: usize) {
        let deadline = Instant::now() + WAIT_TIMEOUT;
        while self.request_count() < n {
            if Instant::now() >= deadline {
                self.wait_timed_out(n);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Blocking form of [`ScriptedLlm::wait_for_requests`]. Do not call it on
    /// the runtime thread that serves a [`ScriptedLlm::start`] server (it would
    /// starve the server); it is meant for [`ScriptedLlm::start_in_background`].
    pub fn wait_for_requests_blocking(&self, n: usize) {
        let deadline = Instant::now() + WAIT_TIMEOUT;
        while self.request_count() < n {
            if Instant::now() >= deadline {
                self.wait_timed_out(n);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for ScriptedLlm {
    fn drop(&mut self) {
        self.stop();
        // A second panic while unwinding would abort and hide the first.
        if self.checked_on_drop && !std::thread::panicking() {
            self.verify();
        }
    }
}

impl Inner {
    fn new(shutdown: watch::Receiver<bool>) -> Inner {
        Inner {
            queue: Mutex::new(VecDeque::new()),
            standing: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            allow_unused: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            shutdown,
        }
    }

    fn reset(&self) {
        lock(&self.queue).clear();
        lock(&self.requests).clear();
        lock(&self.violations).clear();
    }

    fn check(&self) -> Result<(), ScriptProblems> {
        let violations = lock(&self.violations).clone();
        let unused = if self.allow_unused.load(Ordering::Relaxed) {
            Vec::new()
        } else {
            lock(&self.queue).iter().map(Reply::summary).collect()
        };
        if violations.is_empty() && unused.is_empty() {
            Ok(())
        } else {
            Err(ScriptProblems { violations, unused })
        }
    }

    /// Returns the request's index among the captured ones with it.
    fn record(&self, path: &str, headers: &HeaderMap, body: &Bytes) -> (usize, CapturedRequest) {
        let mut map = BTreeMap::new();
        for (name, value) in headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            map.entry(name.as_str().to_owned())
                .and_modify(|existing: &mut String| {
                    existing.push_str(", ");
                    existing.push_str(&value);
                })
                .or_insert(value);
        }
        let captured = CapturedRequest {
            path: path.to_owned(),
            headers: map,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
            raw_body: String::from_utf8_lossy(body).into_owned(),
        };
        let mut requests = lock(&self.requests);
        requests.push(captured.clone());
        (requests.len() - 1, captured)
    }
}

async fn serve(listener: tokio::net::TcpListener, app: Router, mut rx: watch::Receiver<bool>) {
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move { wait_shutdown(&mut rx).await })
        .await;
    if let Err(e) = result {
        tracing::warn!("scripted LLM server stopped: {e}");
    }
}

fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(openai_handler))
        .route("/v1/messages", post(anthropic_handler))
        .route("/v1/models", get(models_handler))
        .merge(control::routes())
        .fallback(fallback_handler)
        // Agent transcripts can exceed axum's 2 MB default.
        .layer(DefaultBodyLimit::disable())
        .with_state(inner)
}

/// A closed sender also counts: the server is going away either way.
async fn wait_shutdown(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|down| *down).await;
}

/// Returns true if the server shut down before the sleep finished.
async fn sleep_or_shutdown(d: Duration, rx: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => false,
        () = wait_shutdown(rx) => true,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    OpenAi,
    Anthropic,
}

async fn openai_handler(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        inner,
        Dialect::OpenAi,
        "/v1/chat/completions",
        headers,
        body,
    )
    .await
}

async fn anthropic_handler(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(inner, Dialect::Anthropic, "/v1/messages", headers, body).await
}

async fn models_handler() -> Response {
    axum::Json(json!({
        "object": "list",
        "data": [{ "id": DEFAULT_MODEL, "object": "model", "owned_by": "pincer-testkit" }],
    }))
    .into_response()
}

/// Captures stray POSTs (e.g. a doubled `/v1`) so a misrouted client shows
/// up in `requests()` instead of vanishing into a bare 404.
async fn fallback_handler(
    State(inner): State<Arc<Inner>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path().starts_with(control::PREFIX) {
        return control::unknown_route(&method, uri.path());
    }
    if method == axum::http::Method::POST {
        inner.record(uri.path(), &headers, &body);
    }
    let message = format!("scripted LLM: no route for {method} {}", uri.path());
    let dialect = if uri.path().ends_with("/messages") {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    };
    error_response(dialect, 404, &message, None)
}

fn error_response(
    dialect: Dialect,
    status: u16,
    message: &str,
    retry_after: Option<u64>,
) -> Response {
    let body = match dialect {
        Dialect::OpenAi => openai::error_body(status, message),
        Dialect::Anthropic => anthropic::error_body(status, message),
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (code, axum::Json(body)).into_response();
    add_retry_after(&mut response, retry_after);
    response
}

fn add_retry_after(response: &mut Response, retry_after: Option<u64>) {
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
}

async fn respond(
    inner: Arc<Inner>,
    dialect: Dialect,
    path: &str,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (index, request) = inner.record(path, &headers, &body);
    let problems = match dialect {
        Dialect::OpenAi => history::check_openai(&request.body),
        Dialect::Anthropic => history::check_anthropic(&request.body),
    };
    if !problems.is_empty() {
        let violation = Violation {
            request: index,
            path: path.to_owned(),
            problems,
        };
        let message = format!("scripted LLM: invalid conversation history: {violation}");
        tracing::error!("{message}");
        lock(&inner.violations).push(violation);
        return error_response(dialect, 400, &message, None);
    }
    let system = match dialect {
        Dialect::OpenAi => request.body["messages"][0]
            .get("content")
            .filter(|_| request.body["messages"][0]["role"] == "system")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        Dialect::Anthropic => match &request.body["system"] {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Array(blocks) => blocks
                .first()
                .and_then(|b| b["text"].as_str())
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        },
    };
    let standing = lock(&inner.standing)
        .iter()
        .find(|(prefix, _)| system.starts_with(prefix.as_str()))
        .map(|(_, reply)| reply.clone());
    let popped = standing.or_else(|| lock(&inner.queue).pop_front());
    let Some(reply) = popped else {
        tracing::warn!("{path}: {NO_REPLY_MESSAGE}");
        return error_response(dialect, 500, NO_REPLY_MESSAGE, None);
    };
    let mut shutdown = inner.shutdown.clone();
    if !reply.delay.is_zero() && sleep_or_shutdown(reply.delay, &mut shutdown).await {
        return error_response(dialect, 503, "scripted LLM: shutting down", None);
    }
    if let Some(status) = reply.status {
        // `with_text` on an error reply is the error's message, as vendors word theirs
        // ("This model's maximum context length is …").
        let message = reply
            .text
            .clone()
            .unwrap_or_else(|| format!("scripted LLM: simulated HTTP {status}"));
        let mut response = error_response(dialect, status, &message, reply.retry_after);
        add_headers(&mut response, &reply.headers);
        return response;
    }

    let model = request
        .body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_MODEL)
        .to_owned();
    let stream = request.body.get("stream").and_then(Value::as_bool) == Some(true);
    let n = inner.next_id.fetch_add(1, Ordering::Relaxed);

    let (events, malformed_event, json_body) = match dialect {
        Dialect::OpenAi => {
            let ctx = openai::Ctx {
                id: format!("chatcmpl-scripted{n:08}"),
                created: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                model,
                include_usage: request.body.pointer("/stream_options/include_usage")
                    == Some(&Value::Bool(true)),
            };
            if stream {
                (
                    openai::stream_events(&ctx, &reply),
                    openai::MALFORMED_EVENT,
                    None,
                )
            } else {
                (Vec::new(), "", Some(openai::completion(&ctx, &reply)))
            }
        }
        Dialect::Anthropic => {
            let ctx = anthropic::Ctx {
                id: format!("msg_scripted{n:08}"),
                model,
            };
            if stream {
                (
                    anthropic::stream_events(&ctx, &reply),
                    anthropic::MALFORMED_EVENT,
                    None,
                )
            } else {
                (Vec::new(), "", Some(anthropic::message(&ctx, &reply)))
            }
        }
    };

    let (content_type, chunks) = match json_body {
        Some(value) => {
            let text = if reply.malformed_chunk {
                "{\"choices\": [".to_owned()
            } else {
                value.to_string()
            };
            ("application/json", vec![text])
        }
        None => {
            let mut events = events;
            if reply.malformed_chunk {
                events.insert(1.min(events.len()), malformed_event.to_owned());
            }
            if let Some(limit) = reply.cut_after {
                events.truncate(limit);
            }
            ("text/event-stream", events)
        }
    };

    let mut response = Response::new(body_stream(chunks, &reply, shutdown));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if stream {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    add_retry_after(&mut response, reply.retry_after);
    add_headers(&mut response, &reply.headers);
    response
}

/// Headers a reply asked for; a name or value HTTP cannot carry is skipped with a warning.
fn add_headers(response: &mut Response, extra: &[(String, String)]) {
    for (name, value) in extra {
        match (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                response.headers_mut().append(name, value);
            }
            _ => tracing::warn!("scripted LLM: cannot send header {name:?}: {value:?}"),
        }
    }
}

fn body_stream(chunks: Vec<String>, reply: &Reply, mut shutdown: watch::Receiver<bool>) -> Body {
    let chunk_delay = reply.chunk_delay;
    let hang = reply.hang;
    let abort = reply.abort_connection;
    let stream = async_stream::stream! {
        for (i, chunk) in chunks.into_iter().enumerate() {
            if i > 0 && !chunk_delay.is_zero() && sleep_or_shutdown(chunk_delay, &mut shutdown).await {
                return;
            }
            yield Ok::<Bytes, io::Error>(Bytes::from(chunk));
        }
        if abort {
            // Hyper flushes buffered output only when the body is pending, so
            // without this yield the error would also discard the headers and
            // the events already "sent".
            tokio::task::yield_now().await;
            // An error from the body makes hyper drop the connection without
            // the terminating chunk, which the client sees as a broken transfer.
            yield Err(io::Error::new(io::ErrorKind::ConnectionReset, "scripted LLM: connection aborted"));
        } else if hang {
            wait_shutdown(&mut shutdown).await;
        }
    };
    Body::from_stream(stream)
}
