//! Models that run inside the Pincer process: the registry of GGUF files on disk, the
//! catalog of known models, downloading them, and (with the `local` feature) the runtime.

pub mod catalog;
pub mod download;
pub mod gguf;
pub mod options;
pub mod output;
pub mod registry;
#[cfg(feature = "local")]
pub mod runtime;
pub mod template;
