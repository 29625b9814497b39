//! `pincer login`: a fresh one-time login link from the running daemon.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pincer_core::config::{self, ProcessEnv};
use pincer_gateway::wire::LoginCode;

use crate::cli::Global;

pub async fn login(global: &Global) -> anyhow::Result<ExitCode> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    let Some(running) = pincer_gateway::instance::running(&home) else {
        bail!(
            "no Pincer daemon is running for {}: start one with `pincer daemon`",
            home.display()
        );
    };
    let token_path = pincer_gateway::auth::token::token_path(&home);
    let token = std::fs::read_to_string(&token_path)
        .with_context(|| format!("could not read the API token {}", token_path.display()))?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let response = client
        .post(format!("{}/api/login-codes", running.url))
        .bearer_auth(token.trim())
        .send()
        .await
        .with_context(|| format!("could not reach the daemon at {}", running.url))?;
    if !response.status().is_success() {
        bail!(
            "the daemon at {} refused: HTTP {}",
            running.url,
            response.status()
        );
    }
    let code: LoginCode = response.json().await?;
    println!(
        "Log in: {}/#login={}  (one-time code, valid {} minutes)",
        running.url,
        code.code,
        code.expires_in_secs / 60
    );
    Ok(ExitCode::SUCCESS)
}
