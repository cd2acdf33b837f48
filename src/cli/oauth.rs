//! `klagebot oauth login --mailbox NAME` (or `--outgoing`): a person approves
//! klagebot's access in a browser (the device flow, RFC 8628) and the refresh
//! token lands in the login's `refresh_token_file`. A running daemon picks it up
//! at its next login; no restart is needed.

use std::process::ExitCode;

use anyhow::{Context, anyhow};

use crate::config::{Config, TokenSource};
use crate::oauth::device;

pub fn run(config: &Config, args: &super::OauthArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        super::OauthCommand::Login(login) => self::login(config, login),
    }
}

fn login(config: &Config, args: &super::OauthLoginArgs) -> anyhow::Result<ExitCode> {
    let (what, user, source) = chosen_login(config, args)?;
    let file = device::refresh_token_file(&source)?.to_path_buf();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    runtime.block_on(async {
        let authorization = device::start(&source)
            .await
            .with_context(|| format!("while asking {} for a device code", source.token_url))?;
        let address = authorization
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&authorization.verification_uri);
        println!("To let klagebot log in to {what}, open");
        println!("    {address}");
        println!("in a browser, enter the code");
        println!("    {}", authorization.user_code);
        println!("and sign in as {user} (or an account allowed to use that mailbox).");
        if let Some(message) = &authorization.message {
            println!("The provider says: {message}");
        }
        println!(
            "Waiting for the approval (the code expires in {} minutes)…",
            authorization.expires_in.as_secs().div_ceil(60)
        );
        device::finish(&source, &authorization)
            .await
            .context("while waiting for the approval")?;
        println!(
            "Approved. The refresh token is saved in {} (readable by its owner only); klagebot uses it at its next login, no restart needed. `klagebot check` tries the login now.",
            file.display()
        );
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The login named on the command line: what it is, its user, its token source.
fn chosen_login(
    config: &Config,
    args: &super::OauthLoginArgs,
) -> anyhow::Result<(String, String, TokenSource)> {
    if let Some(name) = &args.mailbox {
        let mailbox = config
            .mailboxes
            .iter()
            .find(|m| &m.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = config.mailboxes.iter().map(|m| m.name.as_str()).collect();
                anyhow!(
                    "no mailbox named {name:?} in the config (there are: {})",
                    names.join(", ")
                )
            })?;
        let source = mailbox.token_source().ok_or_else(|| {
            anyhow!("mailbox {name} does not log in with OAuth2: set auth = \"oauth2\" and a [mailbox.oauth2] table")
        })?;
        let user = mailbox.username.clone().unwrap_or_default();
        return Ok((format!("mailbox {name}"), user, source));
    }
    let source = config.outgoing.token_source().ok_or_else(|| {
        anyhow!("the outgoing SMTP server does not log in with OAuth2: set kind = \"smtp\", auth = \"oauth2\" and an [outgoing.oauth2] table")
    })?;
    let user = config.outgoing.username.clone().unwrap_or_default();
    Ok(("the outgoing SMTP server".into(), user, source))
}
