//! One model round trip: stream it, retry what may succeed again, fall back when a provider
//! gives up, and record usage for every request sent.

use std::time::Instant;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{Config, Shared};
use crate::model::{ChatRequest, StopReason, StreamEvent, ToolCall, Usage, estimate_tokens};
use crate::protocol::Event;
use crate::provider::{Provider, ProviderError};
use crate::store::UsageRecord;

/// What the model answered.
#[derive(Debug, Default)]
pub(crate) struct ModelResponse {
    pub(crate) text: String,
    pub(crate) tool_calls: Vec<ToolCall>,
    pub(crate) usage: Usage,
}

pub(crate) enum CallError {
    Cancelled,
    Failed(ProviderError),
}

/// A failed round trip with whatever had been streamed before it failed.
pub(crate) struct Failure {
    pub(crate) partial: ModelResponse,
    pub(crate) error: CallError,
}

pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) config: &'a Config,
    pub(crate) session: &'a str,
    pub(crate) submission: &'a str,
    pub(crate) turn_id: &'a str,
    pub(crate) step: u32,
    pub(crate) cancel: &'a CancellationToken,
    /// The engine's own request (compaction): its text is not streamed to surfaces.
    pub(crate) quiet: bool,
    /// A request outside any turn (the idle flush): no events at all; usage is recorded.
    pub(crate) silent: bool,
    /// The configured provider to ask first (a job's model); the others stay fallbacks.
    pub(crate) prefer: Option<&'a str>,
}

