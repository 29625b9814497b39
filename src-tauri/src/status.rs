//! What the tray shows and what the app announces, derived from the engine's events.
//!
//! Pure bookkeeping: [`Tracker::apply`] takes one event and says what changed, so the tray
//! and notifications are driven by one place and the rules are tested without a display.

use std::collections::BTreeMap;

use pincer_core::protocol::{Event, SessionEvent};

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

/// Everything the tray menu lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Sessions with a running turn, by session id, with the text that started the turn.
    pub running: BTreeMap<String, String>,
    pub approvals: Vec<WaitingApproval>,
}

impl Status {
    pub fn tray_state(&self) -> TrayState {
        if !self.approvals.is_empty() {
            TrayState::Attention
        } else if !self.running.is_empty() {
            TrayState::Working
        } else {
            TrayState::Idle
        }
    }
}

/// Something worth a desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Finished { session: String, answer: String },
    Failed { session: String, error: String },
    ApprovalWaiting { session: String, summary: String },
}

impl Notice {
    pub fn session(&self) -> &str {
        match self {
            Notice::Finished { session, .. }
            | Notice::Failed { session, .. }
            | Notice::ApprovalWaiting { session, .. } => session,
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
        }
    }
}

/// The first lines of a text, short enough for a notification.
fn excerpt(text: &str) -> String {
    pincer_core::text::shorten(text, 160)
}

#[derive(Debug, Default)]
pub struct Tracker {
    status: Status,
}

impl Tracker {
    /// Starts from the turns running when the app connected.
    pub fn from_live(turns: &[pincer_core::agent::LiveTurn]) -> Self {
        let mut tracker = Self::default();
        for turn in turns {
            for event in &turn.events {
                tracker.apply(&SessionEvent {
                    session: turn.session.clone(),
                    submission: turn.submission.clone(),
                    event: event.clone(),
                });
            }
        }
        tracker
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    /// Applies one event. Returns whether the status changed and what to announce.
    pub fn apply(&mut self, event: &SessionEvent) -> (bool, Option<Notice>) {
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
}
