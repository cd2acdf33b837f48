//! A staff member wrote to the customer directly and copied us, with the case's
//! reference in its subject: nothing is sent. When our MX vouched for the
//! sender the mail is recorded as the answer; without a way to check (no
//! `security.authserv_id`) it is kept on the timeline as unverified, never
//! counted as the answer, and the contact person is asked to confirm it.

use crate::case::Event;
use crate::daemon::inbound::{Env, Handled, Inbound, Lookups};
use crate::domain::{CaseRef, EmailAddress};
use crate::record::{CaseChange, Extras};

pub async fn handle(
    inbound: &Inbound<'_>,
    reference: &CaseRef,
    by: &EmailAddress,
    verified: bool,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let mail = inbound.mail;
    let case = crate::daemon::inbound::existing(look, reference).await?;
    let message_id = mail.message_id.clone();
    let (event, extras, action) = match verified {
        true => (
            Event::StaffAnswer {
                by: by.clone(),
                message_id,
                relayed: false,
            },
            Extras::default(),
            "staff_answer",
        ),
        false => (
            Event::UnverifiedAnswer {
                by: by.clone(),
                message_id,
            },
            Extras {
                customer_text: Some(mail.new_text.clone()),
                ..Extras::default()
            },
            "unverified_answer",
        ),
    };
    let (change, result) = CaseChange::of_event(&case, event, extras, inbound.now, env.rules);
    let what = match verified {
        true => "a staff answer sent directly to the customer, recorded",
        false => {
            "an answer copied to us that our MX could not vouch for: kept as unverified, \
             the contact person is asked to confirm it"
        }
    };
    let note = match result {
        Ok(()) => format!("{what} in case {reference}"),
        Err(rejected) => format!("{what} in case {reference}; case unchanged: {rejected}"),
    };
    let changes = vec![change.filing(&mail.message_id)];
    Ok(Handled::in_case(
        reference.clone(),
        changes,
        action,
        note,
        true,
    ))
}
