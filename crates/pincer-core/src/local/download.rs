//! Downloading a GGUF model file for `pincer model pull`: progress, resume and checksum.
//!
//! Bytes go to `<dest>.partial` beside the destination, never to `dest` itself; only a
//! file whose size and SHA-256 check out is fsynced and renamed onto `dest`, so a model
//! path that exists is always a whole model. A broken connection or a cancellation keeps
//! the partial file, and the next call asks the server for the rest with a `Range`
//! request. The hash always covers the whole file: on resume the bytes already on disk
//! are hashed first, then the new ones as they arrive.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio_util::sync::CancellationToken;

/// Report `Progress::Bytes` after this many new bytes…
const PROGRESS_BYTES: u64 = 1 << 20;
/// …or after this long, whichever comes first.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);
/// Disk writes are batched: network chunks are often only a few KiB.
const WRITE_BUFFER: usize = 1 << 20;
/// Read size when hashing a file already on disk.
const HASH_BUFFER: usize = 1 << 20;

/// One file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadJob {
    /// An `http` or `https` URL; redirects are followed.
    pub url: String,
    /// Where the finished file goes; `<dest>.partial` holds it meanwhile.
    pub dest: PathBuf,
    /// The expected SHA-256 of the whole file, hex (case does not matter).
    pub sha256: Option<String>,
    /// The expected size in bytes.
    pub size: Option<u64>,
}

/// What a download is doing, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The server answered; sent once. `total` is the whole file's size when known.
    Started {
        total: Option<u64>,
        resumed_from: u64,
    },
    /// `done` bytes of the file are on disk (resumed bytes included). Sent after each
    /// MiB or 200 ms of data, and once at the end of the body.
    Bytes { done: u64, total: Option<u64> },
    /// Size and hash are being checked: after the body, or of an existing `dest`
    /// before any request (a download may follow if that file is wrong).
    Verifying,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The destination, now holding the verified file.
    pub path: PathBuf,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// The file's size.
    pub bytes: u64,
    /// How many bytes came from an earlier, interrupted attempt (0 for a fresh download).
    pub resumed_from: u64,
}

/// Why a download failed. Each message says what became of the partial file.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("cannot download {url}: only http:// and https:// URLs are supported")]
    UnsupportedUrl { url: String },
    #[error("cannot download to {path}: the destination has no file name")]
    BadDestination { path: PathBuf },
    #[error("request to {url} failed: {source}")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: StatusCode },
    #[error(
        "{url} answered a resumed download with Content-Range {header:?}, not starting at byte {offset}; \
         the partial download was kept"
    )]
    BadContentRange {
        url: String,
        offset: u64,
        header: String,
    },
    #[error(
        "{url} serves {announced} bytes but {expected} were expected; refusing it \
         (any partial download was removed)"
    )]
    UnexpectedSize {
        url: String,
        expected: u64,
        announced: u64,
    },
    #[error(
        "the connection to {url} broke after {done} bytes ({source}); the partial download was \
         kept: run the command again to resume"
    )]
    Interrupted {
        url: String,
        done: u64,
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "{url} ended the body after {done} of {total} bytes; the partial download was kept: \
         run the command again to resume"
    )]
    Truncated { url: String, done: u64, total: u64 },
    #[error("download cancelled; the partial download at {} was kept and will resume", partial.display())]
    Cancelled { partial: PathBuf },
    #[error(
        "checksum mismatch: expected sha256 {expected}, got {actual}; the download was removed"
    )]
    ChecksumMismatch { expected: String, actual: String },
    #[error("size mismatch: expected {expected} bytes, got {actual}; the download was removed")]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl DownloadError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Fetches `job.url` into `job.dest`, resuming an earlier partial download, and checks
