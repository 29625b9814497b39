//! `pincer model list|add|pull|default`: the local models of the data home.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pincer_core::config::{self, ProcessEnv};
use pincer_core::local::catalog::{self, KNOWN};
use pincer_core::local::download::{self, DownloadJob, Progress};
use pincer_core::local::registry::{LocalModel, Registry};
use pincer_core::text::for_terminal_line;
use tokio_util::sync::CancellationToken;

use crate::cli::{Global, ModelArgs, ModelCommand};

pub async fn models(global: &Global, args: ModelArgs) -> anyhow::Result<ExitCode> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    let registry = Registry::new(&home);
    match args.command {
        ModelCommand::List { json } => list(&registry, json)?,
        ModelCommand::Add {
            path,
            copy,
            name,
            default,
        } => {
            let model = if copy {
                registry.copy_in(&path)?
            } else {
                registry.add(&path, name.as_deref())?
            };
            finish(&registry, &model, default)?;
        }
        ModelCommand::Pull {
            model,
            sha256,
            default,
        } => {
            let pulled = pull(&registry, &model, sha256).await?;
            finish(&registry, &pulled, default)?;
        }
        ModelCommand::Default { name } => {
            let model = registry.set_default(&name)?;
            println!(
                "{} is the default local model",
                for_terminal_line(&model.name)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn finish(registry: &Registry, model: &LocalModel, default: bool) -> anyhow::Result<()> {
    let model = if default {
        registry.set_default(&model.name)?
    } else {
        registry.resolve(&model.name)?
    };
    println!(
        "{}  {}  {}",
        for_terminal_line(&model.name),
        size(model.size),
        for_terminal_line(&model.path.display().to_string())
    );
    if model.default {
        println!("it is the default: Pincer answers with it when no provider is configured");
    } else {
        println!(
            "use it: `pincer model default {}`, or `[[providers]] preset = \"local\"  model = \"{}\"` in config.toml",
            model.name, model.name
        );
    }
    Ok(())
}

fn list(registry: &Registry, json: bool) -> anyhow::Result<()> {
    let models = registry.list()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(());
    }
    if models.is_empty() {
        println!("no local models yet in {}", registry.models_dir().display());
    }
    for model in &models {
        let mark = if model.default { "*" } else { " " };
        let detail = match &model.problem {
            Some(problem) => format!("unusable: {}", for_terminal_line(problem)),
            None => format!(
                "{} tokens{}",
                model
                    .context_length
                    .map_or("?".to_owned(), |n| n.to_string()),
                if model.tools { ", tools" } else { "" }
            ),
        };
        println!(
            "{mark} {:<28} {:>8}  {detail}  {}",
            for_terminal_line(&model.name),
            size(model.size),
            for_terminal_line(&model.path.display().to_string())
        );
    }
    if models.iter().any(|m| m.default) {
        println!("(* the default: answers when no provider is configured)");
    }
    println!("\nknown to `pincer model pull NAME`:");
    for known in KNOWN {
        let have = models.iter().any(|m| m.name == known.name);
        println!(
            "  {:<28} {:>8}  {}{}",
            known.name,
            size(known.size),
            known.note,
            if have { "  (installed)" } else { "" }
        );
    }
    Ok(())
}

async fn pull(
    registry: &Registry,
    model: &str,
    sha256: Option<String>,
) -> anyhow::Result<LocalModel> {
    let models_dir = registry.models_dir();
    let job = match catalog::find(model) {
        Some(known) => known.download_job(&models_dir),
        None if model.starts_with("http://") || model.starts_with("https://") => {
            let file = model
                .split(['?', '#'])
                .next()
                .and_then(|path| path.rsplit('/').next())
                .filter(|f| f.to_ascii_lowercase().ends_with(".gguf"))
                .with_context(|| format!("{model} does not name a .gguf file"))?;
            if sha256.is_none() {
                eprintln!(
                    "pincer: no checksum given for this URL: the file is checked to be a GGUF, \
                     not that it is the one you meant (pass --sha256 to check it)"
                );
            }
            DownloadJob {
                url: model.to_owned(),
                dest: models_dir.join(file),
                sha256: sha256.map(|s| s.to_ascii_lowercase()),
                size: None,
            }
        }
        None => anyhow::bail!(
            "{model:?} is neither a known model nor an http(s) URL; known: {}",
            KNOWN.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
        ),
    };
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(60))
        .build()?;
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    eprintln!(
        "pincer: downloading {} to {}",
        for_terminal_line(&job.url),
        for_terminal_line(&job.dest.display().to_string())
    );
    let mut bar = Bar::new();
    let done = download::download(&client, &job, &mut |p| bar.show(p), &cancel).await;
    bar.end();
    let done = done?;
    if done.resumed_from > 0 {
        eprintln!("pincer: resumed at {}", size(done.resumed_from));
    }
    eprintln!("pincer: sha256 {}", done.sha256);
    let added: PathBuf = done.path;
    // Downloaded into models/, so the registry lists it; a file that is not a GGUF
    // (an HTML error page saved under a .gguf name) is removed, not left to fail later.
    match registry.resolve(&added.display().to_string()) {
        Ok(model) => Ok(registry.resolve(&model.name).unwrap_or(model)),
        Err(e) => {
            let _ = std::fs::remove_file(&added);
            Err(anyhow::anyhow!(
                "the download is not a usable model and was removed: {e}"
            ))
        }
    }
}

/// The download's progress on stderr: one line redrawn on a terminal, a line every 10 %
/// otherwise.
struct Bar {
    tty: bool,
    started: Instant,
    from: u64,
    last_tenth: u64,
    drawn: bool,
}

impl Bar {
    fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            started: Instant::now(),
            from: 0,
            last_tenth: 0,
            drawn: false,
        }
    }

    fn show(&mut self, progress: Progress) {
        match progress {
            Progress::Started {
                total,
                resumed_from,
            } => {
                self.from = resumed_from;
                self.started = Instant::now();
                if let Some(total) = total {
                    eprintln!(
                        "pincer: {} to fetch",
                        size(total.saturating_sub(resumed_from))
                    );
                }
            }
            Progress::Bytes { done, total } => {
                let secs = self.started.elapsed().as_secs_f64().max(0.001);
                let rate = done.saturating_sub(self.from) as f64 / secs;
                let line = match total {
                    Some(total) if total > 0 => format!(
                        "{:>5.1} %  {} of {}  {}/s",
                        done as f64 * 100.0 / total as f64,
                        size(done),
                        size(total),
                        size(rate as u64)
                    ),
                    _ => format!("{}  {}/s", size(done), size(rate as u64)),
                };
                if self.tty {
                    eprint!("\r\x1b[2K{line}");
                    let _ = std::io::stderr().flush();
                    self.drawn = true;
                } else {
                    let tenth = total.filter(|t| *t > 0).map_or(0, |t| done * 10 / t);
                    if tenth > self.last_tenth {
                        self.last_tenth = tenth;
                        eprintln!("pincer: {line}");
                    }
                }
            }
            Progress::Verifying => {
                if self.drawn {
                    eprintln!();
                    self.drawn = false;
                }
                eprintln!("pincer: checking the file's size and SHA-256…");
            }
        }
    }

    fn end(&mut self) {
        if self.drawn {
            eprintln!();
        }
    }
}

fn size(bytes: u64) -> String {
    const MB: f64 = 1_000_000.0;
    let b = bytes as f64;
    if b >= 1000.0 * MB {
        format!("{:.2} GB", b / (1000.0 * MB))
    } else {
        format!("{:.0} MB", (b / MB).max(if bytes > 0 { 1.0 } else { 0.0 }))
    }
}
