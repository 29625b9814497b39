//! `pincer usage`.

use std::process::ExitCode;

use pincer_core::store::UsageTotals;

use crate::cli::{Global, UsageArgs};
use crate::context;

pub fn usage(global: &Global, args: UsageArgs) -> anyhow::Result<ExitCode> {
    let store = context::store(global)?;
    let summary = store.usage_summary(args.session.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<40} {:>8} {:>12} {:>12} {:>12}",
        "", "requests", "input", "cached", "output"
    );
    row("total", &summary.total);
    if !summary.by_model.is_empty() {
        println!("by model:");
        for r in &summary.by_model {
            row(&format!("  {}", r.key), &r.totals);
        }
    }
    if !summary.by_session.is_empty() {
        println!("by session:");
        for r in &summary.by_session {
            row(&format!("  {}", r.key), &r.totals);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn row(label: &str, t: &UsageTotals) {
    let mut notes = Vec::new();
    if t.failed_requests > 0 {
        notes.push(format!("{} failed", t.failed_requests));
    }
    if t.estimated_requests > 0 {
        notes.push(format!(
            "{} estimated: the provider sent no counts",
            t.estimated_requests
        ));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    };
    println!(
        "{label:<40} {:>8} {:>12} {:>12} {:>12}{notes}",
        t.requests, t.input_tokens, t.cached_input_tokens, t.output_tokens
    );
}
