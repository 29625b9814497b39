//! Reading the environment: variables and the user's home folder.

use std::path::{Path, PathBuf};

/// Reads environment variables; a seam so tests need not touch the process environment.
pub trait Env {
    fn var(&self, key: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// The user's home folder: `HOME` (`USERPROFILE` on Windows).
pub(super) fn user_home(env: &dyn Env) -> Option<PathBuf> {
    env.var("HOME")
        .or_else(|| env.var("USERPROFILE"))
        .map(PathBuf::from)
}

/// `~/x` → `<home>/x`; other paths as written.
pub(super) fn expand_tilde(path: &Path, env: &dyn Env) -> PathBuf {
    match (path.strip_prefix("~"), user_home(env)) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}
