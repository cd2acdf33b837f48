//! Mail of ours that did not arrive. A bounce that comes back by mail is attached
//! to its case; a mail to a customer refused for good when we handed it over (an
//! unusable address, a 5xx, retries used up) is attached as a bounce too. Either
//! way the contact person is alerted with the subject of the mail the customer did
//! not get; a bounced staff notice is only kept and logged.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::Daemon;
use super::changes::{apply_mail_event, load_case, write_step};
use super::letters::{BounceFacts, Extras};
use super::pipeline::{Inbound, Outcome, strip_angle};
use crate::case::{self, Event};
use crate::domain::CaseRef;
use crate::store::{Direction, Outgoing, Tx};

/// Records that `mail` failed for good with `reason`. Mail that is not to a
/// customer of a case (staff notices, command replies) is only logged by the sender.
pub async fn after_failed(
    daemon: &Daemon,
    mail: &Outgoing,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(reference) = &mail.case_ref else {
        return Ok(());
    };
    if !mail.kind.starts_with("customer_") {
        return Ok(());
    }
    let mut tx = daemon.store.begin().await?;
    let case = load_case(&mut tx, reference).await?;
    let id = strip_angle(&mail.message_id).to_string();
    let event = Event::Bounced {
        message_id: id.clone(),
        original: Some(id),
    };
    match case::apply(&case, &event, now, &daemon.rules) {
        Ok((next, actions)) => {
            let extras = Extras {
                bounce: Some(BounceFacts {
                    subject: crate::parse::parse(&mail.raw).subject,
                    reason: Some(reason.to_string()),
                }),
                ..Extras::default()
            };
            write_step(daemon, &mut tx, &next, &[event], &actions, &extras, now).await?;
            tx.commit().await?;
            daemon.outbox_ready.notify_one();
            info!(case = %reference, "undeliverable mail attached to the case; staff alerted");
        }
        Err(rejected) => {
            tx.rollback().await?;
            warn!(case = %reference, reason = %rejected, "undeliverable mail could not be recorded on the case");
        }
    }
    Ok(())
}

/// A bounce that came back by mail, in case `reference`: attached to the case. When
/// the mail that bounced was to the customer, the contact person is alerted with
/// its subject; a bounced staff notice is only kept and logged, since the customer
/// did get their mail and the notice's recipient would not get the alert either.
pub(super) async fn bounce(
    daemon: &Daemon,
    tx: &mut Tx,
    inbound: &Inbound<'_>,
    reference: &CaseRef,
) -> anyhow::Result<Outcome> {
    let mail = inbound.mail;
    let event = Event::Bounced {
        message_id: mail.message_id.clone(),
        original: mail.bounced_message_id.clone(),
    };
    let original = bounced_mail(tx, reference, mail.bounced_message_id.as_deref()).await?;
    if let Some(sent) = original
        .as_ref()
        .filter(|m| !m.kind.starts_with("customer_"))
    {
        tx.record_message_id(&mail.message_id, reference, Direction::In)
            .await?;
        tx.append_event(reference, inbound.now, &event).await?;
        warn!(case = %reference, kind = %sent.kind, recipients = ?sent.recipients, "a staff notice bounced; kept with the case");
        let note = format!("bounce of our {} in case {reference}", sent.kind);
        return Ok(Outcome::in_case(reference.clone(), "bounce", note, false));
    }
    let mut extras = Extras::from_bounce(mail);
    if let (Some(facts), Some(sent)) = (extras.bounce.as_mut(), &original) {
        facts.subject = crate::parse::parse(&sent.raw).subject;
    }
    let note = match apply_mail_event(daemon, tx, reference, mail, &event, &extras, inbound.now)
        .await?
    {
        Ok(()) => format!("bounce of our mail in case {reference}: the customer did not get it"),
        Err(rejected) => {
            format!("bounce of our mail in case {reference}, case unchanged: {rejected}")
        }
    };
    Ok(Outcome::in_case(reference.clone(), "bounce", note, false))
}

/// Our mail `original` (a Message-ID) in case `reference`, if we sent it.
async fn bounced_mail(
    tx: &mut Tx,
    reference: &CaseRef,
    original: Option<&str>,
) -> anyhow::Result<Option<Outgoing>> {
    let Some(original) = original.map(strip_angle) else {
        return Ok(None);
    };
    let sent = tx.outgoing_for_case(reference).await?;
    Ok(sent
        .into_iter()
        .find(|m| strip_angle(&m.message_id) == original))
}
