//! The runner: wakes the planner, claims queued runs up to a concurrency limit and drives
//! each as a turn of the engine — through the protocol, like any surface — in a session of
//! its own, then writes how it ended to the ledger.
//!
//! It sleeps until the next job is due by the wall clock, and trusts no long sleep: it
//! looks at the wall clock at least every `check_every` (60 s), so a machine that slept through a due time (the monotonic clock stops in
//! suspend) or a clock that jumped is noticed within a minute of waking, and the planner
//! decides what was missed. On start it marks the runs of a stopped engine `lost` and
//! queues the jobs that run at start-up.
//!
//! A run asks what its job does not allow (`approvals.allow`) as any turn does — it waits
//! `waiting_approval` for an answer from the Tasks page, the tray or a notification — or,
//! with `approvals.mode = "deny"`, refuses it and goes on. A reminder is delivered as
//! written, without a model. Every change of a run's state is published in its session
//! ([`Event::RunUpdated`]) for the surfaces; its cost and tokens are the usage of its
//! session, priced.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use super::heartbeat;
use super::options::{JobKind, JobOptions, UnattendedMode};
use super::planner;
use super::spend::session_spend;
use super::{Delivery, Schedule};
use crate::agent::{ApprovalMode, Engine};
use crate::clock::WallClock;
use crate::protocol::{Event, JobTurn, Op, SessionEvent, Submission};
use crate::store::{Job, Run, RunEnd, RunStatus, StoreError, Trigger};
use crate::sync::lock;

/// The ledger is pruned this often, by `[scheduler] keep_runs_per_job` and
/// `keep_runs_days`.
const PRUNE_EVERY_SECS: i64 = 86_400;

#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// At most this many runs at once.
    pub concurrency: usize,
    /// The longest the runner goes without looking at the wall clock.
    pub check_every: Duration,
    /// This engine's name in the ledger's `owner`.
    pub owner: String,
    /// A run longer than this is stopped and recorded `timed_out` (a job's
    /// `options.timeout_secs` wins).
    pub timeout: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            concurrency: 2,
            check_every: Duration::from_secs(60),
            owner: format!("engine-{}", uuid::Uuid::new_v4().simple()),
            timeout: Duration::from_secs(600),
        }
    }
}

pub struct Runner {
    engine: Engine,
    clock: Arc<dyn WallClock>,
    options: RunnerOptions,
    /// Runs this runner drives now.
    active: Mutex<HashSet<String>>,

    wake: Notify,
    /// The `[heartbeat]` its job was last made to follow.
    heartbeat: Mutex<Option<heartbeat::Heartbeat>>,
    /// Set by [`Runner::stop`]: nothing more is claimed.
    stopping: std::sync::atomic::AtomicBool,
}

/// Starts the scheduler of a long-lived engine (the daemon's, the app's) on the engine's
/// wall clock: it runs until the process ends. Short-lived CLI engines do not run one.
pub fn start(engine: &Engine) -> Arc<Runner> {
    let options = RunnerOptions {
        concurrency: engine.settings().scheduler.concurrency,
        ..RunnerOptions::default()
    };
    let runner = Runner::new(engine.clone(), engine.wall_clock(), options);
    tokio::spawn(Arc::clone(&runner).run());
    runner
}