/// the result against `job.size` and `job.sha256`.
///
/// Returns at once, without touching the network, when `dest` already holds the
/// expected file. A stalled connection waits for `cancel` or for the client's own
/// timeouts: build it with `read_timeout` to give up on a silent server.
pub async fn download(
    client: &reqwest::Client,
    job: &DownloadJob,
    progress: &mut (dyn FnMut(Progress) + Send),
    cancel: &CancellationToken,
) -> Result<Downloaded, DownloadError> {
    let url = &job.url;
    let scheme_ok = reqwest::Url::parse(url)
        .map(|parsed| matches!(parsed.scheme(), "http" | "https"))
        .unwrap_or(false);
    if !scheme_ok {
        return Err(DownloadError::UnsupportedUrl { url: url.clone() });
    }
    let expected_sha = job.sha256.as_deref().map(str::to_ascii_lowercase);
    let partial = partial_path(&job.dest)?;

    if let Some(done) = existing_dest(job, expected_sha.as_deref(), progress, cancel).await? {
        return Ok(done);
    }
    if let Some(parent) = job.dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(DownloadError::io(parent))?;
    }

    let mut offset = match tokio::fs::metadata(&partial).await {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(DownloadError::io(&partial)(e)),
    };
    if job.size.is_some_and(|size| offset > size) {
        tracing::warn!(partial = %partial.display(), offset, "partial download is larger than the model; starting over");
        offset = 0;
    }

    let mut request = client.get(url);
    if offset > 0 {
        request = request.header(RANGE, format!("bytes={offset}-"));
    }
    let response = tokio::select! {
        biased;
        () = cancel.cancelled() => return Err(DownloadError::Cancelled { partial }),
        sent = request.send() => sent.map_err(|source| DownloadError::Request { url: url.clone(), source })?,
    };

    let content_range = response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|v| v.to_str().ok());
    let answer = interpret(
        url,
        response.status(),
        content_range,
        response.content_length(),
        offset,
    )?;
    let (resumed_from, total) = match answer {
        Answer::Body {
            resumed_from,
            total,
        } => (resumed_from, total),
        Answer::NothingMore { total } => {
            check_announced(job, &partial, total).await?;
            tracing::info!(%url, offset, "server has nothing past the partial download; verifying it");
            progress(Progress::Started {
                total,
                resumed_from: offset,
            });
            let (hasher, bytes) = hash_file(&partial, cancel).await?;
            return finish(job, &partial, hasher, bytes, offset, total, progress).await;
        }
    };
    check_announced(job, &partial, total).await?;
    tracing::info!(%url, resumed_from, ?total, dest = %job.dest.display(), "downloading model");
    progress(Progress::Started {
        total,
        resumed_from,
    });

    let (mut hasher, file) = open_partial(&partial, resumed_from, cancel).await?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut done = resumed_from;
    let mut reported = (done, Instant::now());
    let mut body = response.bytes_stream();

    loop {
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => {
                keep_partial(out, &partial).await;
                return Err(DownloadError::Cancelled { partial });
            }
            next = body.next() => next,
        };
        let chunk = match next {
            None => break,
            Some(Ok(chunk)) => chunk,
            Some(Err(source)) => {
                keep_partial(out, &partial).await;
                tracing::warn!(%url, done, error = %source, "download interrupted");
                return Err(DownloadError::Interrupted {
                    url: url.clone(),
                    done,
                    source,
                });
            }
        };
        let len = chunk.len() as u64;
        if let Some(expected) = job.size.filter(|&size| done + len > size) {
            // The server sends more than the model's size: no point in waiting for the rest.
            drop(out);
            remove_partial(&partial).await;
            return Err(DownloadError::SizeMismatch {
                expected,
                actual: done + len,
            });
        }
        out.write_all(&chunk)
            .await
            .map_err(DownloadError::io(&partial))?;
        hasher.update(&chunk);
        done += len;
        if done - reported.0 >= PROGRESS_BYTES || reported.1.elapsed() >= PROGRESS_INTERVAL {
            progress(Progress::Bytes { done, total });
            reported = (done, Instant::now());
        }
    }
    if reported.0 != done {
        progress(Progress::Bytes { done, total });
    }

    out.flush().await.map_err(DownloadError::io(&partial))?;
    let file = out.into_inner();
    file.sync_all().await.map_err(DownloadError::io(&partial))?;
    drop(file);
    if let Some(total) = total.filter(|&total| done < total) {
        return Err(DownloadError::Truncated {
            url: url.clone(),
            done,
            total,
        });
    }
    finish(job, &partial, hasher, done, resumed_from, total, progress).await
}

