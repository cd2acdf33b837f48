//! What can go wrong with a mail source, and whether trying again can help.

use std::fmt;
use std::io;

use crate::config::TlsMode;

/// The server a message is about, as an operator would name it in a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tls = match self.tls {
            TlsMode::Implicit => "implicit TLS",
            TlsMode::Starttls => "STARTTLS",
            TlsMode::None => "no TLS",
        };
        write!(f, "IMAP server {}:{} ({tls})", self.host, self.port)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The mailbox configuration cannot work (missing host, unreadable secret, …).
    #[error("mailbox configuration: {0}")]
    Config(String),
    #[error("cannot connect to {server}: {source}")]
    Connect {
        server: Endpoint,
        #[source]
        source: io::Error,
    },
    #[error("TLS with {server} failed: {source}")]
    Tls {
        server: Endpoint,
        #[source]
        source: io::Error,
    },
    #[error("{server} does not offer STARTTLS; use tls = \"implicit\" or another port")]
    NoStarttls { server: Endpoint },
    #[error("login failed for user {user} on {server}: {reason}")]
    Login {
        server: Endpoint,
        user: String,
        reason: String,
    },
    /// No OAuth2 token: the provider refused or could not be reached.
    #[error("mailbox {mailbox}: no OAuth2 token: {source}")]
    Token {
        mailbox: String,
        #[source]
        source: crate::oauth::TokenError,
    },
    /// The server refused a token the provider had just issued.
    #[error("{server} refused the {mechanism} login of {user} with an OAuth2 token: {reason}")]
    TokenRefused {
        server: Endpoint,
        user: String,
        mechanism: &'static str,
        reason: String,
    },
    #[error("{server} answered {command} with: {source}")]
    Imap {
        server: Endpoint,
        command: &'static str,
        #[source]
        source: async_imap::error::Error,
    },
    #[error("{server} cannot open folder {folder:?}: {source}")]
    Folder {
        server: Endpoint,
        folder: String,
        #[source]
        source: async_imap::error::Error,
    },
    #[error("{server} did not answer {command} within {seconds} s")]
    Timeout {
        server: Endpoint,
        command: &'static str,
        seconds: u64,
    },
    #[error("the connection to {server} was lost by an earlier error; reconnect")]
    Disconnected { server: Endpoint },
    #[error(
        "UIDVALIDITY of {folder} changed from {expected} to {actual}: UIDs no longer name the same messages; reconnect and re-sync"
    )]
    UidValidityChanged {
        folder: String,
        expected: u32,
        actual: u32,
    },
    #[error("Maildir {path}: {source}")]
    Maildir {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl InboxError {
    /// Trying again later (after a reconnect) may succeed: the network, a busy or
    /// restarting server. Permanent errors need an operator: bad credentials or config.
    pub fn is_transient(&self) -> bool {
        match self {
            InboxError::Connect { .. }
            | InboxError::Timeout { .. }
            | InboxError::Disconnected { .. }
            | InboxError::UidValidityChanged { .. } => true,
            InboxError::Tls { source, .. } => !is_certificate_error(source),
            InboxError::Imap { source, .. } | InboxError::Folder { source, .. } => {
                imap_error_is_transient(source)
            }
            InboxError::Maildir { source, .. } => source.kind() != io::ErrorKind::PermissionDenied,
            InboxError::Token { source, .. } => source.is_transient(),
            InboxError::Config(_)
            | InboxError::NoStarttls { .. }
            | InboxError::Login { .. }
            | InboxError::TokenRefused { .. } => false,
        }
    }

    pub fn is_permanent(&self) -> bool {
        !self.is_transient()
    }
}

/// A certificate the client will not trust stays untrusted until someone acts.
fn is_certificate_error(err: &io::Error) -> bool {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            )
        })
}

fn imap_error_is_transient(err: &async_imap::error::Error) -> bool {
    use async_imap::error::Error;
    match err {
        Error::Io(_) | Error::ConnectionLost | Error::Parse(_) => true,
        // RFC 5530 response codes that mean "not now" rather than "never".
        Error::No(text) => ["[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]"]
            .iter()
            .any(|code| text.contains(code)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Endpoint {
        Endpoint {
            host: "imap.example.com".into(),
            port: 993,
            tls: TlsMode::Implicit,
        }
    }

    #[test]
    fn login_failure_is_permanent_and_names_user_and_server() {
        let err = InboxError::Login {
            server: server(),
            user: "klage@example.com".into(),
            reason: "[AUTHENTICATIONFAILED] Authentication failed.".into(),
        };
        assert!(err.is_permanent());
        let text = err.to_string();
        assert!(text.contains("klage@example.com"), "{text}");
        assert!(
            text.contains("imap.example.com:993 (implicit TLS)"),
            "{text}"
        );
    }

    #[test]
    fn network_trouble_and_busy_servers_are_transient() {
        let refused = InboxError::Connect {
            server: server(),
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
        };
        assert!(refused.is_transient());
        let busy = InboxError::Imap {
            server: server(),
            command: "SELECT",
            source: async_imap::error::Error::No("[INUSE] mailbox locked".into()),
        };
        assert!(busy.is_transient());
        let missing = InboxError::Imap {
            server: server(),
            command: "SELECT",
            source: async_imap::error::Error::No("[NONEXISTENT] no such mailbox".into()),
        };
        assert!(missing.is_permanent());
    }

    #[test]
    fn an_untrusted_certificate_is_permanent() {
        let bad_cert = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let err = InboxError::Tls {
            server: server(),
            source: io::Error::new(io::ErrorKind::InvalidData, bad_cert),
        };
        assert!(err.is_permanent());
    }
}
