//! The SMTP side of [`super::Transport`]: building the relay (our pool of
//! connections, `super::pool`) from config, envelopes, and sorting lettre's
//! errors into ours.

use std::sync::Arc;

use anyhow::{Context, bail};
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};

use super::pool::{Login, Relay};
use super::{SendError, Transport};
use crate::config::{Outgoing, TlsMode};
use crate::domain::EmailAddress;

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
    let tls = tls(cfg, host).with_context(|| format!("while setting up TLS for {server}"))?;
    let login = match (cfg.token_source(), &cfg.username) {
        (Some(source), user) => Login::Token {
            user: user.clone().unwrap_or_default(),
            source,
        },
        (None, Some(user)) => {
            let password = cfg.password().read("outgoing")?;
            Login::Password(Credentials::new(user.clone(), password))
        }
        (None, None) => Login::None,
    };
    Ok(Transport::Smtp(Arc::new(Relay::new(
        server, host, port, tls, login,
    ))))
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
