//! The in-process model runtime: llama.cpp on one dedicated thread that owns the loaded
//! model and its context. Requests queue to it over a channel; answers stream back token by
//! token. The thread keeps the KV cache of the last prompt, so the next request that starts
//! with the same tokens (the engine's byte-stable prefix, then the conversation so far)
//! only evaluates what is new. A model unused for `idle_unload` is dropped from memory.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc::UnboundedSender;

use super::options::LocalOptions;
use super::output::OutputParser;
use super::template::{CHATML, ChatTemplate};
use crate::model::{ChatRequest, StopReason, StreamEvent, Usage};
use crate::provider::ProviderError;

/// Tokens evaluated per decode call while reading a prompt.
const BATCH: usize = 512;
/// Room an answer needs at least; a prompt that leaves less is refused, not cut.
const MIN_ANSWER: usize = 256;

/// Counters since the process started, for tests, benchmarks and `pincer doctor`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Prompt tokens evaluated by the model.
    pub prompt_evaluated: AtomicU64,
    /// Prompt tokens served from the KV cache instead.
    pub prompt_reused: AtomicU64,
    pub generated: AtomicU64,
    /// Times a model was loaded from disk.
    pub loads: AtomicU64,
    /// Times an idle model was unloaded.
    pub unloads: AtomicU64,
    /// How long the last load took, in microseconds.
    pub last_load_micros: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterValues {
    pub prompt_evaluated: u64,
    pub prompt_reused: u64,
    pub generated: u64,
    pub loads: u64,
    pub unloads: u64,
    pub last_load_micros: u64,
}

impl Counters {
    pub fn get(&self) -> CounterValues {
        CounterValues {
            prompt_evaluated: self.prompt_evaluated.load(Ordering::Relaxed),
            prompt_reused: self.prompt_reused.load(Ordering::Relaxed),
            generated: self.generated.load(Ordering::Relaxed),
            loads: self.loads.load(Ordering::Relaxed),
            unloads: self.unloads.load(Ordering::Relaxed),
            last_load_micros: self.last_load_micros.load(Ordering::Relaxed),
        }
    }
}

pub(crate) type Events = UnboundedSender<Result<StreamEvent, ProviderError>>;

/// One answer to produce.
pub(crate) struct Job {
    pub(crate) provider: String,
    pub(crate) model: PathBuf,
    pub(crate) options: LocalOptions,
    pub(crate) request: ChatRequest,
    /// Closed by the receiver when the caller stops listening (a cancelled turn): the
    /// thread checks before every token.
    pub(crate) events: Events,
}

/// The process's one runtime thread.
pub struct Runtime {
    jobs: mpsc::Sender<Job>,
    counters: Arc<Counters>,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

impl Runtime {
    /// The runtime, its thread started on first use.
    pub fn get() -> &'static Runtime {
        RUNTIME.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let counters = Arc::new(Counters::default());
            let thread_counters = Arc::clone(&counters);
            let spawned = std::thread::Builder::new()
                .name("pincer-local-model".to_owned())
                .spawn(move || worker(rx, &thread_counters));
            if let Err(e) = spawned {
                // Jobs sent to a runtime without a thread fail: their sender is dropped.
                tracing::error!(error = %e, "could not start the local model thread");
            }
            Runtime { jobs: tx, counters }
        })
    }

    pub fn counters(&self) -> CounterValues {
        self.counters.get()
    }

    pub(crate) fn submit(&self, job: Job) {
        let events = job.events.clone();
        let provider = job.provider.clone();
        if self.jobs.send(job).is_err() {
            let _ = events.send(Err(ProviderError::Local {
                provider,
                detail: "the local model thread is not running".to_owned(),
            }));
        }
    }
}

/// A model in memory with what is needed to prompt it.
struct Loaded {
    path: PathBuf,
    model: LlamaModel,
    template: ChatTemplate,
}

