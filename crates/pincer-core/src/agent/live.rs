//! The events so far of every running turn, so a surface that connects (or reconnects) in
//! the middle of a turn sees it whole: text streamed so far, tool calls, pending approvals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::Event;

/// A running turn as a surface needs it to catch up: its events in order, with consecutive
/// text (and reasoning) deltas merged into one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LiveTurn {
    pub session: String,
    /// The submission that started the turn; its events name it.
    pub submission: String,
    pub events: Vec<Event>,
}

impl LiveTurn {
    /// Approval requests of this turn nobody has answered yet.
    pub fn pending_approvals(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|event| match event {
            Event::ApprovalRequested { call_id, .. } => !self.events.iter().any(|e| {
                matches!(e, Event::ApprovalResolved { call_id: resolved, .. } if resolved == call_id)
            }),
            _ => false,
        })
    }
}

/// The running turns as a stream of events builds them: the engine keeps one, and so does a
/// surface attached from another process (to rebuild a snapshot of its own).
#[derive(Debug, Default)]
pub struct LiveTurns {
    /// Session id → the submission and events of its running turn. Ordered so snapshots
    /// are stable.
    turns: BTreeMap<String, (String, Vec<Event>)>,
}

impl LiveTurns {
    /// Starts from the turns of a snapshot.
    pub fn from_snapshot(turns: &[LiveTurn]) -> Self {
        let mut live = Self::default();
        for turn in turns {
            for event in &turn.events {
                live.record(&turn.session, &turn.submission, event);
            }
        }
        live
    }

    pub fn record(&mut self, session: &str, submission: &str, event: &Event) {
        match event {
            Event::TurnStarted { .. } => {
                self.turns.insert(
                    session.to_owned(),
                    (submission.to_owned(), vec![event.clone()]),
                );
            }
            event if event.ends_turn() => {
                self.turns.remove(session);
            }
            _ => {
                // Events outside a turn (none today) are not part of any catch-up.
                let Some((_, events)) = self.turns.get_mut(session) else {
                    return;
                };
                match (events.last_mut(), event) {
                    (Some(Event::TextDelta { text }), Event::TextDelta { text: more })
                    | (
                        Some(Event::ReasoningDelta { text }),
                        Event::ReasoningDelta { text: more },
                    ) => {
                        text.push_str(more);
                    }
                    _ => events.push(event.clone()),
                }
            }
        }
    }

    pub fn snapshot(&self) -> Vec<LiveTurn> {
        self.turns
            .iter()
            .map(|(session, (submission, events))| LiveTurn {
                session: session.clone(),
                submission: submission.clone(),
                events: events.clone(),
            })
            .collect()
    }

    pub fn is_running(&self, session: &str) -> bool {
        self.turns.contains_key(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ApprovalDecision, DecidedBy};

    fn started() -> Event {
        Event::TurnStarted {
            turn_id: "t".into(),
            text: "hi".into(),
        }
    }

    #[test]
    fn merges_deltas_and_forgets_finished_turns() {
        let mut live = LiveTurns::default();
        live.record("s", "sub", &started());
        live.record("s", "sub", &Event::TextDelta { text: "Hel".into() });
        live.record("s", "sub", &Event::TextDelta { text: "lo".into() });
        let snapshot = live.snapshot();
        assert_eq!(snapshot.len(), 1);
        assert_eq!(
            snapshot[0].events,
            vec![
                started(),
                Event::TextDelta {
                    text: "Hello".into()
                }
            ]
        );
        assert!(live.is_running("s"));
        live.record(
            "s",
            "sub",
            &Event::TurnCancelled {
                turn_id: "t".into(),
            },
        );
        assert!(live.snapshot().is_empty());
        assert!(!live.is_running("s"));
    }

    #[test]
    fn pending_approvals_exclude_answered_ones() {
        let mut live = LiveTurns::default();
        live.record("s", "sub", &started());
        for id in ["a", "b"] {
            live.record(
                "s",
                "sub",
                &Event::ApprovalRequested {
                    call_id: id.into(),
                    tool: "exec".into(),
                    summary: "run ls".into(),
                    pattern: "exec:ls".into(),
                },
            );
        }
        live.record(
            "s",
            "sub",
            &Event::ApprovalResolved {
                call_id: "a".into(),
                decision: ApprovalDecision::Deny,
                by: DecidedBy::User,
            },
        );
        let snapshot = live.snapshot();
        let pending: Vec<_> = snapshot[0].pending_approvals().collect();
        assert_eq!(pending.len(), 1);
        assert!(matches!(pending[0], Event::ApprovalRequested { call_id, .. } if call_id == "b"));
    }
}
