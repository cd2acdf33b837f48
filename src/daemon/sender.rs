//! The sender: drains the outbox through the configured transport and records
//! what each delivery means for its case (a delivered acknowledgement moves the
//! case on), each mail on its own right after the server's reply. Transient
//! failures are retried with backoff (each attempt counted once: the first retry
//! 30 s after the first failure, `max_attempts` attempts in all), permanent ones
//! are marked and logged (and a customer's case gets them as a bounce, its
//! contact person alerted); a per-address limit stops any mail loop that got
//! past the automated-mail rules.
//!
//! When the server is not there at all, one probe (connect, then quit) with its
//! own backoff of at most 2 s decides when it is back, and then every mail
//! waiting is due at once: mail does not wait for its own timer after an outage.
//! A mail the server accepted whose delivery could not be written (the database
//! is down, the disk full) is kept in memory and written before anything else is
//! sent, so it is neither sent twice nor missing from its case. On shutdown the
//! mail being sent finishes; the rest of the batch is given back untried.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tracing::{Instrument, debug, error, info, info_span, warn};

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
/// A claim not renewed for this long is free again; the heartbeat renews the
/// claims of a live instance every second, and a dead instance's claims are
/// free as soon as it stops beating.
pub const LEASE: Duration = Duration::from_secs(30);
const IDLE_WAKE: Duration = Duration::from_secs(5);
/// The longest wait between two probes of a server that is down (a connect and
/// a QUIT): short, so the queue moves within seconds of the server's return.
const MAX_PROBE_BACKOFF: Duration = Duration::from_secs(2);
/// The longest wait between two tries after the outbox itself failed.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long the sender waits for a database that cannot commit before trying again.
const STORE_RECHECK: Duration = Duration::from_secs(5);

/// Deliveries the server accepted whose state could not be written yet.
#[derive(Debug, Default)]
pub struct Unrecorded(Mutex<Vec<(Outgoing, DateTime<Utc>)>>);

impl Unrecorded {
    fn remember(&self, mail: &Outgoing, sent_at: DateTime<Utc>) {
        self.lock().push((mail.clone(), sent_at));
    }

    fn take(&self) -> Vec<(Outgoing, DateTime<Utc>)> {
        std::mem::take(&mut *self.lock())
    }

    /// How many are waiting to be written.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Outgoing, DateTime<Utc>)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What one round of delivery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Mails claimed (and sent, retried, or failed).
    Claimed(usize),
    /// The server is not there: the rest of the batch was given back untried.
    ServerDown(String),
}

