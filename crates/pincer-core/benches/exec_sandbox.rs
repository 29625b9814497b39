//! What the exec sandbox costs per command (issue 11): the same `exec` call (`true`)
//! unsandboxed (a rule with `sandbox = false`), under Landlock + seccomp, and under
//! bubblewrap. Each call is the whole tool: policy lookup, spawn, wait, output.
//!
//! `cargo bench -p pincer-core --bench exec_sandbox` (release). A rung this machine does
//! not have is reported as missing, not timed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use pincer_core::policy::{ExecRule, Verdict};
use pincer_core::sandbox::{self, Ladder};
use pincer_core::tools::exec::Exec;
use pincer_core::tools::{ToolExt, ToolSettings};
use serde_json::json;

const RUNS: usize = 200;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let base = ToolSettings::new(workspace.path().canonicalize().unwrap());

    let rungs = [
        ("unsandboxed (rule with sandbox = false)", None),
        (
            "Landlock + seccomp",
            Some(Ladder {
                landlock: true,
                bubblewrap: false,
            }),
        ),
        (
            "bubblewrap",
            Some(Ladder {
                landlock: false,
                bubblewrap: true,
            }),
        ),
    ];
    for (name, ladder) in rungs {
        let mut settings = base.clone();
        match ladder {
            None => {
                settings.exec_rules = vec![ExecRule {
                    sandbox: false,
                    ..ExecRule::new("true", Verdict::Allow)
                }];
            }
            Some(ladder) => {
                if let Err(why) = sandbox::choose(ladder) {
                    println!("{name}: not available here ({why})");
                    continue;
                }
                settings.sandbox = ladder;
            }
        }
        let mut times: Vec<Duration> = runtime.block_on(async {
            // One call first so the page cache and the sandbox probe are warm.
            Exec.call(json!({"command": "true"}), &settings)
                .await
                .unwrap();
            let mut times = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let started = Instant::now();
                Exec.call(json!({"command": "true"}), &settings)
                    .await
                    .unwrap();
                times.push(started.elapsed());
            }
            times
        });
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name}: median {:.2} ms, p90 {:.2} ms over {RUNS} calls of `true`",
            ms(times[RUNS / 2]),
            ms(times[RUNS * 9 / 10])
        );
    }
}
