//! Small value types shared by every stage: they parse, so that an invalid value
//! cannot be represented once it is inside the program.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language klagebot writes to customers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Da,
    Nb,
    Nn,
    Sv,
    En,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::Da,
        Language::Nb,
        Language::Nn,
        Language::Sv,
        Language::En,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Language::Da => "da",
            Language::Nb => "nb",
            Language::Nn => "nn",
            Language::Sv => "sv",
            Language::En => "en",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "da" => Ok(Language::Da),
            "nb" | "no" => Ok(Language::Nb),
            "nn" => Ok(Language::Nn),
            "sv" => Ok(Language::Sv),
            "en" => Ok(Language::En),
            _ => Err(ParseError::new("language", s, "da, nb, nn, sv or en")),
        }
    }
}

/// The country whose rules, holidays and complaint boards apply to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Jurisdiction {
    Dk,
    No,
    Se,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 3] = [Jurisdiction::Dk, Jurisdiction::No, Jurisdiction::Se];

    pub fn code(self) -> &'static str {
        match self {
            Jurisdiction::Dk => "dk",
            Jurisdiction::No => "no",
            Jurisdiction::Se => "se",
        }
    }

    pub fn time_zone(self) -> chrono_tz::Tz {
        match self {
            Jurisdiction::Dk => chrono_tz::Europe::Copenhagen,
            Jurisdiction::No => chrono_tz::Europe::Oslo,
            Jurisdiction::Se => chrono_tz::Europe::Stockholm,
        }
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Jurisdiction {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dk" | "denmark" => Ok(Jurisdiction::Dk),
            "no" | "norway" => Ok(Jurisdiction::No),
            "se" | "sweden" => Ok(Jurisdiction::Se),
            _ => Err(ParseError::new("jurisdiction", s, "dk, no or se")),
        }
    }
}

/// What a complaint is about; it selects the referral bodies in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Fees,
    Card,
    Payment,
    Loan,
    Investment,
    Service,
    Privacy,
    Marketing,
    Fraud,
    Other,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Fees,
        Category::Card,
        Category::Payment,
        Category::Loan,
        Category::Investment,
        Category::Service,
        Category::Privacy,
        Category::Marketing,
        Category::Fraud,
        Category::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::Fees => "fees",
            Category::Card => "card",
            Category::Payment => "payment",
            Category::Loan => "loan",
            Category::Investment => "investment",
            Category::Service => "service",
            Category::Privacy => "privacy",
            Category::Marketing => "marketing",
            Category::Fraud => "fraud",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Category {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.code() == wanted)
            .ok_or_else(|| {
                ParseError::new(
                    "category",
                    s,
                    "fees, card, payment, loan, investment, service, privacy, marketing, fraud or other",
                )
            })
    }
}

/// A case reference such as `KL-2026-000123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseRef {
    prefix: String,
    year: i32,
    number: u32,
}

