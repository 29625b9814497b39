//! A turn: model → tools → model … until the model stops, the step limit, a failure or a
//! cancellation. Every message is stored the moment it exists.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::model_call::{Call, CallError};
use super::session::{Queued, SessionShared, SessionState};
use super::tool_call::ToolRun;
use super::{Config, Shared, compact, history};
use crate::memory::recall::{self, Recall};
use crate::memory::tools::GLOBAL;
use crate::model::{ChatRequest, Message, ToolCall, Usage, new_call_id};
use crate::protocol::{ApprovalMode, Event, Failure, FailureKind};
use crate::skills::{self, Catalog, skill_tool};
use crate::store::TurnOutcome;
use crate::tools::dispatch;

/// Why a turn fails when no provider is set up; surfaces show it as is.
pub(crate) const NO_PROVIDER: &str =
    "no model provider is configured: pick one in Settings, or set PINCER_PROVIDER / a vendor key";

pub(crate) async fn run(
    shared: Arc<Shared>,
    session: Arc<SessionShared>,
    mut state: SessionState,
    queued: Queued,
    cancel: CancellationToken,
) -> SessionState {
    let Queued {
        submission,
        turn_id,
        text,
        approvals,
        job,
    } = queued;
    shared.emit(
        &state.id,
        &submission,
        Event::TurnStarted {
            turn_id: turn_id.clone(),
            text: text.clone(),
        },
    );
    let config = shared.config();
    // The skills as of now, for the whole turn: the index never changes mid-turn.
    let catalog = shared.skills.current();
    let turn = Turn {
        shared: &shared,
        config: &config,
        catalog: &catalog,
        session: &session,
        submission: &submission,
        turn_id: &turn_id,
        approvals,
        job: job.as_ref(),
        cancel: &cancel,
    };
    let end = match turn.drive(&mut state, text).await {
        Ok(end) => end,
        Err(error) => Event::TurnFailed {
            turn_id: turn_id.clone(),
            error,
        },
    };
    record_end(&shared, &state.id, &end);
    // The model may have saved memories: embed them now rather than at the next check.
    shared.embedder.wake();
    // As `history::load` will render it from the record.
    if let Some(note) = history::note_after(&end) {
        state.history.push(note);
    }
    shared.emit(&state.id, &submission, end);
    state
}

/// Stores how the turn ended, so history read back later can say it.
fn record_end(shared: &Shared, session: &str, end: &Event) {
    let (turn_id, outcome, detail, kind) = match end {
        Event::TurnCompleted { turn_id, .. } => (turn_id, TurnOutcome::Completed, None, None),
        Event::TurnCancelled { turn_id } => (turn_id, TurnOutcome::Cancelled, None, None),
        Event::StepLimitReached { turn_id, limit } => (
            turn_id,
            TurnOutcome::StepLimit,
            Some(limit.to_string()),
            None,
        ),
        Event::TurnFailed { turn_id, error } => (
            turn_id,
            TurnOutcome::Failed,
            Some(error.message.clone()),
            Some(error.kind),
        ),
        _ => return,
    };
    if let Err(e) = shared
        .store
        .record_turn_end(session, turn_id, outcome, detail.as_deref(), kind)
    {
        tracing::error!(error = %e, "could not record how the turn ended");
    }
}

struct Turn<'a> {
    shared: &'a Shared,
    config: &'a Config,
    catalog: &'a Catalog,
    session: &'a SessionShared,
    submission: &'a str,
    turn_id: &'a str,
    approvals: ApprovalMode,
    job: Option<&'a crate::protocol::JobTurn>,
    cancel: &'a CancellationToken,
}

