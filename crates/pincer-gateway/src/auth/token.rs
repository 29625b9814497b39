//! The API token: 32 random bytes in `<home>/gateway.token`, readable by its owner only.
//! Tools on the same machine (the CLI, the desktop shell) send it as a bearer token.

use std::path::{Path, PathBuf};

use pincer_core::secrets::write_private;

use super::random::hex_token;
use crate::error::GatewayError;

pub const TOKEN_FILE: &str = "gateway.token";

pub fn token_path(home: &Path) -> PathBuf {
    home.join(TOKEN_FILE)
}

/// Reads the token, creating it on first use.
pub fn load_or_create(home: &Path) -> Result<String, GatewayError> {
    let path = token_path(home);
    let io = |source| GatewayError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => return Ok(text.trim().to_owned()),
        Ok(_) => {
            tracing::warn!(path = %path.display(), "the API token is too short; making a new one")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let token = hex_token(32).map_err(|e| io(std::io::Error::other(e.to_string())))?;
    write_private(&path, format!("{token}\n").as_bytes()).map_err(io)?;
    Ok(token)
}
