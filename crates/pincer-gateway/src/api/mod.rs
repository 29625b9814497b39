//! REST resources. All of them need authentication (see `crate::auth`).

pub mod approvals;
pub mod desktop;
pub mod images;
pub mod sessions;
pub mod settings;
pub mod usage;