/// What the server's answer to a request from byte `offset` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// The body holds the file from `resumed_from` on; `total` is the whole file's size.
    Body {
        resumed_from: u64,
        total: Option<u64>,
    },
    /// A 416 to a resume: nothing lies past the partial file, which may be complete.
    NothingMore { total: Option<u64> },
}

/// Reads the status line and range headers: a 206 must continue exactly at `offset`, a
/// 200 (a server ignoring `Range`) restarts from zero.
fn interpret(
    url: &str,
    status: StatusCode,
    content_range: Option<&str>,
    content_length: Option<u64>,
    offset: u64,
) -> Result<Answer, DownloadError> {
    let range = content_range.and_then(parse_content_range);
    match status {
        StatusCode::PARTIAL_CONTENT => match range {
            Some((Some(start), total)) if start == offset => Ok(Answer::Body {
                resumed_from: offset,
                total,
            }),
            _ => Err(DownloadError::BadContentRange {
                url: url.to_owned(),
                offset,
                header: content_range.unwrap_or_default().to_owned(),
            }),
        },
        StatusCode::OK => {
            if offset > 0 {
                tracing::info!(%url, offset, "server ignored the Range request; downloading from the start");
            }
            Ok(Answer::Body {
                resumed_from: 0,
                total: content_length,
            })
        }
        StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => Ok(Answer::NothingMore {
            total: range.and_then(|(_, total)| total),
        }),
        status => Err(DownloadError::Status {
            url: url.to_owned(),
            status,
        }),
    }
}

/// `<dest>.partial`, in the destination's directory.
fn partial_path(dest: &Path) -> Result<PathBuf, DownloadError> {
    let mut name = dest
        .file_name()
        .ok_or_else(|| DownloadError::BadDestination {
            path: dest.to_path_buf(),
        })?
        .to_os_string();
    name.push(".partial");
    Ok(dest.with_file_name(name))
}

/// Opens the partial file for appending at `resumed_from`, with a hasher already fed the
/// bytes kept from before; from zero, creates or truncates it.
async fn open_partial(
    partial: &Path,
    resumed_from: u64,
    cancel: &CancellationToken,
) -> Result<(Sha256, tokio::fs::File), DownloadError> {
    if resumed_from == 0 {
        let file = tokio::fs::File::create(partial)
            .await
            .map_err(DownloadError::io(partial))?;
        return Ok((Sha256::new(), file));
    }
    let (hasher, kept) = hash_prefix(partial, resumed_from, cancel).await?;
    if kept != resumed_from {
        let changed = std::io::Error::other("the partial download shrank while resuming");
        return Err(DownloadError::io(partial)(changed));
    }
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(partial)
        .await
        .map_err(DownloadError::io(partial))?;
    // Bytes past `resumed_from` (written after its size was read) would be duplicated.
    file.set_len(kept)
        .await
        .map_err(DownloadError::io(partial))?;
    file.seek(std::io::SeekFrom::End(0))
        .await
        .map_err(DownloadError::io(partial))?;
    Ok((hasher, file))
}

/// The finished download when `dest` already holds the expected file.
async fn existing_dest(
    job: &DownloadJob,
    expected_sha: Option<&str>,
    progress: &mut (dyn FnMut(Progress) + Send),
    cancel: &CancellationToken,
) -> Result<Option<Downloaded>, DownloadError> {
    let len = match tokio::fs::metadata(&job.dest).await {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(DownloadError::io(&job.dest)(e)),
    };
    if job.size.is_some_and(|size| size != len) {
        tracing::warn!(dest = %job.dest.display(), len, "existing model has the wrong size; downloading again");
        return Ok(None);
    }
    progress(Progress::Verifying);
    let (hasher, bytes) = hash_file(&job.dest, cancel).await?;
    let sha256 = to_hex(&hasher.finalize());
    if expected_sha.is_some_and(|expected| expected != sha256) {
        tracing::warn!(dest = %job.dest.display(), %sha256, "existing model has the wrong checksum; downloading again");
        return Ok(None);
    }
    tracing::info!(dest = %job.dest.display(), "model already downloaded");
    Ok(Some(Downloaded {
        path: job.dest.clone(),
        sha256,
        bytes,
        resumed_from: 0,
    }))
}

