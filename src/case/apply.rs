//! `apply`: one event moves a case to its next state and says what must be done.
//! Pure: `now` is passed in, nothing is read or written.

use chrono::{DateTime, NaiveDate, Utc};

use super::action::{Action, Change, CustomerMail, StaffNotice};
use super::assign;
use super::model::{Case, Event, Outcome, Status, Tier, Warning};
use super::rejected::Rejected;
use super::rules::Rules;
use crate::domain::EmailAddress;

/// Applies one event to a case. A rejected event changes nothing; the reason says why.
pub fn apply(
    case: &Case,
    event: &Event,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(Case, Vec<Action>), Rejected> {
    let mut change = Change::new(case.clone());
    let c = &mut change;
    match event {
        Event::Opened { .. } => return Err(Rejected::AlreadyOpened),
        Event::CustomerMail { message_id, .. } => customer_mail(c, message_id, rules),
        Event::EscalationRequested { message_id } => {
            escalation_requested(c, message_id, now, rules)
        }
        Event::Reconsideration {
            message_id,
            received_at,
        } => reconsideration(c, message_id, *received_at, now, rules),
        Event::Escalated { tier, reason } => escalated(c, *tier, reason, now, rules)?,
        Event::AcknowledgementSent { .. } => acknowledged(c, now),
        Event::AcknowledgedByStaff { .. } => {
            if c.case.acknowledged_at.is_some() {
                return Err(Rejected::AlreadyAcknowledged);
            }
            acknowledged(c, now)
        }
        Event::CustomerAddressChanged { address, .. } => c.case.customer = address.clone(),
        Event::Assigned { to, by } => assigned(c, to, by.as_ref(), rules),
        Event::Note { .. } | Event::LegalHold { .. } | Event::LegalHoldReleased { .. } => {}
        Event::CategorySet { category, .. } => c.case.category = Some(*category),
        Event::StaffAnswer {
            by,
            message_id,
            relayed,
        } => staff_answer(c, by, message_id, *relayed)?,
        Event::HoldingReply {
            reason,
            new_due,
            by,
        } => holding_reply(c, reason, *new_due, by.is_none(), now, rules)?,
        Event::Decided {
            outcome,
            by,
            referred,
        } => decided(c, *outcome, by, *referred, now, rules)?,
        Event::Closed { .. } => closed(c, now)?,
        Event::Reopened { .. } => reopened(c)?,
        Event::Withdrawn { .. } => withdrawn(c, now, rules)?,
        Event::ReminderSent {
            to,
            working_days_left,
        } => reminder(c, to, *working_days_left),
        Event::Bounced {
            message_id,
            original,
        } => bounced(c, message_id, original, rules),
        Event::Linked { other } => {
            if !c.case.related.contains(other) && *other != c.case.reference {
                c.case.related.push(other.clone());
            }
        }
        Event::RelatedConfirmed { other, .. } => {
            if !c.case.related.contains(other) && *other != c.case.reference {
                c.case.related.push(other.clone());
            }
        }
        Event::RelatedRemoved { other, .. } => c.case.related.retain(|r| r != other),
        Event::CauseSet { cause, .. } => c.case.cause = Some(cause.clone()),
        Event::MeasureSet { measure, .. } => c.case.measure = Some(measure.clone()),
        Event::Alarm { reason } => {
            let to = rules.escalation_recipients(&c.case);
            c.notify_staff(
                &to,
                StaffNotice::Alarm {
                    reason: reason.clone(),
                },
            );
        }
        Event::Warned { warning } => warned(c, *warning, rules),
        Event::Withheld { .. } => {}
        Event::UnverifiedAnswer { by, message_id } => {
            let to = rules.handlers(&c.case);
            let notice = StaffNotice::UnverifiedAnswer {
                by: by.clone(),
                message_id: message_id.clone(),
            };
            c.notify_staff(&to, notice);
        }
        Event::CommandRejected { by, reason } => {
            let notice = StaffNotice::CommandRejected {
                reason: reason.clone(),
            };
            c.notify_staff(std::slice::from_ref(by), notice);
        }
    }
    Ok(change.finish())
}

/// The date a decision was made, for telling staff.
fn decided_on(case: &Case, rules: &Rules) -> NaiveDate {
    let at = case.decided_at.unwrap_or(case.received_at);
    rules.calendar(case.jurisdiction).local_date(at)
}

/// Events that answer the customer need a case that still may be answered.
fn ensure_answerable(case: &Case, rules: &Rules) -> Result<(), Rejected> {
    match case.status {
        Status::Received | Status::Acknowledged | Status::OnHold => Ok(()),
        Status::Decided => Err(Rejected::AlreadyDecided(decided_on(case, rules))),
        Status::Closed => Err(Rejected::Closed),
        Status::Withdrawn => Err(Rejected::Withdrawn),
    }
}

fn customer_mail(c: &mut Change, message_id: &str, rules: &Rules) {
    c.case.last_customer_message_id = message_id.to_string();
    let to = rules.handlers(&c.case);
    let notice = StaffNotice::CustomerFollowUp {
        message_id: message_id.to_string(),
    };
    c.notify_staff(&to, notice);
}

/// The customer asked for the complaints manager: the case moves there, the manager
/// hears of it, and the customer is told who handles it now and by when.
fn escalation_requested(c: &mut Change, message_id: &str, now: DateTime<Utc>, rules: &Rules) {
    if c.case.status == Status::Withdrawn {
        return customer_mail(c, message_id, rules);
    }
    c.case.last_customer_message_id = message_id.to_string();
    c.case.tier = Tier::ComplaintsManager;
    c.case.escalated_at = Some(now);
    let manager = rules.manager_for(&c.case).map(|s| s.email.clone());
    let to = rules.escalation_recipients(&c.case);
    let notice = StaffNotice::EscalationRequested {
        message_id: message_id.to_string(),
    };
    c.notify_staff(&to, notice);
    let answer_due = c.case.answer_due;
    c.mail_customer(CustomerMail::EscalationNotice {
        tier: Tier::ComplaintsManager,
        handler: manager,
        answer_due,
    });
}

/// The customer is dissatisfied after the decision (or after the case closed):
/// the case reopens with the complaints manager (the second tier), with a new
/// answer date counted from this mail, and the customer is told who handles it
/// now. On an open case it is an escalation request; on a withdrawn case a mail.
fn reconsideration(
    c: &mut Change,
    message_id: &str,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: &Rules,
) {
    if matches!(c.case.status, Status::Decided | Status::Closed) {
        let due = rules.due_dates(c.case.jurisdiction, received_at);
        let case = &mut c.case;
        case.status = match case.acknowledged_at {
            Some(_) => Status::Acknowledged,
            None => Status::Received,
        };
        case.answer_due = due.answer_due;
        case.final_due = due.final_due;
        case.decided_at = None;
        case.outcome = None;
        case.closed_at = None;
        case.referred = false;
        case.holding_reply_at = None;
    }
    escalation_requested(c, message_id, now, rules);
}

fn escalated(
    c: &mut Change,
    tier: Tier,
    reason: &str,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Rejected> {
    if c.case.status == Status::Withdrawn {
        return Err(Rejected::Withdrawn);
    }
    if tier <= c.case.tier {
        return Err(Rejected::AlreadyAtTier(c.case.tier));
    }
    c.case.tier = tier;
    c.case.escalated_at = Some(now);
    let to = rules.escalation_recipients(&c.case);
    let notice = StaffNotice::Escalated {
        tier,
        reason: reason.to_string(),
    };
    c.notify_staff(&to, notice);
    Ok(())
}

fn acknowledged(c: &mut Change, now: DateTime<Utc>) {
    if c.case.status == Status::Received {
        c.case.status = Status::Acknowledged;
    }
    c.case.acknowledged_at.get_or_insert(now);
}

/// The new contact person gets the case. A complaint officer of the jurisdiction has
/// already had the new-case notice when the case opened.
fn assigned(c: &mut Change, to: &EmailAddress, by: Option<&EmailAddress>, rules: &Rules) {
    c.case.contact = Some(to.clone());
    let notice = match by {
        Some(by) => StaffNotice::Assigned {
            by: Some(by.clone()),
        },
        None => {
            let key = to.key();
            let informed = assign::complaint_officers_for(&rules.staff, c.case.jurisdiction)
                .any(|s| s.email.key() == key);
            if informed {
                return;
            }
            StaffNotice::NewCase
        }
    };
    c.notify_staff(std::slice::from_ref(to), notice);
}

fn staff_answer(
    c: &mut Change,
    by: &EmailAddress,
    message_id: &str,
    relayed: bool,
) -> Result<(), Rejected> {
    if !relayed {
        return Ok(());
    }
    if c.case.status == Status::Withdrawn {
        return Err(Rejected::Withdrawn);
    }
    c.mail_customer(CustomerMail::StaffAnswer {
        by: by.clone(),
        message_id: message_id.to_string(),
    });
    Ok(())
}

/// A holding reply gives a reason and a new date (see [`check_new_due`]).
fn holding_reply(
    c: &mut Change,
    reason: &str,
    new_due: NaiveDate,
    automatic: bool,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Rejected> {
    ensure_answerable(&c.case, rules)?;
    if reason.trim().is_empty() {
        return Err(Rejected::MissingReason);
    }
    check_new_due(&c.case, new_due, now, rules)?;
    c.case.status = Status::OnHold;
    c.case.answer_due = new_due;
    c.case.holding_reply_at = Some(now);
    c.mail_customer(CustomerMail::HoldingReply {
        reason: reason.to_string(),
        new_due,
    });
    if automatic {
        let to = rules.handlers(&c.case);
        c.notify_staff(&to, StaffNotice::AutomaticHoldingReply { new_due });
    }
    Ok(())
}

/// The date a holding reply promises must be a later working day than the answer
/// was due, not in the past, and not after the final answer date the law allows.
fn check_new_due(
    case: &Case,
    new_due: NaiveDate,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Rejected> {
    let cal = rules.calendar(case.jurisdiction);
    if new_due > case.final_due {
        return Err(Rejected::BeyondFinalDue {
            new_due,
            final_due: case.final_due,
            days: rules.policy.final_answer_within_days,
        });
    }
    // A holding reply promises a later answer; repeating one changes nothing.
    if new_due <= case.answer_due {
        return Err(if case.answer_due >= case.final_due {
            Rejected::NoLaterDateAllowed(case.final_due)
        } else {
            Rejected::NotLater {
                new_due,
                answer_due: case.answer_due,
            }
        });
    }
    if new_due < cal.local_date(now) {
        return Err(Rejected::InThePast(new_due));
    }
    if !cal.is_working_day(new_due) {
        return Err(Rejected::NotWorkingDay(new_due));
    }
    Ok(())
}

/// A decision is made once, unless the customer asked for a second review after it.
fn decided(
    c: &mut Change,
    outcome: Outcome,
    by: &EmailAddress,
    referred: bool,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Rejected> {
    let second_review = c.case.status == Status::Decided && c.case.escalated_at > c.case.decided_at;
    if !second_review {
        ensure_answerable(&c.case, rules)?;
    }
    c.case.status = Status::Decided;
    c.case.decided_at = Some(now);
    c.case.outcome = Some(outcome);
    c.case.referred = referred;
    c.mail_customer(CustomerMail::Decision {
        outcome,
        referral: referred,
        by: by.clone(),
    });
    Ok(())
}

fn closed(c: &mut Change, now: DateTime<Utc>) -> Result<(), Rejected> {
    match c.case.status {
        Status::Closed => Err(Rejected::AlreadyClosed),
        Status::Withdrawn => Err(Rejected::Withdrawn),
        _ => {
            c.case.status = Status::Closed;
            c.case.closed_at = Some(now);
            Ok(())
        }
    }
}

/// Back to work: the state it had before the decision, closure or withdrawal.
fn reopened(c: &mut Change) -> Result<(), Rejected> {
    let case = &mut c.case;
    if case.status.is_open() {
        return Err(Rejected::AlreadyOpen);
    }
    case.status = if case.holding_reply_at.is_some() && case.decided_at.is_none() {
        Status::OnHold
    } else if case.acknowledged_at.is_some() {
        Status::Acknowledged
    } else {
        Status::Received
    };
    case.closed_at = None;
    Ok(())
}

fn withdrawn(c: &mut Change, now: DateTime<Utc>, rules: &Rules) -> Result<(), Rejected> {
    match c.case.status {
        Status::Withdrawn => Err(Rejected::AlreadyWithdrawn),
        Status::Decided => Err(Rejected::AlreadyDecided(decided_on(&c.case, rules))),
        _ => {
            c.case.status = Status::Withdrawn;
            c.case.closed_at = Some(now);
            Ok(())
        }
    }
}

fn reminder(c: &mut Change, to: &EmailAddress, working_days_left: u32) {
    let notice = StaffNotice::Reminder {
        working_days_left,
        answer_due: c.case.answer_due,
    };
    c.notify_staff(std::slice::from_ref(to), notice);
}

fn bounced(c: &mut Change, message_id: &str, original: &Option<String>, rules: &Rules) {
    let to = rules.handlers(&c.case);
    let notice = StaffNotice::Bounce {
        message_id: message_id.to_string(),
        original: original.clone(),
    };
    c.notify_staff(&to, notice);
}

fn warned(c: &mut Change, warning: Warning, rules: &Rules) {
    // The prompt to send a holding reply is for whoever works the case; the
    // other warnings reach the manager first.
    let to = match warning {
        Warning::HoldingReplyDue { .. } => rules.handlers(&c.case),
        _ => rules.escalation_recipients(&c.case),
    };
    c.notify_staff(&to, StaffNotice::Warning { warning });
}