/// Delivers until shutdown; wakes when a transaction queued mail.
pub async fn run(daemon: Arc<Daemon>, mut shutdown: Shutdown) {
    let mut backoff = Duration::from_secs(1);
    let mut told = false;
    while !shutdown.is_requested() {
        let stop = shutdown.clone();
        let may_send = || !stop.is_requested() && daemon.instance.beats_within(SEND_ONLY_WITHIN);
        match deliver_round(&daemon, &may_send).await {
            Ok(Round::Claimed(0)) => {
                (backoff, told) = (Duration::from_secs(1), false);
                tokio::select! {
                    _ = daemon.wake.outbox.notified() => {}
                    _ = tokio::time::sleep(IDLE_WAKE) => {}
                    _ = shutdown.requested() => {}
                }
            }
            Ok(Round::Claimed(_)) => (backoff, told) = (Duration::from_secs(1), false),
            Ok(Round::ServerDown(why)) => {
                wait_for_server(&daemon, &why, &mut shutdown).await;
            }
            Err(err) if crate::store::is_transient(&err) || daemon.health.store_failing() => {
                // The database, not the mail: logged once (by `Health`); tried
                // again within seconds, at once when other work commits.
                if crate::store::is_transient(&err) {
                    daemon.health.store_failed(&format!("{err:#}"));
                }
                debug!(error = format!("{err:#}"), "outbox waits for the database");
                tokio::select! {
                    _ = daemon.health.store_recovered(STORE_RECHECK) => {}
                    _ = shutdown.requested() => {}
                }
            }
            Err(err) => {
                if !told {
                    error!(
                        error = format!("{err:#}"),
                        "outbox delivery failed; will retry"
                    );
                    told = true;
                }
                shutdown.sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    info!("sender stopped");
}

/// A sender whose instance has not beaten for this long sends nothing: another
/// instance may be about to take its claims over.
const SEND_ONLY_WITHIN: Duration = Duration::from_secs(2);

/// Probes the server with backoff (1 s, then every 2 s) until it takes
/// a connection, then makes every mail waiting for a retry due at once.
async fn wait_for_server(daemon: &Daemon, why: &str, shutdown: &mut Shutdown) {
    warn!(error = %why, "the mail server is not available; probing it until it is back");
    let mut backoff = Duration::from_secs(1);
    loop {
        if !shutdown.sleep(backoff).await {
            return;
        }
        match daemon.transport.check().await {
            Ok(_) => break,
            Err(err) => {
                debug!(
                    error = format!("{err:#}"),
                    retry_in_s = backoff.as_secs(),
                    "mail server still unavailable"
                );
                backoff = (backoff * 2).min(MAX_PROBE_BACKOFF);
            }
        }
    }
    match daemon.store.retry_waiting_now(daemon.clock.now()).await {
        Ok(n) => info!(waiting = n, "the mail server is back; sending the queue"),
        Err(err) => warn!(
            error = format!("{err:#}"),
            "the mail server is back, but the queue could not be made due; mail waits for its own retry time"
        ),
    }
}

/// Claims and delivers one batch of due mail; returns how many were claimed.
/// Tests and `run --once` call this directly.
pub async fn deliver_due(daemon: &Daemon) -> anyhow::Result<usize> {
    match deliver_round(daemon, &|| true).await? {
        Round::Claimed(n) => Ok(n),
        Round::ServerDown(why) => anyhow::bail!("the mail server is not available: {why}"),
    }
}

/// One round: first writes the deliveries remembered from a failure to write
/// them, then claims a batch and sends each mail while `may_send` says so.
pub async fn deliver_round(
    daemon: &Daemon,
    may_send: &(dyn Fn() -> bool + Sync),
) -> anyhow::Result<Round> {
    record_unrecorded(daemon).await?;
    let now = daemon.clock.now();
    let batch = daemon
        .store
        .claim_outgoing(now, BATCH as u32, &daemon.instance.holder, LEASE)
        .await?;
    let count = batch.len();
    let down = ServerState::default();
    let customer_lane = tokio::sync::Semaphore::new(1);
    // A mail server takes tens of milliseconds per mail; several in flight over the
    // transport's connection pool keep a backlog from queueing behind each other.
    let outcomes: Vec<anyhow::Result<Option<Delivery>>> = futures::stream::iter(batch)
        .map(|mail| {
            let (down, customer_lane) = (&down, &customer_lane);
            async move {
                // Over SMTP a customer's mail goes out one at a time: a crash
                // may leave the fate of a mail in flight unknown (the server took
                // it, its reply was not read), and then at most one customer gets
                // a mail twice (with the same Message-ID, so mail clients fold
                // it). Staff notices and the folder transport, whose file is in
                // place or not, go side by side.
                let _lane = match mail.kind.starts_with("customer_") && daemon.transport.is_smtp() {
                    true => Some(customer_lane.acquire().await?),
                    false => None,
                };
                if !may_send() || down.is_down() {
                    daemon.store.release_outgoing(mail.id).await?;
                    return Ok(None);
                }
                let span = info_span!(
                    "outgoing",
                    case = mail.case_ref.as_ref().map(|r| r.to_string()).unwrap_or_default(),
                    kind = %mail.kind,
                    message_id = %mail.message_id
                );
                deliver_one(daemon, mail, now, down).instrument(span).await
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut deliveries = Vec::with_capacity(outcomes.len());
    let mut failed = None;
    for outcome in outcomes {
        match outcome {
            Ok(Some(delivery)) => deliveries.push(delivery),
            Ok(None) => {}
            Err(err) => _ = failed.get_or_insert(err),
        }
    }
    record_deliveries(daemon, deliveries).await;
    if let Some(err) = failed {
        return Err(err);
    }
    if let Some(journal) = &daemon.journal
        && daemon.unrecorded.is_empty()
    {
        journal.clear();
    }
    Ok(match down.reason() {
        Some(why) => Round::ServerDown(why),
        None => Round::Claimed(count),
    })
}

/// A mail the server accepted, and when.
type Delivery = (Outgoing, DateTime<Utc>);

/// Whether a mail of this round found the server gone, and why.
#[derive(Default)]
struct ServerState {
    down: AtomicBool,
    why: Mutex<Option<String>>,
}

impl ServerState {
    fn went_down(&self, why: String) {
        self.down.store(true, Ordering::SeqCst);
        *self.why.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
    }

    fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    fn reason(&self) -> Option<String> {
        self.why.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Writes the deliveries remembered because their state could not be written;
/// an error while any is still unwritten (then nothing else is sent).
async fn record_unrecorded(daemon: &Daemon) -> anyhow::Result<()> {
    read_journal(daemon).await?;
    if daemon.unrecorded.is_empty() {
        return Ok(());
    }
    let pending = daemon.unrecorded.take();
    let mut first_error = None;
    for (mail, sent_at) in pending {
        match delivered(daemon, &mail, sent_at).await {
            Ok(()) => {
                daemon.health.store_works();
                info!(message_id = %mail.message_id, "a delivery kept in memory is written now")
            }
            Err(err) if crate::store::is_transient(&err) => {
                daemon.unrecorded.remember(&mail, sent_at);
                first_error.get_or_insert(err);
            }
            Err(err) => {
                error!(error = format!("{err:#}"), message_id = %mail.message_id, "delivered, but its case could not be updated");
                daemon.store.mark_sent(mail.id, sent_at).await?;
            }
        }
    }
    match first_error {
        Some(err) => Err(err.context("while writing deliveries kept in memory")),
        None => Ok(()),
    }
}

/// Once per process, before anything is sent: the deliveries an earlier
/// process noted in the sent journal that the database does not have (it died
/// between the server's reply and the write) are taken to be written first.
async fn read_journal(daemon: &Daemon) -> anyhow::Result<()> {
    let Some(journal) = daemon.journal.as_ref().filter(|j| !j.is_read_back()) else {
        return Ok(());
    };
    let noted = journal.noted()?;
    let ids: Vec<i64> = noted.iter().map(|(id, _)| *id).collect();
    let unwritten = daemon.store.queued_outgoing(&ids).await?;
    if !unwritten.is_empty() {
        info!(
            mails = unwritten.len(),
            "mail the server accepted before the last stop is recorded as sent now (from the sent journal)"
        );
    }
    for mail in unwritten {
        let at = noted
            .iter()
            .find(|(id, _)| *id == mail.id)
            .map_or_else(|| daemon.clock.now(), |(_, at)| *at);
        daemon.unrecorded.remember(&mail, at);
    }
    journal.set_read_back();
    Ok(())
}

/// Sends one mail; what the server accepted is returned, to be written with
/// the rest of the round (on SQLite it is noted in the sent journal at once,
/// on PostgreSQL marked sent at once).
async fn deliver_one(
    daemon: &Daemon,
    mail: Outgoing,
    now: DateTime<Utc>,
    server: &ServerState,
) -> anyhow::Result<Option<Delivery>> {
    let owned = mail;
    let mail = &owned;
    let recipients = match parse_recipients(&mail.recipients) {
        Ok(list) => list,
        Err(bad) => {
            warn!(recipient = %bad, "unusable recipient address; not sent");
            let why = format!("unusable recipient address {bad:?}");
            daemon.store.mark_failed(mail.id, &why, now).await?;
            undeliverable(daemon, mail, &why, now).await?;
            return Ok(None);
        }
    };
    let from = EmailAddress::parse(&mail.envelope_from)?;
    // This attempt's number: attempts count once each, when their outcome is written.
    let attempt = mail.attempts + 1;
    match daemon.transport.send(&from, &recipients, &mail.raw).await {
        Ok(()) => {
            // The moment the server took it, not when the batch was claimed.
            let sent_at = daemon.clock.now();
            match &daemon.journal {
                Some(journal) => journal.note(mail.id, sent_at),
                None => {
                    if let Err(err) = daemon.store.mark_sent(mail.id, sent_at).await {
                        debug!(error = format!("{err:#}"), "cannot mark the mail sent yet");
                    }
                }
            }
            info!(recipients = recipients.len(), "mail sent");
            daemon.metrics.mail_sent(&mail.kind);
            daemon.login_works(&Login::Outgoing).await;
            return Ok(Some((owned, sent_at)));
        }
        Err(err) if err.is_login_failure() => {
            daemon.login_failed(&Login::Outgoing, &err).await;
            let wait = retry_delay(mail.attempts);
            warn!(error = %err, attempt, retry_in_s = wait.num_seconds(), "cannot log in to the SMTP server; the mail waits");
            daemon
                .store
                .mark_retry(mail.id, &err.to_string(), now + wait)
                .await?;
        }
        Err(err) if err.is_transient() && attempt < daemon.config.outgoing.max_attempts => {
            let wait = retry_delay(mail.attempts);
            if err.is_outage() {
                server.went_down(err.to_string());
                debug!(error = %err, attempt, "sending failed: the server is not available");
            } else {
                warn!(error = %err, attempt, retry_in_s = wait.num_seconds(), "sending failed; will retry");
            }
            daemon
                .store
                .mark_retry(mail.id, &err.to_string(), now + wait)
                .await?;
        }
        Err(err) => {
            error!(error = %err, attempts = attempt, "sending failed for good");
            daemon.metrics.mail_failed(&mail.kind);
            let why = err.to_string();
            daemon.store.mark_failed(mail.id, &why, now).await?;
            undeliverable(daemon, mail, &why, now).await?;
        }
    }
    Ok(None)
}

/// Writes the round's deliveries with what they change for their cases, in one
/// transaction; when one of them cannot be written, each on its own.
async fn record_deliveries(daemon: &Daemon, deliveries: Vec<Delivery>) {
    if deliveries.is_empty() {
        return;
    }
    let all = async {
        let mut tx = daemon.store.begin().await?;
        for (mail, sent_at) in &deliveries {
            delivered_in(daemon, &mut tx, mail, *sent_at).await?;
        }
        tx.commit().await
    };
    match all.await {
        Ok(()) => daemon.health.store_works(),
        Err(err) if crate::store::is_transient(&err) => {
            warn!(
                mails = deliveries.len(),
                "delivered, but the database did not take it; kept in memory and written when it does"
            );
            daemon.health.store_failed(&format!("{err:#}"));
            for (mail, sent_at) in &deliveries {
                daemon.unrecorded.remember(mail, *sent_at);
            }
        }
        Err(_) => {
            for (mail, sent_at) in &deliveries {
                record_delivery(daemon, mail, *sent_at).await;
            }
        }
    }
}

/// Writes that the server accepted `mail`, with what that changes for its case;
/// when the database cannot take it now, the delivery is kept in memory and
/// written before anything else is sent (so the mail is not sent again).
async fn record_delivery(daemon: &Daemon, mail: &Outgoing, sent_at: DateTime<Utc>) {
    match delivered(daemon, mail, sent_at).await {
        Ok(()) => daemon.health.store_works(),
        Err(err) if crate::store::is_transient(&err) => {
            // At least the delivery itself, at once, in case this process dies
            // before the database takes the whole change.
            let _ = daemon.store.mark_sent(mail.id, sent_at).await;
            warn!(
                message_id = %mail.message_id,
                "delivered, but the database did not take it; kept in memory and written when it does"
            );
            daemon.health.store_failed(&format!("{err:#}"));
            daemon.unrecorded.remember(mail, sent_at);
        }
        Err(err) => {
            error!(
                error = format!("{err:#}"),
                "delivered, but its case could not be updated"
            );
            if daemon.store.mark_sent(mail.id, sent_at).await.is_err() {
                daemon.unrecorded.remember(mail, sent_at);
            }
        }
    }
}

/// Records a delivered mail, and what its delivery changes (an acknowledgement
/// moves its case on), in one transaction.
async fn delivered(daemon: &Daemon, mail: &Outgoing, sent_at: DateTime<Utc>) -> anyhow::Result<()> {
    let mut tx = daemon.store.begin().await?;
    delivered_in(daemon, &mut tx, mail, sent_at).await?;
    tx.commit().await
}

/// [`delivered`] inside the caller's transaction.
async fn delivered_in(
    daemon: &Daemon,
    tx: &mut crate::store::Tx,
    mail: &Outgoing,
    sent_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    tx.mark_sent(mail.id, sent_at).await?;
    if let (Some(reference), true) = (&mail.case_ref, mail.kind == ACKNOWLEDGEMENT_KIND) {
        let case = load_case(tx, reference).await?;
        let event = Event::AcknowledgementSent {
            message_id: strip_angle_brackets(&mail.message_id).to_string(),
        };
        let rules = &daemon.recorder.rules;
        match CaseChange::of_event(&case, event, Extras::default(), sent_at, rules) {
            (change, Ok(())) => {
                daemon.recorder.write(tx, &change, sent_at).await?;
                info!(case = %reference, "acknowledgement delivered");
            }
            (_, Err(rejected)) => {
                info!(case = %reference, reason = %rejected, "acknowledgement delivered; case unchanged")
            }
        }
    }
    Ok(())
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

/// The wait after a failed attempt, by the attempts made before it: 30 s after
/// the first, then 1 min, 2 min, … up to one hour.
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
