//! Pincer's headless engine: providers, the agent loop, tools, policy and the SQLite store.
//!
//! Builds and tests without any GUI or X11 library; every surface drives it through the
//! [`protocol`] types.

pub mod agent;
pub mod clock;
pub mod config;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod instance;
pub mod local;
pub mod memory;
pub mod model;
pub mod policy;
pub mod pricing;
pub mod protocol;
pub mod provider;
pub mod redact;
pub mod retry;
pub mod sandbox;
pub mod scheduler;
pub mod secrets;
pub mod skills;
pub mod store;
pub mod sync;
pub mod text;
pub mod tools;
