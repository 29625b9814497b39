//! How events look in a terminal: the answer on stdout, everything else on stderr.
//!
//! Everything shown here comes from the model, a tool or a provider, so it goes through
//! [`for_terminal`] / [`for_terminal_line`] first: a control sequence in it is shown, never
//! obeyed.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use pincer_core::protocol::{DecidedBy, Event};
use pincer_core::text::{for_terminal, for_terminal_line};
use tokio::task::JoinHandle;

/// Prints events for a person. A spinner shows while the model has not answered yet.
pub struct Renderer {
    spinner: Option<JoinHandle<()>>,
    fancy: bool,
    /// Whether the current line on stdout has text that needs a newline before stderr output.
    open_line: bool,
}

impl Renderer {
    pub fn new() -> Self {
        Self {
            spinner: None,
            fancy: std::io::stderr().is_terminal(),
            open_line: false,
        }
    }

    pub fn event(&mut self, event: &Event) {
        match event {
            Event::ModelRequest { .. } => self.start_spinner(),
            Event::TextDelta { text } => {
                self.stop_spinner();
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(for_terminal(text).as_bytes());
                let _ = out.flush();
                self.open_line = !text.ends_with('\n');
            }
            Event::ToolCallRequested {
                name, arguments, ..
            } => {
                self.stop_spinner();
                self.note(&format!("⚙ {name} {}", short(arguments, 120)));
            }
            Event::ToolCallFinished {
                name,
                outcome,
                output,
                duration_ms,
                ..
            } => {
                let ok = outcome.is_ok();
                let mark = if ok { "✓" } else { "✗" };
                let detail = if ok {
                    String::new()
                } else {
                    format!(": {}", short(output, 200))
                };
                self.note(&format!("{mark} {name} ({duration_ms} ms){detail}"));
            }
            Event::ProviderRetry {
                provider,
                attempt,
                delay_ms,
                reason,
            } => {
                self.stop_spinner();
                self.note(&format!(
                    "↻ {provider} failed (attempt {attempt}): {}; retrying in {delay_ms} ms",
                    reason.message
                ));
            }
            Event::Recalled { items, .. } => {
                self.stop_spinner();
                self.note(&format!(
                    "⌁ remembered {} item{} (pincer memory show ID)",
                    items.len(),
                    if items.len() == 1 { "" } else { "s" }
                ));
            }
            Event::Compacted {
                messages,
                facts_saved,
                ..
            } => {
                self.stop_spinner();
                self.note(&format!(
                    "⇲ compacted {messages} earlier messages to make room ({facts_saved} facts saved to memory)"
                ));
            }
            Event::ProviderFallback { from, to, reason } => {
                self.stop_spinner();
                self.note(&format!(
                    "↪ {from} gave up ({}); switching to {to}",
                    reason.message
                ));
            }
            Event::ApprovalResolved { decision, by, .. } if *by != DecidedBy::User => {
                self.note(&format!(
                    "  approval: {} ({})",
                    decision.as_str(),
                    by.as_str()
                ));
            }
            Event::TurnCompleted { .. }
            | Event::TurnCancelled { .. }
            | Event::TurnFailed { .. }
            | Event::StepLimitReached { .. }
            | Event::ApprovalRequested { .. } => {
                self.stop_spinner();
                self.finish_line();
            }
            _ => {}
        }
    }

    /// A line on stderr, after ending any half-written answer line. Whatever `text` holds
    /// stays on that one line.
    pub fn note(&mut self, text: &str) {
        self.finish_line();
        eprintln!("{}", for_terminal_line(text));
    }

    pub fn finish_line(&mut self) {
        if self.open_line {
            println!();
            self.open_line = false;
        }
    }

    fn start_spinner(&mut self) {
        if !self.fancy || self.spinner.is_some() {
            return;
        }
        self.spinner = Some(tokio::spawn(async {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut tick = tokio::time::interval(Duration::from_millis(80));
            for frame in frames.iter().cycle() {
                tick.tick().await;
                eprint!("\r{frame} thinking…");
            }
        }));
    }

    fn stop_spinner(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.abort();
            eprint!("\r\x1b[2K");
        }
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        self.stop_spinner();
    }
}

fn short(text: &str, max: usize) -> String {
    let line = text.replace('\n', " ");
    if line.chars().count() <= max {
        line
    } else {
        format!("{}…", line.chars().take(max).collect::<String>())
    }
}
