//! `pincer daemon`: the engine with the gateway and web UI, until SIGINT/SIGTERM.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use pincer_core::agent::{ApprovalMode, Engine};
use pincer_core::config::{self, ProcessEnv, Settings};
use pincer_core::instance::{self, Claim, HolderKind, InstanceError};
use pincer_gateway::{Gateway, GatewayOptions};

use crate::cli::{DaemonArgs, Global};
use crate::context;

pub async fn daemon(global: &Global, args: DaemonArgs) -> anyhow::Result<ExitCode> {
    // Refuse a public address before touching anything.
    pincer_gateway::check_listen(args.listen, args.allow_remote)?;
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    std::fs::create_dir_all(&home)
        .with_context(|| format!("could not create {}", home.display()))?;
    // A CLI running the engine in-process holds the data home for the length of its
    // command; the daemon waits for it rather than failing, since it will be free soon.
    let claimed = tokio::select! {
        claimed = instance::claim(&home, HolderKind::Daemon, None, context::say_waiting) => claimed?,
        _ = tokio::signal::ctrl_c() => return Ok(ExitCode::from(130)),
    };
    let mut lock = match claimed {
        Claim::Mine(lock) => lock,
        Claim::Served(running) => {
            return Err(InstanceError::AlreadyRunning(Some(running)).into());
        }
    };
    let settings = Settings::load(home.clone(), &ProcessEnv, global.workspace.clone())?;
    let no_provider = settings.providers.is_empty();
    let engine = Engine::start(settings, ApprovalMode::Ask)?;
    if let Err(e) = engine.watch_skills() {
        // Skills still load; they just need a restart (or Skills → Reload) to change.
        tracing::warn!(error = %e, "skill folders are not watched");
    }
    // Background jobs run while the daemon does.
    let scheduler = pincer_core::scheduler::runner::start(&engine);
    let gateway = Gateway::bind(
        engine,
        home.clone(),
        GatewayOptions {
            listen: args.listen,
            allow_remote: args.allow_remote,
            extra_origins: Vec::new(),
            workspace_override: global.workspace.clone(),
            desktop: None,
        },
    )
    .await?;
    let addr = gateway.local_addr()?;
    let url = format!("http://{addr}");
    lock.publish(&url)?;
    let code = gateway.login_code()?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "pincer: WARNING: listening on {addr}, reachable from other machines. Traffic is not encrypted; put it behind TLS."
        );
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "Pincer is listening on {url}")?;
    writeln!(
        out,
        "Log in: {url}/#login={code}  (one-time code, valid 10 minutes; `pincer login` prints a new one)"
    )?;
    writeln!(
        out,
        "API token for scripts: {}",
        pincer_gateway::auth::token::token_path(&home).display()
    )?;
    if no_provider {
        writeln!(
            out,
            "No model provider is configured yet: pick one in Settings in the web UI."
        )?;
    }
    out.flush()?;
    drop(out);
    gateway.serve(shutdown_signal()).await?;
    scheduler.stop();
    drop(lock);
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot watch SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
