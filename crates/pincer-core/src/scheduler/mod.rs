//! The background scheduler (issue 14). Built so far: the schedule math — what a job's
//! schedule is, how it is written, when it fires and how it reads back in words. It is
//! pure: every function is given the time instead of reading a clock, so the runner that
//! comes later can ask "what was due while the machine slept?" and tests can ask about
//! any day of any year without waiting.
//!
//! Planned, not built: the runner (timers, misfire policy), the run ledger in SQLite and
//! the `schedule` chat tool and UI surfaces. See `docs/scheduler.md`.

mod cron;
mod describe;
mod error;
mod parse;
mod schedule;
mod wall_clock;

pub use error::ScheduleError;
pub use schedule::Schedule;
