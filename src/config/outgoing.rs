//! `[outgoing]`: how queued mail leaves (an SMTP server, or a folder of `.eml`
//! files on the embedded default), and the limits on it.

use std::path::PathBuf;

use serde::Deserialize;

use super::oauth2::{AuthMethod, OAuth2, Protocol, TokenSource, validate_auth};
use super::secret::SecretRef;
use super::server::TlsMode;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum OutgoingKind {
    Smtp,
    /// Write each mail as an `.eml` file into a folder (the embedded default).
    #[default]
    Folder,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Outgoing {
    pub kind: OutgoingKind,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// `password` (the default) or `oauth2`; an `oauth2` table alone implies `oauth2`.
    pub auth: Option<AuthMethod>,
    /// `[outgoing.oauth2]`: where the access token for XOAUTH2/OAUTHBEARER comes from.
    pub oauth2: Option<OAuth2>,
    /// Folder transport: where `.eml` files are written.
    pub path: PathBuf,
    /// At most this many automatic mails (acknowledgements, escalation notices)
    /// to one customer address per hour, counting every mail to that customer
    /// (loop and flood guard). Beyond it cases still open; staff get one summary
    /// per address and hour instead of one notice per mail.
    pub max_per_address_per_hour: u32,
    /// The same per day (24 hours).
    pub max_per_address_per_day: u32,
    /// Send each case's mail with a signed envelope sender (`klage+b.REF.N.TOKEN@…`)
    /// so that a bounce names the mail that did not arrive (VERP). Turn off only
    /// where the server refuses a `+` envelope sender; bounces then change nothing.
    pub verp: bool,
    pub max_attempts: u32,
}

impl Default for Outgoing {
    fn default() -> Self {
        Outgoing {
            kind: OutgoingKind::Folder,
            host: None,
            port: None,
            tls: TlsMode::Starttls,
            ca_file: None,
            username: None,
            password_env: None,
            password_file: None,
            auth: None,
            oauth2: None,
            path: PathBuf::from("outgoing"),
            max_per_address_per_hour: 10,
            max_per_address_per_day: 30,
            verp: true,
            max_attempts: 12,
        }
    }
}

impl Outgoing {
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

    /// The SMTP login's token source, when the server is logged in to with OAuth2.
    pub fn token_source(&self) -> Option<TokenSource> {
        let section = self
            .oauth2
            .as_ref()
            .filter(|_| self.auth() == AuthMethod::Oauth2)?;
        Some(section.token_source(Protocol::Smtp, self.username.as_deref().unwrap_or_default()))
    }

    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self.max_per_address_per_hour == 0
            || self.max_per_address_per_day < self.max_per_address_per_hour
        {
            anyhow::bail!(
                "outgoing: max_per_address_per_hour must be at least 1 and \
                 max_per_address_per_day at least as many (now {} and {})",
                self.max_per_address_per_hour,
                self.max_per_address_per_day
            );
        }
        if self.kind != OutgoingKind::Smtp {
            if self.auth.is_some() || self.oauth2.is_some() {
                anyhow::bail!("outgoing: auth and oauth2 are for kind = \"smtp\" only");
            }
            return Ok(());
        }
        if self.host.is_none() {
            anyhow::bail!("outgoing: kind = \"smtp\" needs host");
        }
        match self.auth() {
            // Without a username the server is used without AUTH (a trusted relay).
            AuthMethod::Password if self.username.is_none() && self.oauth2.is_none() => Ok(()),
            AuthMethod::Oauth2 if self.username.is_none() => anyhow::bail!(
                "outgoing: auth = \"oauth2\" needs username (the mailbox klagebot sends as)"
            ),
            auth => validate_auth("outgoing", auth, &self.password(), self.oauth2.as_ref()),
        }
    }
}
