//! The background scheduler (issue 14). Built so far: the schedule math — what a job's
//! schedule is, how it is written, when it fires and how it reads back in words. It is
//! pure: every function is given the time instead of reading a clock, so the runner that
//! comes later can ask "what was due while the machine slept?" and tests can ask about
//! any day of any year without waiting.
//!
//! Also built: what becomes of instants missed while nothing ran ([`misfire`]), and the
//! run ledger in SQLite (`store/jobs.rs`). Planned, not built: the runner (timers, the
//! engine's turns, approvals, spend caps), the `schedule` chat tool and the surfaces. See
//! `docs/scheduler.md`.

mod cron;
mod describe;
mod error;
mod info;
pub mod misfire;
mod parse;
pub mod planner;
pub mod runner;
mod schedule;
mod wall_clock;

pub use error::ScheduleError;
pub use info::JobInfo;
pub use schedule::Schedule;
