//! Keeps the memories embedded: a background task asks the endpoint for the vectors of
//! whatever current memory lacks one under the configured model (all of them after a
//! change of model), a batch at a time, and says how far it is. Recall embeds each new
//! message through the same client and scans the index.
//!
//! Failures are visible and cost a turn nothing: the status carries the last error, the
//! worker backs off and tries again, and recall goes on by words alone while the endpoint
//! is unreachable (it is not asked again for a while, so a dead endpoint does not add its
//! timeout to every turn).

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::client::{EmbedError, EmbeddingsClient, Purpose};
use super::index::{Nearest, VectorIndex};
use super::{EmbeddingsEndpoint, background};
use crate::store::{EmbeddingKey, Store, content_hash};
use crate::sync::lock;

/// Memories embedded per request.
const BATCH: usize = 32;
/// How long a batch may take, and a message's embedding (it delays the turn).
const BATCH_TIMEOUT: Duration = Duration::from_secs(120);
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
/// The most of a text sent to be embedded: the vector of a long text is mostly its
/// beginning anyway, and a server embeds one text at a time (10k characters hold a small
/// server for ten seconds, every other request waiting).
const DOCUMENT_CHARS: usize = 2000;
const QUERY_CHARS: usize = 1000;
/// After a failed query, recall uses words alone this long before asking again.
const QUERY_PAUSE: Duration = Duration::from_secs(30);
/// The worker's wait after a failure, doubling up to the most.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MOST_BACKOFF: Duration = Duration::from_secs(300);
/// With nothing to do, the worker looks again this often (memories saved by another
/// process, e.g. an import while the daemon ran).
const IDLE_CHECK: Duration = Duration::from_secs(60);

/// How far the memories are embedded, as surfaces show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemoryIndexStatus {
    /// The endpoint's name and the model.
    pub endpoint: String,
    pub model: String,
    /// Current memories with a vector, refused by the endpoint, and in all.
    pub embedded: u64,
    pub refused: u64,
    pub total: u64,
    /// The last failure, until something succeeds again.
    pub error: Option<String>,
}

#[derive(Default)]
struct Inner {
    client: Option<Arc<EmbeddingsClient>>,
    error: Option<String>,
    /// No query embeddings before this instant (the endpoint just failed one).
    queries_paused_until: Option<Instant>,
    worker_running: bool,
    /// The key whose background set is known to be embedded.
    background_done: Option<EmbeddingKey>,
}

pub struct Embedder {
    store: Arc<Store>,
    inner: Mutex<Inner>,
    index: Mutex<VectorIndex>,
    wake: Arc<Notify>,
}

impl Embedder {
    pub fn new(store: Arc<Store>) -> Arc<Self> {
        Arc::new(Self {
            store,
            inner: Mutex::new(Inner::default()),
            index: Mutex::new(VectorIndex::default()),
            wake: Arc::new(Notify::new()),
        })
    }

    /// Uses `endpoint` from now on (none: recall by words only). The same endpoint again
    /// changes nothing; another one re-embeds in the background.
    pub fn configure(self: &Arc<Self>, endpoint: Option<EmbeddingsEndpoint>) {
        {
            let mut inner = lock(&self.inner);
            let current = inner.client.as_ref().map(|c| c.endpoint());
            if current == endpoint.as_ref() {
                return;
            }
            inner.client = match endpoint.map(EmbeddingsClient::new).transpose() {
                Ok(client) => client.map(Arc::new),
                Err(e) => {
                    inner.error = Some(e.to_string());
                    None
                }
            };
            if inner.client.is_some() {
                inner.error = None;
            }
            inner.queries_paused_until = None;
        }
        self.wake();
    }

    /// Something changed the memories: embed what is new. Starts the worker on the first
    /// call made inside a Tokio runtime.
    pub fn wake(self: &Arc<Self>) {
        self.ensure_worker();
        self.wake.notify_one();
    }

    fn client(&self) -> Option<Arc<EmbeddingsClient>> {
        lock(&self.inner).client.clone()
    }

    /// How far the memories are embedded; `None` without an endpoint.
    pub fn status(&self) -> Option<MemoryIndexStatus> {
        let (client, error) = {
            let inner = lock(&self.inner);
            (inner.client.clone()?, inner.error.clone())
        };
        let endpoint = client.endpoint();
        let progress = self
            .store
            .embedding_progress(&endpoint.key())
            .unwrap_or_default();
        Some(MemoryIndexStatus {
            endpoint: endpoint.name.clone(),
            model: endpoint.model.clone(),
            embedded: progress.embedded,
            refused: progress.refused,
            total: progress.total,
            error,
        })
    }

    /// The vector of a new message, or `None` (no endpoint, or it failed: recall then
    /// goes by words, and the failure shows in the status).
    pub async fn embed_query(self: &Arc<Self>, text: &str) -> Option<(EmbeddingKey, Vec<f32>)> {
        self.ensure_worker();
        let client = {
            let inner = lock(&self.inner);
            if inner
                .queries_paused_until
                .is_some_and(|until| Instant::now() < until)
            {
                return None;
            }
            inner.client.clone()?
        };
        let text = clip(text, QUERY_CHARS);
        if text.trim().is_empty() {
            return None;
        }
        match client.embed(&[text], Purpose::Query, QUERY_TIMEOUT).await {
            Ok(mut vectors) => {
                let vector = vectors.pop()?;
                lock(&self.inner).error = None;
                Some((client.endpoint().key(), vector))
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not embed the message; recall goes by words alone");
                let mut inner = lock(&self.inner);
                inner.error = Some(e.to_string());
                inner.queries_paused_until = Some(Instant::now() + QUERY_PAUSE);
                None
            }
        }
    }

