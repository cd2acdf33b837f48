//! Delivery of queued mail: through an SMTP server (pooled connections, STARTTLS or
//! implicit TLS, AUTH with a password or an OAuth2 token), or into a folder of
//! `.eml` files for the embedded default.
//!
//! Errors say whether the outbox should try again: a 4xx or a network problem is
//! transient, a 5xx for this mail is permanent. A server refusing our credentials
//! or certificate is transient too: the mail is fine, the setup is not, and giving
//! the mail up would lose an acknowledgement an operator can still get delivered.

mod folder;
mod pool;
mod relay;

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{Outgoing, OutgoingKind};
use crate::domain::EmailAddress;

/// How outgoing mail leaves klagebot.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server, logged in to with a password, an OAuth2 token (XOAUTH2 or
    /// OAUTHBEARER) or not at all.
    Smtp(Arc<pool::Relay>),
    /// A folder receiving one `.eml` file per mail.
    Folder(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(relay) => write!(f, "Transport::Smtp({})", relay.server),
            Transport::Folder(path) => write!(f, "Transport::Folder({})", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("invalid envelope address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("{server} refused the credentials: {source}")]
    Auth {
        server: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("{server}: {source}")]
    Smtp {
        server: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("{server}: no OAuth2 token: {source}")]
    Token {
        server: String,
        #[source]
        source: crate::oauth::TokenError,
    },
    #[error("{server} refused the {mechanism} login of {user} with an OAuth2 token: {reason}")]
    TokenRefused {
        server: String,
        user: String,
        mechanism: &'static str,
        reason: String,
    },
    #[error("{server}: cannot connect: {source}")]
    Connect {
        server: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{server} did not answer {step} within {seconds} s")]
    Timeout {
        server: String,
        step: &'static str,
        seconds: u64,
    },
    #[error("cannot write outgoing mail to {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl SendError {
    /// Try again later: a 4xx, a network or TLS problem, bad credentials, a full disk.
    pub fn is_transient(&self) -> bool {
        !self.is_permanent()
    }

    /// This mail will never be accepted as it is: a 5xx for it, or a bad address.
    pub fn is_permanent(&self) -> bool {
        match self {
            SendError::Address { .. } => true,
            SendError::Smtp { source, .. } => source.is_permanent(),
            SendError::Auth { .. }
            | SendError::Token { .. }
            | SendError::TokenRefused { .. }
            | SendError::Timeout { .. }
            | SendError::Connect { .. }
            | SendError::Folder { .. } => false,
        }
    }

    /// The server (or the folder) is not there at all: no connection, no answer
    /// in time, a 421 "service not available", a TLS handshake that broke, or a
    /// folder that cannot be written. Not this mail's fault: the sender stops
    /// sending and probes the server until it is back, then sends the queue.
    pub fn is_outage(&self) -> bool {
        match self {
            SendError::Smtp { source, .. } => {
                self.smtp_code() == Some(421)
                    || (source.status().is_none() && !source.is_client() && !source.is_response())
            }
            SendError::Timeout { .. } | SendError::Connect { .. } | SendError::Folder { .. } => {
                true
            }
            SendError::Address { .. }
            | SendError::Auth { .. }
            | SendError::Token { .. }
            | SendError::TokenRefused { .. } => false,
        }
    }

    /// Our login failed (credentials or token), not this mail: it waits, however
    /// long the login takes to fix, and an alarm follows.
    pub fn is_login_failure(&self) -> bool {
        matches!(
            self,
            SendError::Auth { .. } | SendError::Token { .. } | SendError::TokenRefused { .. }
        )
    }

    /// The SMTP reply code, when the server gave one.
    pub fn smtp_code(&self) -> Option<u16> {
        let source = match self {
            SendError::Smtp { source, .. } | SendError::Auth { source, .. } => source,
            _ => return None,
        };
        let code = source.status()?;
        code.to_string().parse().ok()
    }
}

impl Transport {
    /// The transport `[outgoing]` describes; reads the password and CA file now, so
    /// that a bad setting is reported at start and not at the first mail.
    pub fn from_config(cfg: &Outgoing) -> anyhow::Result<Transport> {
        match cfg.kind {
            OutgoingKind::Folder => Ok(Transport::Folder(cfg.path.clone())),
            OutgoingKind::Smtp => relay::build(cfg),
        }
    }

    /// Hands one mail to the server (or the folder) for the given envelope.
    pub async fn send(
        &self,
        envelope_from: &EmailAddress,
        recipients: &[EmailAddress],
        raw: &[u8],
    ) -> Result<(), SendError> {
        match self {
            Transport::Folder(path) => {
                // A file written and synced: on a blocking thread, so that the
                // sender's mails in flight are written side by side (their
                // fsyncs share the file system's journal commits) and the
                // runtime's threads never wait for the disk.
                let (dir, raw) = (path.clone(), raw.to_vec());
                match tokio::task::spawn_blocking(move || folder::write(&dir, &raw)).await {
                    Ok(written) => written.map(|_| ()),
                    Err(join) => Err(SendError::Folder {
                        path: path.display().to_string(),
                        source: std::io::Error::other(format!("the writing thread failed: {join}")),
                    }),
                }
            }
            Transport::Smtp(smtp) => {
                let envelope = relay::envelope(envelope_from, recipients)?;
                smtp.send(&envelope, raw).await
            }
        }
    }

    /// Whether mail goes to an SMTP server (not into a folder).
    pub fn is_smtp(&self) -> bool {
        !matches!(self, Transport::Folder(_))
    }

    /// Whether this transport logs in with an OAuth2 token.
    pub fn uses_oauth2(&self) -> bool {
        matches!(self, Transport::Smtp(relay) if relay.uses_oauth2())
    }

    /// For `klagebot check`: connect (and log in), then quit; or check the folder.
    /// Says what it found; an OAuth2 login's error names the step that failed.
    pub async fn check(&self) -> anyhow::Result<String> {
        match self {
            Transport::Folder(path) => {
                folder::check(path)?;
                Ok(format!("folder {} writable", path.display()))
            }
            Transport::Smtp(relay) => relay.check().await,
        }
    }
}
