//! The one TOML configuration file, and the embedded default used without one.
//!
//! Secrets never stand in the file: a setting `password_env = "VAR"` names an
//! environment variable and `password_file = "/run/secrets/x"` names a file.
//! Everything is checked when the file is loaded, so that a bad value is reported
//! with its key before the daemon touches any mailbox.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{NaiveDateTime, NaiveTime};
use serde::Deserialize;

use crate::domain::{EmailAddress, Jurisdiction, Language};

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
    /// Set for the embedded default only.
    #[serde(skip)]
    embedded: bool,
}

/// Who the company is, as the customer sees it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub name: String,
    /// The domain of our Message-IDs: `<case-KL-2026-000123.1@{domain}>`.
    pub domain: String,
    /// The address customers write to and our mail comes from.
    pub complaint_address: EmailAddress,
    #[serde(default)]
    pub phone: Option<String>,
    /// The postal address printed under the company's name in customer mail.
    #[serde(default)]
    pub address: Option<String>,
    /// The company's web address, printed in customer mail.
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default = "default_prefix")]
    pub case_prefix: String,
    #[serde(default = "default_jurisdiction")]
    pub jurisdiction: Jurisdiction,
    #[serde(default = "default_language")]
    pub default_language: Language,
    /// Mail received after this local time counts from the next working day.
    #[serde(default = "default_cutoff")]
    pub cutoff: NaiveTime,
    /// Whether 31 December is a closing day in Norway (banks usually close).
    #[serde(default = "default_true")]
    pub norway_new_years_eve_closed: bool,
    /// Company closures on top of the national holidays.
    #[serde(default)]
    pub closures: Vec<Closure>,
}

/// A period the company is closed, in local time of the jurisdiction.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    #[serde(deserialize_with = "local_datetime")]
    pub from: NaiveDateTime,
    #[serde(deserialize_with = "local_datetime")]
    pub to: NaiveDateTime,
}

/// A local date and time as a TOML local date-time (`2026-12-22T15:00:00`) or as a
/// string (`"2026-12-22 15:00"`); TOML date-times do not reach chrono's own parser.
fn local_datetime<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Toml(t) => t.to_string(),
        Raw::Text(s) => s,
    };
    parse_local_datetime(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "{text:?} is not a local date and time such as 2026-12-22T15:00"
        ))
    })
}

fn parse_local_datetime(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    let text = text.trim();
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite://path.db` or `postgres://user@host/db`.
    #[serde(default = "default_database_url")]
    pub url: String,
    #[serde(default)]
    pub url_env: Option<String>,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: default_database_url(),
            url_env: None,
        }
    }
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

/// Where a secret comes from: never the config file itself.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub file: Option<PathBuf>,
}

impl SecretRef {
    pub fn is_set(&self) -> bool {
        self.env.is_some() || self.file.is_some()
    }

    /// Reads the secret; the error names the variable or file, never the value.
    pub fn read(&self, what: &str) -> anyhow::Result<String> {
        if let Some(var) = &self.env {
            return std::env::var(var)
                .with_context(|| format!("{what}: environment variable {var} is not set"));
        }
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{what}: cannot read secret file {}", path.display()))?;
            return Ok(text.trim_end_matches(['\n', '\r']).to_string());
        }
        bail!("{what}: no secret configured (set *_env or *_file)")
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    Imap,
    Maildir,
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
    /// Seconds between polls when the server has no IDLE, and the IDLE re-issue interval.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
    // Maildir
    #[serde(default)]
    pub path: Option<PathBuf>,
}

