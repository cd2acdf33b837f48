//! Mail that did not reach the customer. One refused for good when we handed it
//! over (or with an unusable address, or retries used up) is attached to its case
//! as a bounce and the contact person alerted, as a bounce that comes back by mail
//! is; and the alert for either names which of our mails it was.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::Daemon;
use super::letters::{BounceFacts, Extras};
use super::pipeline::{load_case, strip_angle, write_step};
use crate::case::{self, Event};
use crate::store::Outgoing;

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

/// The subject of our mail `original` (a Message-ID) in case `reference`, for
/// telling staff which mail bounced; a DSN's own subject says nothing about that.
pub(super) async fn bounced_subject(
    daemon: &Daemon,
    reference: &crate::domain::CaseRef,
    original: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let Some(original) = original.map(strip_angle) else {
        return Ok(None);
    };
    let sent = daemon.store.outgoing_for_case(reference).await?;
    Ok(sent
        .iter()
        .find(|m| strip_angle(&m.message_id) == original)
        .map(|m| crate::parse::parse(&m.raw).subject))
}