impl CaseRef {
    /// Builds a reference; the prefix must be 1–10 ASCII letters.
    pub fn new(prefix: &str, year: i32, number: u32) -> Result<Self, ParseError> {
        let valid_prefix = !prefix.is_empty()
            && prefix.len() <= 10
            && prefix.bytes().all(|b| b.is_ascii_alphabetic());
        if !valid_prefix || !(1000..=9999).contains(&year) || number == 0 || number > 999_999 {
            let shown = format!("{prefix}-{year}-{number:06}");
            return Err(ParseError::new(
                "case reference",
                &shown,
                "PREFIX-YYYY-NNNNNN",
            ));
        }
        Ok(CaseRef {
            prefix: prefix.to_ascii_uppercase(),
            year,
            number,
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.prefix, self.year, self.number)
    }
}

impl FromStr for CaseRef {
    type Err = ParseError;
    /// Parses `PREFIX-YYYY-NNNNNN` (case-insensitive prefix, exactly six digits).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError::new("case reference", s, "PREFIX-YYYY-NNNNNN");
        let mut parts = s.trim().split('-');
        let (Some(prefix), Some(year), Some(number), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if year.len() != 4
            || number.len() != 6
            || !year
                .bytes()
                .chain(number.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year = year.parse().map_err(|_| bad())?;
        let number = number.parse().map_err(|_| bad())?;
        CaseRef::new(prefix, year, number).map_err(|_| bad())
    }
}

impl Serialize for CaseRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CaseRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A Message-ID or an address path without its angle brackets, however it is
/// given (`<id@host>`, `id@host`, with spaces around). Message-IDs are filed and
/// compared this way.
pub fn strip_angle_brackets(value: &str) -> &str {
    value
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
}

/// A Message-ID in angle brackets, as the headers carry it.
pub fn in_angle_brackets(id: &str) -> String {
    format!("<{}>", strip_angle_brackets(id))
}

/// An email address in its canonical form: trimmed, and lower-case in the domain.
/// The local part keeps its case (RFC 5321), but comparisons use [`EmailAddress::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = strip_angle_brackets(s);
        let bad = || ParseError::new("email address", s, "local@domain");
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_');
        let local_ok = !local.is_empty()
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        // Also one we can write into a header: a From we could never answer
        // (a 65-octet local part, `a..b@`, a 64-octet label) is no address.
        let sendable = s.len() <= 254 && s.parse::<lettre::Address>().is_ok();
        if !domain_ok || !local_ok || !sendable {
            return Err(bad());
        }
        Ok(EmailAddress(format!(
            "{local}@{}",
            domain.to_ascii_lowercase()
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to compare two addresses: all lower-case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or(&self.0)
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(a: EmailAddress) -> String {
        a.0
    }
}

impl FromStr for EmailAddress {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

/// A value that did not parse, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: expected {expected}")]
pub struct ParseError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl ParseError {
    pub fn new(what: &'static str, value: &str, expected: &'static str) -> Self {
        ParseError {
            what,
            value: value.to_string(),
            expected,
        }
    }
}

/// Why klagebot left a person's mail alone (no case opened or joined): stored
/// with the mail, listed in the daily digest in each reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftReason {
    /// Read as a question, thanks or other mail that is not a complaint.
    NotComplaint,
    /// Its subject names a case reference that does not exist.
    UnknownReference,
    /// No usable sender address: nobody to answer.
    NoSender,
    /// From a colleague, with no customer mail forwarded in it and no case token.
    ColleagueMail,
    /// A colleague's forward our own mail server did not vouch for.
    Unverified,
    /// `#open` on a mail with no customer mail in it (or one from a colleague).
    NothingToOpen,
}

impl LeftReason {
    pub const ALL: [LeftReason; 6] = [
        LeftReason::NotComplaint,
        LeftReason::UnknownReference,
        LeftReason::NoSender,
        LeftReason::ColleagueMail,
        LeftReason::Unverified,
        LeftReason::NothingToOpen,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LeftReason::NotComplaint => "not_complaint",
            LeftReason::UnknownReference => "unknown_reference",
            LeftReason::NoSender => "no_sender",
            LeftReason::ColleagueMail => "colleague_mail",
            LeftReason::Unverified => "unverified",
            LeftReason::NothingToOpen => "nothing_to_open",
        }
    }
}

impl FromStr for LeftReason {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LeftReason::ALL
            .into_iter()
            .find(|r| r.code() == s.trim())
            .ok_or_else(|| ParseError::new("reason", s, "a reason code such as not_complaint"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ref_round_trips() {
        let r: CaseRef = "kl-2026-000123".parse().unwrap();
        assert_eq!(r.to_string(), "KL-2026-000123");
        assert_eq!(r.number(), 123);
    }

    #[test]
    fn case_ref_rejects_malformed() {
        for bad in [
            "KL-2026-123",
            "KL-26-000123",
            "-2026-000123",
            "KL-2026-000000",
            "K1-2026-000001",
            "KL-2026-0001234",
        ] {
            assert!(bad.parse::<CaseRef>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn email_address_lowercases_domain_only() {
        let a = EmailAddress::parse(" <Ole.Hansen@Example.DK> ").unwrap();
        assert_eq!(a.as_str(), "Ole.Hansen@example.dk");
        assert_eq!(a.key(), "ole.hansen@example.dk");
        assert!(EmailAddress::parse("no-at-sign").is_err());
        assert!(EmailAddress::parse("a b@example.com").is_err());
    }

    #[test]
    fn language_and_jurisdiction_parse() {
        assert_eq!("SV".parse::<Language>().unwrap(), Language::Sv);
        assert_eq!("no".parse::<Jurisdiction>().unwrap(), Jurisdiction::No);
        assert!("de".parse::<Language>().is_err());
        assert_eq!("fees".parse::<Category>().unwrap(), Category::Fees);
    }
}
