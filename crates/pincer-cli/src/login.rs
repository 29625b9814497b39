//! `pincer login`: a fresh one-time login link from the running daemon.

use std::process::ExitCode;

use anyhow::bail;
use pincer_core::config::{self, ProcessEnv};

use crate::cli::Global;

pub async fn login(global: &Global) -> anyhow::Result<ExitCode> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    let Some(running) = pincer_gateway::instance::running(&home) else {
        bail!(
            "no Pincer daemon is running for {}: start one with `pincer daemon`",
            home.display()
        );
    };
    let client = pincer_gateway::client::Client::new(&home, &running.url)?;
    let code = client.login_code().await?;
    println!(
        "Log in: {}/#login={}  (one-time code, valid {} minutes)",
        running.url,
        code.code,
        code.expires_in_secs / 60
    );
    Ok(ExitCode::SUCCESS)
}