impl Turn<'_> {
    /// Runs the turn; returns its closing event, or the failure for `TurnFailed`.
    async fn drive(&self, state: &mut SessionState, text: String) -> Result<Event, Failure> {
        if self.config.providers.is_empty() {
            self.append(state, Message::user(text.clone()))?;
            return Err(Failure::new(FailureKind::NoProvider, NO_PROVIDER));
        }
        if let Some(wanted) = self.job.and_then(|job| job.model.as_deref())
            && !self.config.providers.iter().any(|p| p.name() == wanted)
        {
            self.append(state, Message::user(text.clone()))?;
            let names: Vec<&str> = self.config.providers.iter().map(|p| p.name()).collect();
            return Err(Failure::new(
                FailureKind::NotFound,
                format!(
                    "the job asks for the provider {wanted:?}, which is not configured (configured: {})",
                    names.join(", ")
                ),
            ));
        }
        let recall = if self.job.is_some_and(|job| job.minimal) {
            Recall::default()
        } else {
            self.recall(&state.id, &text).await
        };
        self.append_with_context(state, Message::user(text.clone()), recall.block.as_deref())?;
        if !recall.items.is_empty() {
            if let Err(e) = self.shared.store.record_recall(&state.id, &recall.items) {
                tracing::warn!(error = %e, "could not record what was recalled");
            }
            self.shared.emit(
                &state.id,
                self.submission,
                Event::Recalled {
                    turn_id: self.turn_id.to_owned(),
                    items: recall.items,
                },
            );
        }
        self.force_skill(state, &text).await?;
        // Built once: loading a skill or describing a tool adds to the conversation, never
        // to the tools array, so the cached prefix holds for the whole session.
        let (system, tools) = self.prompt_head();
        let mut usage = Usage::default();
        let max_steps = self.config.settings.max_steps;
        // At most one compaction per user turn, whether the estimate or the provider asks.
        let mut compacted = false;
        let mut step = 0;
        loop {
            step += 1;
            if step > max_steps {
                break;
            }
            let mut request = self.request(&system, &tools, state);
            let estimated = compact::estimate(&request);
            let calibrated = (estimated as f64 * state.token_ratio.unwrap_or(1.0)) as u64;
            if !compacted && compact::needed(self.config, calibrated) {
                compacted = true;
                let done = match self.compact(state, false).await {
                    Err(f) if f.kind == FailureKind::Cancelled => return Ok(self.cancelled()),
                    other => other?,
                };
                if done {
                    request = self.request(&system, &tools, state);
                }
            }
            if let Some(job) = self.job {
                crate::scheduler::spend::check(
                    &self.shared.store,
                    &state.id,
                    job.spend_cap_usd,
                    self.config.settings.scheduler.daily_spend_usd,
                    self.shared.wall_clock().unix_now(),
                    &self.config.settings.pricing,
                )?;
            }
            let call = Call {
                shared: self.shared,
                config: self.config,
                session: &state.id,
                submission: self.submission,
                turn_id: self.turn_id,
                step,
                cancel: self.cancel,
                quiet: false,
                silent: false,
                prefer: self.job.and_then(|job| job.model.as_deref()),
            };
            let response = match call.run(&request).await {
                Ok(response) => response,
                // The provider says the window is full: compact once and send again.
                Err(failure)
                    if !compacted
                        && failure.partial.text.is_empty()
                        && matches!(&failure.error, CallError::Failed(e) if e.kind() == FailureKind::ContextTooLong) =>
                {
                    compacted = true;
                    let done = match self.compact(state, true).await {
                        Err(f) if f.kind == FailureKind::Cancelled => return Ok(self.cancelled()),
                        other => other?,
                    };
                    if done {
                        step -= 1;
                        continue;
                    }
                    let CallError::Failed(error) = failure.error else {
                        return Ok(self.cancelled());
                    };
                    return Err(error.failure());
                }
                Err(failure) => {
                    // Keep what the user already saw; a later turn can refer to it.
                    if !failure.partial.text.is_empty() {
                        self.append(state, Message::assistant(failure.partial.text, Vec::new()))?;
                    }
                    return match failure.error {
                        CallError::Cancelled => Ok(self.cancelled()),
                        CallError::Failed(error) => Err(error.failure()),
                    };
                }
            };
            if !response.usage.estimated && response.usage.input_tokens > 0 && estimated > 0 {
                let ratio = response.usage.input_tokens as f64 / estimated as f64;
                state.token_ratio = Some(ratio.clamp(0.25, 4.0));
            }
            usage.add(response.usage);
            // Providers reuse their call ids (`call_0` every turn): every call gets an id
            // of ours, and theirs is kept only to echo back to them.
            let calls: Vec<ToolCall> = response
                .tool_calls
                .into_iter()
                .map(|call| ToolCall {
                    id: new_call_id(),
                    provider_id: Some(call.id),
                    name: call.name,
                    arguments: call.arguments,
                })
                .collect();
            self.append(
                state,
                Message::assistant(response.text.clone(), calls.clone()),
            )?;
            if calls.is_empty() {
                return Ok(Event::TurnCompleted {
                    turn_id: self.turn_id.to_owned(),
                    text: response.text,
                    usage,
                    steps: step,
                });
            }
            let session_id = state.id.clone();
            let runner = self.tool_run(&session_id);
            let mut cancelled = false;
            for call in &calls {
                // After a cancellation the remaining calls still get a result, so the
                // stored history stays valid for the next turn.
                let message = if cancelled {
                    Message::tool_result(&call.id, history::NOT_RUN, true)
                } else {
                    let outcome = runner.run(call).await;
                    cancelled = outcome.cancelled || self.cancel.is_cancelled();
                    outcome.message
                };
                self.append(state, message)?;
            }
            if cancelled {
                return Ok(self.cancelled());
            }
        }
        Ok(Event::StepLimitReached {
            turn_id: self.turn_id.to_owned(),
            limit: max_steps,
        })
    }

    fn request(
        &self,
        system: &str,
        tools: &[crate::model::ToolSpec],
        state: &SessionState,
    ) -> ChatRequest {
        ChatRequest {
            system: system.to_owned(),
            messages: state.history.clone(),
            tools: tools.to_vec(),
            max_tokens: self.config.settings.max_tokens,
        }
    }

    /// Compacts the session's older turns (see [`compact`]), flushing durable facts to
    /// memory first. `full`: the provider said the window is full, so every turn before
    /// the running one goes. False when there was nothing older to compact. A failed model
    /// call fails the turn: the user sees why, and nothing was changed.
    async fn compact(&self, state: &mut SessionState, full: bool) -> Result<bool, Failure> {
        let store = &self.shared.store;
        let internal = |e: crate::store::StoreError| {
            Failure::new(
                FailureKind::Internal,
                format!("could not compact the conversation: {e}"),
            )
        };
        let stored = store.messages(&state.id).map_err(internal)?;
        let previous = store.latest_compaction(&state.id).map_err(internal)?;
        let upto = previous.as_ref().map_or(0, |c| c.upto_message);
        let earlier = previous.as_ref().map_or(0, |c| c.messages);
        let previous = previous.map(|c| c.text);
        let live: Vec<_> = stored.into_iter().filter(|m| m.id > upto).collect();
        let window = compact::window(self.config);
        let (keep, facts_chars, summary_tokens) = compact::budgets(window);
        let span = compact::span(&live, self.turn_id, if full { 0 } else { keep });
        let Some(last) = span.last() else {
            return Ok(false);
        };
        // What an idle flush already read is not read again.
        let flushed = store.flushed_upto(&state.id).map_err(internal)?;
        let unread: Vec<_> = span.iter().filter(|m| m.id > flushed).cloned().collect();
        let facts_saved = match compact::flush_request(&unread) {
            Some(request) => {
                let answer = self.quiet_call(&state.id, &request).await?;
                compact::save_flushed(store, &state.id, &answer)?
            }
            None => 0,
        };
        store
            .record_flush(&state.id, last.id, facts_saved)
            .map_err(internal)?;
        let transcript = compact::transcript(span, previous.as_deref());
        let summary = self
            .quiet_call(
                &state.id,
                &compact::summary_request(&transcript, summary_tokens),
            )
            .await?;
        let facts = compact::facts(span, previous.as_deref(), facts_chars);
        let total = earlier + span.len() as u64;
        let text = compact::message(total, &summary, &facts);
        store
            .record_compaction(&state.id, self.turn_id, last.id, &text, total)
            .map_err(internal)?;
        state.history = history::load_running(store, &state.id, self.turn_id).map_err(internal)?;
        tracing::info!(
            session = state.id,
            messages = span.len(),
            facts_saved,
            "compacted older turns"
        );
        self.shared.emit(
            &state.id,
            self.submission,
            Event::Compacted {
                turn_id: self.turn_id.to_owned(),
                messages: span.len() as u64,
                facts_saved,
            },
        );
        Ok(true)
    }

    /// One request of the engine's own (compaction), its text not streamed to surfaces.
    async fn quiet_call(&self, session: &str, request: &ChatRequest) -> Result<String, Failure> {
        let call = Call {
            shared: self.shared,
            config: self.config,
            session,
            submission: self.submission,
            turn_id: self.turn_id,
            step: 0,
            cancel: self.cancel,
            quiet: true,
            silent: false,
            prefer: self.job.and_then(|job| job.model.as_deref()),
        };
        match call.run(request).await {
            Ok(response) => Ok(response.text),
            Err(failure) => Err(match failure.error {
                CallError::Cancelled => Failure::new(
                    FailureKind::Cancelled,
                    "cancelled while compacting the conversation",
                ),
                CallError::Failed(error) => {
                    let failure = error.failure();
                    Failure::new(
                        failure.kind,
                        format!("could not compact the conversation: {}", failure.message),
                    )
                }
            }),
        }
    }

    /// The system prompt and tools, shaped for the primary provider: in full for remote
    /// models; for a small local window the capped skill index and every tool behind
    /// `use_tool` (its schema disclosed when asked), or no tools for a model without them.
    fn prompt_head(&self) -> (String, Vec<crate::model::ToolSpec>) {
        let profile = self
            .config
            .providers
            .first()
            .map(|p| p.profile())
            .unwrap_or_default();
        match (profile.compact, profile.tools) {
            (false, _) => (
                format!("{}{}", self.config.system_prompt, self.catalog.prompt),
                dispatch::offered(&self.shared.tool_specs, &self.shared.tools, self.catalog),
            ),
            (true, true) => (
                format!(
                    "{}{}",
                    self.config.system_prompt, self.catalog.compact_prompt
                ),
                dispatch::offered_compact(&self.shared.tools, self.catalog),
            ),
            (true, false) => (self.config.chat_only_prompt.clone(), Vec::new()),
        }
    }

    /// `/name args` names a skill: load it for the model as if it had called the `skill`
    /// tool, through the same tool-call path (events, audit), so surfaces show it.
    async fn force_skill(&self, state: &mut SessionState, text: &str) -> Result<(), Failure> {
        let Some((name, args)) = skills::slash_command(text) else {
            return Ok(());
        };
        if self.catalog.get(name).is_none() {
            return Ok(());
        }
        let call = ToolCall {
            id: new_call_id(),
            provider_id: None,
            name: skill_tool::NAME.to_owned(),
            arguments: serde_json::json!({ "name": name }).to_string(),
        };
        self.append(state, Message::assistant(String::new(), vec![call.clone()]))?;
        let tool = skill_tool::UserSkill::new(Arc::clone(&self.catalog.skills), args);
        let session_id = state.id.clone();
        let outcome = self
            .tool_run(&session_id)
            .run_with(&call, Some(Arc::new(tool)))
            .await;
        self.append(state, outcome.message)
    }

    fn tool_run<'s>(&'s self, session_id: &'s str) -> ToolRun<'s> {
        ToolRun {
            shared: self.shared,
            config: self.config,
            session: self.session,
            catalog: self.catalog,
            session_id,
            submission: self.submission,
            turn_id: self.turn_id,
            approvals: self.approvals,
            unattended: self.job.map(|job| &job.unattended),
            cancel: self.cancel,
        }
    }

    fn cancelled(&self) -> Event {
        Event::TurnCancelled {
            turn_id: self.turn_id.to_owned(),
        }
    }

    /// What memory and past conversations hold about the user's message, within the
    /// budget: a small local window gets a third of it. By words, and by meaning when an
    /// embeddings endpoint is configured and answers. Never fails the turn.
    async fn recall(&self, session: &str, text: &str) -> Recall {
        let options = self.config.settings.memory;
        if !options.recall {
            return Recall::default();
        }
        let compact = self
            .config
            .providers
            .first()
            .is_some_and(|p| p.profile().compact);
        let budget = if compact {
            options.recall_tokens / 3
        } else {
            options.recall_tokens
        };
        let embedder = &self.shared.embedder;
        let query = embedder.embed_query(text).await;
        let nearest = query
            .as_ref()
            .and_then(|(key, vector)| embedder.nearest(key, vector, recall::MEANING_CANDIDATES));
        let meaning = nearest
            .as_ref()
            .map(|(nearest, index)| recall::Meaning { nearest, index });
        recall::gather(
            &self.shared.store,
            text,
            session,
            self.turn_id,
            &[GLOBAL],
            budget,
            meaning.as_ref(),
        )
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "recall failed; the message goes without it");
            Recall::default()
        })
    }

    fn append(&self, state: &mut SessionState, message: Message) -> Result<(), Failure> {
        self.append_with_context(state, message, None)
    }

    fn append_with_context(
        &self,
        state: &mut SessionState,
        message: Message,
        context: Option<&str>,
    ) -> Result<(), Failure> {
        let stored = self
            .shared
            .store
            .append_message_with_context(&state.id, self.turn_id, &message, context)
            .map_err(|e| {
                Failure::new(
                    FailureKind::Internal,
                    format!("could not save the conversation: {e}"),
                )
            })?;
        state.history.push(history::render(&stored));
        Ok(())
    }
}
