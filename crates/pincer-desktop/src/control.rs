//! Shared control state: the emergency stop, the "agent is controlling the computer"
//! indicator, one automation action at a time, and the last screenshot's coordinates.
//!
//! The emergency stop is a generation counter. Every tool call notes the generation when it
//! starts ([`Control::stop_token`]) and checks it before and between its steps; a call that
//! sees a newer generation gives up with [`stopped`]. Calls started after the stop see the
//! new generation and run normally.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pincer_core::sync::lock;
use pincer_core::tools::ToolError;
use tokio::sync::watch;

use crate::mapping::ScreenMapping;

/// Shared control state: the emergency stop and the "agent is controlling the computer"
/// indicator. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

struct Inner {
    /// Bumped by every emergency stop.
    generation: watch::Sender<u64>,
    /// True while an action holds the display.
    controlling: watch::Sender<bool>,
    /// Actions running on blocking threads (usually 0 or 1).
    running: Mutex<usize>,
    /// Screen and input actions run one at a time, in the order they asked.
    exclusive: Arc<tokio::sync::Mutex<()>>,
    /// How the last screenshot maps to the screen; `None` before the first one.
    last_screenshot: Mutex<Option<ScreenMapping>>,
}

impl Default for Control {
    fn default() -> Self {
        Self::new()
    }
}

impl Control {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                generation: watch::Sender::new(0),
                controlling: watch::Sender::new(false),
                running: Mutex::new(0),
                exclusive: Arc::new(tokio::sync::Mutex::new(())),
                last_screenshot: Mutex::new(None),
            }),
        }
    }

    /// Cancels every running and queued automation action at once. Actions started after
    /// this call run normally.
    pub fn emergency_stop(&self) {
        self.inner
            .generation
            .send_modify(|generation| *generation += 1);
        tracing::warn!(
            controlling = self.is_controlling(),
            "emergency stop: cancelling every desktop action"
        );
    }

    /// True while a mouse or keyboard action is running (a screenshot only looks, and the
    /// indicator must not end up in its picture).
    pub fn is_controlling(&self) -> bool {
        *self.inner.controlling.borrow()
    }

    /// Changes of [`Control::is_controlling`] (for the tray/indicator).
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.inner.controlling.subscribe()
    }

    /// How the last screenshot's pixels map to the screen, if one was taken.
    pub fn last_screenshot(&self) -> Option<ScreenMapping> {
        *lock(&self.inner.last_screenshot)
    }

    pub(crate) fn set_last_screenshot(&self, mapping: ScreenMapping) {
        *lock(&self.inner.last_screenshot) = Some(mapping);
    }

    /// Notes the current stop generation; the calling tool checks it between its steps.
    pub(crate) fn stop_token(&self) -> StopToken {
        StopToken {
            control: self.clone(),
            generation: *self.inner.generation.borrow(),
            abandoned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs `work` on a blocking thread once no other action holds the display, with the
    /// indicator on while it runs when `indicator` says so (mouse and keyboard; not a
    /// screenshot, which only looks, and whose picture the indicator bar would cover). A
    /// stop while waiting for the display ends the wait at once. If the returned future is
    /// dropped (the turn was interrupted), `work` sees its token stopped at its next check.
    pub(crate) async fn run_exclusive<T, F>(
        &self,
        token: StopToken,
        indicator: Indicator,
        work: F,
    ) -> Result<T, ToolError>
    where
        T: Send + 'static,
        F: FnOnce(&StopToken) -> Result<T, ToolError> + Send + 'static,
    {
        token.check()?;
        let display = tokio::select! {
            display = self.inner.exclusive.clone().lock_owned() => display,
            () = token.stopped() => return Err(stopped()),
        };
        token.check()?;
        let active = (indicator == Indicator::On).then(|| Active::start(self.clone()));
        let abandon = AbandonOnDrop(token.abandoned.clone());
        let handle = tokio::task::spawn_blocking(move || {
            let _display = display;
            let _active = active;
            work(&token)
        });
        let result = handle
            .await
            .map_err(|e| ToolError::Failed(format!("the desktop action crashed: {e}")));
        drop(abandon);
        result?
    }

    fn action_started(&self) {
        let mut running = lock(&self.inner.running);
        *running += 1;
        if *running == 1 {
            self.inner.controlling.send_replace(true);
        }
    }

    fn action_ended(&self) {
        let mut running = lock(&self.inner.running);
        *running = running.saturating_sub(1);
        if *running == 0 {
            self.inner.controlling.send_replace(false);
        }
    }
}

/// Whether an action shows the "controlling the computer" indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indicator {
    On,
    Off,
}

