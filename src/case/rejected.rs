//! Why a change cannot happen to a case now: the case logic's answer when an
//! event does not fit the case's state or the law's dates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::states::Tier;
use crate::domain::EmailAddress;

/// Why an event cannot happen to a case now. The text is what staff are told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Rejected {
    #[error("the case was opened already")]
    AlreadyOpened,
    #[error("the case was withdrawn as not a complaint; nothing more goes to the customer")]
    Withdrawn,
    #[error("the case is closed; reopen it with #open first")]
    Closed,
    #[error("the case was decided on {0}; reopen it with #open first")]
    AlreadyDecided(NaiveDate),
    #[error("the case is open already")]
    AlreadyOpen,
    #[error("the case is with the {} already", .0.code().replace('_', " "))]
    AlreadyAtTier(Tier),
    #[error(
        "{new_due} is after {final_due}, the latest date the law allows ({days} business days after receipt)"
    )]
    BeyondFinalDue {
        new_due: NaiveDate,
        final_due: NaiveDate,
        days: u32,
    },
    #[error(
        "the answer is due {0} already, the latest date the law allows; a holding reply cannot move it later"
    )]
    NoLaterDateAllowed(NaiveDate),
    #[error("{new_due} is not later than {answer_due}, when the answer is due already")]
    NotLater {
        new_due: NaiveDate,
        answer_due: NaiveDate,
    },
    #[error("{0} is not a working day")]
    NotWorkingDay(NaiveDate),
    #[error("{0} is in the past")]
    InThePast(NaiveDate),
    #[error("a holding reply must give the reason for the delay")]
    MissingReason,
    #[error("{0} is not a configured staff member")]
    NotStaff(EmailAddress),
    #[error("#decision needs the reasoned answer as text below it")]
    EmptyDecision,
    #[error("the case is closed already")]
    AlreadyClosed,
    #[error("the case is withdrawn already")]
    AlreadyWithdrawn,
    #[error("the complaint was acknowledged already")]
    AlreadyAcknowledged,
}

impl Rejected {
    /// A short name of the kind, for the templates and the log.
    pub fn code(&self) -> &'static str {
        match self {
            Rejected::AlreadyOpened => "already_opened",
            Rejected::Withdrawn => "withdrawn",
            Rejected::Closed => "closed",
            Rejected::AlreadyDecided(_) => "already_decided",
            Rejected::AlreadyOpen => "already_open",
            Rejected::AlreadyAtTier(_) => "already_at_tier",
            Rejected::BeyondFinalDue { .. } => "beyond_final_due",
            Rejected::NoLaterDateAllowed(_) => "no_later_date_allowed",
            Rejected::NotLater { .. } => "not_later",
            Rejected::NotWorkingDay(_) => "not_working_day",
            Rejected::InThePast(_) => "in_the_past",
            Rejected::MissingReason => "missing_reason",
            Rejected::NotStaff(_) => "not_staff",
            Rejected::EmptyDecision => "empty_decision",
            Rejected::AlreadyClosed => "already_closed",
            Rejected::AlreadyWithdrawn => "already_withdrawn",
            Rejected::AlreadyAcknowledged => "already_acknowledged",
        }
    }
}
