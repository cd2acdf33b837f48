//! The case as data: its state, the events on its timeline and the actions its
//! life asks for. `case::apply` (pure) moves a case from one state to the next;
//! `store` persists both the state and the append-only timeline, and replaying the
//! timeline from its [`Event::Opened`] with [`crate::case::replay`] gives the same state.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::refusal::Refusal;
pub use super::states::{Measure, MeasureKind, Outcome, Status, Tier};
use crate::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};

/// The state of one case. Dates that are deadlines are local dates in the case's
/// jurisdiction: the answer is due by the end of that working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub reference: CaseRef,
    pub status: Status,
    pub tier: Tier,
    /// The configured mailbox the complaint came in through (the channel).
    pub mailbox: String,
    pub jurisdiction: Jurisdiction,
    pub language: Language,
    pub category: Option<Category>,
    pub customer: EmailAddress,
    pub customer_name: Option<String>,
    pub subject: String,
    /// The contact person's address (a configured staff member).
    pub contact: Option<EmailAddress>,
    pub received_at: DateTime<Utc>,
    pub acknowledge_due: NaiveDate,
    pub answer_due: NaiveDate,
    /// The latest date a holding reply may promise (35 business days).
    pub final_due: NaiveDate,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub holding_reply_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub closed_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    /// Whether a referral block naming external bodies was sent.
    pub referred: bool,
    /// Other cases this one is linked to (a reference written by another sender).
    pub related: Vec<CaseRef>,
    /// The Message-ID of the customer's first mail, for threading our replies.
    pub customer_message_id: String,
    /// The Message-ID of the customer's latest mail.
    pub last_customer_message_id: String,
    /// The next N of our Message-IDs `<case-{REF}.{N}@domain>`.
    pub next_message_seq: u32,
    /// The root cause staff recorded (`#cause`).
    #[serde(default)]
    pub cause: Option<String>,
    /// The internal consequence staff recorded (`#measure`).
    #[serde(default)]
    pub measure: Option<Measure>,
}

/// One entry on a case's append-only timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The complaint that opened the case (its first event).
    Opened {
        message_id: String,
        from: EmailAddress,
        subject: String,
        /// The staff member who opened it with `#open` on a forwarded mail
        /// (klagebot had not taken the mail for a complaint).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<EmailAddress>,
    },
    /// Another mail from the customer in the same case.
    CustomerMail {
        message_id: String,
        subject: String,
    },
    /// The customer asked for the complaints manager.
    EscalationRequested {
        message_id: String,
    },
    /// The customer is not satisfied with the decision (or a closed case): the
    /// case reopens with the complaints manager, answered anew from `received_at`.
    Reconsideration {
        message_id: String,
        received_at: DateTime<Utc>,
    },
    /// The case moved to a higher tier (by the customer or by a breached deadline).
    Escalated {
        tier: Tier,
        reason: String,
    },
    AcknowledgementSent {
        message_id: String,
    },
    /// A staff member acknowledged the complaint outside klagebot (`#acknowledged`).
    AcknowledgedByStaff {
        by: EmailAddress,
    },
    /// A staff member recorded the customer's new address (`#address`).
    CustomerAddressChanged {
        address: EmailAddress,
        by: EmailAddress,
    },
    Assigned {
        to: EmailAddress,
        by: Option<EmailAddress>,
    },
    Note {
        by: EmailAddress,
        text: String,
    },
    CategorySet {
        category: Category,
        by: Option<EmailAddress>,
    },
    /// A staff answer that was relayed to (or recorded as sent to) the customer.
    StaffAnswer {
        by: EmailAddress,
        message_id: String,
        relayed: bool,
    },
    HoldingReply {
        reason: String,
        new_due: NaiveDate,
        by: Option<EmailAddress>,
    },
    Decided {
        outcome: Outcome,
        by: EmailAddress,
        referred: bool,
    },
    Closed {
        by: Option<EmailAddress>,
    },
    Reopened {
        by: Option<EmailAddress>,
    },
    Withdrawn {
        by: EmailAddress,
    },
    ReminderSent {
        to: EmailAddress,
        working_days_left: u32,
    },
    /// A mail we sent came back: the customer did not get it.
    Bounced {
        message_id: String,
        original: Option<String>,
    },
    Linked {
        other: CaseRef,
    },
    /// Staff confirmed a link to another case about the same matter (`#related`).
    RelatedConfirmed {
        other: CaseRef,
        by: EmailAddress,
    },
    /// Staff removed a suggested link (`#unrelated`).
    RelatedRemoved {
        other: CaseRef,
        by: EmailAddress,
    },
    /// The root cause (`#cause`); `from` when taken from a linked case.
    CauseSet {
        cause: String,
        by: EmailAddress,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<CaseRef>,
    },
    /// The internal consequence (`#measure`).
    MeasureSet {
        measure: Measure,
        by: EmailAddress,
    },
    /// An alarm to staff, e.g. an acknowledgement still unsent near its deadline.
    Alarm {
        reason: String,
    },
    /// A deadline came near or passed and staff were warned (fired by the scheduler).
    Warned {
        warning: Warning,
    },
    /// Mail the case asked for that was not queued: to one of our own addresses
    /// (a loop), automatic mail beyond the per-address caps (a flood), or to an
    /// address no mail can carry.
    /// `mail` is the outbox kind, e.g. `customer_acknowledgement`.
    Withheld {
        mail: String,
        reason: String,
    },
    /// A mail to the customer copied to us as a colleague's answer that our MX
    /// could not vouch for (no `security.authserv_id`): kept on the timeline,
    /// never counted as an answer; the contact person is asked to confirm it
    /// with `#answered`.
    UnverifiedAnswer {
        by: EmailAddress,
        message_id: String,
    },
    /// Staff put the case on legal hold (`#hold REASON`): its personal data is
    /// kept past the retention period until `#unhold`.
    LegalHold {
        by: EmailAddress,
        reason: String,
    },
    /// The legal hold was released (`#unhold`): retention applies again.
    LegalHoldReleased {
        by: EmailAddress,
    },
    /// A staff reply's commands could not be carried out; the sender is told why.
    CommandRejected {
        by: EmailAddress,
        #[serde(deserialize_with = "super::refusal::stored")]
        reason: Refusal,
    },
}