/// What a tool noted when it started; see the module docs.
#[derive(Clone)]
pub(crate) struct StopToken {
    control: Control,
    generation: u64,
    /// Set when the tool's future was dropped: nobody waits for the result any more.
    abandoned: Arc<AtomicBool>,
}

impl StopToken {
    pub(crate) fn is_stopped(&self) -> bool {
        *self.control.inner.generation.borrow() != self.generation
            || self.abandoned.load(Ordering::SeqCst)
    }

    /// Fails with [`stopped`] if the emergency stop happened since the tool started.
    pub(crate) fn check(&self) -> Result<(), ToolError> {
        if self.is_stopped() {
            Err(stopped())
        } else {
            Ok(())
        }
    }

    /// Resolves when the emergency stop happens (never, if it does not).
    async fn stopped(&self) {
        let mut generation = self.control.inner.generation.subscribe();
        let start = self.generation;
        // The sender lives in `control`, which this token holds, so the channel stays open.
        let _ = generation.wait_for(|now| *now != start).await;
    }
}

const STOPPED: &str = "the user halted all screen, mouse and keyboard actions; do not retry unless the user asks you to";

/// The error every stopped action returns.
pub(crate) fn stopped() -> ToolError {
    ToolError::Failed(format!("stopped by the emergency stop: {STOPPED}"))
}

/// [`stopped`], saying how far the action got, e.g. "after typing 12 of 400 characters".
pub(crate) fn stopped_after(progress: &str) -> ToolError {
    ToolError::Failed(format!(
        "stopped by the emergency stop {progress}: {STOPPED}"
    ))
}

/// Keeps the indicator on while alive.
struct Active(Control);

impl Active {
    fn start(control: Control) -> Self {
        control.action_started();
        Self(control)
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.0.action_ended();
    }
}

struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_stop_fails_actions_started_before_it_and_not_after() {
        let control = Control::new();
        let before = control.stop_token();
        assert!(before.check().is_ok());
        control.emergency_stop();
        let err = before.check().unwrap_err().to_string();
        assert!(err.contains("emergency stop"), "{err}");
        assert!(control.stop_token().check().is_ok());
    }

    #[tokio::test]
    async fn the_indicator_is_on_only_while_an_action_runs() {
        let control = Control::new();
        let mut watch = control.watch();
        assert!(!control.is_controlling());
        let seen = control
            .run_exclusive(control.stop_token(), Indicator::On, {
                let control = control.clone();
                move |_| Ok(control.is_controlling())
            })
            .await
            .unwrap();
        assert!(seen);
        assert!(!control.is_controlling());
        assert!(watch.has_changed().unwrap());
        assert!(!*watch.borrow_and_update());
    }

    #[tokio::test]
    async fn a_queued_action_is_cancelled_by_the_stop_without_waiting_for_the_running_one() {
        let control = Control::new();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let control = control.clone();
            async move {
                control
                    .run_exclusive(control.stop_token(), Indicator::On, move |_| {
                        let _ = released.recv_timeout(Duration::from_secs(10));
                        Ok(())
                    })
                    .await
            }
        });
        let mut watch = control.watch();
        watch.wait_for(|on| *on).await.unwrap();
        let queued = tokio::spawn({
            let control = control.clone();
            let token = control.stop_token();
            async move {
                control
                    .run_exclusive(token, Indicator::On, |_| Ok(()))
                    .await
            }
        });
        tokio::task::yield_now().await;
        control.emergency_stop();
        let queued = tokio::time::timeout(Duration::from_secs(2), queued)
            .await
            .expect("the queued action ended without waiting for the running one")
            .unwrap();
        assert!(queued.unwrap_err().to_string().contains("emergency stop"));
        release.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert!(!control.is_controlling());
    }

    #[tokio::test]
    async fn dropping_the_call_stops_its_blocking_work() {
        let control = Control::new();
        let (checked, was_stopped) = std::sync::mpsc::channel();
        let call = tokio::spawn({
            let control = control.clone();
            async move {
                control
                    .run_exclusive(control.stop_token(), Indicator::On, move |token| {
                        let deadline = std::time::Instant::now() + Duration::from_secs(10);
                        while !token.is_stopped() && std::time::Instant::now() < deadline {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        let _ = checked.send(token.is_stopped());
                        Ok(())
                    })
                    .await
            }
        });
        control.watch().wait_for(|on| *on).await.unwrap();
        call.abort();
        let stopped = tokio::task::spawn_blocking(move || was_stopped.recv().unwrap())
            .await
            .unwrap();
        assert!(stopped);
    }
}
