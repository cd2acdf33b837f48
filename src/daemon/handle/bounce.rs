//! A bounce of our own mail, in its case (named by the signed envelope sender it
//! came back to, never by the DSN's text): attached to the case. When the mail
//! that bounced was to the customer, the contact person is alerted with its
//! subject (the customer did not get it); a bounced staff notice is only kept
//! and logged, since the customer did get their mail and the notice's recipient
//! would not get the alert either.

use tracing::warn;

use crate::case::Event;
use crate::daemon::inbound::{Env, Handled, Inbound, Lookups};
use crate::domain::{CaseRef, strip_angle_brackets};
use crate::record::{CaseChange, ChangeKind, Extras};
use crate::store::Outgoing;

pub async fn handle(
    inbound: &Inbound<'_>,
    reference: &CaseRef,
    seq: u32,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let mail = inbound.mail;
    let case = crate::daemon::inbound::existing(look, reference).await?;
    let original = bounced_mail(look, reference, seq).await?;
    let event = Event::Bounced {
        message_id: mail.message_id.clone(),
        original: original
            .as_ref()
            .map(|m| strip_angle_brackets(&m.message_id).to_string()),
    };
    if let Some(sent) = original
        .as_ref()
        .filter(|m| !m.kind.starts_with("customer_"))
    {
        warn!(case = %reference, kind = %sent.kind, recipients = ?sent.recipients, "a staff notice bounced; kept with the case");
        let kept = CaseChange {
            case,
            kind: ChangeKind::Refused,
            events: vec![event],
            actions: Vec::new(),
            extras: Extras::default(),
            files: Some(mail.message_id.clone()),
            echo: false,
            keys: Vec::new(),
        };
        let note = format!("bounce of our {} in case {reference}", sent.kind);
        return Ok(Handled::in_case(
            reference.clone(),
            vec![kept],
            "bounce",
            note,
            false,
        ));
    }
    let mut extras = Extras::from_bounce(mail);
    if let (Some(facts), Some(sent)) = (extras.bounce.as_mut(), &original) {
        facts.subject = crate::parse::parse(&sent.raw).subject;
    }
    let (change, result) = CaseChange::of_event(&case, event, extras, inbound.now, env.rules);
    let note = match result {
        Ok(()) => format!("bounce of our mail in case {reference}: the customer did not get it"),
        Err(rejected) => {
            format!("bounce of our mail in case {reference}, case unchanged: {rejected}")
        }
    };
    let changes = vec![change.filing(&mail.message_id)];
    Ok(Handled::in_case(
        reference.clone(),
        changes,
        "bounce",
        note,
        false,
    ))
}

/// Our mail number `seq` in case `reference`, if we sent it.
async fn bounced_mail(
    look: &mut impl Lookups,
    reference: &CaseRef,
    seq: u32,
) -> anyhow::Result<Option<Outgoing>> {
    let sent = look.sent_in_case(reference).await?;
    let prefix = reference.prefix();
    Ok(sent.into_iter().find(|m| {
        crate::outbox::parse_our_message_id(&m.message_id, prefix) == Some((reference.clone(), seq))
    }))
}
