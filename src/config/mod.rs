//! The one TOML configuration file, and the embedded default used without one.
//!
//! One file per section, each with its defaults and its checks next to its
//! fields. Secrets never stand in the file: a setting `password_env = "VAR"`
//! names an environment variable and `password_file = "/run/secrets/x"` names a
//! file ([`SecretRef`]). Everything is checked when the file is loaded, so that a
//! bad value is reported with its key before the daemon touches any mailbox.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::domain::EmailAddress;

mod alerts;
mod company;
mod digest;
mod files;
mod mailbox;
mod oauth2;
mod outgoing;
mod policy;
mod related;
mod retention;
mod secret;
mod security;
mod server;
mod service;
mod staff;

pub use alerts::{Alerts, parse_duration};
pub use company::{Closure, Company, CompanyKind};
pub use digest::Digest;
pub use files::{ClassifyConfig, TemplatesConfig};
pub use mailbox::{Mailbox, MailboxKind, MailboxMode};
pub use oauth2::{
    AuthMethod, ClientAuth, Grant, OAuth2, Protocol, Provider, SaslMechanism, TokenSource,
    check_endpoint,
};
pub use outgoing::{Outgoing, OutgoingKind};
pub use policy::Policy;
pub use related::Related;
pub use retention::{Cutoffs, Retention};
pub use secret::SecretRef;
pub use security::Security;
pub use server::TlsMode;
pub use service::{Database, Http};
pub use staff::{Staff, StaffRole};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub company: Company,
    #[serde(default)]
    pub database: Database,
    #[serde(default, rename = "mailbox")]
    pub mailboxes: Vec<Mailbox>,
    #[serde(default)]
    pub outgoing: Outgoing,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default)]
    pub staff: Vec<Staff>,
    #[serde(default)]
    pub classify: ClassifyConfig,
    #[serde(default)]
    pub templates: TemplatesConfig,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub http: Http,
    #[serde(default)]
    pub digest: Digest,
    #[serde(default)]
    pub alerts: Alerts,
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub related: Related,
    /// Set for the embedded default only.
    #[serde(skip)]
    embedded: bool,
}

