//! `[[mailbox]]`: where klagebot reads mail (an IMAP folder or a local Maildir),
//! and what it may do there (`watch` a shared box, or `own` the officer's box).

use std::path::PathBuf;

use anyhow::bail;
use serde::Deserialize;

use super::oauth2::{AuthMethod, OAuth2, Protocol, TokenSource, validate_auth};
use super::secret::SecretRef;
use super::server::TlsMode;
use crate::domain::{EmailAddress, Jurisdiction, Language};

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    Imap,
    Maildir,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MailboxMode {
    /// A shared box people also read: peek only, never \Seen, never move; tag complaints.
    #[default]
    Watch,
    /// The complaint officer's box given to klagebot: move processed mail to a folder.
    Own,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mailbox {
    /// A short name used in logs and the database (`helpdesk`, `klage`).
    pub name: String,
    pub kind: MailboxKind,
    #[serde(default)]
    pub mode: MailboxMode,
    /// The address of this mailbox, so that mail to it is recognised as ours.
    #[serde(default)]
    pub address: Option<EmailAddress>,
    #[serde(default)]
    pub jurisdiction: Option<Jurisdiction>,
    #[serde(default)]
    pub default_language: Option<Language>,
    // IMAP
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// `password` (the default) or `oauth2`; an `oauth2` table alone implies `oauth2`.
    #[serde(default)]
    pub auth: Option<AuthMethod>,
    /// `[mailbox.oauth2]`: where the access token for XOAUTH2/OAUTHBEARER comes from.
    #[serde(default)]
    pub oauth2: Option<OAuth2>,
    #[serde(default = "default_inbox_folder")]
    pub folder: String,
    /// `own` mode: where processed mail is moved.
    #[serde(default = "default_processed_folder")]
    pub processed_folder: String,
    /// `own` mode: where mail that could not be handled is moved.
    #[serde(default = "default_quarantine_folder")]
    pub quarantine_folder: String,
    /// `watch` mode: the IMAP keyword set on complaints.
    #[serde(default = "default_keyword")]
    pub keyword: String,
    /// `own` mode: the IMAP keyword set on a person's mail klagebot left in the
    /// inbox (a question, thanks, a complaint it missed), so people see it.
    #[serde(default = "default_not_complaint_keyword")]
    pub not_complaint_keyword: String,
    /// Seconds between polls when the server has no IDLE, and the IDLE re-issue interval.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
    // Maildir
    #[serde(default)]
    pub path: Option<PathBuf>,
}

impl Mailbox {
    pub fn password(&self) -> SecretRef {
        SecretRef::new(&self.password_env, &self.password_file)
    }

    pub fn auth(&self) -> AuthMethod {
        self.auth.unwrap_or(if self.oauth2.is_some() {
            AuthMethod::Oauth2
        } else {
            AuthMethod::Password
        })
    }

    /// The IMAP login's token source, when this mailbox logs in with OAuth2.
    pub fn token_source(&self) -> Option<TokenSource> {
        let section = self
            .oauth2
            .as_ref()
            .filter(|_| self.auth() == AuthMethod::Oauth2)?;
        Some(section.token_source(Protocol::Imap, self.username.as_deref().unwrap_or_default()))
    }

    pub(super) fn validate(&self) -> anyhow::Result<()> {
        let name = &self.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!("mailbox name {name:?}: use letters, digits, - and _");
        }
        match self.kind {
            MailboxKind::Imap => {
                if self.host.is_none() || self.username.is_none() {
                    bail!("mailbox {name}: kind = \"imap\" needs host and username");
                }
                validate_auth(
                    &format!("mailbox {name}"),
                    self.auth(),
                    &self.password(),
                    self.oauth2.as_ref(),
                )?;
            }
            MailboxKind::Maildir => {
                if self.path.is_none() {
                    bail!("mailbox {name}: kind = \"maildir\" needs path");
                }
                if self.auth.is_some() || self.oauth2.is_some() {
                    bail!("mailbox {name}: a Maildir needs no login; remove auth and oauth2");
                }
            }
        }
        Ok(())
    }
}

fn default_inbox_folder() -> String {
    "INBOX".into()
}
fn default_processed_folder() -> String {
    "klagebot/processed".into()
}
fn default_quarantine_folder() -> String {
    "klagebot/quarantine".into()
}
fn default_keyword() -> String {
    "klagebot_complaint".into()
}
fn default_not_complaint_keyword() -> String {
    "klagebot_not_complaint".into()
}
fn default_poll_seconds() -> u64 {
    60
}
