//! A staff reply to a case notification, turned into timeline events: its commands,
//! or the answer to relay to the customer. Applied all or nothing, so that a reply
//! with one impossible command changes nothing.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::apply::apply;
use super::command::{StaffCommand, StaffReply, parse_commands};
use super::life::Step;
use super::model::{Case, Event};
use super::refusal::Refusal;
use super::rejected::Rejected;
use super::rules::Rules;
use std::collections::HashMap;

use crate::domain::{CaseRef, EmailAddress};

/// The events a staff reply (inbound message `message_id` from `by`) stands for.
/// The body is relayed to the customer unless a command uses it: `#note` (the note),
/// `#decision` (the reasoned answer, sent as the decision), `#extend` (added to the
/// reason), `#answered` (the answer was given elsewhere) or `#notcomplaint`
/// (nothing more goes to the customer), `#hold`/`#unhold` (internal). Below any other
/// command (`#assign`, `#category`, `#address`, `#acknowledged`, `#close`, `#open`)
/// it is relayed as an ordinary answer: to the new address after `#address`.
pub fn staff_events(
    case: &Case,
    reply: &StaffReply,
    by: &EmailAddress,
    message_id: &str,
    rules: &Rules,
    causes: &HashMap<CaseRef, String>,
) -> Result<Vec<Event>, Rejected> {
    if !rules.is_staff(by) {
        return Err(Rejected::NotStaff(by.clone()));
    }
    let mut events = Vec::new();
    for command in &reply.commands {
        let event = match command {
            StaffCommand::Cause { text, from } => cause_event(text, from.as_ref(), by, causes),
            other => command_event(case, other, reply, by, message_id, rules)?,
        };
        events.push(event);
    }
    let uses_body = reply.commands.iter().any(|c| {
        matches!(
            c,
            StaffCommand::Note { .. }
                | StaffCommand::Decision { .. }
                | StaffCommand::Extend { .. }
                | StaffCommand::Answered
                | StaffCommand::NotComplaint
                | StaffCommand::Hold { .. }
                | StaffCommand::Unhold
                | StaffCommand::Related { .. }
                | StaffCommand::Unrelated { .. }
                | StaffCommand::Cause { .. }
                | StaffCommand::Measure { .. }
        )
    });
    if !uses_body && !reply.body.trim().is_empty() {
        let answer = Event::StaffAnswer {
            by: by.clone(),
            message_id: message_id.to_string(),
            relayed: true,
        };
        // Relay before closing; after reopening.
        let reopens = reply.commands.contains(&StaffCommand::Open);
        let at = if reopens { events.len() } else { 0 };
        events.insert(at, answer);
    }
    Ok(events)
}

fn command_event(
    case: &Case,
    command: &StaffCommand,
    reply: &StaffReply,
    by: &EmailAddress,
    message_id: &str,
    rules: &Rules,
) -> Result<Event, Rejected> {
    let by_staff = Some(by.clone());
    let event = match command {
        StaffCommand::Note { text } => Event::Note {
            by: by.clone(),
            text: joined(text, &reply.body),
        },
        StaffCommand::Assign { to } => Event::Assigned {
            to: configured(to, rules)?,
            by: by_staff,
        },
        StaffCommand::Extend { until, reason } => Event::HoldingReply {
            reason: joined(reason, &reply.body),
            new_due: until.unwrap_or(case.final_due),
            by: by_staff,
        },
        StaffCommand::Decision { outcome } => {
            if reply.body.trim().is_empty() {
                return Err(Rejected::EmptyDecision);
            }
            Event::Decided {
                outcome: *outcome,
                by: by.clone(),
                referred: outcome.needs_referral(),
            }
        }
        StaffCommand::Category { category } => Event::CategorySet {
            category: *category,
            by: by_staff,
        },
        StaffCommand::Address { to } => Event::CustomerAddressChanged {
            address: to.clone(),
            by: by.clone(),
        },
        StaffCommand::Acknowledged => Event::AcknowledgedByStaff { by: by.clone() },
        // Recorded, not relayed: the customer has the answer already.
        StaffCommand::Answered => Event::StaffAnswer {
            by: by.clone(),
            message_id: message_id.to_string(),
            relayed: false,
        },
        StaffCommand::Close => Event::Closed { by: by_staff },
        StaffCommand::Open => Event::Reopened { by: by_staff },
        StaffCommand::NotComplaint => Event::Withdrawn { by: by.clone() },
        StaffCommand::Hold { reason } => Event::LegalHold {
            by: by.clone(),
            reason: reason.clone(),
        },
        StaffCommand::Unhold => Event::LegalHoldReleased { by: by.clone() },
        StaffCommand::Related { other } => Event::RelatedConfirmed {
            other: other.clone(),
            by: by.clone(),
        },
        StaffCommand::Unrelated { other } => Event::RelatedRemoved {
            other: other.clone(),
            by: by.clone(),
        },
        StaffCommand::Cause { text, .. } => Event::CauseSet {
            cause: text.clone(),
            by: by.clone(),
            from: None,
        },
        StaffCommand::Measure { measure } => Event::MeasureSet {
            measure: measure.clone(),
            by: by.clone(),
        },
    };
    Ok(event)
}

