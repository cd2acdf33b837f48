//! The SMTP side of [`super::Transport`]: building the pooled lettre transport from
//! config, envelopes, and sorting lettre's errors into ours.

use std::time::Duration;

use anyhow::{Context, bail};
use lettre::Tokio1Executor;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};

use super::{SendError, Transport};
use crate::config::{Outgoing, TlsMode};
use crate::domain::EmailAddress;

/// One SMTP command (or the connect) may take this long before it counts as failed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections kept open: the sender task sends one mail at a time per worker.
const POOL_SIZE: u32 = 8;

pub fn build(cfg: &Outgoing) -> anyhow::Result<Transport> {
    let Some(host) = cfg.host.as_deref() else {
        bail!("outgoing: kind = \"smtp\" needs host");
    };
    let port = cfg.port.unwrap_or(match cfg.tls {
        TlsMode::Implicit => 465,
        TlsMode::Starttls => 587,
        TlsMode::None => 25,
    });
    let server = describe(host, port, cfg.tls);
    if let Some(source) = cfg.token_source() {
        let tls = tls(cfg, host).with_context(|| format!("while setting up TLS for {server}"))?;
        let user = cfg.username.clone().unwrap_or_default();
        let relay = super::oauth::OAuthRelay::new(server, host, port, tls, user, source);
        return Ok(Transport::SmtpOAuth(std::sync::Arc::new(relay)));
    }
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls(cfg, host).with_context(|| format!("while setting up TLS for {server}"))?)
        .timeout(Some(COMMAND_TIMEOUT))
        .pool_config(
            PoolConfig::new()
                .max_size(POOL_SIZE)
                .idle_timeout(Duration::from_secs(60)),
        );
    if let Some(user) = &cfg.username {
        let password = cfg.password().read("outgoing")?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(Transport::Smtp {
        transport: builder.build(),
        server,
    })
}

fn describe(host: &str, port: u16, tls: TlsMode) -> String {
    let tls = match tls {
        TlsMode::Implicit => "implicit TLS",
        TlsMode::Starttls => "STARTTLS",
        TlsMode::None => "no TLS",
    };
    format!("SMTP server {host}:{port} ({tls})")
}

fn tls(cfg: &Outgoing, host: &str) -> anyhow::Result<Tls> {
    if cfg.tls == TlsMode::None {
        if !crate::inbox::is_loopback(host) {
            bail!("tls = \"none\" is only allowed for loopback hosts");
        }
        return Ok(Tls::None);
    }
    let mut params = TlsParameters::builder(host.to_string());
    if let Some(path) = &cfg.ca_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read ca_file {}", path.display()))?;
        let cert = Certificate::from_pem(&pem)
            .with_context(|| format!("ca_file {} is not a PEM certificate", path.display()))?;
        params = params.add_root_certificate(cert);
    }
    let params = params.build_rustls()?;
    Ok(match cfg.tls {
        TlsMode::Implicit => Tls::Wrapper(params),
        _ => Tls::Required(params),
    })
}

pub fn envelope(from: &EmailAddress, recipients: &[EmailAddress]) -> Result<Envelope, SendError> {
    let address = |a: &EmailAddress| {
        a.as_str()
            .parse::<Address>()
            .map_err(|e| SendError::Address {
                address: a.to_string(),
                reason: e.to_string(),
            })
    };
    let to = recipients
        .iter()
        .map(address)
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(address(from)?), to).map_err(|e| SendError::Address {
        address: from.to_string(),
        reason: e.to_string(),
    })
}

/// 530/534/535/538 are about our login, not about the mail in hand.
pub fn classify(server: &str, source: lettre::transport::smtp::Error) -> SendError {
    let code = source.status().map(|c| c.to_string());
    let server = server.to_string();
    match code.as_deref() {
        Some("530" | "534" | "535" | "538") => SendError::Auth { server, source },
        _ => SendError::Smtp { server, source },
    }
}

pub async fn check(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    server: &str,
) -> anyhow::Result<()> {
    let usable = transport
        .test_connection()
        .await
        .with_context(|| format!("while connecting to {server}"))?;
    if !usable {
        bail!("{server} did not accept a NOOP after connecting");
    }
    Ok(())
}
