//! A case's life: opening it, and replaying its timeline. The timeline is the
//! truth: `replay` of the events `open` and `apply` recorded gives the same case.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::action::{Action, Change, CustomerMail, StaffNotice};
use super::apply::apply;
use super::assign;
use super::model::{Case, Event, Status, Tier};
use super::rejected::Rejected;
use super::rules::Rules;
use crate::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};

/// What is known about a complaint when it opens a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    pub reference: CaseRef,
    pub mailbox: String,
    pub jurisdiction: Jurisdiction,
    pub language: Language,
    pub category: Option<Category>,
    pub customer: EmailAddress,
    pub customer_name: Option<String>,
    pub subject: String,
    /// The Message-ID of the customer's mail.
    pub message_id: String,
    pub received_at: DateTime<Utc>,
    /// The contact person, usually from [`assign::choose_contact`].
    pub contact: Option<EmailAddress>,
    /// The colleague whose forward brought the complaint in: told the case's
    /// reference and contact person.
    #[serde(default)]
    pub forwarded_by: Option<EmailAddress>,
    /// The staff member who opened the case with `#open` (klagebot had not taken
    /// the mail for a complaint): a label for retraining.
    #[serde(default)]
    /// The staff member who opened the case with `#open` on a forwarded mail.
    pub opened_by: Option<EmailAddress>,
}

/// The result of a step the core took on its own (opening, a fired deadline): the
/// new case, the events to append to the timeline and the actions to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub case: Case,
    pub events: Vec<Event>,
    pub actions: Vec<Action>,
}

/// Opens a case: the opening events (opened, assigned, categorised), the
/// acknowledgement and the notices to staff.
pub fn open(input: NewCase, now: DateTime<Utc>, rules: &Rules) -> Step {
    let opened = Event::Opened {
        message_id: input.message_id.clone(),
        from: input.customer.clone(),
        subject: input.subject.clone(),
        by: input.opened_by.clone(),
    };
    let mut events = vec![opened];
    events.extend(
        input
            .contact
            .clone()
            .map(|to| Event::Assigned { to, by: None }),
    );
    events.extend(
        input
            .category
            .map(|category| Event::CategorySet { category, by: None }),
    );
    let (mut case, mut actions) = opening(&input, rules);
    for event in &events[1..] {
        // Assigning and categorising a new case are accepted in every state.
        if let Ok((next, more)) = apply(&case, event, now, rules) {
            case = next;
            actions.extend(more);
        }
    }
    Step {
        case,
        events,
        actions,
    }
}

/// The case as its `Opened` event leaves it, with the acknowledgement and the
/// notices to the jurisdiction's complaint officers.
fn opening(input: &NewCase, rules: &Rules) -> (Case, Vec<Action>) {
    let due = rules.due_dates(input.jurisdiction, input.received_at);
    let case = Case {
        reference: input.reference.clone(),
        status: Status::Received,
        tier: Tier::ComplaintsDepartment,
        mailbox: input.mailbox.clone(),
        jurisdiction: input.jurisdiction,
        language: input.language,
        category: None,
        customer: input.customer.clone(),
        customer_name: input.customer_name.clone(),
        subject: input.subject.clone(),
        contact: None,
        received_at: input.received_at,
        acknowledge_due: due.acknowledge_due,
        answer_due: due.answer_due,
        final_due: due.final_due,
        acknowledged_at: None,
        holding_reply_at: None,
        decided_at: None,
        outcome: None,
        closed_at: None,
        escalated_at: None,
        referred: false,
        related: Vec::new(),
        customer_message_id: input.message_id.clone(),
        last_customer_message_id: input.message_id.clone(),
        next_message_seq: 1,
        cause: None,
        measure: None,
    };
    let mut change = Change::new(case);
    let answer_due = change.case.answer_due;
    change.mail_customer(CustomerMail::Acknowledgement {
        contact: input.contact.clone(),
        answer_due,
    });
    let officers: Vec<EmailAddress> =
        assign::complaint_officers_for(&rules.staff, input.jurisdiction)
            .map(|s| s.email.clone())
            .collect();
    change.notify_staff(&officers, StaffNotice::NewCase);
    if let Some(colleague) = &input.forwarded_by {
        change.notify_staff(std::slice::from_ref(colleague), StaffNotice::ForwardOpened);
    }
    change.finish()
}

/// Why a timeline could not be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("the timeline is empty")]
    Empty,
    #[error("the timeline does not start with the opening of the case")]
    NotOpenedFirst,
    #[error("event {index} ({kind}) cannot be replayed: {reason}")]
    Rejected {
        index: usize,
        kind: &'static str,
        reason: Rejected,
    },
}

/// Rebuilds a case from its timeline. Only the facts no event changes are read from
/// `facts` (reference, mailbox, jurisdiction, language, customer name, received at);
/// everything else comes from the events, under the same `rules`.
pub fn replay(
    facts: &Case,
    events: &[(DateTime<Utc>, Event)],
    rules: &Rules,
) -> Result<Case, ReplayError> {
    let ((_, first), rest) = events.split_first().ok_or(ReplayError::Empty)?;
    let Event::Opened {
        message_id,
        from,
        subject,
        by,
    } = first
    else {
        return Err(ReplayError::NotOpenedFirst);
    };
    let input = NewCase {
        reference: facts.reference.clone(),
        mailbox: facts.mailbox.clone(),
        jurisdiction: facts.jurisdiction,
        language: facts.language,
        category: None,
        customer: from.clone(),
        customer_name: facts.customer_name.clone(),
        subject: subject.clone(),
        message_id: message_id.clone(),
        received_at: facts.received_at,
        contact: None,
        forwarded_by: None,
        opened_by: by.clone(),
    };
    let (mut case, _) = opening(&input, rules);
    for (index, (at, event)) in rest.iter().enumerate() {
        case = match apply(&case, event, *at, rules) {
            Ok((next, _)) => next,
            Err(reason) => {
                return Err(ReplayError::Rejected {
                    index: index + 1,
                    kind: event.kind(),
                    reason,
                });
            }
        };
    }
    Ok(case)
}
