//! What every handler shares.

use std::path::PathBuf;
use std::sync::Arc;

use pincer_core::agent::Engine;
use tokio::sync::broadcast;

use crate::auth::Auth;
use crate::desktop::DesktopHooks;

pub struct AppState {
    pub engine: Engine,
    /// The data home: config.toml, the secret store's files, the token.
    pub home: PathBuf,
    /// `--workspace` given on the command line; wins over config when settings are reloaded.
    pub workspace_override: Option<PathBuf>,
    pub auth: Auth,
    pub allow_remote: bool,
    /// Origins besides the page's own that may open the WebSocket (the desktop webview).
    pub extra_origins: Vec<String>,
    /// Fired when sessions are created, renamed or deleted; sockets tell their clients.
    pub sessions_changed: broadcast::Sender<()>,
    /// Settings are read, changed and written by one request at a time.
    pub settings_lock: tokio::sync::Mutex<()>,
    /// The desktop shell's hooks; `None` for the headless daemon.
    pub desktop: Option<Arc<dyn DesktopHooks>>,
}

impl AppState {
    pub fn notify_sessions_changed(&self) {
        let _ = self.sessions_changed.send(());
    }
}
