//! What the tray shows and what the app announces, derived from the engine's events.
//!
//! Pure bookkeeping: [`Tracker::apply`] takes one event and says what changed, so the tray
//! and notifications are driven by one place and the rules are tested without a display.
//!
//! Background runs (the scheduler's jobs) are turns too, in a session of their own named by
//! the run's id; the runner publishes every change of a run's state there as
//! [`Event::RunUpdated`]. Their turns are kept apart from the user's conversations: listed
//! by job name, announced by what the run's job asks for (its `delivery`), and never as
//! "Pincer finished" as well.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::Hash;

use pincer_core::protocol::{Event, SessionEvent};
use pincer_core::scheduler::Delivery;
use pincer_core::store::{Run, RunStatus};

/// The tray's three states, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayState {
    /// An approval is waiting for the user.
    Attention,
    /// Work is running.
    Working,
    Idle,
}

/// An approval request the user has not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingApproval {
    pub session: String,
    pub call_id: String,
    pub summary: String,
}

/// A background run that is running or waiting for an approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundRun {
    /// The job's name; for a run found running when the app connected, before any update
    /// named it, the first line of its prompt.
    pub title: String,
    /// Waiting for the user to answer an approval.
    pub waiting: bool,
}

/// Everything the tray menu lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Sessions with a running turn, by session id, with the text that started the turn.
    pub running: BTreeMap<String, String>,
    pub approvals: Vec<WaitingApproval>,
    /// Background runs now running or waiting, by their session (the run's id).
    pub runs: BTreeMap<String, BackgroundRun>,
}

impl Status {
    pub fn tray_state(&self) -> TrayState {
        if !self.approvals.is_empty() || self.runs.values().any(|r| r.waiting) {
            TrayState::Attention
        } else if !self.running.is_empty() || !self.runs.is_empty() {
            TrayState::Working
        } else {
            TrayState::Idle
        }
    }

    /// How much work runs (a run waiting for an approval is still running, as a turn is).
    pub fn running_count(&self) -> usize {
        self.running.len() + self.runs.len()
    }

    /// How much waits for the user.
    pub fn waiting_count(&self) -> usize {
        self.approvals.len() + self.runs.values().filter(|r| r.waiting).count()
    }
}

/// Something worth a desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Finished {
        session: String,
        answer: String,
    },
    Failed {
        session: String,
        error: String,
    },
    ApprovalWaiting {
        session: String,
        summary: String,
    },
    /// A background run succeeded and its job asks for a notification.
    RunDone {
        session: String,
        job: String,
        output: String,
    },
    /// A background run failed, timed out or was lost.
    RunFailed {
        session: String,
        job: String,
        status: RunStatus,
        reason: String,
    },
    /// A background run waits for the user to answer an approval.
    RunWaiting {
        session: String,
        job: String,
        /// What it asks to do, when the request was seen.
        summary: Option<String>,
    },
}

impl Notice {
    pub fn session(&self) -> &str {
        match self {
            Notice::Finished { session, .. }
            | Notice::Failed { session, .. }
            | Notice::ApprovalWaiting { session, .. }
            | Notice::RunDone { session, .. }
            | Notice::RunFailed { session, .. }
            | Notice::RunWaiting { session, .. } => session,
        }
    }

    /// Summary and body of the notification.
    pub fn text(&self) -> (String, String) {
        match self {
            Notice::Finished { answer, .. } => ("Pincer finished".to_owned(), excerpt(answer)),
            Notice::Failed { error, .. } => ("Pincer could not finish".to_owned(), excerpt(error)),
            Notice::ApprovalWaiting { summary, .. } => {
                ("Pincer needs your approval".to_owned(), excerpt(summary))
            }
            Notice::RunDone { job, output, .. } => (title(job), excerpt(output)),
            Notice::RunFailed {
                job,
                status,
                reason,
                ..
            } => {
                let what = match status {
                    RunStatus::TimedOut => "timed out",
                    RunStatus::Lost => "was cut off",
                    _ => "failed",
                };
                (format!("{} {what}", title(job)), excerpt(reason))
            }
            Notice::RunWaiting { job, summary, .. } => (
                format!("{} needs your approval", title(job)),
                match summary {
                    Some(summary) => excerpt(summary),
                    None => "Open it to answer.".to_owned(),
                },
            ),
        }
    }
}