/// The configuration `klagebot run` uses when given none.
pub const EMBEDDED_DEFAULT: &str = include_str!("embedded.toml");

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Config::from_toml(&text).with_context(|| format!("in config file {}", path.display()))
    }

    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// The embedded default: SQLite in `./klagebot.db`, the Maildir `./maildir`
    /// as the mailbox and `./outgoing` as the outgoing transport.
    pub fn embedded_default() -> Config {
        let mut config =
            Config::from_toml(EMBEDDED_DEFAULT).expect("the embedded default config is valid");
        config.embedded = true;
        config
    }

    /// The config at `path`, or the embedded default when none is given.
    pub fn load_or_default(path: Option<&Path>) -> anyhow::Result<Config> {
        match path {
            Some(p) => Config::load(p),
            None => Ok(Config::embedded_default()),
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.company.validate()?;
        let mut names = std::collections::HashSet::new();
        for mailbox in &self.mailboxes {
            if !names.insert(mailbox.name.as_str()) {
                anyhow::bail!("mailbox {:?} is configured twice", mailbox.name);
            }
            mailbox.validate()?;
        }
        self.outgoing.validate()?;
        self.policy.validate()?;
        self.security.validate()?;
        self.retention.validate()?;
        self.related.validate()?;
        staff::validate(&self.staff)
    }

    /// The database URL, from `url_env` when set.
    pub fn database_url(&self) -> anyhow::Result<String> {
        self.database.url()
    }

    /// Whether this is the embedded default (no config file given).
    pub fn is_embedded_default(&self) -> bool {
        self.embedded
    }

    pub fn staff_by_address(&self, address: &EmailAddress) -> Option<&Staff> {
        let key = address.key();
        self.staff.iter().find(|s| s.email.key() == key)
    }

    /// Whether `address` is one of klagebot's own: the complaint address, a
    /// mailbox's or an alias (`company.aliases`), with or without a `+tag`.
    pub fn is_own_address(&self, address: &EmailAddress) -> bool {
        let base = |a: &EmailAddress| {
            // `"klage"@` is `klage@`; `klage+x@` and `klage-x@` reach `klage@`
            // wherever the server's recipient delimiter is + or -.
            let local = a.local_part().trim_matches('"');
            let local = local.split_once(['+', '-']).map_or(local, |(b, _)| b);
            format!("{}@{}", local.to_lowercase(), a.domain().to_lowercase())
        };
        let wanted = base(address);
        std::iter::once(&self.company.complaint_address)
            .chain(self.mailboxes.iter().filter_map(|m| m.address.as_ref()))
            .chain(&self.company.aliases)
            .any(|own| base(own) == wanted)
    }

    /// Whether `address` is a colleague's: configured staff, or at one of the
    /// company's own domains.
    pub fn is_colleague(&self, address: &EmailAddress) -> bool {
        self.staff_by_address(address).is_some() || self.company.is_internal(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_valid() {
        let c = Config::embedded_default();
        assert_eq!(c.company.case_prefix, "KL");
        assert_eq!(c.mailboxes.len(), 1);
        assert_eq!(c.policy.answer_within_days, 15);
    }

    #[test]
    fn our_own_address_is_known_in_every_spelling() {
        let c = Config::embedded_default();
        let own = c.company.complaint_address.clone();
        let (local, domain) = (own.local_part(), own.domain());
        for spelling in [
            format!("{local}@{domain}"),
            format!("{}@{}", local.to_uppercase(), domain.to_uppercase()),
            format!("{local}+KL-2026-000001.abc@{domain}"),
            format!("{local}-b.xyz@{domain}"),
            format!("\"{local}\"@{domain}"),
        ] {
            let address = EmailAddress::parse(&spelling).unwrap();
            assert!(c.is_own_address(&address), "{spelling}");
        }
        let customer = EmailAddress::parse(&format!("{local}@customer.example")).unwrap();
        assert!(!c.is_own_address(&customer));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let text = EMBEDDED_DEFAULT.replace("[outgoing]", "[outgoing]\nhots = \"x\"");
        let err = Config::from_toml(&text).unwrap_err();
        assert!(format!("{err:#}").contains("hots"), "{err:#}");
    }

    #[test]
    fn closures_read_toml_date_times_and_strings() {
        let text = EMBEDDED_DEFAULT.replace(
            "[company]\n",
            "[company]\nclosures = [{ from = 2026-12-22T15:00:00, to = \"2027-01-02 09:00\" }]\n",
        );
        let c = Config::from_toml(&text).unwrap();
        let closure = c.company.closures[0];
        assert_eq!(closure.from.to_string(), "2026-12-22 15:00:00");
        assert_eq!(closure.to.to_string(), "2027-01-02 09:00:00");
        let bad = EMBEDDED_DEFAULT.replace(
            "[company]\n",
            "[company]\nclosures = [{ from = 2026-12-22T15:00:00+01:00, to = 2027-01-02T09:00:00 }]\n",
        );
        let err = Config::from_toml(&bad).unwrap_err();
        assert!(
            format!("{err:#}").contains("not a local date and time"),
            "{err:#}"
        );
    }

    #[test]
    fn imap_mailbox_needs_a_password_source() {
        let text = format!(
            "{EMBEDDED_DEFAULT}\n[[mailbox]]\nname = \"hd\"\nkind = \"imap\"\nhost = \"localhost\"\nusername = \"u\"\n"
        );
        let err = Config::from_toml(&text).unwrap_err();
        assert!(format!("{err:#}").contains("password_env"), "{err:#}");
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;
    use crate::domain::Jurisdiction;

    #[test]
    fn the_shipped_example_config_is_valid() {
        let text = include_str!("../../klagebot.example.toml");
        let config = Config::from_toml(text).expect("klagebot.example.toml parses");
        assert_eq!(config.mailboxes.len(), 3);
        assert_eq!(config.company.closures.len(), 1);
        assert_eq!(config.mailboxes[2].jurisdiction, Some(Jurisdiction::No));
        assert_eq!(config.company.kind, CompanyKind::CardIssuer);
    }
}
