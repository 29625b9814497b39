//! What one model's requests cost, from published list prices in US dollars per million
//! tokens, or the user's own `[pricing]` in config.toml, which wins. Prices change: a model
//! found in neither costs "unknown", never a made-up zero. Local servers are free.

use std::collections::BTreeMap;

use crate::config::ModelPrice;
use crate::provider::presets;
use crate::store::UsageTotals;

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

/// The cost of `totals`, or `None` when the model's price is unknown. `configured` is
/// `[pricing]` from config.toml: model id (or prefix) → price.
pub fn cost_usd(
    provider: &str,
    model: &str,
    totals: &UsageTotals,
    configured: &BTreeMap<String, ModelPrice>,
) -> Option<f64> {
    // Routers prefix the vendor: "openai/gpt-4o-mini".
    let bare = model.rsplit('/').next().unwrap_or(model);
    let own = configured
        .iter()
        .filter(|(prefix, _)| {
            model.starts_with(prefix.as_str()) || bare.starts_with(prefix.as_str())
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, p)| (p.input, p.cached_input.unwrap_or(p.input), p.output));
    let (input, cached_input, output) = match own {
        Some(price) => price,
        None if runs_locally(provider) => return Some(0.0),
        None => PRICES
            .iter()
            .filter(|p| bare.starts_with(p.prefix))
            .max_by_key(|p| p.prefix.len())
            .map(|p| (p.input, p.cached_input, p.output))?,
    };
    let cached = totals.cached_input_tokens.min(totals.input_tokens) as f64;
    let uncached = totals.input_tokens as f64 - cached;
    Some(
        (uncached * input + cached * cached_input + totals.output_tokens as f64 * output)
            / 1_000_000.0,
    )
}

/// Presets without a vendor key (Ollama, LM Studio, llama.cpp) run on the user's machine.
fn runs_locally(provider: &str) -> bool {
    presets::find(provider).is_some_and(|preset| preset.key_env.is_none())
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
            &none(),
        )
        .unwrap();
        assert!((cost - (0.5 * 0.15 + 0.5 * 0.075)).abs() < 1e-9, "{cost}");
        let routed = cost_usd(
            "openrouter",
            "anthropic/claude-sonnet-4",
            &totals(0, 0, 1_000_000),
            &none(),
        );
        assert_eq!(routed, Some(15.0));
    }

    fn none() -> BTreeMap<String, ModelPrice> {
        BTreeMap::new()
    }

    #[test]
    fn configured_prices_win_and_price_unknown_models() {
        let mut own = none();
        own.insert(
            "mystery".to_owned(),
            ModelPrice {
                input: 1.0,
                cached_input: None,
                output: 2.0,
            },
        );
        own.insert(
            "gpt-4o-mini".to_owned(),
            ModelPrice {
                input: 0.0,
                cached_input: Some(0.0),
                output: 0.0,
            },
        );
        // Cached input without its own price costs the input price.
        let cost = cost_usd(
            "openai",
            "mystery-1",
            &totals(1_000_000, 500_000, 1_000_000),
            &own,
        );
        assert_eq!(cost, Some(3.0));
        assert_eq!(
            cost_usd("openai", "gpt-4o-mini", &totals(10, 0, 10), &own),
            Some(0.0)
        );
        // A local model with a configured price is charged (e.g. electricity, a rented GPU).
        assert_eq!(
            cost_usd("ollama", "mystery", &totals(0, 0, 1_000_000), &own),
            Some(2.0)
        );
    }

    #[test]
    fn unknown_models_have_no_price_and_local_ones_are_free() {
        assert_eq!(
            cost_usd("openai", "mystery-1", &totals(10, 0, 10), &none()),
            None
        );
        assert_eq!(
            cost_usd("ollama", "llama3", &totals(10, 0, 10), &none()),
            Some(0.0)
        );
    }
}
