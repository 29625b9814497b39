//! What requests cost, from published list prices in US dollars per million tokens. Prices
//! change: a model missing here costs "unknown", never a made-up zero. Local servers are free.

use pincer_core::store::UsageTotals;

struct Price {
    /// Model id prefix; the longest match wins.
    prefix: &'static str,
    input: f64,
    cached_input: f64,
    output: f64,
}

const PRICES: &[Price] = &[
    price("gpt-4.1", 2.00, 0.50, 8.00),
    price("gpt-4.1-mini", 0.40, 0.10, 1.60),
    price("gpt-4.1-nano", 0.10, 0.025, 0.40),
    price("gpt-4o", 2.50, 1.25, 10.00),
    price("gpt-4o-mini", 0.15, 0.075, 0.60),
    price("o4-mini", 1.10, 0.275, 4.40),
    price("o3", 2.00, 0.50, 8.00),
    price("claude-opus-4", 15.00, 1.50, 75.00),
    price("claude-sonnet-4", 3.00, 0.30, 15.00),
    price("claude-3-7-sonnet", 3.00, 0.30, 15.00),
    price("claude-3-5-sonnet", 3.00, 0.30, 15.00),
    price("claude-3-5-haiku", 0.80, 0.08, 4.00),
    price("claude-haiku-4", 1.00, 0.10, 5.00),
    price("deepseek-chat", 0.28, 0.028, 0.42),
    price("deepseek-reasoner", 0.28, 0.028, 0.42),
];

const fn price(prefix: &'static str, input: f64, cached_input: f64, output: f64) -> Price {
    Price {
        prefix,
        input,
        cached_input,
        output,
    }
}

/// Providers that run on the user's own machine.
const LOCAL: &[&str] = &["ollama", "lmstudio", "llamacpp"];

/// The cost of `totals`, or `None` when the model's price is unknown.
pub fn cost_usd(provider: &str, model: &str, totals: &UsageTotals) -> Option<f64> {
    if LOCAL.contains(&provider) {
        return Some(0.0);
    }
    // Routers prefix the vendor: "openai/gpt-4o-mini".
    let bare = model.rsplit('/').next().unwrap_or(model);
    let price = PRICES
        .iter()
        .filter(|p| bare.starts_with(p.prefix))
        .max_by_key(|p| p.prefix.len())?;
    let cached = totals.cached_input_tokens.min(totals.input_tokens) as f64;
    let uncached = totals.input_tokens as f64 - cached;
    Some(
        (uncached * price.input
            + cached * price.cached_input
            + totals.output_tokens as f64 * price.output)
            / 1_000_000.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(input: u64, cached: u64, output: u64) -> UsageTotals {
        UsageTotals {
            requests: 1,
            input_tokens: input,
            cached_input_tokens: cached,
            output_tokens: output,
            ..UsageTotals::default()
        }
    }

    #[test]
    fn longest_prefix_and_cached_discount() {
        let cost = cost_usd(
            "openai",
            "gpt-4o-mini-2024-07-18",
            &totals(1_000_000, 500_000, 0),
        )
        .unwrap();
        assert!((cost - (0.5 * 0.15 + 0.5 * 0.075)).abs() < 1e-9, "{cost}");
        let routed = cost_usd(
            "openrouter",
            "anthropic/claude-sonnet-4",
            &totals(0, 0, 1_000_000),
        );
        assert_eq!(routed, Some(15.0));
    }

    #[test]
    fn unknown_models_have_no_price_and_local_ones_are_free() {
        assert_eq!(cost_usd("openai", "mystery-1", &totals(10, 0, 10)), None);
        assert_eq!(cost_usd("ollama", "llama3", &totals(10, 0, 10)), Some(0.0));
    }
}
