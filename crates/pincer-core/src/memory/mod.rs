//! Long-term memory as the agent uses it: what a new message recalls into its request
//! ([`recall`]), the tools the model saves, searches and forgets with ([`tools`]), and the
//! `[memory]` settings ([`options`]). The store keeps the memories and their indexes.

pub mod checks;
pub mod embeddings;
pub mod expand;
pub mod markdown;
pub mod options;
pub mod pinned_facts;
pub mod recall;
pub mod sessions_file;
pub mod tools;
