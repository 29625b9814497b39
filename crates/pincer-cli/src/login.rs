//! `pincer login`: a fresh one-time login link from the running daemon; `pincer logout
//! --all`: end every browser login of it.

use std::process::ExitCode;

use anyhow::bail;
use pincer_core::config::{self, ProcessEnv};

use crate::cli::Global;

pub async fn login(global: &Global) -> anyhow::Result<ExitCode> {
    let (client, running) = running_client(global)?;
    let code = client.login_code().await?;
    println!(
        "Log in: {}/#login={}  (one-time code, valid {} minutes)",
        running.url,
        code.code,
        code.expires_in_secs / 60
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn logout_all(global: &Global) -> anyhow::Result<ExitCode> {
    let (client, running) = running_client(global)?;
    let ended = client.logout_all().await?;
    let plural = if ended == 1 { "" } else { "s" };
    println!(
        "Ended {ended} browser login{plural} of {}; log in again with `pincer login`.",
        running.url
    );
    Ok(ExitCode::SUCCESS)
}

fn running_client(
    global: &Global,
) -> anyhow::Result<(
    pincer_gateway::client::Client,
    pincer_gateway::instance::Running,
)> {
    let home = config::home_dir(global.home.as_deref(), &ProcessEnv);
    let Some(running) = pincer_gateway::instance::running(&home) else {
        bail!(
            "no Pincer daemon is running for {}: start one with `pincer daemon`",
            home.display()
        );
    };
    let client = pincer_gateway::client::Client::new(&home, &running.url)?;
    Ok((client, running))
}
