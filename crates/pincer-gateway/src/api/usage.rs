//! Usage per day, provider and model, priced.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use pincer_core::pricing;
use serde::Deserialize;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::wire::{PricedBucket, UsageReport};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/usage", get(report))
}

#[derive(Deserialize)]
struct UsageQuery {
    /// Days back including today; default 30, at most ten years.
    days: Option<u32>,
}

async fn report(
    State(state): State<Arc<AppState>>,
    Query(query): Query<UsageQuery>,
) -> ApiResult<Json<UsageReport>> {
    let days = query.days.unwrap_or(30).clamp(1, 3650);
    let since = SystemTime::now() - Duration::from_secs(u64::from(days - 1) * 24 * 3600);
    let since = humantime_day(since);
    let prices = state.engine.settings().pricing;
    let buckets = state
        .engine
        .store()
        .usage_buckets(Some(&since))?
        .into_iter()
        .map(|bucket| PricedBucket {
            cost_usd: pricing::cost_usd(&bucket.provider, &bucket.model, &bucket.totals, &prices),
            bucket,
        })
        .collect();
    Ok(Json(UsageReport { since, buckets }))
}

/// `YYYY-MM-DD` (UTC) of `time`.
fn humantime_day(time: SystemTime) -> String {
    pincer_core::store::rfc3339(time)[..10].to_owned()
}
