//! `[company]`: who the company is, as the customer sees it, and the calendar it
//! keeps (jurisdiction, cut-off time, closures).

use chrono::{NaiveDateTime, NaiveTime};
use serde::Deserialize;

use crate::domain::{EmailAddress, Jurisdiction, Language};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub name: String,
    /// The domain of our Message-IDs: `<case-KL-2026-000123.1.…@{domain}>`.
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
    /// What kind of company this is: it decides which complaint boards it belongs to.
    #[serde(default)]
    pub kind: Option<CompanyKind>,
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

impl Company {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        crate::domain::CaseRef::new(&self.case_prefix, 2026, 1)
            .map_err(|_| anyhow::anyhow!("company.case_prefix must be 1-10 ASCII letters"))?;
        if self.domain.trim().is_empty() || self.domain.contains(['@', ' ', '<', '>']) {
            anyhow::bail!("company.domain must be a bare domain such as example.com");
        }
        for closure in &self.closures {
            if closure.to <= closure.from {
                anyhow::bail!(
                    "company.closures: {} is not before {}",
                    closure.from,
                    closure.to
                );
            }
        }
        Ok(())
    }
}

/// The kinds of company the referral bodies are chosen by (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum CompanyKind {
    Bank,
    CardIssuer,
    PaymentInstitution,
    ConsumerLender,
    Crowdfunding,
    InvestmentFirm,
}

impl CompanyKind {
    pub const ALL: [CompanyKind; 6] = [
        CompanyKind::Bank,
        CompanyKind::CardIssuer,
        CompanyKind::PaymentInstitution,
        CompanyKind::ConsumerLender,
        CompanyKind::Crowdfunding,
        CompanyKind::InvestmentFirm,
    ];

    /// The value written in the config file.
    pub fn code(self) -> &'static str {
        match self {
            CompanyKind::Bank => "bank",
            CompanyKind::CardIssuer => "card_issuer",
            CompanyKind::PaymentInstitution => "payment_institution",
            CompanyKind::ConsumerLender => "consumer_lender",
            CompanyKind::Crowdfunding => "crowdfunding",
            CompanyKind::InvestmentFirm => "investment_firm",
        }
    }
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
