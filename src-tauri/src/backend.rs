//! Where the app's engine lives: in this process (the usual case), or in a headless
//! `pincer daemon` that already serves the same data home, which the app then attaches to.
//! Either way the shell drives it through one [`EngineLink`]: the tray, notifications,
//! Pause and the emergency stop work the same in both modes.
//!
//! One engine per data home is enforced by the gateway's instance lock (`daemon.lock`). If
//! another process holds it, the app checks that a Pincer gateway really answers at the
//! published address (the health handshake) before attaching; a dead or foreign address
//! is an error, never a silent second engine.
//!
//! The screen/mouse/keyboard tools only exist in the process that runs the engine: attached
//! to a headless daemon, the agent is simply not offered them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{ProcessEnv, Settings};
use pincer_core::tools::ToolRegistry;
use pincer_gateway::client::Client;
use pincer_gateway::instance::{HolderKind, InstanceError, InstanceLock};
use pincer_gateway::link::{EngineLink, RemoteEngine};
use pincer_gateway::{DesktopHooks, Gateway, GatewayOptions};
use tokio::sync::oneshot;

/// The gateway the windows load, and the link to the one engine of the data home.
pub struct Backend {
    /// e.g. `http://127.0.0.1:7420`.
    pub url: String,
    pub home: PathBuf,
    /// The engine in this process, or the daemon's over its WebSocket. Never both: the
    /// app holds no engine of its own while attached.
    pub link: EngineLink,
    /// Stops the in-process gateway.
    shutdown: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    /// Held while the in-process gateway runs.
    _lock: Option<InstanceLock>,
    client: Client,
    /// The in-process engine's scheduler (none when attached: the daemon's runs there).
    scheduler: Option<std::sync::Arc<pincer_core::scheduler::runner::Runner>>,
}

pub struct StartOptions {
    pub home: PathBuf,
    pub workspace: Option<PathBuf>,
    /// Where the in-process gateway listens; when taken, a free loopback port is used.
    pub listen: std::net::SocketAddr,
    pub control: pincer_desktop::Control,
    pub hooks: Arc<dyn DesktopHooks>,
}

impl Backend {
    pub async fn start(options: StartOptions) -> anyhow::Result<Self> {
        let home = options.home.clone();
        std::fs::create_dir_all(&home)
            .with_context(|| format!("could not create {}", home.display()))?;
        match InstanceLock::acquire_as(&home, HolderKind::App, None) {
            Ok(lock) => Self::in_process(options, lock).await,
            Err(InstanceError::AlreadyRunning(Some(running))) => {
                tracing::info!(
                    url = running.url,
                    pid = running.pid,
                    "a daemon serves this data home; attaching to it"
                );
                let client = Client::new(&home, &running.url)?;
                client.health().await?;
                let remote = RemoteEngine::connect(&home, &running.url).await?;
                Ok(Self {
                    url: running.url,
                    home,
                    link: EngineLink::Remote(remote),
                    shutdown: std::sync::Mutex::new(None),
                    _lock: None,
                    scheduler: None,
                    client,
                })
            }
            Err(InstanceError::AlreadyRunning(None)) => bail!(
                "another Pincer holds {} but has not said where it listens; try again in a moment",
                home.display()
            ),
            // A terminal command runs the engine in its own process for a moment; a
            // window that waited for it without a word would look broken, so say it.
            Err(InstanceError::Busy(holder)) => bail!(
                "{} is using {}: start Pincer again once it has finished",
                holder.describe(),
                home.display()
            ),
            Err(e) => Err(e.into()),
        }
    }

    async fn in_process(options: StartOptions, mut lock: InstanceLock) -> anyhow::Result<Self> {
        let home = options.home;
        let settings = Settings::load(home.clone(), &ProcessEnv, options.workspace.clone())?;
        let mut tools = ToolRegistry::builtin();
        pincer_desktop::register_tools(&mut tools, &options.control);
        let engine = Engine::start_with_tools(settings, tools, ApprovalMode::Ask)?;
        if let Err(e) = engine.watch_skills() {
            tracing::warn!(error = %e, "skill folders are not watched");
        }
        // Background jobs run while the app does (the tray keeps it running).
        let scheduler = pincer_core::scheduler::runner::start(&engine);
        let gateway_options = |listen| GatewayOptions {
            listen,
            allow_remote: false,
            extra_origins: Vec::new(),
            workspace_override: options.workspace.clone(),
            desktop: Some(options.hooks.clone()),
        };
        let gateway = match Gateway::bind(
            engine.clone(),
            home.clone(),
            gateway_options(options.listen),
        )
        .await
        {
            Ok(gateway) => gateway,
            Err(e) => {
                tracing::info!(error = %e, "the usual port is taken; using a free one");
                let any = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                Gateway::bind(engine.clone(), home.clone(), gateway_options(any)).await?
            }
        };
        let url = format!("http://{}", gateway.local_addr()?);
        lock.publish(&url)?;
        let client = Client::new(&home, &url)?;
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(async move {
            if let Err(e) = gateway
                .serve(async {
                    let _ = stop.await;
                })
                .await
            {
                tracing::error!(error = %e, "the gateway stopped");
            }
        });
        tracing::info!(url, "engine and gateway running in-process");
        Ok(Self {
            url,
            home,
            link: EngineLink::Local(engine),
            shutdown: std::sync::Mutex::new(Some(shutdown)),
            _lock: Some(lock),
            client,
            scheduler: Some(scheduler),
        })
    }

    /// The daemon's address when attached to one; `None` when the engine runs here.
    pub fn attached_to(&self) -> Option<&str> {
        match &self.link {
            EngineLink::Local(_) => None,
            EngineLink::Remote(_) => Some(&self.url),
        }
    }

    /// A page address that logs the window in with a fresh one-time code, then shows
    /// `route` (e.g. `#/chat/ID`). The code is single-use and leaves the address bar at
    /// once; no long-lived token ever appears in a URL.
    pub async fn login_url(&self, route: &str) -> anyhow::Result<String> {
        let code = self.client.login_code().await?.code;
        let route = route.trim_start_matches('#');
        Ok(if route.is_empty() {
            format!("{}/#login={code}", self.url)
        } else {
            format!("{}/#{route}&login={code}", self.url)
        })
    }

    /// Stops the in-process gateway and scheduler (no-op when attached): the runs in flight
    /// are recorded `cancelled` now, not found `lost` at the next start.
    pub fn stop(&self) {
        if let Some(scheduler) = &self.scheduler {
            scheduler.stop();
        }
        let sender = pincer_core::sync::lock(&self.shutdown).take();
        if let Some(shutdown) = sender {
            let _ = shutdown.send(());
        }
    }
}
