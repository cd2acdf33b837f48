//! A staff member wrote to the customer directly and copied us, with the case's
//! reference in the subject: the mail is recorded as the answer (nothing is sent).

use crate::case::Event;
use crate::daemon::inbound::{Env, Handled, Inbound, Lookups};
use crate::domain::{CaseRef, EmailAddress};
use crate::record::{CaseChange, Extras};

pub async fn handle(
    inbound: &Inbound<'_>,
    reference: &CaseRef,
    by: &EmailAddress,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let mail = inbound.mail;
    let case = crate::daemon::inbound::existing(look, reference).await?;
    let event = Event::StaffAnswer {
        by: by.clone(),
        message_id: mail.message_id.clone(),
        relayed: false,
    };
    let (change, result) =
        CaseChange::of_event(&case, event, Extras::default(), inbound.now, env.rules);
    let note = match result {
        Ok(()) => {
            format!("answer by {by} sent directly to the customer, recorded in case {reference}")
        }
        Err(rejected) => {
            format!("answer by {by} recorded in case {reference}; case unchanged: {rejected}")
        }
    };
    let changes = vec![change.filing(&mail.message_id)];
    Ok(Handled::in_case(
        reference.clone(),
        changes,
        "staff_answer",
        note,
        true,
    ))
}
