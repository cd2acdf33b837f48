//! The small vocabularies of a case's life: where it stands ([`Status`]), who
//! handles it ([`Tier`]) and how it was decided ([`Outcome`]), and what it changed inside the firm ([`Measure`]).

use serde::{Deserialize, Serialize};

/// Where a case stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Opened; the acknowledgement is not yet sent.
    Received,
    /// The acknowledgement went out; the answer is being worked on.
    Acknowledged,
    /// A holding reply moved the answer date (at most 35 business days).
    OnHold,
    /// A decision was sent to the customer.
    Decided,
    /// Nothing more is expected.
    Closed,
    /// Opened by mistake (`#notcomplaint`): no more mail to the customer.
    Withdrawn,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::OnHold => "on_hold",
            Status::Decided => "decided",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Open cases still owe the customer an answer.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Received | Status::Acknowledged | Status::OnHold
        )
    }
}

/// The result of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Upheld,
    PartiallyUpheld,
    Rejected,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::PartiallyUpheld => "partially_upheld",
            Outcome::Rejected => "rejected",
        }
    }

    /// Partial and rejected decisions must name the external bodies.
    pub fn needs_referral(self) -> bool {
        !matches!(self, Outcome::Upheld)
    }
}

/// Who handles the case now (the escalation path of the seeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    ComplaintsDepartment,
    ComplaintsManager,
}

impl Tier {
    pub fn code(self) -> &'static str {
        match self {
            Tier::ComplaintsDepartment => "complaints_department",
            Tier::ComplaintsManager => "complaints_manager",
        }
    }
}

/// The internal consequence a complaint had (EBA/ESMA guidelines: complaints
/// analysed for recurring problems lead to changed routines, practice or training).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    pub kind: MeasureKind,
    /// What was changed, in staff's words (may be empty).
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    Routine,
    Practice,
    Training,
    Other,
    None,
}

impl MeasureKind {
    pub const ALL: [MeasureKind; 5] = [
        MeasureKind::Routine,
        MeasureKind::Practice,
        MeasureKind::Training,
        MeasureKind::Other,
        MeasureKind::None,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MeasureKind::Routine => "routine",
            MeasureKind::Practice => "practice",
            MeasureKind::Training => "training",
            MeasureKind::Other => "other",
            MeasureKind::None => "none",
        }
    }

    /// The kind from its code or its word in any of the five languages.
    pub fn parse(word: &str) -> Option<MeasureKind> {
        let word = word.to_lowercase();
        let kind = match word.as_str() {
            "routine" | "rutine" | "rutin" | "rutiner" | "procedure" | "procedur" => {
                MeasureKind::Routine
            }
            "practice" | "praksis" | "praxis" => MeasureKind::Practice,
            "training" | "oplæring" | "oplaering" | "opplæring" | "opplaering" | "utbildning"
            | "uddannelse" | "kursus" => MeasureKind::Training,
            "other" | "andet" | "annet" | "anna" | "annat" => MeasureKind::Other,
            "none" | "ingen" | "inga" | "intet" => MeasureKind::None,
            _ => return Option::None,
        };
        Some(kind)
    }
}