fn worker(rx: mpsc::Receiver<Job>, counters: &Counters) {
    let mut backend = match LlamaBackend::init() {
        Ok(backend) => backend,
        Err(e) => {
            tracing::error!(error = %e, "could not start llama.cpp");
            for job in rx {
                fail(&job, format!("could not start llama.cpp: {e}"));
            }
            return;
        }
    };
    backend.void_logs();
    let mut next: Option<Job> = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        let started = Instant::now();
        let loaded = match load(&backend, &job.model) {
            Ok(loaded) => loaded,
            Err(detail) => {
                fail(&job, detail);
                continue;
            }
        };
        counters.loads.fetch_add(1, Ordering::Relaxed);
        counters
            .last_load_micros
            .store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        tracing::info!(model = %job.model.display(), ms = started.elapsed().as_millis() as u64, "local model loaded");
        let window = window(&loaded.model, &job.options);
        let context = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(window))
            .with_n_batch(BATCH as u32)
            .with_n_threads(job.options.threads as i32)
            .with_n_threads_batch(job.options.threads as i32)
            .with_flash_attention_policy(match job.options.flash_attention {
                None => -1,
                Some(false) => 0,
                Some(true) => 1,
            });
        let mut ctx = match loaded.model.new_context(&backend, context) {
            Ok(ctx) => ctx,
            Err(e) => {
                fail(
                    &job,
                    format!("could not create a context of {window} tokens: {e}"),
                );
                continue;
            }
        };
        let mut session = Session {
            loaded: &loaded,
            cached: Vec::new(),
            window: window as usize,
            counters,
        };
        let mut job = job;
        let mut idle = job.options.idle_unload;
        loop {
            session.answer(&mut ctx, &job);
            match rx.recv_timeout(idle) {
                // The same model with the same window and threads: keep it and its cache.
                Ok(another)
                    if another.model == loaded.path
                        && another.options.context == job.options.context
                        && another.options.threads == job.options.threads
                        && another.options.flash_attention == job.options.flash_attention =>
                {
                    idle = another.options.idle_unload;
                    job = another;
                }
                Ok(another) => {
                    next = Some(another);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    counters.unloads.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(model = %loaded.path.display(), "local model unloaded after being idle");
                    break;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

fn fail(job: &Job, detail: String) {
    let _ = job.events.send(Err(ProviderError::Local {
        provider: job.provider.clone(),
        detail,
    }));
}

fn load(backend: &LlamaBackend, path: &Path) -> Result<Loaded, String> {
    // Checked first: llama.cpp's own message for a bad file is only "failed to load".
    super::gguf::read_info(path).map_err(|e| e.to_string())?;
    let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
        .map_err(|e| format!("could not load {}: {e}", path.display()))?;
    let source = model
        .chat_template(None)
        .ok()
        .and_then(|t| t.to_string().ok())
        .unwrap_or_else(|| CHATML.to_owned());
    let vocab = model.vocab();
    let piece = |token: LlamaToken| {
        String::from_utf8_lossy(&vocab.token_to_piece(token, true, None)).into_owned()
    };
    let template = ChatTemplate::new(&source, &piece(vocab.bos()), &piece(vocab.eos()))
        .map_err(|e| e.to_string())?;
    Ok(Loaded {
        path: path.to_path_buf(),
        model,
        template,
    })
}

/// The window used: the configured size, at most what the model was trained with.
fn window(model: &LlamaModel, options: &LocalOptions) -> u32 {
    let trained = model.n_ctx_train();
    if trained == 0 {
        options.context
    } else {
        options.context.min(trained)
    }
}

/// What the model and its context hold between requests.
struct Session<'m> {
    loaded: &'m Loaded,
    /// The tokens whose keys and values are in the context, in order from position 0.
    cached: Vec<LlamaToken>,
    window: usize,
    counters: &'m Counters,
}

impl Session<'_> {
    fn answer(&mut self, ctx: &mut LlamaContext<'_>, job: &Job) {
        match self.generate(ctx, job) {
            Ok(()) => {}
            Err(error) => {
                // The cache may hold half a batch: start clean next time.
                ctx.clear_kv_cache();
                self.cached.clear();
                let _ = job.events.send(Err(error));
            }
        }
    }

    fn generate(&mut self, ctx: &mut LlamaContext<'_>, job: &Job) -> Result<(), ProviderError> {
        let local = |detail: String| ProviderError::Local {
            provider: job.provider.clone(),
            detail,
        };
        let model = &self.loaded.model;
        let vocab = model.vocab();
        let prompt_text = self
            .loaded
            .template
            .render(&job.request)
            .map_err(|e| local(e.to_string()))?;
        let prompt = vocab.tokenize(prompt_text.as_bytes(), false, true);
        if prompt.is_empty() {
            return Err(local("the prompt is empty".to_owned()));
        }
        if prompt.len() + MIN_ANSWER > self.window {
            return Err(ProviderError::WindowFull {
                provider: job.provider.clone(),
                needed: (prompt.len() + MIN_ANSWER) as u64,
                window: self.window as u64,
            });
        }
        // Reuse the cached keys and values of the longest common start; at least the last
        // prompt token is evaluated again, for its logits.
        let reused = self
            .cached
            .iter()
            .zip(&prompt)
            .take_while(|(a, b)| a == b)
            .count()
            .min(prompt.len() - 1);
        ctx.clear_kv_cache_seq(Some(0), Some(reused as u32), None)
            .map_err(|e| local(e.to_string()))?;
        self.cached.truncate(reused);
        let mut batch = LlamaBatch::new(BATCH, 1);
        let fresh = &prompt[reused..];
        for (chunk_index, chunk) in fresh.chunks(BATCH).enumerate() {
            if job.events.is_closed() {
                return Ok(());
            }
            batch.clear();
            let start = reused + chunk_index * BATCH;
            for (i, token) in chunk.iter().enumerate() {
                let pos = start + i;
                batch
                    .add(*token, pos as i32, &[0], pos == prompt.len() - 1)
                    .map_err(|e| local(e.to_string()))?;
            }
            ctx.decode(&mut batch)
                .map_err(|e| local(format!("reading the prompt failed: {e}")))?;
            self.cached.extend_from_slice(chunk);
        }
        self.counters
            .prompt_evaluated
            .fetch_add(fresh.len() as u64, Ordering::Relaxed);
        self.counters
            .prompt_reused
            .fetch_add(reused as u64, Ordering::Relaxed);

        let max_new = (job
            .request
            .max_tokens
            .unwrap_or(job.options.max_answer_tokens) as usize)
            .min(self.window - prompt.len());
        let mut sampler = sampler(&job.options, model.n_vocab());
        let mut parser =
            OutputParser::new(self.loaded.template.tools && !job.request.tools.is_empty());
        let mut bytes: Vec<u8> = Vec::new();
        let mut generated = 0usize;
        let mut stop = StopReason::MaxTokens;
        let mut logits_at = batch.n_tokens() - 1;
        while generated < max_new {
            if job.events.is_closed() {
                // Cancelled: nobody listens any more.
                self.counters
                    .generated
                    .fetch_add(generated as u64, Ordering::Relaxed);
                return Ok(());
            }
            let token = sampler.sample(ctx, logits_at);
            sampler.accept(token);
            if vocab.is_eog(token) {
                stop = StopReason::EndTurn;
                break;
            }
            generated += 1;
            vocab.token_to_piece_into(token, &mut bytes, false, None);
            let text = take_utf8(&mut bytes);
            if !text.is_empty() {
                for event in parser.push(&text) {
                    if job.events.send(Ok(event)).is_err() {
                        return Ok(());
                    }
                }
            }
            batch.clear();
            let pos = self.cached.len();
            batch
                .add(token, pos as i32, &[0], true)
                .map_err(|e| local(e.to_string()))?;
            ctx.decode(&mut batch)
                .map_err(|e| local(format!("generating failed: {e}")))?;
            self.cached.push(token);
            logits_at = 0;
        }
        if !bytes.is_empty() {
            for event in parser.push(&String::from_utf8_lossy(&bytes)) {
                let _ = job.events.send(Ok(event));
            }
        }
        for event in parser.finish() {
            let _ = job.events.send(Ok(event));
        }
        self.counters
            .generated
            .fetch_add(generated as u64, Ordering::Relaxed);
        if parser.calls() > 0 {
            stop = StopReason::ToolUse;
        }
        let _ = job.events.send(Ok(StreamEvent::Usage(Usage {
            input_tokens: prompt.len() as u64,
            cached_input_tokens: reused as u64,
            output_tokens: generated as u64,
            estimated: false,
        })));
        let _ = job.events.send(Ok(StreamEvent::Done(stop)));
        Ok(())
    }
}

fn sampler(options: &LocalOptions, n_vocab: i32) -> LlamaSampler {
    if options.temperature <= 0.0 {
        return LlamaSampler::greedy();
    }
    let seed = options.seed.unwrap_or_else(|| fastrand::u32(..));
    LlamaSampler::chain_simple([
        // As llama.cpp's own defaults: a mild penalty on the last 64 tokens keeps a small
        // model from repeating itself. (Greedy above stays pure, for reproducible output.)
        LlamaSampler::penalties(n_vocab, 64, 1.1, 0.0, 0.0),
        LlamaSampler::top_k(40),
        LlamaSampler::top_p(0.95, 1),
        LlamaSampler::min_p(0.05, 1),
        LlamaSampler::temp(options.temperature),
        LlamaSampler::dist(seed),
    ])
}

/// The longest valid UTF-8 start of `bytes`, taken out; a character split across tokens
/// waits for its next bytes. Bytes that can never be valid are replaced.
fn take_utf8(bytes: &mut Vec<u8>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let text = text.to_owned();
            bytes.clear();
            text
        }
        Err(e) => {
            let valid = e.valid_up_to();
            if e.error_len().is_some() {
                // Invalid, not merely incomplete.
                let text = String::from_utf8_lossy(bytes).into_owned();
                bytes.clear();
                return text;
            }
            let text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            bytes.drain(..valid);
            text
        }
    }
}
