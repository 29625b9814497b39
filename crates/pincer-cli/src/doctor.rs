//! `pincer doctor`: the effective configuration, secrets redacted, and a provider check.

use std::process::ExitCode;

use pincer_core::provider;

use crate::cli::Global;
use crate::context;

pub async fn doctor(global: &Global) -> anyhow::Result<ExitCode> {
    let settings = context::settings(global)?;
    println!("home        {}", settings.home.display());
    println!(
        "config      {}",
        settings
            .home
            .join(pincer_core::config::CONFIG_FILE)
            .display()
    );
    println!("database    {}", settings.home.join("pincer.db").display());
    println!("workspace   {}", settings.workspace.display());
    println!("max steps   {}", settings.max_steps);
    println!(
        "retries     {} attempts, backoff from {} ms up to {} ms",
        settings.retry.max_attempts,
        settings.retry.base_delay.as_millis(),
        settings.retry.max_delay.as_millis()
    );
    let p = &settings.policy;
    println!(
        "policy      write {:?}, exec {:?}, web_fetch {:?}, outside-workspace read {:?} / write {:?}, {} exec rules",
        p.write,
        p.exec,
        p.web_fetch,
        p.outside_read,
        p.outside_write,
        p.exec_rules.len()
    );
    println!("skills      {}", skills_summary(&settings));
    println!(
        "sandbox     {}",
        pincer_core::sandbox::describe(pincer_core::sandbox::Ladder::default())
    );
    let mut healthy = secrets_report(&settings);
    for (index, endpoint) in settings.providers.iter().enumerate() {
        let role = if index == 0 { "provider" } else { "fallback" };
        let local = endpoint.dialect == provider::Dialect::Local;
        if local {
            println!(
                "{role:<11} {} (in this process, offline) model {} file {}",
                endpoint.name, endpoint.model, endpoint.base_url,
            );
        } else {
            println!(
                "{role:<11} {} ({:?}) {} model {} key {}",
                endpoint.name,
                endpoint.dialect,
                endpoint.base_url,
                endpoint.model,
                redact(endpoint.api_key.as_deref())
            );
        }
        match provider::probe(endpoint).await {
            Ok(_) if local => println!("            ✓ the model file is a readable GGUF"),
            Ok(took) => println!("            ✓ answers ({} ms)", took.as_millis()),
            Err(e) => {
                healthy = false;
                // The error can quote the server's reply.
                println!(
                    "            ✗ {}",
                    pincer_core::text::for_terminal_line(&e.to_string())
                );
            }
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Where saved secrets are kept, with the warning when that is not the OS keyring, and the
/// private files of the data home that others can read. False when the store is unusable.
fn secrets_report(settings: &pincer_core::config::Settings) -> bool {
    use pincer_core::config::FileConfig;
    use pincer_core::secrets::SecretStore;
    let store = FileConfig::load(&settings.home)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            SecretStore::open(&settings.home, file.secrets.store).map_err(|e| e.to_string())
        })
        .and_then(|store| store.status().map_err(|e| e.to_string()));
    let healthy = match store {
        Ok(status) => {
            println!("secrets     {}", status.location);
            if let Some(warning) = status.warning {
                println!("            ! {warning}");
            }
            true
        }
        Err(e) => {
            println!("secrets     ✗ {e}");
            false
        }
    };
    for name in PRIVATE_FILES {
        let path = settings.home.join(name);
        if let Some(mode) = group_or_other_mode(&path) {
            println!(
                "            ! {} can be read by other users (mode {mode:o}): chmod 600 {}",
                path.display(),
                path.display()
            );
        }
    }
    healthy
}

/// Files of the data home only their owner may read.
const PRIVATE_FILES: &[&str] = &[
    "gateway.token",
    pincer_core::secrets::KEY_FILE,
    pincer_core::secrets::STORE_FILE,
    pincer_core::secrets::INDEX_FILE,
];

/// The permission bits of `path` when group or others have any, else `None`.
#[cfg(unix)]
fn group_or_other_mode(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn group_or_other_mode(_path: &std::path::Path) -> Option<u32> {
    None
}

/// Enough of a key to tell which one is set, never enough to use it.
fn redact(key: Option<&str>) -> String {
    match key {
        None => "not set".to_owned(),
        Some(key) => match pincer_core::secrets::key_hint(key) {
            Some(hint) => format!("{hint} (redacted)"),
            None => "set (redacted)".to_owned(),
        },
    }
}

/// "7 ready, 1 unavailable, 1 needs review; 1 file does not load (`pincer skills check`)".
fn skills_summary(settings: &pincer_core::config::Settings) -> String {
    use pincer_core::skills::SkillStatus;
    let catalog = crate::skills::library(settings).current();
    let count = |status| catalog.skills.iter().filter(|s| s.status == status).count();
    let mut parts = vec![format!("{} ready", count(SkillStatus::Ready))];
    for (status, label) in [
        (SkillStatus::Unavailable, "unavailable"),
        (SkillStatus::NeedsReview, "need review"),
        (SkillStatus::Disabled, "disabled"),
    ] {
        let n = count(status);
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let mut line = parts.join(", ");
    if !catalog.problems.is_empty() {
        line.push_str(&format!("; {} file(s) do not load", catalog.problems.len()));
    }
    if catalog.problems.len() + count(SkillStatus::NeedsReview) > 0 {
        line.push_str(" (`pincer skills check`)");
    }
    line
}
