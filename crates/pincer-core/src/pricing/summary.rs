//! A usage summary with its cost: per model, per session and in total. Sums include only
//! requests whose model has a price, and say how many were left out, so an unknown price
//! never reads as free.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cost_usd;
use crate::config::ModelPrice;
use crate::store::{UsageRow, UsageSlice, UsageSummary, UsageTotals};

/// The cost of some requests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// US dollars for the requests whose model has a price; `None` when there are requests
    /// and none of them has one.
    pub cost_usd: Option<f64>,
    /// Requests not in `cost_usd` because no price is known for their model.
    pub unpriced_requests: u64,
}

impl Cost {
    /// The cost of parts that each cost `usd` (`None`: unknown) for `requests`.
    fn sum(parts: impl IntoIterator<Item = (Option<f64>, u64)>) -> Self {
        let (mut usd, mut priced, mut unpriced_requests) = (0.0, false, 0);
        for (cost, requests) in parts {
            match cost {
                Some(cost) => {
                    usd += cost;
                    priced = true;
                }
                None => unpriced_requests += requests,
            }
        }
        Self {
            cost_usd: (priced || unpriced_requests == 0).then_some(usd),
            unpriced_requests,
        }
    }
}

impl Default for Cost {
    /// No requests cost nothing.
    fn default() -> Self {
        Self::sum([])
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PricedTotals {
    #[serde(flatten)]
    pub totals: UsageTotals,
    #[serde(flatten)]
    pub cost: Cost,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedRow {
    #[serde(flatten)]
    pub row: UsageRow,
    #[serde(flatten)]
    pub cost: Cost,
}

/// [`UsageSummary`] with costs; serializes as the summary with `cost_usd` and
/// `unpriced_requests` added to the total and to every row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PricedUsage {
    pub total: PricedTotals,
    pub by_model: Vec<PricedRow>,
    pub by_session: Vec<PricedRow>,
}

/// Prices `summary` from `slices` (the same requests, per session, provider and model).
/// `configured` is `[pricing]` from config.toml.
pub fn price_usage(
    summary: UsageSummary,
    slices: &[UsageSlice],
    configured: &BTreeMap<String, ModelPrice>,
) -> PricedUsage {
    let priced: Vec<(&UsageSlice, Option<f64>)> = slices
        .iter()
        .map(|s| {
            let cost = cost_usd(&s.provider, &s.model, &s.totals, configured);
            (s, cost)
        })
        .collect();
    let cost_of = |belongs: &dyn Fn(&UsageSlice) -> bool| {
        Cost::sum(
            priced
                .iter()
                .filter(|(s, _)| belongs(s))
                .map(|(s, usd)| (*usd, s.totals.requests)),
        )
    };
    let row = |row: UsageRow, belongs: &dyn Fn(&UsageSlice) -> bool| PricedRow {
        cost: cost_of(belongs),
        row,
    };
    PricedUsage {
        total: PricedTotals {
            totals: summary.total,
            cost: cost_of(&|_| true),
        },
        // The summary keys models as "provider/model".
        by_model: summary
            .by_model
            .into_iter()
            .map(|r| {
                let key = r.key.clone();
                row(r, &move |s| {
                    key.strip_prefix(s.provider.as_str())
                        .and_then(|rest| rest.strip_prefix('/'))
                        == Some(s.model.as_str())
                })
            })
            .collect(),
        by_session: summary
            .by_session
            .into_iter()
            .map(|r| {
                let key = r.key.clone();
                row(r, &move |s| s.session == key)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(session: &str, provider: &str, model: &str, requests: u64) -> UsageSlice {
        UsageSlice {
            session: session.to_owned(),
            provider: provider.to_owned(),
            model: model.to_owned(),
            totals: UsageTotals {
                requests,
                input_tokens: 1_000_000 * requests,
                ..UsageTotals::default()
            },
        }
    }

    fn usage_row(key: &str) -> UsageRow {
        UsageRow {
            key: key.to_owned(),
            totals: UsageTotals::default(),
        }
    }

    #[test]
    fn unknown_prices_stay_out_of_the_sums_and_are_counted() {
        let slices = [
            slice("a", "openai", "gpt-4o-mini", 1),
            slice("a", "openai", "mystery", 2),
            slice("b", "ollama", "llama3", 1),
            slice("b", "openrouter", "openai/gpt-4o-mini", 1),
        ];
        let summary = UsageSummary {
            total: UsageTotals::default(),
            by_model: vec![
                usage_row("openai/gpt-4o-mini"),
                usage_row("openai/mystery"),
                usage_row("ollama/llama3"),
                usage_row("openrouter/openai/gpt-4o-mini"),
            ],
            by_session: vec![usage_row("a"), usage_row("b")],
        };
        let priced = price_usage(summary, &slices, &BTreeMap::new());
        let costs: Vec<Cost> = priced.by_model.iter().map(|r| r.cost).collect();
        assert_eq!(
            costs,
            [
                Cost {
                    cost_usd: Some(0.15),
                    unpriced_requests: 0
                },
                Cost {
                    cost_usd: None,
                    unpriced_requests: 2
                },
                Cost {
                    cost_usd: Some(0.0),
                    unpriced_requests: 0
                },
                Cost {
                    cost_usd: Some(0.15),
                    unpriced_requests: 0
                },
            ]
        );
        assert_eq!(
            priced.by_session[0].cost,
            Cost {
                cost_usd: Some(0.15),
                unpriced_requests: 2
            }
        );
        assert_eq!(priced.by_session[1].cost.unpriced_requests, 0);
        let total = priced.total.cost;
        assert_eq!(total.unpriced_requests, 2);
        assert!((total.cost_usd.unwrap_or_default() - 0.30).abs() < 1e-9);
    }

    #[test]
    fn json_adds_the_cost_to_the_summary_shape() {
        let slices = [slice("a", "openai", "gpt-4o-mini", 1)];
        let summary = UsageSummary {
            total: slices[0].totals.clone(),
            by_model: vec![usage_row("openai/gpt-4o-mini")],
            by_session: vec![usage_row("a")],
        };
        let json = serde_json::to_value(price_usage(summary, &slices, &BTreeMap::new()))
            .unwrap_or_default();
        assert_eq!(json["total"]["requests"], 1);
        assert_eq!(json["total"]["cost_usd"], 0.15);
        assert_eq!(json["total"]["unpriced_requests"], 0);
        assert_eq!(json["by_model"][0]["key"], "openai/gpt-4o-mini");
        assert_eq!(json["by_session"][0]["cost_usd"], 0.15);
    }

    #[test]
    fn no_usage_costs_nothing() {
        let priced = price_usage(UsageSummary::default(), &[], &BTreeMap::new());
        assert_eq!(
            priced.total.cost,
            Cost {
                cost_usd: Some(0.0),
                unpriced_requests: 0
            }
        );
    }
}