/// Fails early when the server's announced size contradicts the expected one.
async fn check_announced(
    job: &DownloadJob,
    partial: &Path,
    announced: Option<u64>,
) -> Result<(), DownloadError> {
    match (job.size, announced) {
        (Some(expected), Some(announced)) if expected != announced => {
            remove_partial(partial).await;
            Err(DownloadError::UnexpectedSize {
                url: job.url.clone(),
                expected,
                announced,
            })
        }
        _ => Ok(()),
    }
}

/// Checks the complete partial file and moves it onto `dest`; removes it when it is wrong.
async fn finish(
    job: &DownloadJob,
    partial: &Path,
    hasher: Sha256,
    bytes: u64,
    resumed_from: u64,
    announced: Option<u64>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Downloaded, DownloadError> {
    progress(Progress::Verifying);
    let sha256 = to_hex(&hasher.finalize());
    if let Some(expected) = job.size.or(announced).filter(|&size| size != bytes) {
        remove_partial(partial).await;
        return Err(DownloadError::SizeMismatch {
            expected,
            actual: bytes,
        });
    }
    if let Some(expected) = job.sha256.as_deref().map(str::to_ascii_lowercase) {
        if expected != sha256 {
            remove_partial(partial).await;
            return Err(DownloadError::ChecksumMismatch {
                expected,
                actual: sha256,
            });
        }
    }
    tokio::fs::rename(partial, &job.dest)
        .await
        .map_err(DownloadError::io(&job.dest))?;
    sync_parent(&job.dest).await;
    tracing::info!(dest = %job.dest.display(), bytes, %sha256, "model downloaded");
    Ok(Downloaded {
        path: job.dest.clone(),
        sha256,
        bytes,
        resumed_from,
    })
}

/// Flushes what was received so a later call can resume from it; a failure here only
/// means the resume starts a little earlier.
async fn keep_partial(mut out: BufWriter<tokio::fs::File>, partial: &Path) {
    let flushed = match out.flush().await {
        Ok(()) => out.into_inner().sync_data().await,
        Err(e) => Err(e),
    };
    if let Err(error) = flushed {
        tracing::warn!(partial = %partial.display(), %error, "could not flush the partial download");
    }
}

async fn remove_partial(partial: &Path) {
    match tokio::fs::remove_file(partial).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(partial = %partial.display(), %error, "could not remove the download");
        }
    }
}

/// Makes the rename durable: on Unix a rename is only on disk once its directory is.
async fn sync_parent(dest: &Path) {
    #[cfg(unix)]
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        let parent = parent.to_path_buf();
        let synced =
            tokio::task::spawn_blocking(move || std::fs::File::open(&parent)?.sync_all()).await;
        if let Ok(Err(error)) = synced {
            tracing::warn!(%error, "could not sync the model directory");
        }
    }
    #[cfg(not(unix))]
    let _ = dest;
}

/// Hashes a whole file.
async fn hash_file(
    path: &Path,
    cancel: &CancellationToken,
) -> Result<(Sha256, u64), DownloadError> {
    hash_prefix(path, u64::MAX, cancel).await
}

/// Hashes the first `limit` bytes of a file (fewer if it is shorter) on a blocking
/// thread: a few GB of SHA-256 would otherwise stall the runtime for seconds.
async fn hash_prefix(
    path: &Path,
    limit: u64,
    cancel: &CancellationToken,
) -> Result<(Sha256, u64), DownloadError> {
    let owned = path.to_path_buf();
    let cancel = cancel.clone();
    let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<Option<(Sha256, u64)>> {
        let mut file = std::fs::File::open(&owned)?.take(limit);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; HASH_BUFFER];
        let mut total = 0u64;
        loop {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            let n = file.read(&mut buf)?;
            if n == 0 {
                return Ok(Some((hasher, total)));
            }
            hasher.update(&buf[..n]);
            total += n as u64;
        }
    })
    .await
    .map_err(|join| DownloadError::io(path)(std::io::Error::other(join)))?;
    match hashed.map_err(DownloadError::io(path))? {
        Some(done) => Ok(done),
        None => Err(DownloadError::Cancelled {
            partial: path.to_path_buf(),
        }),
    }
}

