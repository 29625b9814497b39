//! Pincer's desktop app: the web UI in a window, the engine and gateway in-process (or a
//! running `pincer daemon` for the same data home), a tray that keeps Pincer alive when the
//! window is closed, global shortcuts, start at login, one instance per user, desktop
//! notifications, and the screen/mouse/keyboard tools with their indicator and stop.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use pincer_core::config::{self, ProcessEnv};
use tauri::{AppHandle, Manager, RunEvent, WindowEvent};
use tauri_plugin_autostart::MacosLauncher;

mod backend;
mod hooks;
mod prefs;
mod shell;
mod shortcuts;
mod status;
mod tray;
mod watch;
mod windows;

use backend::{Backend, StartOptions};
use shell::{Shell, shell};

/// The flag start-at-login launches the app with: start in the tray, no window.
const HIDDEN_FLAG: &str = "--hidden";

#[derive(Debug, Parser)]
#[command(name = "pincer-app", version, about = "Pincer, the desktop app")]
struct Args {
    /// Data folder (config, database, skills); default: $PINCER_HOME or ~/.pincer.
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// The folder the agent works in; default: from config.toml.
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Start in the tray without opening the window (used by start at login).
    #[arg(long)]
    hidden: bool,
    /// Where the in-process gateway listens (a free port is used when this one is taken).
    #[arg(long, default_value = pincer_gateway::DEFAULT_LISTEN)]
    listen: SocketAddr,
}

fn main() -> std::process::ExitCode {
    prefer_light_webview();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PINCER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal, not in a log file or a test's pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("pincer-app: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let home = config::home_dir(args.home.as_deref(), &ProcessEnv);
    let prefs = prefs::Prefs::load(&home).unwrap_or_else(|e| {
        tracing::warn!("{e}; using the default shortcuts");
        prefs::Prefs::default()
    });
    let control = pincer_desktop::Control::new();
    let state = Arc::new(Shell::new(control, prefs));

    let app = tauri::Builder::default()
        // First: a second launch hands over to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            tracing::info!(?argv, "Pincer was launched again; showing this one");
            if !argv.iter().any(|a| a == HIDDEN_FLAG) {
                windows::show_main(app, None);
            }
        }))
        .plugin(tauri_plugin_autostart::init(
            MacosLauncher::LaunchAgent,
            Some(vec![HIDDEN_FLAG]),
        ))
        .plugin(tauri_plugin_opener::init())
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(shortcuts::on_shortcut)
                .build(),
        )
        .manage(state)
        .invoke_handler(tauri::generate_handler![emergency_stop])
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event
                && !shell(window.app_handle()).is_quitting()
            {
                // Closing a window keeps Pincer running in the tray.
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            setup(&handle, &args, home.clone())?;
            Ok(())
        })
        .build(tauri::generate_context!())?;

    app.run(|app, event| {
        if let RunEvent::ExitRequested { code, api, .. } = event
            && code.is_none()
            && !shell(app).is_quitting()
        {
            // The last window went away: stay in the tray.
            api.prevent_exit();
        }
    });
    Ok(())
}

fn setup(app: &AppHandle, args: &Args, home: PathBuf) -> anyhow::Result<()> {
    let shell = shell(app);
    let options = StartOptions {
        home,
        workspace: args.workspace.clone(),
        listen: args.listen,
        control: shell.control.clone(),
        hooks: Arc::new(hooks::Hooks { app: app.clone() }),
    };
    let backend = match tauri::async_runtime::block_on(Backend::start(options)) {
        Ok(backend) => Arc::new(backend),
        Err(e) => {
            // Started from a menu or at login there is no terminal to read: say it on screen.
            windows::tell_user("Pincer could not start", &format!("{e:#}"));
            return Err(e);
        }
    };
    let attached = backend.attached_to().map(str::to_owned);
    let _ = shell.backend.set(backend.clone());

    let tray = tray::build(app, attached.as_deref(), &backend.home.join("tray-icons"))?;
    tray::keep(app, tray);
    shortcuts::register_all(app, &shell.prefs());
    // The same tray, indicator and notifications whether the engine runs here or in the
    // daemon the app attached to.
    watch::spawn(app.clone(), backend.link.clone(), shell.control.clone());

    match pincer_desktop::availability() {
        pincer_desktop::Availability::Available => {}
        pincer_desktop::Availability::Unavailable(reason) => {
            tracing::warn!("screen control is unavailable: {reason}");
        }
    }

    if args.hidden {
        tracing::info!(url = backend.url, "started in the tray");
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(e) = windows::prepare_main_hidden(&app).await {
                tracing::warn!(error = %e, "could not prepare the window");
            }
        });
    } else {
        windows::show_main(app, None);
    }
    println!("Pincer is running at {}", backend.url);
    Ok(())
}

/// WebKitGTK's compositing mode costs about 85 MB (measured: docs/benchmarks.md) and is
/// behind the blank-window bugs of some GPU drivers; a chat page does not need it. Set
/// `PINCER_WEBVIEW_GPU=1`, or `WEBKIT_DISABLE_COMPOSITING_MODE` yourself, to decide
/// otherwise.
fn prefer_light_webview() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
        && std::env::var_os("PINCER_WEBVIEW_GPU").is_none()
    {
        // SAFETY: this is the first statement of `main`, before any thread exists (no
        // runtime, no logger, no GTK yet), so nothing can read the environment while it
        // is being written — the one condition `set_var` has.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        }
    }
}

/// The indicator window's Stop button.
#[tauri::command]
fn emergency_stop(app: AppHandle) {
    shell(&app).emergency_stop();
}
