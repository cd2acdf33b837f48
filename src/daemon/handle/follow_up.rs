//! The customer writes again in their own case: the mail joins the case's
//! timeline and the contact person is told; asking for the complaints manager
//! escalates the case. After the decision (or once the case is closed), a reply
//! that is still dissatisfied reopens it with the complaints manager; a neutral
//! one (thanks, "ok") is only attached, and the contact person told.

use crate::case::{Event, Status};
use crate::daemon::inbound::{Env, Handled, Inbound, Lookups};
use crate::domain::CaseRef;
use crate::record::{CaseChange, Extras};

pub async fn handle(
    inbound: &Inbound<'_>,
    reference: &CaseRef,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let mail = inbound.mail;
    let case = crate::daemon::inbound::existing(look, reference).await?;
    let c = &inbound.classification;
    let settled = matches!(case.status, Status::Decided | Status::Closed);
    let event = if settled && (c.complaint || c.escalation_request) {
        Event::Reconsideration {
            message_id: mail.message_id.clone(),
            received_at: inbound.received_at,
        }
    } else if c.escalation_request {
        Event::EscalationRequested {
            message_id: mail.message_id.clone(),
        }
    } else {
        Event::CustomerMail {
            message_id: mail.message_id.clone(),
            subject: mail.subject.clone(),
        }
    };
    let what = event.kind().replace('_', " ");
    let extras = Extras::from_customer_mail(mail);
    let (change, result) = CaseChange::of_event(&case, event, extras, inbound.now, env.rules);
    let note = match result {
        Ok(()) => format!("{what} in case {reference}"),
        Err(rejected) => format!("customer mail in case {reference}, no state change: {rejected}"),
    };
    let changes = vec![change.filing(&mail.message_id)];
    Ok(Handled::in_case(
        reference.clone(),
        changes,
        "follow_up",
        note,
        true,
    ))
}
