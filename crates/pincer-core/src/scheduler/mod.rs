//! The background scheduler (`docs/scheduler.md`): the schedule math — what a job's
//! schedule is, how it is written, when it fires and how it reads back in words — is pure:
//! every function is given the time instead of reading a clock, so the runner can ask
//! "what was due while the machine slept?" and tests can ask about any day of any year
//! without waiting. What becomes of instants missed while nothing ran ([`misfire`]), the
//! planner that writes them to the ledger (`store/jobs.rs`), a job's options
//! ([`JobOptions`]) and the [`runner`] that drives runs as engine turns.

mod cron;
mod describe;
mod error;
pub mod heartbeat;
mod info;
pub mod misfire;
mod options;
mod parse;
pub mod planner;
pub mod runner;
mod schedule;
pub mod settings;
pub mod spend;
mod tool;
mod wall_clock;

pub use error::ScheduleError;
pub use info::{JobInfo, UPCOMING, preview};
pub use options::{Delivery, JobKind, JobOptions, Unattended, UnattendedMode};
pub use schedule::Schedule;
pub(crate) use tool::Jobs;
pub use tool::ScheduleTool;
