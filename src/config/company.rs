//! `[company]`: who the company is, as the customer sees it, what kind of firm it
//! is (which decides the complaint boards it answers to), and the calendar it
//! keeps (jurisdiction, cut-off time, closures).

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::domain::{EmailAddress, Jurisdiction, Language, ParseError};

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
    /// What kind of firm this is: it decides which complaint boards a decision
    /// names (`templates/referrals.toml`).
    #[serde(default)]
    pub kind: CompanyKind,
    /// Norway: whether the firm is a member of Finansklagenemnda. Unset, it
    /// follows the kind ([`CompanyKind::usually_finkn_member`]).
    #[serde(default)]
    pub finkn_member: Option<bool>,
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
    /// The company's own mail domains: a mail from one of them (or from any
    /// `[[staff]]`) is a colleague's, so a customer's mail forwarded in it opens
    /// the customer's case. Default: the domain of `complaint_address`.
    #[serde(default)]
    pub internal_domains: Vec<String>,
    /// Other addresses that deliver into klagebot's mailboxes (an old address,
    /// a distribution list, `helpdesk@` forwarded to `klage@`): like the
    /// mailboxes' own addresses, klagebot never writes to them as a customer
    /// and never answers mail from them.
    #[serde(default)]
    pub aliases: Vec<EmailAddress>,
}

impl Company {
    /// Whether `address` is at one of the company's own domains.
    pub fn is_internal(&self, address: &EmailAddress) -> bool {
        let domain = address.domain();
        match self.internal_domains.is_empty() {
            true => domain.eq_ignore_ascii_case(self.complaint_address.domain()),
            false => self.internal_domains.iter().any(|d| {
                d.trim()
                    .trim_start_matches('@')
                    .eq_ignore_ascii_case(domain)
            }),
        }
    }

    /// Whether `address` is at a domain listed in `internal_domains` (not the
    /// default: with none listed, no customer is turned away for their domain).
    pub fn is_listed_internal(&self, address: &EmailAddress) -> bool {
        !self.internal_domains.is_empty() && self.is_internal(address)
    }

    /// Whether Finansklagenemnda takes complaints about this firm (Norway).
    pub fn is_finkn_member(&self) -> bool {
        self.finkn_member
            .unwrap_or_else(|| self.kind.usually_finkn_member())
    }

    pub(super) fn validate(&self) -> anyhow::Result<()> {
        crate::domain::CaseRef::new(&self.case_prefix, 2026, 1)
            .map_err(|_| anyhow::anyhow!("company.case_prefix must be 1-10 ASCII letters"))?;
        if self.domain.trim().is_empty() || self.domain.contains(['@', ' ', '<', '>']) {
            anyhow::bail!("company.domain must be a bare domain such as example.com");
        }
        for domain in &self.internal_domains {
            let d = domain.trim().trim_start_matches('@');
            if d.is_empty() || d.contains(['@', ' ', '<', '>']) || !d.contains('.') {
                anyhow::bail!(
                    "company.internal_domains: {domain:?} is not a domain such as bank.dk"
                );
            }
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

/// The kind of firm, as the complaint boards sort firms: a Danish bank answers to
/// Det Finansielle Ankenævn for everything, a crowdfunding platform to
/// Forbrugerklagenævnet except for payment services, and so on.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum CompanyKind {
    /// A bank (pengeinstitut, bank, bank) or a finance company it owns.
    #[default]
    Bank,
    /// A card issuer (e.g. a charge or credit card company).
    CardIssuer,
    /// A payment institution or an e-money institution.
    PaymentInstitution,
    /// A consumer lender not owned by a bank (finansieringsselskab).
    ConsumerLender,
    /// A crowdfunding platform (EU Reg. 2020/1503).
    Crowdfunding,
    /// An investment firm that is not a bank (fondsmæglerselskab, verdipapirforetak).
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

    /// Banks, card issuers and finance companies are nearly all members of
    /// Finansklagenemnda through Finans Norge or Finansieringsselskapenes
    /// Forening (finkn.no, "For finansselskap"); other kinds must join on their own.
    pub fn usually_finkn_member(self) -> bool {
        matches!(
            self,
            CompanyKind::Bank | CompanyKind::CardIssuer | CompanyKind::ConsumerLender
        )
    }
}

impl fmt::Display for CompanyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for CompanyKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        CompanyKind::ALL
            .into_iter()
            .find(|k| k.code() == wanted)
            .ok_or_else(|| {
                ParseError::new(
                    "company kind",
                    s,
                    "bank, card_issuer, payment_institution, consumer_lender, crowdfunding or investment_firm",
                )
            })
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