/// `bytes START-END/TOTAL`, `bytes START-END/*` or `bytes */TOTAL` as
/// `(Some(START) or None, TOTAL)`.
fn parse_content_range(header: &str) -> Option<(Option<u64>, Option<u64>)> {
    let rest = header.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        total => Some(total.parse().ok()?),
    };
    let start = match range.trim() {
        "*" => None,
        range => Some(range.split_once('-')?.0.trim().parse().ok()?),
    };
    Some((start, total))
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::body::{Body, Bytes};
    use axum::extract::State;
    use axum::http::{HeaderMap, header};
    use axum::response::Response;
    use futures::Stream;
    use pretty_assertions::assert_eq;

    use super::*;

    /// A little over 3 MiB, so the body spans several progress steps.
    const BODY_LEN: usize = 3 * 1024 * 1024 + 12_345;
    /// Where the first response of a cutting server breaks off.
    const CUT_AFTER: usize = 1_500_000;
    const SERVER_CHUNK: usize = 64 * 1024;

    /// Deterministic pseudo-random bytes (xorshift64), incompressible like a model file.
    fn model_bytes() -> Bytes {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut bytes = Vec::with_capacity(BODY_LEN + 8);
        while bytes.len() < BODY_LEN {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.extend_from_slice(&state.to_le_bytes());
        }
        bytes.truncate(BODY_LEN);
        Bytes::from(bytes)
    }

    fn sha_hex(bytes: &[u8]) -> String {
        to_hex(&Sha256::digest(bytes))
    }

    /// How the test server misbehaves.
    #[derive(Default, Clone, Copy)]
    struct Behaviour {
        /// Break the first response's connection after this many body bytes.
        cut_first_after: Option<usize>,
        /// Answer every request 200 with the whole file, as servers without range support do.
        ignore_range: bool,
        /// Send no Content-Length (chunked encoding), so the size is unknown up front.
        chunked: bool,
    }

    struct Served {
        body: Bytes,
        behaviour: Behaviour,
        hits: AtomicUsize,
        ranges: Mutex<Vec<Option<String>>>,
    }

    /// A real HTTP server on loopback serving one model file at `url`.
    struct Server {
        url: String,
        state: Arc<Served>,
    }

    impl Server {
        async fn start(behaviour: Behaviour) -> Self {
            let state = Arc::new(Served {
                body: model_bytes(),
                behaviour,
                hits: AtomicUsize::new(0),
                ranges: Mutex::new(Vec::new()),
            });
            let app = axum::Router::new()
                .route("/model.gguf", axum::routing::get(serve_model))
                .with_state(Arc::clone(&state));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            Self {
                url: format!("http://{addr}/model.gguf"),
                state,
            }
        }

        fn hits(&self) -> usize {
            self.state.hits.load(Ordering::SeqCst)
        }

        /// The `Range` header of every request, in order.
        fn ranges(&self) -> Vec<Option<String>> {
            self.state.ranges.lock().unwrap().clone()
        }

        fn body(&self) -> &Bytes {
            &self.state.body
        }

        fn job(&self, dir: &Path) -> DownloadJob {
            DownloadJob {
                url: self.url.clone(),
                dest: dir.join("models").join("model.gguf"),
                sha256: Some(sha_hex(self.body())),
                size: Some(BODY_LEN as u64),
            }
        }
    }

    async fn serve_model(State(served): State<Arc<Served>>, headers: HeaderMap) -> Response {
        let hit = served.hits.fetch_add(1, Ordering::SeqCst);
        let range = headers
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        served.ranges.lock().unwrap().push(range.clone());
        let len = served.body.len();
        let start = range
            .filter(|_| !served.behaviour.ignore_range)
            .and_then(|r| {
                r.strip_prefix("bytes=")?
                    .strip_suffix('-')?
                    .parse::<usize>()
                    .ok()
            });
        let mut response = Response::builder();
        let start = match start {
            Some(start) if start >= len => {
                return Response::builder()
                    .status(416)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(Body::empty())
                    .unwrap();
            }
            Some(start) => {
                response = response.status(206).header(
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{}/{len}", len - 1),
                );
                start
            }
            None => 0,
        };
        let rest = served.body.slice(start..);
        if !served.behaviour.chunked {
            response = response.header(header::CONTENT_LENGTH, rest.len());
        }
        let cut = served.behaviour.cut_first_after.filter(|_| hit == 0);
        response
            .body(Body::from_stream(body_stream(rest, cut)))
            .unwrap()
    }

    /// The body in chunks; with `cut_after`, an error after that many bytes, which makes
    /// hyper drop the connection mid-body.
    fn body_stream(
        body: Bytes,
        cut_after: Option<usize>,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        async_stream::stream! {
            let end = cut_after.map_or(body.len(), |cut| cut.min(body.len()));
            for at in (0..end).step_by(SERVER_CHUNK) {
                yield Ok(body.slice(at..(at + SERVER_CHUNK).min(end)));
            }
            if cut_after.is_some() {
                // Let hyper flush what it has before the connection goes.
                tokio::time::sleep(Duration::from_millis(50)).await;
                yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut"));
            }
        }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder().no_proxy().build().unwrap()
    }

    async fn run(job: &DownloadJob) -> (Result<Downloaded, DownloadError>, Vec<Progress>) {
        let mut events = Vec::new();
        let result = download(
            &client(),
            job,
            &mut |p: Progress| events.push(p),
            &CancellationToken::new(),
        )
        .await;
        (result, events)
    }

    fn partial_of(job: &DownloadJob) -> PathBuf {
        partial_path(&job.dest).unwrap()
    }

    #[tokio::test]
    async fn downloads_and_verifies_the_whole_file() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = server.job(dir.path());

        let (result, events) = run(&job).await;

        let done = result.unwrap();
        assert_eq!(
            done,
            Downloaded {
                path: job.dest.clone(),
                sha256: sha_hex(server.body()),
                bytes: BODY_LEN as u64,
                resumed_from: 0,
            }
        );
        assert_eq!(std::fs::read(&job.dest).unwrap(), server.body().to_vec());
        assert!(!partial_of(&job).exists());
        assert_eq!(server.ranges(), vec![None]);

        let total = Some(BODY_LEN as u64);
        assert_eq!(
            events.first(),
            Some(&Progress::Started {
                total,
                resumed_from: 0
            })
        );
        assert_eq!(events.last(), Some(&Progress::Verifying));
        let bytes: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                Progress::Bytes { done, .. } => Some(*done),
                _ => None,
            })
            .collect();
        // Throttled: a handful of reports for ~50 server chunks, ending at the full size.
        assert!(bytes.len() >= 3 && bytes.len() < 20, "{bytes:?}");
        assert!(bytes.windows(2).all(|w| w[0] < w[1]), "{bytes:?}");
        assert_eq!(bytes.last(), Some(&(BODY_LEN as u64)));
        assert_eq!(events.len(), bytes.len() + 2);
    }

    #[tokio::test]
    async fn a_cut_connection_keeps_the_partial_and_the_next_call_resumes() {
        let server = Server::start(Behaviour {
            cut_first_after: Some(CUT_AFTER),
            ..Behaviour::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let job = server.job(dir.path());

        let (result, _) = run(&job).await;
        let err = result.unwrap_err();
        assert!(
            matches!(err, DownloadError::Interrupted { .. }),
            "unexpected error: {err}"
        );
        assert!(err.to_string().contains("run the command again"), "{err}");
        let kept = std::fs::metadata(partial_of(&job)).unwrap().len();
        assert!(kept > 0 && kept <= CUT_AFTER as u64, "kept {kept} bytes");
        assert!(!job.dest.exists());

        let (result, events) = run(&job).await;
        let done = result.unwrap();
        assert_eq!(done.resumed_from, kept);
        assert_eq!(done.bytes, BODY_LEN as u64);
        assert_eq!(done.sha256, sha_hex(server.body()));
        assert_eq!(server.ranges(), vec![None, Some(format!("bytes={kept}-"))]);
        assert_eq!(
            events.first(),
            Some(&Progress::Started {
                total: Some(BODY_LEN as u64),
                resumed_from: kept
            })
        );
        assert_eq!(
            sha_hex(&std::fs::read(&job.dest).unwrap()),
            sha_hex(server.body())
        );
        assert!(!partial_of(&job).exists());
    }

    #[tokio::test]
    async fn a_checksum_mismatch_removes_the_download() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = DownloadJob {
            sha256: Some("0".repeat(64)),
            ..server.job(dir.path())
        };

        let (result, events) = run(&job).await;

        let err = result.unwrap_err();
        match &err {
            DownloadError::ChecksumMismatch { expected, actual } => {
                assert_eq!(expected, &"0".repeat(64));
                assert_eq!(actual, &sha_hex(server.body()));
            }
            other => panic!("unexpected error: {other}"),
        }
        assert!(err.to_string().contains("removed"), "{err}");
        assert!(!partial_of(&job).exists());
        assert!(!job.dest.exists());
        assert_eq!(events.last(), Some(&Progress::Verifying));
    }

    #[tokio::test]
    async fn a_server_ignoring_range_restarts_from_zero() {
        let server = Server::start(Behaviour {
            ignore_range: true,
            ..Behaviour::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let job = server.job(dir.path());
        std::fs::create_dir_all(job.dest.parent().unwrap()).unwrap();
        std::fs::write(partial_of(&job), vec![0xaa; 1000]).unwrap();

        let (result, _) = run(&job).await;

        let done = result.unwrap();
        assert_eq!(done.resumed_from, 0);
        assert_eq!(done.sha256, sha_hex(server.body()));
        assert_eq!(server.ranges(), vec![Some("bytes=1000-".to_owned())]);
        assert_eq!(std::fs::read(&job.dest).unwrap(), server.body().to_vec());
    }

    #[tokio::test]
    async fn a_complete_partial_is_verified_after_416() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = server.job(dir.path());
        std::fs::create_dir_all(job.dest.parent().unwrap()).unwrap();
        std::fs::write(partial_of(&job), server.body()).unwrap();

        let (result, _) = run(&job).await;

        let done = result.unwrap();
        assert_eq!(done.resumed_from, BODY_LEN as u64);
        assert_eq!(done.sha256, sha_hex(server.body()));
        assert_eq!(server.ranges(), vec![Some(format!("bytes={BODY_LEN}-"))]);
        assert!(job.dest.exists());
        assert!(!partial_of(&job).exists());
    }

    #[tokio::test]
    async fn an_announced_size_that_contradicts_the_expected_one_is_refused() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = DownloadJob {
            size: Some(BODY_LEN as u64 + 1),
            ..server.job(dir.path())
        };

        let (result, events) = run(&job).await;

        match result.unwrap_err() {
            DownloadError::UnexpectedSize {
                expected,
                announced,
                ..
            } => assert_eq!(
                (expected, announced),
                (BODY_LEN as u64 + 1, BODY_LEN as u64)
            ),
            other => panic!("unexpected error: {other}"),
        }
        assert!(events.is_empty(), "{events:?}");
        assert!(!partial_of(&job).exists());
        assert!(!job.dest.exists());
    }

    #[tokio::test]
    async fn a_final_size_mismatch_removes_the_download() {
        let server = Server::start(Behaviour {
            chunked: true,
            ..Behaviour::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        for size in [BODY_LEN as u64 + 1, BODY_LEN as u64 - 1] {
            let job = DownloadJob {
                size: Some(size),
                sha256: None,
                ..server.job(dir.path())
            };

            let (result, _) = run(&job).await;

            let err = result.unwrap_err();
            assert!(
                matches!(err, DownloadError::SizeMismatch { expected, .. } if expected == size),
                "unexpected error: {err}"
            );
            assert!(err.to_string().contains("removed"), "{err}");
            assert!(!partial_of(&job).exists());
            assert!(!job.dest.exists());
        }
    }

    #[tokio::test]
    async fn an_existing_correct_destination_needs_no_request() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = server.job(dir.path());
        std::fs::create_dir_all(job.dest.parent().unwrap()).unwrap();
        std::fs::write(&job.dest, server.body()).unwrap();

        let (result, _) = run(&job).await;

        let done = result.unwrap();
        assert_eq!(done.sha256, sha_hex(server.body()));
        assert_eq!(done.resumed_from, 0);
        assert_eq!(server.hits(), 0);
    }

    #[tokio::test]
    async fn an_existing_wrong_destination_is_replaced() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = server.job(dir.path());
        std::fs::create_dir_all(job.dest.parent().unwrap()).unwrap();
        let mut wrong = server.body().to_vec();
        wrong[10] ^= 1;
        std::fs::write(&job.dest, wrong).unwrap();

        let (result, _) = run(&job).await;

        assert_eq!(result.unwrap().sha256, sha_hex(server.body()));
        assert_eq!(server.hits(), 1);
        assert_eq!(std::fs::read(&job.dest).unwrap(), server.body().to_vec());
    }

    #[tokio::test]
    async fn cancelling_stops_and_keeps_the_partial() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = server.job(dir.path());
        let cancel = CancellationToken::new();
        let on_progress = cancel.clone();

        let result = download(
            &client(),
            &job,
            &mut |p: Progress| {
                if matches!(p, Progress::Bytes { .. }) {
                    on_progress.cancel();
                }
            },
            &cancel,
        )
        .await;

        let err = result.unwrap_err();
        assert!(
            matches!(err, DownloadError::Cancelled { .. }),
            "unexpected error: {err}"
        );
        let kept = std::fs::metadata(partial_of(&job)).unwrap().len();
        assert!(kept > 0 && kept < BODY_LEN as u64, "kept {kept} bytes");
        assert!(!job.dest.exists());
    }

    #[tokio::test]
    async fn an_error_status_names_the_url_and_status() {
        let server = Server::start(Behaviour::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let job = DownloadJob {
            url: server.url.replace("model.gguf", "missing.gguf"),
            ..server.job(dir.path())
        };

        let (result, _) = run(&job).await;

        let err = result.unwrap_err();
        assert!(
            matches!(err, DownloadError::Status { status, .. } if status == StatusCode::NOT_FOUND),
            "unexpected error: {err}"
        );
        let message = err.to_string();
        assert!(
            message.contains(&job.url) && message.contains("404"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn non_http_urls_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            "file:///etc/passwd",
            "ftp://example.com/m.gguf",
            "not a url",
        ] {
            let job = DownloadJob {
                url: url.to_owned(),
                dest: dir.path().join("m.gguf"),
                sha256: None,
                size: None,
            };
            let (result, _) = run(&job).await;
            assert!(
                matches!(result, Err(DownloadError::UnsupportedUrl { .. })),
                "{url}: {result:?}"
            );
        }
    }

    #[test]
    fn answers_are_read_from_status_and_range() {
        let url = "http://host/m.gguf";
        let body = |resumed_from, total| Answer::Body {
            resumed_from,
            total,
        };
        let ok = |status, range, length, offset| interpret(url, status, range, length, offset);
        assert_eq!(
            ok(StatusCode::OK, None, Some(10), 0).unwrap(),
            body(0, Some(10))
        );
        assert_eq!(
            ok(StatusCode::OK, None, Some(10), 4).unwrap(),
            body(0, Some(10))
        );
        assert_eq!(
            ok(
                StatusCode::PARTIAL_CONTENT,
                Some("bytes 4-9/10"),
                Some(6),
                4
            )
            .unwrap(),
            body(4, Some(10))
        );
        assert_eq!(
            ok(
                StatusCode::RANGE_NOT_SATISFIABLE,
                Some("bytes */10"),
                None,
                10
            )
            .unwrap(),
            Answer::NothingMore { total: Some(10) }
        );
        assert!(matches!(
            ok(StatusCode::PARTIAL_CONTENT, Some("bytes 0-9/10"), None, 4),
            Err(DownloadError::BadContentRange { offset: 4, .. })
        ));
        assert!(matches!(
            ok(StatusCode::PARTIAL_CONTENT, None, None, 4),
            Err(DownloadError::BadContentRange { .. })
        ));
        // A 416 to a request that asked for no range is just an error.
        assert!(matches!(
            ok(StatusCode::RANGE_NOT_SATISFIABLE, None, None, 0),
            Err(DownloadError::Status { .. })
        ));
        assert!(matches!(
            ok(StatusCode::FORBIDDEN, None, None, 0),
            Err(DownloadError::Status {
                status: StatusCode::FORBIDDEN,
                ..
            })
        ));
    }

    #[test]
    fn content_range_forms_parse() {
        assert_eq!(
            parse_content_range("bytes 100-199/3000"),
            Some((Some(100), Some(3000)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((Some(5), None)));
        assert_eq!(
            parse_content_range("bytes */3000"),
            Some((None, Some(3000)))
        );
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range(""), None);
    }
}
