//! What usage costs: one price list for every surface (the Usage page, `pincer usage`).

mod prices;
mod summary;

pub use prices::cost_usd;
pub use summary::{Cost, PricedRow, PricedTotals, PricedUsage, price_usage};