/// The first lines of a text, short enough for a notification.
fn excerpt(text: &str) -> String {
    pincer_core::text::shorten(text, 160)
}

/// A job's name as a notification's title.
fn title(job: &str) -> String {
    pincer_core::text::first_line(job, 60)
}

/// How many run states are remembered as announced; older ones are forgotten first. Runs
/// end within minutes and are never updated again after their end, so this is far more
/// than needed to never announce one twice.
const REMEMBERED: usize = 1024;

/// A set that forgets its oldest entries past a bound.
#[derive(Debug)]
struct Recent<T> {
    order: VecDeque<T>,
    set: HashSet<T>,
}

impl<T: Clone + Eq + Hash> Default for Recent<T> {
    fn default() -> Self {
        Self {
            order: VecDeque::new(),
            set: HashSet::new(),
        }
    }
}

impl<T: Clone + Eq + Hash> Recent<T> {
    /// Adds `item`; false when it was there already.
    fn insert(&mut self, item: T) -> bool {
        if !self.set.insert(item.clone()) {
            return false;
        }
        self.order.push_back(item);
        if self.order.len() > REMEMBERED
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }

    fn contains(&self, item: &T) -> bool {
        self.set.contains(item)
    }
}

#[derive(Debug, Default)]
pub struct Tracker {
    status: Status,
    /// Approval requests of background runs not answered yet, by session, oldest first:
    /// (call id, summary). They are not in `status.approvals`: the run's entry shows them.
    run_approvals: HashMap<String, Vec<(String, String)>>,
    /// (session, submission) of background runs' turns, as their updates name them.
    run_turns: Recent<(String, String)>,
    /// Run states announced already: (run id, status, the approval's call id for
    /// `waiting_approval`), so an update published again is not announced again.
    announced: Recent<(String, &'static str, String)>,
}

impl Tracker {
    /// Starts from the turns running when the app connected. Nothing in them is announced:
    /// it happened before the app was there to say it.
    pub fn from_live(turns: &[pincer_core::agent::LiveTurn]) -> Self {
        let mut tracker = Self::default();
        tracker.replay(turns);
        tracker
    }

    /// Starts over from a fresh snapshot (the app fell behind, or the daemon started over),
    /// remembering what was announced: a run's state is never announced twice.
    pub fn resync(&mut self, turns: &[pincer_core::agent::LiveTurn]) {
        self.status = Status::default();
        self.run_approvals.clear();
        self.replay(turns);
    }