impl Mailbox {
    pub fn password(&self) -> SecretRef {
        SecretRef {
            env: self.password_env.clone(),
            file: self.password_file.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum OutgoingKind {
    Smtp,
    /// Write each mail as an `.eml` file into a folder (the embedded default).
    #[default]
    Folder,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outgoing {
    #[serde(default)]
    pub kind: OutgoingKind,
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
    /// Folder transport: where `.eml` files are written.
    #[serde(default = "default_outgoing_path")]
    pub path: PathBuf,
    /// At most this many automatic mails to one address per hour (loop guard).
    #[serde(default = "default_rate_limit")]
    pub max_per_address_per_hour: u32,
    #[serde(default = "default_max_attempts")]
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
            path: default_outgoing_path(),
            max_per_address_per_hour: default_rate_limit(),
            max_attempts: default_max_attempts(),
        }
    }
}

impl Outgoing {
    pub fn password(&self) -> SecretRef {
        SecretRef {
            env: self.password_env.clone(),
            file: self.password_file.clone(),
        }
    }
}

/// The numbers of the law and of the company's own promises.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Working days after receipt for the acknowledgement (BEK 1219/2019 § 3).
    #[serde(default = "d3")]
    pub acknowledge_within_days: u32,
    /// Business days after receipt for the answer (PSD2 art. 101(2)).
    #[serde(default = "d15")]
    pub answer_within_days: u32,
    /// Business days after receipt for the final answer after a holding reply.
    #[serde(default = "d35")]
    pub final_answer_within_days: u32,
    /// Working days before the answer is due on which the contact person is reminded.
    #[serde(default = "default_reminders")]
    pub reminder_days_before: Vec<u32>,
    /// Denmark: weeks without an answer after which the customer may go to the Ankenævn.
    #[serde(default = "d5")]
    pub ankenaevn_after_weeks: u32,
    /// Send the holding reply automatically on the due day when no answer was sent.
    #[serde(default)]
    pub auto_holding_reply: bool,
    /// The reason given in an automatic holding reply, per language code.
    #[serde(default)]
    pub auto_holding_reason: std::collections::BTreeMap<String, String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            acknowledge_within_days: 3,
            answer_within_days: 15,
            final_answer_within_days: 35,
            reminder_days_before: default_reminders(),
            ankenaevn_after_weeks: 5,
            auto_holding_reply: false,
            auto_holding_reason: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Handler,
    ComplaintOfficer,
    ComplaintsManager,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub name: String,
    pub email: EmailAddress,
    pub role: StaffRole,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default = "all_languages")]
    pub languages: Vec<Language>,
    #[serde(default = "all_jurisdictions")]
    pub jurisdictions: Vec<Jurisdiction>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClassifyConfig {
    /// A rules file replacing the embedded `classify/rules.toml`.
    #[serde(default)]
    pub rules_file: Option<PathBuf>,
    /// A complaint model (`feature<TAB>weight` lines) replacing the embedded one.
    #[serde(default)]
    pub model_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TemplatesConfig {
    /// A folder `{lang}/{kind}` overriding the shipped templates.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// A referral-bodies file replacing the shipped one.
    #[serde(default)]
    pub referrals_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// The HMAC secret for per-case reply tokens.
    #[serde(default)]
    pub token_secret_env: Option<String>,
    #[serde(default)]
    pub token_secret_file: Option<PathBuf>,
    /// Require a passing Authentication-Results for staff domains before running commands.
    #[serde(default)]
    pub require_authentication_results: bool,
    /// The authserv-id whose Authentication-Results are trusted.
    #[serde(default)]
    pub authserv_id: Option<String>,
}

impl Security {
    pub fn token_secret(&self) -> SecretRef {
        SecretRef {
            env: self.token_secret_env.clone(),
            file: self.token_secret_file.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// `127.0.0.1:9464`: serve `/healthz` and `/metrics`; off when absent.
    #[serde(default)]
    pub listen: Option<String>,
}

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
        crate::domain::CaseRef::new(&self.company.case_prefix, 2026, 1)
            .map_err(|_| anyhow::anyhow!("company.case_prefix must be 1-10 ASCII letters"))?;
        if self.company.domain.trim().is_empty()
            || self.company.domain.contains(['@', ' ', '<', '>'])
        {
            bail!("company.domain must be a bare domain such as example.com");
        }
        for closure in &self.company.closures {
            if closure.to <= closure.from {
                bail!(
                    "company.closures: {} is not before {}",
                    closure.from,
                    closure.to
                );
            }
        }
        let mut names = std::collections::HashSet::new();
        for mailbox in &self.mailboxes {
            if !names.insert(mailbox.name.as_str()) {
                bail!("mailbox {:?} is configured twice", mailbox.name);
            }
            mailbox.validate()?;
        }
        if self.outgoing.kind == OutgoingKind::Smtp && self.outgoing.host.is_none() {
            bail!("outgoing: kind = \"smtp\" needs host");
        }
        let p = &self.policy;
        if p.acknowledge_within_days == 0 || p.answer_within_days < p.acknowledge_within_days {
            bail!(
                "policy: acknowledge_within_days must be at least 1 and not above answer_within_days"
            );
        }
        if p.final_answer_within_days < p.answer_within_days {
            bail!("policy: final_answer_within_days must not be below answer_within_days");
        }
        let mut emails = std::collections::HashSet::new();
        for s in &self.staff {
            if !emails.insert(s.email.key()) {
                bail!("staff {} is listed twice", s.email);
            }
            if s.languages.is_empty() || s.jurisdictions.is_empty() {
                bail!(
                    "staff {}: languages and jurisdictions may not be empty",
                    s.email
                );
            }
        }
        Ok(())
    }

    /// The database URL, from `url_env` when set.
    pub fn database_url(&self) -> anyhow::Result<String> {
        match &self.database.url_env {
            Some(var) => std::env::var(var).with_context(|| {
                format!("database.url_env: environment variable {var} is not set")
            }),
            None => Ok(self.database.url.clone()),
        }
    }

    /// Whether this is the embedded default (no config file given).
    pub fn is_embedded_default(&self) -> bool {
        self.embedded
    }

    pub fn staff_by_address(&self, address: &EmailAddress) -> Option<&Staff> {
        let key = address.key();
        self.staff.iter().find(|s| s.email.key() == key)
    }
}

impl Mailbox {
    fn validate(&self) -> anyhow::Result<()> {
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
                if !self.password().is_set() {
                    bail!("mailbox {name}: set password_env or password_file");
                }
            }
            MailboxKind::Maildir => {
                if self.path.is_none() {
                    bail!("mailbox {name}: kind = \"maildir\" needs path");
                }
            }
        }
        Ok(())
    }
}