impl Runner {
    pub fn new(engine: Engine, clock: Arc<dyn WallClock>, options: RunnerOptions) -> Arc<Self> {
        Arc::new(Self {
            engine,
            clock,
            options,
            active: Mutex::new(HashSet::new()),

            wake: Notify::new(),
            heartbeat: Mutex::new(None),
            stopping: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// What a start does first: the runs a stopped engine left are `lost`; the jobs that
    /// run at start-up are queued. Returns the runs marked lost.
    pub fn recover(&self) -> Result<Vec<Run>, StoreError> {
        let store = self.engine.store();
        let now = self.clock.unix_now();
        let lost = store.mark_lost_runs(&self.options.owner, now)?;
        for run in &lost {
            tracing::warn!(
                run = run.id,
                job = run.job_id,
                "a run was cut off when Pincer stopped; it is marked lost"
            );
            publish(&self.engine, &run.id);
        }
        for job in store.jobs()? {
            if !job.paused && Schedule::parse(&job.schedule).is_ok_and(|s| s == Schedule::AtStartup)
            {
                store.queue_run_now(&job.id, Trigger::Startup, now)?;
            }
        }
        Ok(lost)
    }

    /// One look: plans what is due and starts queued runs while there is room. Returns the
    /// runs started.
    pub fn tick(self: &Arc<Self>) -> Result<Vec<Run>, StoreError> {
        let store = self.engine.store();
        let now = self.clock.unix_now();
        // The heartbeat's job follows the config: looked at when the config changed (a
        // reload), not on every look.
        let config = self.engine.settings().heartbeat;
        if lock(&self.heartbeat).as_ref() != Some(&config) {
            heartbeat::sync(store, &config, now)?;
            *lock(&self.heartbeat) = Some(config);
        }
        planner::plan_due(store, now)?;
        let mut started = Vec::new();
        // Paused (the tray's Pause): what is due is planned, and waits queued.
        while !self.engine.is_paused()
            && !self.stopping.load(std::sync::atomic::Ordering::SeqCst)
            && lock(&self.active).len() < self.options.concurrency.max(1)
        {
            let Some(run) = store.claim_run(&self.options.owner, now)? else {
                break;
            };
            self.start(run.clone());
            started.push(run);
        }
        Ok(started)
    }

    /// The process is stopping: nothing more is claimed, and the runs in flight are
    /// recorded `cancelled` now rather than left for the next start to find `lost`.
    pub fn stop(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let active: Vec<String> = lock(&self.active).drain().collect();
        for run in active {
            self.end(
                &run,
                failed(
                    RunStatus::Cancelled,
                    "Pincer was stopped while it ran; it is not run again".to_owned(),
                ),
            );
        }
    }

    /// Looks now rather than at the next check (a job was added, a run ended).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The runner's loop, until the engine goes: a look, then a wait of at most
    /// `check_every` or until woken.
    pub async fn run(self: Arc<Self>) {
        if let Err(e) = self.recover() {
            tracing::error!(error = %e, "scheduler: could not recover the ledger");
        }
        let jobs_changed = self.engine.jobs_changed();
        let mut paused = self.engine.watch_paused();
        let mut pruned_at = i64::MIN;
        loop {
            if let Err(e) = self.tick() {
                tracing::error!(error = %e, "scheduler: could not plan or start runs");
            }
            let now = self.clock.unix_now();
            if now.saturating_sub(pruned_at) >= PRUNE_EVERY_SECS {
                pruned_at = now;
                let keep = self.engine.settings().scheduler;
                match self.engine.store().prune_runs(
                    keep.keep_runs_per_job,
                    now - i64::from(keep.keep_runs_days) * 86_400,
                ) {
                    Ok(0) => {}
                    Ok(gone) => tracing::info!(gone, "scheduler: old runs pruned from the ledger"),
                    Err(e) => tracing::warn!(error = %e, "scheduler: could not prune the ledger"),
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = jobs_changed.notified() => {}
                _ = paused.changed() => {}
                () = tokio::time::sleep(self.wait()) => {}
            }
        }
    }

    /// How long to sleep: until the next job is due by the wall clock, but never longer
    /// than `check_every` (the monotonic clock a sleep counts stops while the machine
    /// sleeps, and the wall clock may be set; a look every minute catches both).
    fn wait(&self) -> Duration {
        let now = self.clock.unix_now();
        let next = planner::next_due(self.engine.store(), now).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "scheduler: could not read the jobs");
            None
        });
        match next {
            Some(at) => Duration::from_secs((at - now).max(0) as u64).min(self.options.check_every),
            None => self.options.check_every,
        }
    }

    /// Drives `run` as a turn in a session of its own (named by the run's id), or
    /// delivers a reminder.
    fn start(self: &Arc<Self>, run: Run) {
        let store = self.engine.store();
        let job = match store.job(&run.job_id) {
            Ok(Some(job)) => job,
            other => {
                let reason = match other {
                    Err(e) => format!("could not read the job: {e}"),
                    _ => "the job was deleted".to_owned(),
                };
                self.end(&run.id, failed(RunStatus::Cancelled, reason));
                return;
            }
        };
        let options = JobOptions::of(&job.options);
        let session = run.id.clone();
        if let Err(e) = store.set_run_session(&run.id, &session) {
            tracing::warn!(error = %e, run = run.id, "could not record the run's session");
        }
        if options.kind == JobKind::Reminder {
            // Delivered as written: no model decides whether it is worth sending.
            self.end(
                &run.id,
                RunEnd {
                    status: RunStatus::Succeeded,
                    reason: None,
                    input_tokens: 0,
                    output_tokens: 0,
                    cost_usd: Some(0.0),
                    output: Some(job.prompt.clone()),
                },
            );
            self.wake();
            return;
        }
        let Some(text) = self.message(&run.id, &job, &options) else {
            return;
        };
        publish(&self.engine, &run.id);
        // Subscribed before the turn is submitted, so none of its events is missed.
        let events = self.engine.subscribe();
        let approvals = match options.approvals.mode {
            UnattendedMode::Ask => ApprovalMode::Ask,
            UnattendedMode::Deny => ApprovalMode::Deny,
        };
        let submitted = self.engine.submit(Submission::new(
            submission(&run.id),
            Op::UserTurn {
                session: session.clone(),
                text,
                approvals: Some(approvals),
                job: Some(JobTurn {
                    run: run.id.clone(),
                    unattended: options.approvals.clone(),
                    spend_cap_usd: options.spend_cap_usd,
                    model: options.model.clone(),
                    minimal: options.kind == JobKind::Heartbeat,
                }),
            },
        ));
        if let Err(e) = submitted {
            self.end(
                &run.id,
                failed(
                    RunStatus::Failed,
                    format!("the engine refused the run: {e}"),
                ),
            );
            return;
        }
        lock(&self.active).insert(run.id.clone());
        let timeout = options
            .timing
            .timeout_secs
            .map_or(self.options.timeout, Duration::from_secs);
        let runner = Arc::clone(self);
        let heartbeat = options.kind == JobKind::Heartbeat;
        tokio::spawn(async move {
            let end = match tokio::time::timeout(timeout, watch(events, &session, &runner, &run))
                .await
            {
                Ok(end)
                    if heartbeat
                        && end.status == RunStatus::Succeeded
                        && end.output.as_deref().is_some_and(heartbeat::nothing_to_do) =>
                {
                    // Nothing to do: no delivery, and no trace in history, recall or memory.
                    if let Err(e) = runner.engine.submit(Submission::fresh(Op::DeleteSession {
                        session: session.clone(),
                    })) {
                        tracing::warn!(error = %e, run = run.id, "could not delete a quiet heartbeat's session");
                    }
                    RunEnd {
                        reason: Some("nothing to do".to_owned()),
                        output: None,
                        ..end
                    }
                }
                Ok(end) => end,
                Err(_) => {
                    if let Err(e) = runner
                        .engine
                        .submit(Submission::fresh(Op::Interrupt { session }))
                    {
                        tracing::warn!(error = %e, run = run.id, "could not interrupt a run past its time limit");
                    }
                    let waiting = runner
                        .engine
                        .store()
                        .run(&run.id)
                        .ok()
                        .flatten()
                        .is_some_and(|r| r.status == RunStatus::WaitingApproval);
                    failed(
                        RunStatus::TimedOut,
                        format!(
                            "stopped after {}, the job's time limit{}",
                            super::misfire::span(timeout.as_secs() as i64),
                            if waiting {
                                ", while it waited for an approval nobody gave"
                            } else {
                                ""
                            }
                        ),
                    )
                }
            };
            runner.end(&run.id, end);
            lock(&runner.active).remove(&run.id);
            runner.wake();
        });
    }

    /// What a run's turn says: the job's prompt (after `/skill`), or a heartbeat's
    /// instruction and checklist. `None` when the run ended here instead (a heartbeat
    /// outside its hours, with nothing to check, or an unusable checklist).
    fn message(&self, run: &str, job: &Job, options: &JobOptions) -> Option<String> {
        if options.kind != JobKind::Heartbeat {
            return Some(match &options.skill {
                Some(skill) => format!("/{skill} {}", job.prompt),
                None => job.prompt.clone(),
            });
        }
        let config = self.engine.settings().heartbeat;
        let (status, reason) = match heartbeat::message(&config) {
            Ok(Some(message)) if config.active_at(self.clock.unix_now()) => return Some(message),
            Ok(Some(_)) => (
                RunStatus::Skipped,
                "outside the heartbeat's active hours".to_owned(),
            ),
            Ok(None) => (
                RunStatus::Skipped,
                format!(
                    "nothing to check: the checklist {} is missing or empty",
                    config.checklist.display()
                ),
            ),
            // Visible in the ledger and notified: the user's checklist needs a look.
            Err(reason) => (RunStatus::Failed, reason),
        };
        self.end(run, failed(status, reason));
        None
    }

    /// Records how `run` ended, with what its session's requests cost and used, and
    /// tells the surfaces.
    fn end(&self, run: &str, mut end: RunEnd) {
        let now = self.clock.unix_now();
        let store = self.engine.store();
        let pricing = self.engine.settings().pricing;
        match session_spend(store, run, &pricing) {
            Ok(spend) if spend.totals.requests > 0 => {
                end.input_tokens = spend.totals.input_tokens;
                end.output_tokens = spend.totals.output_tokens;
                end.cost_usd = spend.priced.then_some(spend.cost_usd);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, run, "could not read what the run spent"),
        }
        match store.end_run(run, &end, now) {
            Ok(_) => tracing::info!(run, status = end.status.as_str(), "a background run ended"),
            Err(e) => tracing::error!(error = %e, run, "could not record how a run ended"),
        }
        publish(&self.engine, run);
    }
}

/// Publishes `run` as the ledger has it now, in its session, for the surfaces (the tray,
/// notifications, the Tasks page).
pub(crate) fn publish(engine: &Engine, run: &str) {
    let store = engine.store();
    let row = match store.run(run) {
        Ok(Some(row)) => row,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, run, "could not read a run to tell the surfaces");
            return;
        }
    };
    let (job_name, delivery) = match store.job(&row.job_id) {
        Ok(Some(job)) => {
            let delivery = JobOptions::of(&job.options).delivery;
            (job.name, delivery)
        }
        _ => (row.job_id.clone(), Delivery::None),
    };
    // A run that ended well with nothing to say (a quiet heartbeat) is delivered nowhere.
    let delivery = if row.status == RunStatus::Succeeded && row.output.is_none() {
        Delivery::None
    } else {
        delivery
    };
    let session = row.session_id.clone().unwrap_or_else(|| row.id.clone());
    engine.publish(
        &session,
        &submission(run),
        Event::RunUpdated {
            run: Box::new(row),
            job_name,
            delivery,
        },
    );
}

