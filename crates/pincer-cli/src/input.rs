//! Lines from stdin, read on a blocking thread so prompts and approvals can await them.

use std::io::BufRead;

use tokio::sync::mpsc;

pub struct Input {
    lines: mpsc::Receiver<String>,
}

impl Input {
    /// Starts reading stdin. Only one reader should exist per process.
    pub fn stdin() -> Self {
        let (tx, lines) = mpsc::channel(16);
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        Self { lines }
    }

    /// The next line, or `None` at end of input.
    pub async fn line(&mut self) -> Option<String> {
        self.lines.recv().await
    }
}
