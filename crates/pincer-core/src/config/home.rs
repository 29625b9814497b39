//! Where Pincer keeps its data.

use std::path::{Path, PathBuf};

use super::Env;

/// The data home: `--home`, else `PINCER_HOME`, else the platform data folder.
pub fn home_dir(flag: Option<&Path>, env: &dyn Env) -> PathBuf {
    if let Some(flag) = flag {
        return flag.to_path_buf();
    }
    if let Some(home) = env.var("PINCER_HOME") {
        return PathBuf::from(home);
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("pincer")
}
