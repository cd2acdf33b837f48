//! What IMAP mailboxes and the SMTP server share: how the connection is protected.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS before login.
    #[default]
    Starttls,
    /// No TLS at all; only accepted for loopback hosts.
    None,
}