/// The submission id a run's turn and updates carry.
fn submission(run: &str) -> String {
    format!("sched-{run}")
}

/// Whether an event of `session` with `submission` belongs to a background run's own turn
/// (or its updates): a run's session is named by the run, and the runner submits its turn
/// as [`submission`] of it. A follow-up the user asks in a run's session is a turn of its
/// own. For surfaces that meet a run already running, before any update named it.
pub fn is_run_turn(session: &str, submission: &str) -> bool {
    session.starts_with("run-") && submission == self::submission(session)
}

/// Follows `session`'s events until its turn ends; what the ledger says of it.
async fn watch(
    mut events: broadcast::Receiver<SessionEvent>,
    session: &str,
    runner: &Runner,
    run: &Run,
) -> RunEnd {
    loop {
        let event = match events.recv().await {
            Ok(event) if event.session == session => event.event,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => {
                return failed(RunStatus::Failed, "the engine stopped".to_owned());
            }
        };
        let store = runner.engine.store();
        match event {
            // Again inside the turn, so the engine's live turns (what a surface attaching
            // later is sent) carry the run with its job's name.
            Event::TurnStarted { .. } => publish(&runner.engine, &run.id),
            Event::ApprovalRequested { .. } | Event::ApprovalResolved { .. } => {
                let waiting = matches!(event, Event::ApprovalRequested { .. });
                // Only a change is news: a call the job allows (or mode deny settles) is
                // resolved without ever having waited.
                match store.set_run_waiting(&run.id, waiting) {
                    Ok(true) => publish(&runner.engine, &run.id),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, run = run.id, "could not record the run's approval state");
                    }
                }
            }
            Event::TurnCompleted { text, usage, .. } => {
                return RunEnd {
                    status: RunStatus::Succeeded,
                    reason: None,
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                    cost_usd: None,
                    output: Some(text),
                };
            }
            Event::TurnFailed { error, .. } => {
                return failed(RunStatus::Failed, error.message);
            }
            // A run's own updates, published in its session: not the turn's.
            Event::RunUpdated { .. } => {}
            Event::TurnCancelled { .. } => {
                return failed(RunStatus::Cancelled, "stopped by the user".to_owned());
            }
            Event::StepLimitReached { limit, .. } => {
                return failed(
                    RunStatus::Failed,
                    format!("stopped at the step limit ({limit} model requests)"),
                );
            }
            _ => {}
        }
    }
}

fn failed(status: RunStatus, reason: String) -> RunEnd {
    RunEnd {
        status,
        reason: Some(reason),
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: None,
        output: None,
    }
}
