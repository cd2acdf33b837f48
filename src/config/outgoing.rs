//! `[outgoing]`: how queued mail leaves (an SMTP server, or a folder of `.eml`
//! files on the embedded default), and the limits on it.

use std::path::PathBuf;

use serde::Deserialize;

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
    /// Folder transport: where `.eml` files are written.
    pub path: PathBuf,
    /// At most this many automatic mails to one address per hour (loop guard).
    pub max_per_address_per_hour: u32,
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
            path: PathBuf::from("outgoing"),
            max_per_address_per_hour: 10,
            max_attempts: 12,
        }
    }
}

impl Outgoing {
    pub fn password(&self) -> SecretRef {
        SecretRef::new(&self.password_env, &self.password_file)
    }

    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self.kind == OutgoingKind::Smtp && self.host.is_none() {
            anyhow::bail!("outgoing: kind = \"smtp\" needs host");
        }
        Ok(())
    }
}