    fn replay(&mut self, turns: &[pincer_core::agent::LiveTurn]) {
        for turn in turns {
            for event in &turn.events {
                self.apply(&SessionEvent {
                    session: turn.session.clone(),
                    submission: turn.submission.clone(),
                    event: event.clone(),
                });
            }
        }
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    /// True when `event` belongs to a background run's turn: it carries the submission id
    /// the scheduler gives a run's turn (`runner::is_run_turn`) — the only sign of a run found running when the app connected, since its
    /// first update came before its turn started — or the submission the run's updates
    /// carry. A turn the user starts in a run's session (a follow-up question) has a
    /// submission of its own: it is a conversation like any other.
    fn is_run(&self, event: &SessionEvent) -> bool {
        let session = &event.session;
        pincer_core::scheduler::runner::is_run_turn(session, &event.submission)
            || self
                .run_turns
                .contains(&(session.clone(), event.submission.clone()))
    }

    /// Applies one event. Returns whether the status changed and what to announce.
    pub fn apply(&mut self, event: &SessionEvent) -> (bool, Option<Notice>) {
        if let Event::RunUpdated {
            run,
            job_name,
            delivery,
        } = &event.event
        {
            self.run_turns
                .insert((event.session.clone(), event.submission.clone()));
            return self.run_updated(&event.session, run, job_name, *delivery);
        }
        if self.is_run(event) {
            return (self.run_turn_event(&event.session, &event.event), None);
        }
        let session = &event.session;
        match &event.event {
            Event::TurnStarted { text, .. } => {
                self.status.running.insert(session.clone(), text.clone());
                (true, None)
            }
            Event::ApprovalRequested {
                call_id, summary, ..
            } => {
                self.status.approvals.push(WaitingApproval {
                    session: session.clone(),
                    call_id: call_id.clone(),
                    summary: summary.clone(),
                });
                let notice = Notice::ApprovalWaiting {
                    session: session.clone(),
                    summary: summary.clone(),
                };
                (true, Some(notice))
            }
            Event::ApprovalResolved { call_id, .. } => {
                let before = self.status.approvals.len();
                self.status.approvals.retain(|a| &a.call_id != call_id);
                (self.status.approvals.len() != before, None)
            }
            ended if ended.ends_turn() => {
                self.status.running.remove(session);
                self.status.approvals.retain(|a| &a.session != session);
                let notice = match ended {
                    Event::TurnCompleted { text, .. } => Some(Notice::Finished {
                        session: session.clone(),
                        answer: if text.trim().is_empty() {
                            "Done.".to_owned()
                        } else {
                            text.clone()
                        },
                    }),
                    Event::TurnFailed { error, .. } => Some(Notice::Failed {
                        session: session.clone(),
                        error: error.message.clone(),
                    }),
                    Event::StepLimitReached { limit, .. } => Some(Notice::Failed {
                        session: session.clone(),
                        error: format!("stopped after {limit} steps (the step limit)"),
                    }),
                    // The user stopped it: nothing to announce.
                    _ => None,
                };
                (true, notice)
            }
            // Deltas, tool progress, usage: nothing the tray shows.
            _ => (false, None),
        }
    }

    /// An event of a background run's turn: it keeps the run's entry current, and is
    /// never announced itself (the run's updates are). Returns whether the status changed.
    fn run_turn_event(&mut self, session: &str, event: &Event) -> bool {
        match event {
            Event::TurnStarted { text, .. } => {
                if self.status.runs.contains_key(session) {
                    return false;
                }
                // Found running without its update (the app connected mid-run): the
                // prompt stands in for the job's name until an update names it.
                let title = pincer_core::text::first_line(text, 60);
                self.status.runs.insert(
                    session.to_owned(),
                    BackgroundRun {
                        title: if title.is_empty() {
                            "A background task".to_owned()
                        } else {
                            title
                        },
                        waiting: false,
                    },
                );
                true
            }
            Event::ApprovalRequested {
                call_id, summary, ..
            } => {
                self.run_approvals
                    .entry(session.to_owned())
                    .or_default()
                    .push((call_id.clone(), summary.clone()));
                self.set_waiting(session, true)
            }
            Event::ApprovalResolved { call_id, .. } => {
                let left = match self.run_approvals.get_mut(session) {
                    Some(pending) => {
                        pending.retain(|(id, _)| id != call_id);
                        pending.len()
                    }
                    None => 0,
                };
                if left == 0 {
                    self.run_approvals.remove(session);
                }
                self.set_waiting(session, left > 0)
            }
            ended if ended.ends_turn() => {
                // The run's own update (how it ended) follows; its turn is over now.
                self.run_approvals.remove(session);
                self.status.runs.remove(session).is_some()
            }
            _ => false,
        }
    }

    fn set_waiting(&mut self, session: &str, waiting: bool) -> bool {
        match self.status.runs.get_mut(session) {
            Some(entry) if entry.waiting != waiting => {
                entry.waiting = waiting;
                true
            }
            _ => false,
        }
    }

    /// A run's state changed: its entry, and what to announce (once per run and state).
    fn run_updated(
        &mut self,
        session: &str,
        run: &Run,
        job_name: &str,
        delivery: Delivery,
    ) -> (bool, Option<Notice>) {
        match run.status {
            RunStatus::Running | RunStatus::WaitingApproval => {
                let waiting = run.status == RunStatus::WaitingApproval;
                let entry = BackgroundRun {
                    title: job_name.to_owned(),
                    waiting,
                };
                let changed = self.status.runs.get(session) != Some(&entry);
                self.status.runs.insert(session.to_owned(), entry);
                if !waiting {
                    return (changed, None);
                }
                // The request this update is about: the newest not answered.
                let asked = self
                    .run_approvals
                    .get(session)
                    .and_then(|pending| pending.last())
                    .cloned();
                let call_id = asked.as_ref().map(|(id, _)| id.clone()).unwrap_or_default();
                let notice =
                    self.first_time(&run.id, run.status, call_id)
                        .then(|| Notice::RunWaiting {
                            session: session.to_owned(),
                            job: job_name.to_owned(),
                            summary: asked.map(|(_, summary)| summary),
                        });
                (changed, notice)
            }
            // Planned, not started: not "now running".
            RunStatus::Queued => (self.status.runs.remove(session).is_some(), None),
            ended => {
                self.run_approvals.remove(session);
                let changed = self.status.runs.remove(session).is_some();
                let notice = match ended {
                    RunStatus::Succeeded if delivery == Delivery::Notify => {
                        let output = run.output.as_deref().unwrap_or_default();
                        Some(Notice::RunDone {
                            session: session.to_owned(),
                            job: job_name.to_owned(),
                            output: if output.trim().is_empty() {
                                "Done.".to_owned()
                            } else {
                                output.to_owned()
                            },
                        })
                    }
                    // Failures notify whatever the job's delivery says.
                    RunStatus::Failed | RunStatus::TimedOut | RunStatus::Lost => {
                        Some(Notice::RunFailed {
                            session: session.to_owned(),
                            job: job_name.to_owned(),
                            status: ended,
                            reason: run
                                .reason
                                .clone()
                                .unwrap_or_else(|| "No reason was recorded.".to_owned()),
                        })
                    }
                    // Delivery `none`; stopped by the user (or by Pincer stopping, or its
                    // job deleted); not run by the job's missed-run policy, or too late to
                    // run: the Tasks page and the ledger have them, nothing to interrupt
                    // the user for.
                    _ => None,
                };
                let notice = notice.filter(|_| self.first_time(&run.id, ended, String::new()));
                (changed, notice)
            }
        }
    }

    /// True the first time a run's state is to be announced; false ever after.
    fn first_time(&mut self, run: &str, status: RunStatus, detail: String) -> bool {
        self.announced
            .insert((run.to_owned(), status.as_str(), detail))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use pincer_core::model::Usage;
    use pincer_core::protocol::{ApprovalDecision, DecidedBy};

    fn ev(session: &str, event: Event) -> SessionEvent {
        SessionEvent {
            session: session.to_owned(),
            submission: "sub".to_owned(),
            event,
        }
    }

    fn started(session: &str, text: &str) -> SessionEvent {
        ev(
            session,
            Event::TurnStarted {
                turn_id: "t".into(),
                text: text.into(),
            },
        )
    }

    #[test]
    fn running_work_then_an_approval_then_done() {
        let mut tracker = Tracker::default();
        assert_eq!(tracker.status().tray_state(), TrayState::Idle);
        let (changed, notice) = tracker.apply(&started("a", "sort my photos"));
        assert!(changed);
        assert_eq!(notice, None);
        assert_eq!(tracker.status().tray_state(), TrayState::Working);
        assert_eq!(tracker.status().running["a"], "sort my photos");

        let (_, notice) = tracker.apply(&ev(
            "a",
            Event::ApprovalRequested {
                call_id: "c1".into(),
                tool: "mouse".into(),
                summary: "click at (10, 20)".into(),
                pattern: "mouse".into(),
            },
        ));
        assert_eq!(tracker.status().tray_state(), TrayState::Attention);
        assert_eq!(
            notice,
            Some(Notice::ApprovalWaiting {
                session: "a".into(),
                summary: "click at (10, 20)".into()
            })
        );

        tracker.apply(&ev(
            "a",
            Event::ApprovalResolved {
                call_id: "c1".into(),
                decision: ApprovalDecision::Once,
                by: DecidedBy::User,
            },
        ));
        assert_eq!(tracker.status().tray_state(), TrayState::Working);

        let (changed, notice) = tracker.apply(&ev(
            "a",
            Event::TurnCompleted {
                turn_id: "t".into(),
                text: "Sorted 12 photos.".into(),
                usage: Usage::default(),
                steps: 2,
            },
        ));
        assert!(changed);
        assert_eq!(tracker.status().tray_state(), TrayState::Idle);
        let notice = notice.unwrap();
        assert_eq!(notice.session(), "a");
        assert_eq!(
            notice.text(),
            ("Pincer finished".to_owned(), "Sorted 12 photos.".to_owned())
        );
    }

    #[test]
    fn a_stopped_turn_is_not_announced_and_clears_its_approvals() {
        let mut tracker = Tracker::default();
        tracker.apply(&started("a", "x"));
        tracker.apply(&ev(
            "a",
            Event::ApprovalRequested {
                call_id: "c1".into(),
                tool: "keyboard".into(),
                summary: "type".into(),
                pattern: "keyboard".into(),
            },
        ));
        let (_, notice) = tracker.apply(&ev(
            "a",
            Event::TurnCancelled {
                turn_id: "t".into(),
            },
        ));
        assert_eq!(notice, None);
        assert_eq!(tracker.status(), &Status::default());
    }

    #[test]
    fn failures_are_announced_with_the_reason_cut_short() {
        let mut tracker = Tracker::default();
        tracker.apply(&started("b", "x"));
        let long = "provider refused: ".to_owned() + &"x".repeat(400);
        let (_, notice) = tracker.apply(&ev(
            "b",
            Event::TurnFailed {
                turn_id: "t".into(),
                error: pincer_core::protocol::Failure::new(
                    pincer_core::protocol::FailureKind::Server,
                    long,
                ),
            },
        ));
        let (summary, body) = notice.unwrap().text();
        assert_eq!(summary, "Pincer could not finish");
        assert!(body.starts_with("provider refused: "));
        assert!(body.ends_with('…'));
        assert!(body.chars().count() <= 160);
    }

    #[test]
    fn deltas_change_nothing() {
        let mut tracker = Tracker::default();
        tracker.apply(&started("a", "x"));
        let (changed, notice) = tracker.apply(&ev("a", Event::TextDelta { text: "hi".into() }));
        assert!(!changed);
        assert_eq!(notice, None);
    }

    // --- background runs -----------------------------------------------------------------

    fn run_row(id: &str, status: RunStatus) -> Run {
        Run {
            id: id.to_owned(),
            job_id: "job-1".to_owned(),
            scheduled_for: None,
            trigger: pincer_core::store::Trigger::Manual,
            status,
            reason: None,
            session_id: Some(id.to_owned()),
            queued_at: 0,
            started_at: Some(1),
            ended_at: None,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: None,
            output: None,
        }
    }

    /// An event of run `id`'s turn or its update, as the runner publishes them.
    fn in_run(id: &str, event: Event) -> SessionEvent {
        SessionEvent {
            session: id.to_owned(),
            submission: format!("sched-{id}"),
            event,
        }
    }

    fn update(run: Run, job: &str, delivery: Delivery) -> SessionEvent {
        let id = run.id.clone();
        in_run(
            &id,
            Event::RunUpdated {
                run: Box::new(run),
                job_name: job.to_owned(),
                delivery,
            },
        )
    }

    fn status_update(id: &str, status: RunStatus, job: &str) -> SessionEvent {
        update(run_row(id, status), job, Delivery::Notify)
    }

    fn ended(
        id: &str,
        status: RunStatus,
        job: &str,
        delivery: Delivery,
        output: Option<&str>,
        reason: Option<&str>,
    ) -> SessionEvent {
        let mut run = run_row(id, status);
        run.output = output.map(str::to_owned);
        run.reason = reason.map(str::to_owned);
        run.ended_at = Some(2);
        update(run, job, delivery)
    }

    fn asked(id: &str, call_id: &str, summary: &str) -> SessionEvent {
        in_run(
            id,
            Event::ApprovalRequested {
                call_id: call_id.into(),
                tool: "exec".into(),
                summary: summary.into(),
                pattern: "exec".into(),
            },
        )
    }

    fn resolved(id: &str, call_id: &str) -> SessionEvent {
        in_run(
            id,
            Event::ApprovalResolved {
                call_id: call_id.into(),
                decision: ApprovalDecision::Once,
                by: DecidedBy::User,
            },
        )
    }

    fn completed(id: &str, text: &str) -> SessionEvent {
        in_run(
            id,
            Event::TurnCompleted {
                turn_id: "t".into(),
                text: text.into(),
                usage: Usage::default(),
                steps: 1,
            },
        )
    }

    /// The events of one run that asks once, is allowed, and succeeds, in the order the
    /// engine and the runner publish them; with what each one announces.
    #[test]
    fn a_run_is_listed_by_its_job_announced_when_waiting_and_when_done_and_never_as_a_chat() {
        let mut tracker = Tracker::default();
        let id = "run-1";
        // The runner says it runs, then its turn starts with the job's prompt.
        let (changed, notice) =
            tracker.apply(&status_update(id, RunStatus::Running, "Price check"));
        assert!(changed);
        assert_eq!(notice, None);
        let (_, notice) = tracker.apply(&in_run(
            id,
            Event::TurnStarted {
                turn_id: "t".into(),
                text: "Check the kettle's price".into(),
            },
        ));
        assert_eq!(notice, None);
        let status = tracker.status();
        assert_eq!(
            status.runs[id],
            BackgroundRun {
                title: "Price check".into(),
                waiting: false
            }
        );
        assert!(
            status.running.is_empty(),
            "not listed as a conversation too"
        );
        assert_eq!(status.tray_state(), TrayState::Working);
        assert_eq!((status.running_count(), status.waiting_count()), (1, 0));

        // It asks: the request alone lists it waiting; the update announces it.
        let (changed, notice) =
            tracker.apply(&asked(id, "c1", "run `curl https://shop.example/kettle`"));
        assert!(changed);
        assert_eq!(
            notice, None,
            "the run's update announces it, not the request"
        );
        assert!(
            tracker.status().approvals.is_empty(),
            "the run's entry shows it"
        );
        assert_eq!(tracker.status().tray_state(), TrayState::Attention);
        let (_, notice) = tracker.apply(&status_update(
            id,
            RunStatus::WaitingApproval,
            "Price check",
        ));
        let notice = notice.unwrap();
        assert_eq!(notice.session(), id);
        assert_eq!(
            notice.text(),
            (
                "Price check needs your approval".to_owned(),
                "run `curl https://shop.example/kettle`".to_owned()
            )
        );
        assert_eq!(
            (
                tracker.status().running_count(),
                tracker.status().waiting_count()
            ),
            (1, 1)
        );

        // Answered: running again, nothing announced.
        tracker.apply(&resolved(id, "c1"));
        let (_, notice) = tracker.apply(&status_update(id, RunStatus::Running, "Price check"));
        assert_eq!(notice, None);
        assert!(!tracker.status().runs[id].waiting);
        assert_eq!(tracker.status().tray_state(), TrayState::Working);

        // Its turn completes (not "Pincer finished"), then the run's end is announced
        // with the job's name and the run's output.
        let (changed, notice) = tracker.apply(&completed(id, "The kettle costs 28 €."));
        assert!(changed);
        assert_eq!(notice, None);
        let (_, notice) = tracker.apply(&ended(
            id,
            RunStatus::Succeeded,
            "Price check",
            Delivery::Notify,
            Some("The kettle costs 28 €."),
            None,
        ));
        assert_eq!(
            notice.unwrap().text(),
            (
                "Price check".to_owned(),
                "The kettle costs 28 €.".to_owned()
            )
        );
        assert_eq!(tracker.status(), &Status::default());
    }

    #[test]
    fn a_success_is_announced_only_when_the_job_asks_and_failures_always() {
        let mut tracker = Tracker::default();
        let (_, notice) = tracker.apply(&ended(
            "run-quiet",
            RunStatus::Succeeded,
            "Quiet job",
            Delivery::None,
            Some("done"),
            None,
        ));
        assert_eq!(notice, None, "delivery `none`: only the ledger has it");

        for (id, status, summary) in [
            ("run-f", RunStatus::Failed, "Quiet job failed"),
            ("run-t", RunStatus::TimedOut, "Quiet job timed out"),
            ("run-l", RunStatus::Lost, "Quiet job was cut off"),
        ] {
            tracker.apply(&status_update(id, RunStatus::Running, "Quiet job"));
            let (changed, notice) = tracker.apply(&ended(
                id,
                status,
                "Quiet job",
                Delivery::None,
                None,
                Some("the provider refused: 401"),
            ));
            assert!(changed, "{status:?} leaves the list");
            let notice = notice.unwrap_or_else(|| panic!("{status:?} is announced"));
            assert_eq!(notice.session(), id);
            assert_eq!(
                notice.text(),
                (summary.to_owned(), "the provider refused: 401".to_owned())
            );
        }
        assert!(tracker.status().runs.is_empty());

        // A reminder (no turn) with an empty output still says something.
        let (_, notice) = tracker.apply(&ended(
            "run-r",
            RunStatus::Succeeded,
            "Stretch",
            Delivery::Notify,
            Some("  "),
            None,
        ));
        assert_eq!(
            notice.unwrap().text(),
            ("Stretch".to_owned(), "Done.".to_owned())
        );
    }

    #[test]
    fn cancelled_skipped_and_missed_runs_are_not_announced() {
        let mut tracker = Tracker::default();
        tracker.apply(&status_update("run-c", RunStatus::Running, "Brief"));
        tracker.apply(&in_run(
            "run-c",
            Event::TurnCancelled {
                turn_id: "t".into(),
            },
        ));
        for (id, status) in [
            ("run-c", RunStatus::Cancelled),
            ("run-s", RunStatus::Skipped),
            ("run-m", RunStatus::Missed),
        ] {
            let (_, notice) = tracker.apply(&ended(
                id,
                status,
                "Brief",
                Delivery::Notify,
                None,
                Some("stopped by the user"),
            ));
            assert_eq!(notice, None, "{status:?}");
        }
        assert_eq!(tracker.status(), &Status::default());
    }

    #[test]
    fn a_run_state_is_announced_once_even_when_published_again() {
        let mut tracker = Tracker::default();
        let id = "run-2";
        tracker.apply(&status_update(id, RunStatus::Running, "Brief"));
        tracker.apply(&asked(id, "c1", "read ~/calendar.ics"));
        let waiting = status_update(id, RunStatus::WaitingApproval, "Brief");
        assert!(tracker.apply(&waiting).1.is_some());
        assert_eq!(tracker.apply(&waiting).1, None, "the same wait again");

        // A second request in the same run is a new wait, announced.
        tracker.apply(&resolved(id, "c1"));
        tracker.apply(&status_update(id, RunStatus::Running, "Brief"));
        tracker.apply(&asked(id, "c2", "run `date`"));
        let (_, notice) = tracker.apply(&status_update(id, RunStatus::WaitingApproval, "Brief"));
        assert_eq!(
            notice.unwrap().text().1,
            "run `date`",
            "the newest request is the one announced"
        );

        let done = ended(
            id,
            RunStatus::Succeeded,
            "Brief",
            Delivery::Notify,
            Some("ok"),
            None,
        );
        assert!(tracker.apply(&done).1.is_some());
        // Cancelling an ended run publishes it again as it is: nothing new to say.
        assert_eq!(tracker.apply(&done).1, None);

        // Starting over from a snapshot (fell behind) forgets the list, not what was said.
        tracker.resync(&[]);
        assert_eq!(tracker.apply(&done).1, None);
    }

    #[test]
    fn runs_running_when_the_app_connected_are_listed_and_their_waits_not_announced_again() {
        use pincer_core::agent::LiveTurn;
        let started = Event::TurnStarted {
            turn_id: "t".into(),
            text: "Brief me on my calendar\nand the news".into(),
        };
        let turns = vec![
            // Running: its update came before its turn, so only the prompt names it.
            LiveTurn {
                session: "run-a".into(),
                submission: "sched-run-a".into(),
                events: vec![started.clone()],
            },
            // Waiting: its update is part of the turn.
            LiveTurn {
                session: "run-b".into(),
                submission: "sched-run-b".into(),
                events: vec![
                    started.clone(),
                    asked("run-b", "c1", "run `curl …`").event,
                    status_update("run-b", RunStatus::WaitingApproval, "Price check").event,
                ],
            },
            // A conversation whose session merely looks like a run's.
            LiveTurn {
                session: "run-c".into(),
                submission: "web-7".into(),
                events: vec![started],
            },
        ];
        let mut tracker = Tracker::from_live(&turns);
        let status = tracker.status();
        assert_eq!(status.runs["run-a"].title, "Brief me on my calendar");
        assert!(!status.runs["run-a"].waiting);
        assert_eq!(status.runs["run-b"].title, "Price check");
        assert!(status.runs["run-b"].waiting);
        assert_eq!(status.running.keys().collect::<Vec<_>>(), ["run-c"]);
        assert!(status.approvals.is_empty());
        assert_eq!(status.tray_state(), TrayState::Attention);

        // The snapshot's wait is not announced later; the running run's update names it.
        let again = status_update("run-b", RunStatus::WaitingApproval, "Price check");
        assert_eq!(tracker.apply(&again).1, None);
        tracker.apply(&status_update("run-a", RunStatus::Running, "Morning brief"));
        assert_eq!(tracker.status().runs["run-a"].title, "Morning brief");
    }

    #[test]
    fn a_follow_up_in_a_runs_session_is_a_conversation_even_before_the_runs_end_is_recorded() {
        let mut tracker = Tracker::default();
        tracker.apply(&status_update("run-3", RunStatus::Running, "Brief"));
        tracker.apply(&completed("run-3", "Here is your brief."));
        // The user asked more in the run's chat while it ran: that turn starts as soon as
        // the run's turn ends, before the runner has recorded the run's end.
        let follow_up = |event| SessionEvent {
            session: "run-3".to_owned(),
            submission: "web-42".to_owned(),
            event,
        };
        tracker.apply(&follow_up(Event::TurnStarted {
            turn_id: "t2".into(),
            text: "and tomorrow?".into(),
        }));
        assert_eq!(tracker.status().running["run-3"], "and tomorrow?");
        assert!(tracker.status().runs.is_empty());
        let (_, notice) = tracker.apply(&ended(
            "run-3",
            RunStatus::Succeeded,
            "Brief",
            Delivery::Notify,
            Some("Here is your brief."),
            None,
        ));
        assert_eq!(notice.unwrap().text().0, "Brief");
        assert_eq!(tracker.status().running["run-3"], "and tomorrow?");
        let (_, notice) = tracker.apply(&follow_up(Event::TurnCompleted {
            turn_id: "t2".into(),
            text: "Nothing tomorrow.".into(),
            usage: Usage::default(),
            steps: 1,
        }));
        assert_eq!(notice.unwrap().text().0, "Pincer finished");
        assert_eq!(tracker.status(), &Status::default());
    }

    #[test]
    fn a_runs_turn_is_known_by_the_submission_its_updates_carry() {
        // Whatever the scheduler names its submissions, the update says which turn is the
        // run's.
        let mut tracker = Tracker::default();
        let event = |event| SessionEvent {
            session: "run-5".to_owned(),
            submission: "job-turn-5".to_owned(),
            event,
        };
        tracker.apply(&event(Event::RunUpdated {
            run: Box::new(run_row("run-5", RunStatus::Running)),
            job_name: "Brief".into(),
            delivery: Delivery::Notify,
        }));
        tracker.apply(&event(Event::TurnStarted {
            turn_id: "t".into(),
            text: "Brief me".into(),
        }));
        let (_, notice) = tracker.apply(&event(Event::TurnCompleted {
            turn_id: "t".into(),
            text: "ok".into(),
            usage: Usage::default(),
            steps: 1,
        }));
        assert_eq!(notice, None, "announced by the run's end, not as a chat");
        assert!(tracker.status().running.is_empty());
    }

    #[test]
    fn a_run_whose_update_comes_after_its_end_event_is_not_relisted() {
        // A run past its time limit: the runner records `timed_out` and interrupts the
        // turn, whose cancellation arrives after.
        let mut tracker = Tracker::default();
        tracker.apply(&status_update("run-4", RunStatus::Running, "Slow"));
        let (_, notice) = tracker.apply(&ended(
            "run-4",
            RunStatus::TimedOut,
            "Slow",
            Delivery::Notify,
            None,
            Some("stopped after 2 seconds, the job's time limit"),
        ));
        assert_eq!(notice.unwrap().text().0, "Slow timed out");
        let (_, notice) = tracker.apply(&in_run(
            "run-4",
            Event::TurnCancelled {
                turn_id: "t".into(),
            },
        ));
        assert_eq!(notice, None);
        assert_eq!(tracker.status(), &Status::default());
    }

    #[test]
    fn announced_states_are_remembered_within_a_bound() {
        let mut recent = Recent::default();
        for i in 0..REMEMBERED + 10 {
            assert!(recent.insert(i));
        }
        assert!(!recent.insert(REMEMBERED + 9), "a recent one is remembered");
        assert_eq!(recent.set.len(), REMEMBERED);
        assert!(recent.insert(0), "the oldest are forgotten");
    }
}
