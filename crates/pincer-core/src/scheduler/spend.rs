//! What background work costs, and the caps that stop it before a model request: a job's
//! own (`spend_cap_usd`, per run) and one for the day across all background runs
//! (`[scheduler] daily_spend_usd`). Costs come from the usage the engine records for every
//! request, priced like the Usage page; a model whose price is unknown counts as free
//! here (the Usage page says it is unknown), so a cap binds priced models only.

use std::collections::BTreeMap;

use chrono::{Local, LocalResult, TimeZone};

use crate::config::ModelPrice;
use crate::pricing::cost_usd;
use crate::protocol::{Failure, FailureKind};
use crate::store::{Store, StoreError, UsageTotals};

/// What one session's requests cost and used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionSpend {
    pub cost_usd: f64,
    /// Whether any request had a known price.
    pub priced: bool,
    pub totals: UsageTotals,
}

/// The cost and tokens of every request of `session`.
pub fn session_spend(
    store: &Store,
    session: &str,
    pricing: &BTreeMap<String, ModelPrice>,
) -> Result<SessionSpend, StoreError> {
    let mut spend = SessionSpend::default();
    for slice in store.usage_slices(Some(session))? {
        if let Some(cost) = cost_usd(&slice.provider, &slice.model, &slice.totals, pricing) {
            spend.cost_usd += cost;
            spend.priced = true;
        }
        let t = &mut spend.totals;
        t.requests += slice.totals.requests;
        t.failed_requests += slice.totals.failed_requests;
        t.input_tokens += slice.totals.input_tokens;
        t.cached_input_tokens += slice.totals.cached_input_tokens;
        t.output_tokens += slice.totals.output_tokens;
        t.estimated_requests += slice.totals.estimated_requests;
    }
    Ok(spend)
}

/// The local midnight that began the day of `now` (unix seconds).
pub fn day_start(now: i64) -> i64 {
    let Some(date) = Local.timestamp_opt(now, 0).single().map(|t| t.date_naive()) else {
        return now - now.rem_euclid(86_400);
    };
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match Local.from_local_datetime(&midnight) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp(),
        // A zone whose clocks skip midnight: the day began at the jump.
        LocalResult::None => now - now.rem_euclid(86_400),
    }
}

/// What background runs spent today: the runs that ended today and the ones running.
pub fn spent_today(
    store: &Store,
    now: i64,
    pricing: &BTreeMap<String, ModelPrice>,
) -> Result<f64, StoreError> {
    let (ended, running) = store.background_spend(day_start(now))?;
    let mut total = ended;
    for session in running {
        total += session_spend(store, &session, pricing)?.cost_usd;
    }
    Ok(total)
}

/// Whether a background run in `session` may send another model request.
pub fn check(
    store: &Store,
    session: &str,
    run_cap: Option<f64>,
    daily_cap: Option<f64>,
    now: i64,
    pricing: &BTreeMap<String, ModelPrice>,
) -> Result<(), Failure> {
    let internal = |e: StoreError| {
        Failure::new(
            FailureKind::Internal,
            format!("could not read what the run spent: {e}"),
        )
    };
    if let Some(cap) = run_cap {
        let spent = session_spend(store, session, pricing)
            .map_err(internal)?
            .cost_usd;
        if spent >= cap {
            return Err(Failure::new(
                FailureKind::SpendCap,
                format!(
                    "stopped before the next model request: this run has spent ${spent:.4} of the job's ${cap:.2} cap (spend_cap_usd)"
                ),
            ));
        }
    }
    if let Some(cap) = daily_cap {
        let spent = spent_today(store, now, pricing).map_err(internal)?;
        if spent >= cap {
            return Err(Failure::new(
                FailureKind::SpendCap,
                format!(
                    "stopped before the next model request: background work has spent ${spent:.4} today, the daily cap is ${cap:.2} ([scheduler] daily_spend_usd)"
                ),
            ));
        }
    }
    Ok(())
}
