//! What the shell must do after the core decided: mail to the customer and notices
//! to staff. Every action carries `seq`, the N of its Message-ID
//! `<case-{REF}.{N}@{domain}>`, allocated from [`Case::next_message_seq`] so that a
//! replayed timeline allocates the same numbers.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{Case, Outcome, Status, Tier, Warning};
use super::refusal::Refusal;
use crate::domain::EmailAddress;

/// One thing the daemon must do, in the same transaction as the state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// A mail to the customer, in the case's language, threaded to their mail.
    ToCustomer { seq: u32, mail: CustomerMail },
    /// A mail to one staff member about the case, with the per-case reply token.
    ToStaff {
        seq: u32,
        to: EmailAddress,
        notice: StaffNotice,
    },
}

impl Action {
    pub fn seq(&self) -> u32 {
        match self {
            Action::ToCustomer { seq, .. } | Action::ToStaff { seq, .. } => *seq,
        }
    }
}

/// The kinds of mail the customer receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CustomerMail {
    /// Names the contact person and the date the answer is due.
    Acknowledgement {
        contact: Option<EmailAddress>,
        answer_due: NaiveDate,
    },
    /// The reason for the delay and the date of the final answer.
    HoldingReply { reason: String, new_due: NaiveDate },
    /// The reasoned answer is the text below `#decision` in the staff reply that
    /// carried the command; `referral` adds the external bodies for the jurisdiction.
    Decision {
        outcome: Outcome,
        referral: bool,
        by: EmailAddress,
    },
    /// Who handles the case now and by when.
    EscalationNotice {
        tier: Tier,
        handler: Option<EmailAddress>,
        answer_due: NaiveDate,
    },
    /// The staff member's reply (inbound message `message_id`) relayed to the customer.
    StaffAnswer {
        by: EmailAddress,
        message_id: String,
    },
}

impl CustomerMail {
    /// Mail klagebot writes on its own because a mail came in (no person
    /// decided it): what a loop or a flood would multiply, so what the
    /// per-address caps hold back.
    pub fn is_automatic(&self) -> bool {
        matches!(
            self,
            CustomerMail::Acknowledgement { .. } | CustomerMail::EscalationNotice { .. }
        )
    }
}

/// The kinds of notice staff receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StaffNotice {
    /// A new case: the customer's text, the deadlines, how to work it by mail.
    NewCase,
    /// The case was assigned to the recipient by someone.
    Assigned { by: Option<EmailAddress> },
    /// The customer wrote again.
    CustomerFollowUp { message_id: String },
    /// The customer asked for the complaints manager.
    EscalationRequested { message_id: String },
    /// The case moved to a higher tier.
    Escalated { tier: Tier, reason: String },
    /// The answer is due in `working_days_left` working days.
    Reminder {
        working_days_left: u32,
        answer_due: NaiveDate,
    },
    /// A deadline came near or passed.
    Warning { warning: Warning },
    /// A holding reply was sent without a staff member asking (policy).
    AutomaticHoldingReply { new_due: NaiveDate },
    /// A mail we sent came back: the customer did not get it.
    Bounce {
        message_id: String,
        original: Option<String>,
    },
    /// An operational alarm, e.g. mail could not be delivered.
    Alarm { reason: String },
    /// To the colleague whose forward opened the case: its reference and contact.
    ForwardOpened,
    /// A mail copied to us as `by`'s answer to the customer that our MX could
    /// not vouch for: confirm it with `#answered` if it is genuine.
    UnverifiedAnswer {
        by: EmailAddress,
        message_id: String,
    },
    /// The recipient's reply could not be carried out, and why; nothing changed.
    CommandRejected {
        #[serde(deserialize_with = "super::refusal::stored")]
        reason: Refusal,
    },
}

impl StaffNotice {
    /// A notice that one customer mail causes (one per mail): beyond the
    /// per-address caps these give way to one summary per address and hour.
    pub fn is_per_mail(&self) -> bool {
        matches!(
            self,
            StaffNotice::NewCase
                | StaffNotice::CustomerFollowUp { .. }
                | StaffNotice::EscalationRequested { .. }
        )
    }
}

/// A case being changed by one event, with the actions the change asks for.
pub(super) struct Change {
    pub(super) case: Case,
    pub(super) actions: Vec<Action>,
}

impl Change {
    pub(super) fn new(case: Case) -> Self {
        Change {
            case,
            actions: Vec::new(),
        }
    }

    fn next_seq(&mut self) -> u32 {
        let seq = self.case.next_message_seq;
        self.case.next_message_seq = seq.saturating_add(1);
        seq
    }

    /// Nothing goes to a customer whose case was withdrawn (`#notcomplaint`).
    pub(super) fn mail_customer(&mut self, mail: CustomerMail) {
        if self.case.status != Status::Withdrawn {
            let seq = self.next_seq();
            self.actions.push(Action::ToCustomer { seq, mail });
        }
    }

    /// One notice per distinct recipient, in the order given.
    pub(super) fn notify_staff(&mut self, recipients: &[EmailAddress], notice: StaffNotice) {
        let mut seen: Vec<String> = Vec::new();
        for to in recipients {
            if seen.contains(&to.key()) {
                continue;
            }
            seen.push(to.key());
            let seq = self.next_seq();
            self.actions.push(Action::ToStaff {
                seq,
                to: to.clone(),
                notice: notice.clone(),
            });
        }
    }

    pub(super) fn finish(self) -> (Case, Vec<Action>) {
        (self.case, self.actions)
    }
}
