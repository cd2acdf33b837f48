//! The sender: drains the outbox through the configured transport and records
//! what each delivery means for its case (a delivered acknowledgement moves the
//! case on). Transient failures are retried with backoff, permanent ones are
//! marked and logged (and a customer's case gets them as a bounce, its contact
//! person alerted); a per-address limit stops any mail loop that got past the
//! automated-mail rules.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tracing::{Instrument, error, info, info_span, warn};

use super::Daemon;
use crate::alarm::Login;
use crate::case::Event;
use crate::domain::{EmailAddress, strip_angle_brackets};
use crate::record::{ACKNOWLEDGEMENT_KIND, BounceFacts, CaseChange, Extras, load_case};
use crate::runtime::Shutdown;
use crate::store::Outgoing;

const BATCH: usize = 50;
/// Mails handed to the transport at the same time.
const IN_FLIGHT: usize = 8;
/// A claimed mail whose sender died is claimed again after this.
const LEASE: Duration = Duration::from_secs(300);
const IDLE_WAKE: Duration = Duration::from_secs(5);

/// Delivers until shutdown; wakes when a transaction queued mail.
pub async fn run(daemon: Arc<Daemon>, mut shutdown: Shutdown) {
    let mut backoff = Duration::from_secs(1);
    while !shutdown.is_requested() {
        match deliver_due(&daemon).await {
            Ok(0) => {
                backoff = Duration::from_secs(1);
                tokio::select! {
                    _ = daemon.wake.outbox.notified() => {}
                    _ = tokio::time::sleep(IDLE_WAKE) => {}
                    _ = shutdown.requested() => {}
                }
            }
            Ok(_) => backoff = Duration::from_secs(1),
            Err(err) => {
                error!(
                    error = format!("{err:#}"),
                    "outbox delivery failed; will retry"
                );
                shutdown.sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
    info!("sender stopped");
}

/// Claims and delivers one batch of due mail; returns how many were claimed.
/// Tests call this directly.
pub async fn deliver_due(daemon: &Daemon) -> anyhow::Result<usize> {
    let now = daemon.clock.now();
    let batch = daemon
        .store
        .claim_outgoing(now, BATCH as u32, LEASE)
        .await?;
    let count = batch.len();
    // A mail server takes tens of milliseconds per mail; several in flight over the
    // transport's connection pool keep a backlog from queueing behind each other.
    let outcomes: Vec<anyhow::Result<()>> = futures::stream::iter(batch)
        .map(|mail| async move {
            let span = info_span!(
                "outgoing",
                case = mail.case_ref.as_ref().map(|r| r.to_string()).unwrap_or_default(),
                kind = %mail.kind,
                message_id = %mail.message_id
            );
            deliver_one(daemon, &mail, now).instrument(span).await
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    outcomes.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(count)
}

async fn deliver_one(daemon: &Daemon, mail: &Outgoing, now: DateTime<Utc>) -> anyhow::Result<()> {
    let recipients = match parse_recipients(&mail.recipients) {
        Ok(list) => list,
        Err(bad) => {
            warn!(recipient = %bad, "unusable recipient address; not sent");
            let why = format!("unusable recipient address {bad:?}");
            daemon.store.mark_failed(mail.id, &why, now).await?;
            return undeliverable(daemon, mail, &why, now).await;
        }
    };
    let from = EmailAddress::parse(&mail.envelope_from)?;
    match daemon.transport.send(&from, &recipients, &mail.raw).await {
        Ok(()) => {
            daemon.login_works(&Login::Outgoing).await;
            // The moment the server took it, not when the batch was claimed.
            let sent_at = daemon.clock.now();
            if let Err(err) = delivered(daemon, mail, sent_at).await {
                // Never send it twice: at least record the delivery itself.
                error!(
                    error = format!("{err:#}"),
                    "delivered, but its case could not be updated"
                );
                daemon.store.mark_sent(mail.id, sent_at).await?;
            }
            info!(recipients = recipients.len(), "mail sent");
            daemon.metrics.mail_sent(&mail.kind);
        }
        Err(err) if err.is_login_failure() => {
            daemon.login_failed(&Login::Outgoing, &err).await;
            let wait = retry_delay(mail.attempts);
            warn!(error = %err, retry_in_s = wait.num_seconds(), "cannot log in to the SMTP server; the mail waits");
            daemon
                .store
                .mark_retry(mail.id, &err.to_string(), now + wait)
                .await?;
        }
        Err(err)
            if err.is_transient() && mail.attempts + 1 < daemon.config.outgoing.max_attempts =>
        {
            let wait = retry_delay(mail.attempts);
            warn!(error = %err, attempt = mail.attempts + 1, retry_in_s = wait.num_seconds(), "sending failed; will retry");
            daemon
                .store
                .mark_retry(mail.id, &err.to_string(), now + wait)
                .await?;
        }
        Err(err) => {
            error!(error = %err, attempts = mail.attempts + 1, "sending failed for good");
            daemon.metrics.mail_failed(&mail.kind);
            let why = err.to_string();
            daemon.store.mark_failed(mail.id, &why, now).await?;
            undeliverable(daemon, mail, &why, now).await?;
        }
    }
    Ok(())
}

/// Records a delivered mail, and what its delivery changes (an acknowledgement
/// moves its case on), in one transaction.
async fn delivered(daemon: &Daemon, mail: &Outgoing, sent_at: DateTime<Utc>) -> anyhow::Result<()> {
    let mut tx = daemon.store.begin().await?;
    tx.mark_sent(mail.id, sent_at).await?;
    if let (Some(reference), true) = (&mail.case_ref, mail.kind == ACKNOWLEDGEMENT_KIND) {
        let case = load_case(&mut tx, reference).await?;
        let event = Event::AcknowledgementSent {
            message_id: strip_angle_brackets(&mail.message_id).to_string(),
        };
        let rules = &daemon.recorder.rules;
        match CaseChange::of_event(&case, event, Extras::default(), sent_at, rules) {
            (change, Ok(())) => {
                daemon.recorder.write(&mut tx, &change, sent_at).await?;
                info!(case = %reference, "acknowledgement delivered");
            }
            (_, Err(rejected)) => {
                info!(case = %reference, reason = %rejected, "acknowledgement delivered; case unchanged")
            }
        }
    }
    tx.commit().await
}

/// Records that `mail` failed for good with `reason`: a mail to a customer is
/// attached to its case as a bounce and the contact person is alerted with the
/// subject the customer did not get. Mail that is not to a customer of a case
/// (staff notices, command replies) is only logged.
async fn undeliverable(
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
    let id = strip_angle_brackets(&mail.message_id).to_string();
    let event = Event::Bounced {
        message_id: id.clone(),
        original: Some(id),
    };
    let extras = Extras {
        bounce: Some(BounceFacts {
            subject: crate::parse::parse(&mail.raw).subject,
            reason: Some(reason.to_string()),
        }),
        ..Extras::default()
    };
    match CaseChange::of_event(&case, event, extras, now, &daemon.recorder.rules) {
        (change, Ok(())) => {
            daemon.recorder.write(&mut tx, &change, now).await?;
            tx.commit().await?;
            daemon.wake.outbox.notify_one();
            info!(case = %reference, "undeliverable mail attached to the case; staff alerted");
        }
        (_, Err(rejected)) => {
            tx.rollback().await?;
            warn!(case = %reference, reason = %rejected, "undeliverable mail could not be recorded on the case");
        }
    }
    Ok(())
}

fn parse_recipients(list: &[String]) -> Result<Vec<EmailAddress>, String> {
    list.iter()
        .map(|r| EmailAddress::parse(r).map_err(|_| r.clone()))
        .collect()
}

/// 30 s, 1 min, 2 min, … up to one hour between attempts.
fn retry_delay(attempts: u32) -> chrono::Duration {
    let seconds = 30i64.saturating_mul(1i64 << attempts.min(7));
    chrono::Duration::seconds(seconds.min(3600))
}

#[cfg(test)]
mod tests {
    use super::retry_delay;

    #[test]
    fn retries_back_off_up_to_an_hour() {
        assert_eq!(retry_delay(0).num_seconds(), 30);
        assert_eq!(retry_delay(1).num_seconds(), 60);
        assert_eq!(retry_delay(6).num_seconds(), 1920);
        assert_eq!(retry_delay(20).num_seconds(), 3600);
    }
}