/// `#cause`: its text, or, given a case reference, that case's cause (from
/// `causes`, which the caller read); a case without one is named as the cause.
fn cause_event(
    text: &str,
    from: Option<&CaseRef>,
    by: &EmailAddress,
    causes: &HashMap<CaseRef, String>,
) -> Event {
    match from {
        Some(other) => Event::CauseSet {
            cause: causes
                .get(other)
                .cloned()
                .unwrap_or_else(|| format!("as in {other}")),
            by: by.clone(),
            from: Some(other.clone()),
        },
        None => Event::CauseSet {
            cause: text.to_string(),
            by: by.clone(),
            from: None,
        },
    }
}

/// The staff member's address as configured (its canonical spelling).
fn configured(address: &EmailAddress, rules: &Rules) -> Result<EmailAddress, Rejected> {
    let key = address.key();
    rules
        .staff
        .iter()
        .find(|s| s.email.key() == key)
        .map(|s| s.email.clone())
        .ok_or_else(|| Rejected::NotStaff(address.clone()))
}

fn joined(line: &str, body: &str) -> String {
    match (line.trim().is_empty(), body.trim().is_empty()) {
        (_, true) => line.trim().to_string(),
        (true, false) => body.trim().to_string(),
        (false, false) => format!("{}\n\n{}", line.trim(), body.trim()),
    }
}

/// Applies events in order, all or nothing: the first rejection rejects them all.
pub fn apply_all(
    case: &Case,
    events: &[Event],
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(Case, Vec<Action>), Rejected> {
    let mut current = case.clone();
    let mut actions = Vec::new();
    for event in events {
        let (next, more) = apply(&current, event, now, rules)?;
        current = next;
        actions.extend(more);
    }
    Ok((current, actions))
}

/// A staff reply worked through: what happened, the parsed reply (its body is the
/// decision's reasoned answer or the text to relay), or why nothing happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkedReply {
    pub step: Step,
    pub reply: Option<StaffReply>,
    /// Set when the reply changed nothing; the sender is told (if configured staff).
    pub rejected: Option<Refusal>,
}

/// Works a staff reply to a case, all or nothing. The caller has checked the reply
/// token. A reply from an address that is not configured staff changes nothing and
/// is answered by nothing (the caller logs it); a reply with a mistyped or impossible
/// command is recorded as rejected and its sender told why.
pub fn work_staff_reply(
    case: &Case,
    text: &str,
    by: &EmailAddress,
    message_id: &str,
    now: DateTime<Utc>,
    rules: &Rules,
) -> WorkedReply {
    work_staff_reply_with(case, text, by, message_id, now, rules, &HashMap::new())
}

/// [`work_staff_reply`], with the causes of the cases a `#cause REF` names.
pub fn work_staff_reply_with(
    case: &Case,
    text: &str,
    by: &EmailAddress,
    message_id: &str,
    now: DateTime<Utc>,
    rules: &Rules,
    causes: &HashMap<CaseRef, String>,
) -> WorkedReply {
    let unchanged = |reason: Refusal, reply: Option<StaffReply>| WorkedReply {
        step: Step {
            case: case.clone(),
            events: Vec::new(),
            actions: Vec::new(),
        },
        reply,
        rejected: Some(reason),
    };
    if !rules.is_staff(by) {
        return unchanged(Rejected::NotStaff(by.clone()).into(), None);
    }
    let reply = match parse_commands(text) {
        Ok(reply) => reply,
        Err(err) => return rejected(case, by, err.into(), None, now, rules),
    };
    let worked = staff_events(case, &reply, by, message_id, rules, causes).and_then(|events| {
        let (next, actions) = apply_all(case, &events, now, rules)?;
        Ok(Step {
            case: next,
            events,
            actions,
        })
    });
    match worked {
        Ok(step) => WorkedReply {
            step,
            reply: Some(reply),
            rejected: None,
        },
        Err(err) => rejected(case, by, err.into(), Some(reply), now, rules),
    }
}

fn rejected(
    case: &Case,
    by: &EmailAddress,
    reason: Refusal,
    reply: Option<StaffReply>,
    now: DateTime<Utc>,
    rules: &Rules,
) -> WorkedReply {
    let event = Event::CommandRejected {
        by: by.clone(),
        reason: reason.clone(),
    };
    let (next, actions) = match apply(case, &event, now, rules) {
        Ok(done) => done,
        Err(_) => (case.clone(), Vec::new()),
    };
    WorkedReply {
        step: Step {
            case: next,
            events: vec![event],
            actions,
        },
        reply,
        rejected: Some(reason),
    }
}
