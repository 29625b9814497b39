//! `pincer usage`.

use std::process::ExitCode;

use pincer_core::config::{self, FileConfig, ProcessEnv};
use pincer_core::pricing::{self, Cost};
use pincer_core::store::UsageTotals;

use crate::cli::{Global, UsageArgs};
use crate::context;

pub fn usage(global: &Global, args: UsageArgs) -> anyhow::Result<ExitCode> {
    let store = context::store(global)?;
    let session = args.session.as_deref();
    // Only `[pricing]` is needed, so no provider has to be configured.
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    let prices = FileConfig::read(&home)?.pricing;
    let usage = pricing::price_usage(
        store.usage_summary(session)?,
        &store.usage_slices(session)?,
        &prices,
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&usage)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<40} {:>8} {:>12} {:>12} {:>12} {:>10}",
        "", "requests", "input", "cached", "output", "cost"
    );
    row("total", &usage.total.totals, &usage.total.cost);
    if !usage.by_model.is_empty() {
        println!("by model:");
        for r in &usage.by_model {
            row(&format!("  {}", r.row.key), &r.row.totals, &r.cost);
        }
    }
    if !usage.by_session.is_empty() {
        println!("by session:");
        for r in &usage.by_session {
            row(&format!("  {}", r.row.key), &r.row.totals, &r.cost);
        }
    }
    if usage.total.cost.unpriced_requests > 0 {
        println!(
            "— : no price is known for that model, so its cost is not included in the totals \
             (set one under [pricing] in config.toml)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn row(label: &str, t: &UsageTotals, cost: &Cost) {
    // Model names can come from the provider's reply.
    let label = pincer_core::text::for_terminal_line(label);
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
        "{label:<40} {:>8} {:>12} {:>12} {:>12} {:>10}{notes}",
        t.requests,
        t.input_tokens,
        t.cached_input_tokens,
        t.output_tokens,
        shown(cost)
    );
}

/// As on the Usage page: "$1.50", "$1.50+" when some requests have no price, "—" when none has.
pub fn shown(cost: &Cost) -> String {
    match cost.cost_usd {
        Some(usd) if cost.unpriced_requests == 0 => usd_text(usd),
        Some(usd) if usd > 0.0 => format!("{}+", usd_text(usd)),
        _ => "—".to_owned(),
    }
}

/// Cents, or four decimals for amounts below a cent, which a long test session can be.
fn usd_text(usd: f64) -> String {
    if usd == 0.0 {
        "$0.00".to_owned()
    } else if usd.abs() < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(usd: Option<f64>, unpriced: u64) -> String {
        shown(&Cost {
            cost_usd: usd,
            unpriced_requests: unpriced,
        })
    }

    #[test]
    fn costs_read_like_the_usage_page() {
        assert_eq!(cost(Some(1.5), 0), "$1.50");
        assert_eq!(cost(Some(0.0), 0), "$0.00");
        assert_eq!(cost(Some(0.00123), 0), "$0.0012");
        assert_eq!(cost(Some(1.5), 3), "$1.50+");
        assert_eq!(cost(Some(0.0), 3), "—");
        assert_eq!(cost(None, 3), "—");
    }
}
