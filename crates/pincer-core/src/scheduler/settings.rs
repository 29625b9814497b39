//! `[scheduler]` in `config.toml`: how much background work runs at once, what it may
//! spend in a day, and how long the run ledger keeps what ended.

use serde::Deserialize;

/// As the user writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSection {
    /// At most this many runs at once.
    pub concurrency: usize,
    /// Background runs together stop before a model request once they have spent this
    /// much today (US dollars, local day, by the models' prices). None: no daily cap.
    pub daily_spend_usd: Option<f64>,
    /// Of each job, the newest this many ended runs stay in the ledger…
    pub keep_runs_per_job: usize,
    /// …and any that ended within this many days.
    pub keep_runs_days: u32,
}

impl Default for SchedulerSection {
    fn default() -> Self {
        Self {
            concurrency: 2,
            daily_spend_usd: None,
            keep_runs_per_job: 500,
            keep_runs_days: 90,
        }
    }
}

/// Resolved: bounds applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SchedulerOptions {
    /// 1 to 16.
    pub concurrency: usize,
    /// Positive, when set.
    pub daily_spend_usd: Option<f64>,
    /// At least 1.
    pub keep_runs_per_job: usize,
    pub keep_runs_days: u32,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerSection::default().resolve()
    }
}

impl SchedulerSection {
    pub fn resolve(&self) -> SchedulerOptions {
        SchedulerOptions {
            concurrency: self.concurrency.clamp(1, 16),
            daily_spend_usd: self
                .daily_spend_usd
                .filter(|cap| cap.is_finite() && *cap > 0.0),
            keep_runs_per_job: self.keep_runs_per_job.max(1),
            keep_runs_days: self.keep_runs_days,
        }
    }
}