/// The configuration `klagebot run` uses when given none.
pub const EMBEDDED_DEFAULT: &str = r#"
[company]
name = "Eksempel Finans A/S"
domain = "klagebot.localhost"
complaint_address = "klage@klagebot.localhost"
phone = "+45 70 00 00 00"
case_prefix = "KL"
jurisdiction = "dk"
default_language = "da"

[database]
url = "sqlite://klagebot.db"

[[mailbox]]
name = "local"
kind = "maildir"
mode = "own"
path = "maildir"
address = "klage@klagebot.localhost"

[outgoing]
kind = "folder"
path = "outgoing"

[[staff]]
name = "Mette Jensen"
email = "mette.jensen@klagebot.localhost"
role = "handler"
phone = "+45 70 00 00 01"

[[staff]]
name = "Lars Holm"
email = "lars.holm@klagebot.localhost"
role = "complaints_manager"
phone = "+45 70 00 00 02"

[security]
token_secret_env = "KLAGEBOT_TOKEN_SECRET"
"#;

fn default_prefix() -> String {
    "KL".into()
}
fn default_jurisdiction() -> Jurisdiction {
    Jurisdiction::Dk
}
fn default_language() -> Language {
    Language::Da
}
fn default_cutoff() -> NaiveTime {
    NaiveTime::from_hms_opt(16, 0, 0).expect("valid time")
}
fn default_true() -> bool {
    true
}
fn default_database_url() -> String {
    "sqlite://klagebot.db".into()
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
fn default_poll_seconds() -> u64 {
    60
}
fn default_outgoing_path() -> PathBuf {
    PathBuf::from("outgoing")
}
fn default_rate_limit() -> u32 {
    10
}
fn default_max_attempts() -> u32 {
    12
}
fn d3() -> u32 {
    3
}
fn d5() -> u32 {
    5
}
fn d15() -> u32 {
    15
}
fn d35() -> u32 {
    35
}
fn default_reminders() -> Vec<u32> {
    vec![5, 2]
}
fn all_languages() -> Vec<Language> {
    Language::ALL.to_vec()
}
fn all_jurisdictions() -> Vec<Jurisdiction> {
    Jurisdiction::ALL.to_vec()
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

    #[test]
    fn the_shipped_example_config_is_valid() {
        let text = include_str!("../klagebot.example.toml");
        let config = Config::from_toml(text).expect("klagebot.example.toml parses");
        assert_eq!(config.mailboxes.len(), 3);
        assert_eq!(config.company.closures.len(), 1);
        assert_eq!(config.mailboxes[2].jurisdiction, Some(Jurisdiction::No));
    }
}