/// The kind of [`Event::LegalHold`] on the timeline (the store reads holds by it).
pub const LEGAL_HOLD: &str = "legal_hold";
/// The kind of [`Event::LegalHoldReleased`].
pub const LEGAL_HOLD_RELEASED: &str = "legal_hold_released";

/// What a fired deadline warned staff about; recorded so that the timeline shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warning {
    /// The acknowledgement is still unsent one working day before it is due.
    AcknowledgementUnsent { due: NaiveDate },
    /// The answer is due soon and neither a decision nor a holding reply was
    /// sent: the contact person is told exactly how to send one (`#extend`).
    HoldingReplyDue { due: NaiveDate },
    /// The answer is due today and no decision is recorded.
    AnswerDueToday { due: NaiveDate },
    /// The answer date passed without a decision (the case was already with the manager).
    AnswerOverdue { due: NaiveDate },
    /// Denmark: weeks without an answer; the customer may go to Det Finansielle Ankenævn.
    AnkenaevnEligible { weeks: u32 },
}

impl Warning {
    pub fn code(self) -> &'static str {
        match self {
            Warning::AcknowledgementUnsent { .. } => "acknowledgement_unsent",
            Warning::HoldingReplyDue { .. } => "holding_reply_due",
            Warning::AnswerDueToday { .. } => "answer_due_today",
            Warning::AnswerOverdue { .. } => "answer_overdue",
            Warning::AnkenaevnEligible { .. } => "ankenaevn_eligible",
        }
    }
}

impl Event {
    /// The short name stored beside the event and shown on the timeline.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Opened { .. } => "opened",
            Event::CustomerMail { .. } => "customer_mail",
            Event::EscalationRequested { .. } => "escalation_requested",
            Event::Escalated { .. } => "escalated",
            Event::AcknowledgementSent { .. } => "acknowledgement_sent",
            Event::AcknowledgedByStaff { .. } => "acknowledged_by_staff",
            Event::CustomerAddressChanged { .. } => "customer_address_changed",
            Event::Assigned { .. } => "assigned",
            Event::Note { .. } => "note",
            Event::CategorySet { .. } => "category_set",
            Event::StaffAnswer { .. } => "staff_answer",
            Event::HoldingReply { .. } => "holding_reply",
            Event::Decided { .. } => "decided",
            Event::Closed { .. } => "closed",
            Event::Reopened { .. } => "reopened",
            Event::Withdrawn { .. } => "withdrawn",
            Event::ReminderSent { .. } => "reminder_sent",
            Event::Bounced { .. } => "bounced",
            Event::Linked { .. } => "linked",
            Event::RelatedConfirmed { .. } => "related_confirmed",
            Event::RelatedRemoved { .. } => "related_removed",
            Event::CauseSet { .. } => "cause_set",
            Event::MeasureSet { .. } => "measure_set",
            Event::Withheld { .. } => "withheld",
            Event::UnverifiedAnswer { .. } => "unverified_answer",
            Event::Alarm { .. } => "alarm",
            Event::Warned { .. } => "warned",
            Event::CommandRejected { .. } => "command_rejected",
            Event::LegalHold { .. } => LEGAL_HOLD,
            Event::LegalHoldReleased { .. } => LEGAL_HOLD_RELEASED,
            Event::Reconsideration { .. } => "reconsideration",
        }
    }
}