impl Call<'_> {
    fn emit(&self, event: Event) {
        if !self.silent {
            self.shared.emit(self.session, self.submission, event);
        }
    }

    pub(crate) async fn run(&self, request: &ChatRequest) -> Result<ModelResponse, Failure> {
        let mut providers: Vec<&dyn Provider> =
            self.config.providers.iter().map(|p| p.as_ref()).collect();
        if let Some(first) = self.prefer
            && let Some(at) = providers.iter().position(|p| p.name() == first)
        {
            let preferred = providers.remove(at);
            providers.insert(0, preferred);
        }
        let mut last_error = None;
        for (index, provider) in providers.iter().enumerate() {
            match self.with_retries(*provider, request).await {
                Ok(response) => return Ok(response),
                Err(failure) => {
                    let next = providers.get(index + 1);
                    match (&failure.error, next) {
                        (CallError::Failed(error), Some(next))
                            if error.allows_fallback() && !produced_output(&failure.partial) =>
                        {
                            self.emit(Event::ProviderFallback {
                                from: provider.name().to_owned(),
                                to: next.name().to_owned(),
                                reason: error.failure(),
                            });
                            last_error = Some(failure);
                        }
                        _ => return Err(failure),
                    }
                }
            }
        }
        // The last provider returns its own failure above; this is only reached with no
        // providers at all, which the turn checks before calling.
        Err(last_error.unwrap_or(Failure {
            partial: ModelResponse::default(),
            error: CallError::Cancelled,
        }))
    }

    async fn with_retries(
        &self,
        provider: &dyn Provider,
        request: &ChatRequest,
    ) -> Result<ModelResponse, Failure> {
        let policy = self.config.settings.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.attempt(provider, request).await {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            let CallError::Failed(error) = &failure.error else {
                return Err(failure);
            };
            // Once text reached the user a retry would repeat it; the turn fails instead.
            if !error.is_retryable() || produced_output(&failure.partial) {
                return Err(failure);
            }
            let Some(delay) = policy.delay(attempt, error.retry_after()) else {
                return Err(failure);
            };
            self.emit(Event::ProviderRetry {
                provider: provider.name().to_owned(),
                attempt,
                delay_ms: delay.as_millis() as u64,
                reason: error.failure(),
            });
            tokio::select! {
                () = self.cancel.cancelled() => {
                    return Err(Failure { partial: ModelResponse::default(), error: CallError::Cancelled });
                }
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    async fn attempt(
        &self,
        provider: &dyn Provider,
        request: &ChatRequest,
    ) -> Result<ModelResponse, Failure> {
        self.emit(Event::ModelRequest {
            step: self.step,
            provider: provider.name().to_owned(),
            model: provider.model().to_owned(),
        });
        let started = Instant::now();
        let mut first_output = None;
        let mut response = ModelResponse::default();
        let mut reported_usage = false;
        let mut stream = provider.stream(request);
        let outcome = loop {
            let next = tokio::select! {
                () = self.cancel.cancelled() => break Err(CallError::Cancelled),
                next = stream.next() => next,
            };
            let event = match next {
                Some(Ok(event)) => event,
                Some(Err(error)) => break Err(CallError::Failed(error)),
                None => {
                    break Err(CallError::Failed(ProviderError::StreamCut {
                        provider: provider.name().to_owned(),
                        detail: "the stream ended without a finish".to_owned(),
                    }));
                }
            };
            if first_output.is_none() && !matches!(event, StreamEvent::Usage(_)) {
                first_output = Some(started.elapsed());
            }
            match event {
                StreamEvent::TextDelta(text) => {
                    response.text.push_str(&text);
                    if !self.quiet {
                        self.emit(Event::TextDelta { text });
                    }
                }
                StreamEvent::ReasoningDelta(_) if self.quiet => {}
                StreamEvent::ReasoningDelta(text) => {
                    self.emit(Event::ReasoningDelta { text });
                }
                StreamEvent::ToolCall(call) => response.tool_calls.push(call),
                StreamEvent::Usage(usage) => {
                    reported_usage = true;
                    response.usage = usage;
                }
                StreamEvent::Done(stop) => {
                    if stop == StopReason::MaxTokens {
                        tracing::warn!(
                            session = self.session,
                            "the model hit its output token limit"
                        );
                    }
                    break Ok(());
                }
            }
        };
        drop(stream);
        if outcome.is_ok() && !reported_usage {
            // Some servers (llama-cpp-python) never report usage when streaming; an
            // estimate, marked as one, is more honest than a zero.
            let output: usize = response.text.len()
                + response
                    .tool_calls
                    .iter()
                    .map(|c| c.name.len() + c.arguments.len())
                    .sum::<usize>();
            response.usage = Usage {
                input_tokens: estimate_tokens(request.prompt_chars()),
                cached_input_tokens: 0,
                output_tokens: estimate_tokens(output),
                estimated: true,
            };
        }
        let error_text = match &outcome {
            Ok(()) => None,
            Err(CallError::Cancelled) => Some("cancelled".to_owned()),
            Err(CallError::Failed(error)) => Some(error.to_string()),
        };
        let record = UsageRecord {
            session: self.session.to_owned(),
            turn_id: self.turn_id.to_owned(),
            provider: provider.name().to_owned(),
            model: provider.model().to_owned(),
            usage: response.usage,
            ttft_ms: first_output.map(|d| d.as_millis() as u64),
            duration_ms: started.elapsed().as_millis() as u64,
            status: match &outcome {
                Ok(()) => "ok",
                Err(CallError::Cancelled) => "cancelled",
                Err(CallError::Failed(_)) => "error",
            },
            error: error_text,
        };
        if let Err(e) = self.shared.store.record_usage(&record) {
            tracing::error!(error = %e, "could not record usage");
        }
        if outcome.is_ok() {
            self.emit(Event::Usage {
                provider: provider.name().to_owned(),
                model: provider.model().to_owned(),
                usage: response.usage,
            });
        }
        match outcome {
            Ok(()) => Ok(response),
            Err(error) => Err(Failure {
                partial: response,
                error,
            }),
        }
    }
}

fn produced_output(response: &ModelResponse) -> bool {
    !response.text.is_empty() || !response.tool_calls.is_empty()
}