    /// The index brought up to date with `key`'s vectors, and the `k` nearest to `query`.
    pub fn nearest(
        &self,
        key: &EmbeddingKey,
        query: &[f32],
        k: usize,
    ) -> Option<(Nearest, MutexGuard<'_, VectorIndex>)> {
        let mut index = lock(&self.index);
        if let Err(e) = index.refresh(&self.store, key) {
            tracing::warn!(error = %e, "could not read the memories' vectors");
            return None;
        }
        let nearest = index.nearest(query, k);
        Some((nearest, index))
    }

    fn ensure_worker(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let mut inner = lock(&self.inner);
            // Without an endpoint there is nothing to embed: no task waking every minute
            // (`configure` starts it when one comes).
            if inner.worker_running || inner.client.is_none() {
                return;
            }
            inner.worker_running = true;
        }
        runtime.spawn(work(Arc::downgrade(self), Arc::clone(&self.wake)));
    }

    /// Embeds one batch of what is missing: `Ok(true)` if there may be more.
    async fn embed_batch(&self) -> Result<bool, EmbedError> {
        let Some(client) = self.client() else {
            return Ok(false);
        };
        let key = client.endpoint().key();
        self.embed_background(&client, &key).await?;
        let todo = match self.store.memories_to_embed(&key, BATCH) {
            Ok(todo) => todo,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the memories to embed");
                return Ok(false);
            }
        };
        if todo.is_empty() {
            return Ok(false);
        }
        let texts: Vec<&str> = todo
            .iter()
            .map(|(_, text)| clip(text, DOCUMENT_CHARS))
            .collect();
        let vectors = match client.embed(&texts, Purpose::Document, BATCH_TIMEOUT).await {
            Ok(vectors) => vectors,
            // One of them is refused: find which, one at a time, and keep the others.
            Err(e) if e.is_refusal() => {
                let mut vectors = Vec::with_capacity(todo.len());
                for text in &texts {
                    match client
                        .embed(&[text], Purpose::Document, BATCH_TIMEOUT)
                        .await
                    {
                        Ok(mut one) => vectors.push(one.pop().unwrap_or_default()),
                        Err(e) if e.is_refusal() => {
                            tracing::warn!(error = %e, "the embeddings endpoint refused a memory; it is recalled by words only");
                            vectors.push(Vec::new());
                        }
                        Err(e) => return Err(e),
                    }
                }
                vectors
            }
            Err(e) => return Err(e),
        };
        let saved: Vec<(String, Vec<f32>)> = todo
            .into_iter()
            .map(|(hash, _)| hash)
            .zip(vectors)
            .collect();
        if let Err(e) = self.store.save_embeddings(&key, &saved) {
            tracing::warn!(error = %e, "could not save the memories' vectors");
            return Ok(false);
        }
        lock(&self.inner).error = None;
        if let Ok(progress) = self.store.embedding_progress(&key) {
            tracing::info!(
                model = key.model,
                embedded = progress.embedded,
                total = progress.total,
                "embedding memories"
            );
        }
        Ok(true)
    }
}

impl Embedder {
    /// Embeds the background set under `key`, once.
    async fn embed_background(
        &self,
        client: &EmbeddingsClient,
        key: &EmbeddingKey,
    ) -> Result<(), EmbedError> {
        if lock(&self.inner).background_done.as_ref() == Some(key) {
            return Ok(());
        }
        let hashes: Vec<String> = background::PASSAGES
            .iter()
            .map(|p| format!("{}{}", background::PREFIX, content_hash(p)))
            .collect();
        let missing = match self.store.missing_embeddings(key, &hashes) {
            Ok(missing) => missing,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the background vectors");
                return Ok(());
            }
        };
        if !missing.is_empty() {
            let texts: Vec<&str> = background::PASSAGES.to_vec();
            let vectors = client
                .embed(&texts, Purpose::Document, BATCH_TIMEOUT)
                .await?;
            let saved: Vec<(String, Vec<f32>)> = hashes.into_iter().zip(vectors).collect();
            if let Err(e) = self.store.save_embeddings(key, &saved) {
                tracing::warn!(error = %e, "could not save the background vectors");
                return Ok(());
            }
        }
        lock(&self.inner).background_done = Some(key.clone());
        Ok(())
    }
}

/// At most `chars` characters of `text`, cut at a character boundary.
fn clip(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// The worker: embeds while there is something to embed, then waits to be woken. Ends
/// when the engine that owns the embedder is gone.
async fn work(embedder: Weak<Embedder>, wake: Arc<Notify>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let wait = {
            let Some(embedder) = embedder.upgrade() else {
                return;
            };
            match embedder.embed_batch().await {
                Ok(true) => {
                    backoff = FIRST_BACKOFF;
                    continue;
                }
                Ok(false) => IDLE_CHECK,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "could not embed memories");
                    lock(&embedder.inner).error = Some(e.to_string());
                    let wait = backoff;
                    backoff = (backoff * 2).min(MOST_BACKOFF);
                    wait
                }
            }
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_at_a_character_boundary() {
        assert_eq!(clip("西湖散步", 2), "西湖");
        assert_eq!(clip("short", 100), "short");
        assert_eq!(clip("", 3), "");
    }
}
