//! One inbound mail, from its bytes to the commit: parse and classify it (pure),
//! then in one transaction store the raw bytes (once: a mail seen before is not
//! handled again), route it, hand it to the handler of its route, and record
//! what the handler returned: the case changes, the letters they cause, the
//! deadlines and the mail's own status. Whatever cannot be handled is stored and
//! quarantined, so that the mailbox goes on: an error, and a panic anywhere from
//! parsing to the commit, ends in quarantine for that one message.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use sha2::{Digest, Sha256};
use tracing::{Span, error, info, warn};

use super::Daemon;
use super::handle::handle;
use super::inbound::{Forwarded, Handled, Inbound, Outcome, Route, related_keys};
use super::route;
use crate::case::command::starts_with_open;
use crate::classify::training::{Correction, correction_for};
use crate::classify::{self, Classification, Classifier};
use crate::config::Mailbox;
use crate::inbox::{Disposition, RawMessage};
use crate::parse::{self, InboundMail};
use crate::record::{CaseChange, Notice};
use crate::runtime::faults::{self, Stage};
use crate::store::{InboundInsert, InboundStatus, NewInbound, Tx};

/// How many messages one transaction takes at most, and for how long it may
/// stay open (SQLite has one writer: the sender and the scheduler wait meanwhile).
pub(super) const GROUP_MAX: usize = 200;
pub(super) const GROUP_TIME: Duration = Duration::from_millis(50);

/// Messages handled in one transaction (group commit): each message behind its
/// own savepoint, so that one that fails is rolled back alone and quarantined
/// while the rest commit. Nothing of a group is told to the mailbox, logged as
/// done or sent before [`Group::commit`].
pub(super) struct Group<'d> {
    daemon: &'d Daemon,
    tx: Tx,
    started: Instant,
    reports: Vec<(Span, Report)>,
}

/// What became of one message, logged once its transaction committed.
enum Report {
    Handled {
        classification: Box<Classification>,
        outcome: Outcome,
    },
    Duplicate {
        status: InboundStatus,
    },
    Quarantined {
        why: String,
    },
}

impl<'d> Group<'d> {
    pub(super) async fn begin(daemon: &'d Daemon) -> anyhow::Result<Group<'d>> {
        Ok(Group {
            daemon,
            tx: daemon.store.begin().await?,
            started: Instant::now(),
            reports: Vec::new(),
        })
    }

    /// Whether the group should be committed before it takes another message.
    pub(super) fn is_full(&self) -> bool {
        self.reports.len() >= GROUP_MAX || self.started.elapsed() >= GROUP_TIME
    }

    pub(super) fn len(&self) -> usize {
        self.reports.len()
    }

    /// Handles one message inside the group (run it in the message's span) and
    /// says what the mailbox should do with it once the group committed. An error
    /// means the group cannot go on (the database failed, or a message's savepoint
    /// could not be rolled back): drop it, nothing of it is committed.
    pub(super) async fn add(
        &mut self,
        mailbox: &Mailbox,
        message: &RawMessage,
        prepared: Prepared,
    ) -> anyhow::Result<Disposition> {
        let daemon = self.daemon;
        let now = daemon.clock.now();
        let (mail, classified) = prepared.received(message);
        self.tx.savepoint().await?;
        let handled = AssertUnwindSafe(handle_in(
            daemon,
            mailbox,
            message,
            &mail,
            classified,
            now,
            &mut self.tx,
        ))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(anyhow::anyhow!("panic: {}", panic_text(&panic))));
        let (disposition, report) = match handled {
            Ok(done) => done,
            Err(err) if crate::store::is_transient(&err) => return Err(err),
            Err(err) => {
                self.tx
                    .rollback_to_savepoint()
                    .await
                    .context("while rolling back a failed message")?;
                let why = format!("{err:#}");
                store_quarantined(&mut self.tx, mailbox, message, &mail, now, &why).await?;
                (Disposition::Quarantined, Report::Quarantined { why })
            }
        };
        self.tx.release_savepoint().await?;
        self.reports.push((tracing::Span::current(), report));
        Ok(disposition)
    }

    /// Commits every message of the group, then logs what became of each (in its
    /// span) and wakes the sender and the scheduler.
    pub(super) async fn commit(self) -> anyhow::Result<()> {
        let daemon = self.daemon;
        self.tx
            .commit()
            .await
            .context("while committing the messages' transaction")?;
        let mut queued = false;
        for (span, report) in self.reports {
            let _entered = span.enter();
            queued |= matches!(report, Report::Handled { .. });
            log_report(daemon, report);
        }
        if queued {
            daemon.wake.outbox.notify_one();
            daemon.wake.deadlines.notify_one();
        }
        Ok(())
    }
}

/// Handles one message in a transaction of its own and says what the mailbox
/// should do with it: the way back when a group failed as a whole. An error
/// means nothing was committed and the message should be tried again later
/// (the database is unreachable); anything wrong with the message itself ends
/// in quarantine instead.
pub async fn ingest(
    daemon: &Daemon,
    mailbox: &Mailbox,
    message: &RawMessage,
    prepared: Prepared,
) -> anyhow::Result<Disposition> {
    let now = daemon.clock.now();
    let (mail, classified) = prepared.received(message);
    let handled = AssertUnwindSafe(handle_alone(
        daemon, mailbox, message, &mail, classified, now,
    ))
    .catch_unwind()
    .await
    .unwrap_or_else(|panic| Err(anyhow::anyhow!("panic: {}", panic_text(&panic))));
    match handled {
        Ok(disposition) => Ok(disposition),
        // A busy or unreachable database: nothing was committed; try again later.
        Err(err) if crate::store::is_transient(&err) => Err(err),
        Err(err) => quarantine(daemon, mailbox, message, &mail, now, err).await,
    }
}

async fn handle_alone(
    daemon: &Daemon,
    mailbox: &Mailbox,
    message: &RawMessage,
    mail: &InboundMail,
    classified: Classified,
    now: DateTime<Utc>,
) -> anyhow::Result<Disposition> {
    let mut tx = daemon.store.begin().await?;
    let (disposition, report) =
        handle_in(daemon, mailbox, message, mail, classified, now, &mut tx).await?;
    tx.commit()
        .await
        .context("while committing the message's transaction")?;
    if matches!(report, Report::Handled { .. }) {
        daemon.wake.outbox.notify_one();
        daemon.wake.deadlines.notify_one();
    }
    log_report(daemon, report);
    Ok(disposition)
}

/// Everything one message causes, written through `tx` (not committed).
async fn handle_in(
    daemon: &Daemon,
    mailbox: &Mailbox,
    message: &RawMessage,
    mail: &InboundMail,
    (classified, related_keys): Classified,
    now: DateTime<Utc>,
    tx: &mut Tx,
) -> anyhow::Result<(Disposition, Report)> {
    let classification = classified?;
    let received_at = arrival(message, now);
    let inbound_id = match tx
        .insert_inbound(&new_inbound(mailbox, message, mail, now))
        .await?
    {
        InboundInsert::New(id) => id,
        InboundInsert::Duplicate(_, status) => {
            let disposition = disposition_of(status, classification.complaint);
            return Ok((disposition, Report::Duplicate { status }));
        }
    };
    let forwarded = forwarded_for(daemon, mailbox, mail, received_at, tx).await?;
    let inbound = Inbound {
        id: inbound_id,
        mailbox,
        mail,
        classification,
        forwarded,
        now,
        received_at,
        config_jurisdiction: daemon.config.company.jurisdiction,
        related_keys,
    };
    let env = daemon.env();
    faults::check(Stage::Route, &mail.subject);
    let route = route::for_mail(&inbound, env, tx).await?;
    let echo = matches!(route, Route::NewCase { .. } | Route::FollowUp { .. })
        && route::echoes_our_mail(&inbound, tx).await?;
    faults::check(Stage::Handle, &mail.subject);
    let mut handled = handle(route, &inbound, env, tx).await?;
    if echo {
        // Its case is kept; nothing automatic answers an auto-responder.
        handled.changes.iter_mut().for_each(|c| c.echo = true);
        handled.outcome.note.push_str(
            "; it echoes our mail (the same text again within minutes): no automatic answer",
        );
    }
    record(daemon, tx, inbound_id, &handled, now).await?;
    let disposition = handled.outcome.disposition;
    let report = Report::Handled {
        classification: Box::new(inbound.classification),
        outcome: handled.outcome,
    };
    Ok((disposition, report))
}

/// Why a notice a mail asked for is not sent: to one of our own addresses (a
/// loop), or to an address already sent the hour's cap of mail. Its recipient
/// comes from outside (a forged colleague's forward, where no MX vouches).
async fn notice_held(
    daemon: &Daemon,
    tx: &mut Tx,
    notice: &Notice,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<&'static str>> {
    let to = notice.to();
    if daemon.config.is_own_address(to) {
        return Ok(Some("to one of our own addresses"));
    }
    tx.lock_address(to.as_str()).await?;
    let hour = tx
        .mail_to_times(to.as_str(), now - chrono::Duration::hours(1))
        .await?;
    let cap = daemon.config.outgoing.max_per_address_per_hour as usize;
    Ok((hour.len() >= cap).then_some("the address had the hour's cap of mail already"))
}

/// The one place a handler's decision is written: its case changes, the letters
/// of no case, a backlog's late acknowledgement, a stored mail it opened, then
/// the mail's own status, in the message's transaction.
async fn record(
    daemon: &Daemon,
    tx: &mut Tx,
    inbound_id: i64,
    handled: &Handled,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for change in &handled.changes {
        daemon.recorder.write(tx, change, now).await?;
        for event in &change.events {
            if let Some(correction) = correction_for(event) {
                record_correction(daemon, tx, change, correction, now).await?;
            }
        }
    }
    for notice in &handled.notices {
        if let Some(reason) = notice_held(daemon, tx, notice, now).await? {
            warn!(reason, "notice withheld");
            continue;
        }
        daemon.recorder.queue_notice(tx, notice, now).await?;
    }
    for entry in &handled.audit {
        tx.append_audit(entry, now).await?;
    }
    if let Some(reference) = &handled.late_acknowledgement {
        tx.record_late_acknowledgement(reference, now).await?;
    }
    if let Some((id, reference)) = &handled.opened_stored {
        let note = format!("opened as case {reference} by a colleague's #open");
        tx.set_inbound_status(*id, InboundStatus::Processed, Some(&note), Some(reference))
            .await?;
    }
    let outcome = &handled.outcome;
    if let Some(reason) = outcome.left {
        return tx.leave_for_people(inbound_id, reason, &outcome.note).await;
    }
    let status = match outcome.case {
        Some(_) => InboundStatus::Processed,
        None => InboundStatus::Ignored,
    };
    tx.set_inbound_status(
        inbound_id,
        status,
        Some(&outcome.note),
        outcome.case.as_ref(),
    )
    .await
}

/// Keeps a staff correction (`#notcomplaint`, `#open`, `#category`) as a label
/// for retraining, with the model features of the mail that opened the case
/// (its stored bytes, else its text): features, never the text itself.
async fn record_correction(
    daemon: &Daemon,
    tx: &mut Tx,
    change: &CaseChange,
    correction: Correction,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let case = &change.case;
    let raw = tx
        .inbound_raw_by_message_id(&case.customer_message_id)
        .await?;
    let ctx = classify::Context::from_config(&daemon.config, Some(&case.mailbox))
        .or_else(|_| classify::Context::from_config(&daemon.config, None))?;
    let text = change.extras.customer_text.as_deref();
    let features = daemon
        .classifier
        .correction_features(raw.as_deref(), &case.subject, text, &ctx)
        .unwrap_or_default();
    let set = classify::model::FEATURE_SET;
    tx.record_correction(&case.reference, correction, &features, set, now)
        .await
}

/// Stores a message that could not be handled, so that nothing is lost and the
/// mailbox goes on. Fails only when the database itself fails.
async fn quarantine(
    daemon: &Daemon,
    mailbox: &Mailbox,
    message: &RawMessage,
    mail: &InboundMail,
    now: DateTime<Utc>,
    cause: anyhow::Error,
) -> anyhow::Result<Disposition> {
    let why = format!("{cause:#}");
    let mut tx = daemon.store.begin().await?;
    store_quarantined(&mut tx, mailbox, message, mail, now, &why).await?;
    if let Err(commit_err) = tx.commit().await {
        return Err(cause.context(format!("and quarantining failed too: {commit_err:#}")));
    }
    log_report(daemon, Report::Quarantined { why });
    Ok(Disposition::Quarantined)
}

/// The raw bytes stored (once) with the status quarantined and why.
async fn store_quarantined(
    tx: &mut Tx,
    mailbox: &Mailbox,
    message: &RawMessage,
    mail: &InboundMail,
    now: DateTime<Utc>,
    why: &str,
) -> anyhow::Result<()> {
    let id = match tx
        .insert_inbound(&new_inbound(mailbox, message, mail, now))
        .await?
    {
        InboundInsert::New(id) | InboundInsert::Duplicate(id, _) => id,
    };
    tx.set_inbound_status(id, InboundStatus::Quarantined, Some(why), None)
        .await
}

/// A message parsed and classified ahead of its transaction: pure work, done
/// on a thread of its own while earlier messages are written (see
/// `mailbox::Preparer`), so that the database never waits for the classifier.
pub struct Prepared {
    mail: InboundMail,
    /// An error when the classifier failed (the message is then quarantined).
    classified: anyhow::Result<Classification>,
    /// For a complaint: the keys its related cases are found by.
    keys: Option<Vec<crate::related::Key>>,
}

impl Prepared {
    /// Parses and classifies one message; a panic in any rule becomes an error
    /// (and so a quarantined message) instead of a stopped mailbox.
    pub fn new(classifier: &Classifier, ctx: &classify::Context, message: &RawMessage) -> Prepared {
        let mail = parse::parse(&message.bytes);
        let classified = classify_caught(classifier, &mail, ctx);
        let keys = match &classified {
            Ok(c) if c.complaint && !c.automated => {
                std::panic::catch_unwind(AssertUnwindSafe(|| related_keys(&mail, c))).ok()
            }
            _ => None,
        };
        Prepared {
            mail,
            classified,
            keys,
        }
    }

    /// Logs the message's arrival in its span (a Message-ID can hold a name or
    /// an address: it is logged as its hash only) and hands over the parsed
    /// mail with its classification and keys.
    fn received(self, message: &RawMessage) -> (InboundMail, Classified) {
        let pseudonym = crate::telemetry::pseudonym(&self.mail.message_id);
        tracing::Span::current().record("message_id", pseudonym.as_str());
        info!(bytes = message.bytes.len(), "mail received");
        (self.mail, (self.classified, self.keys))
    }
}

/// Classification, with a panic in any rule turned into an error.
fn classify_caught(
    classifier: &Classifier,
    mail: &InboundMail,
    ctx: &classify::Context,
) -> anyhow::Result<Classification> {
    std::panic::catch_unwind(AssertUnwindSafe(|| classifier.classify(mail, ctx)))
        .map_err(|panic| anyhow::anyhow!("the classifier failed: {}", panic_text(&panic)))
}

/// A forwarded customer's mail classified as if it came to `mailbox` itself.
fn classify_for(
    daemon: &Daemon,
    mailbox: &Mailbox,
    mail: &InboundMail,
) -> anyhow::Result<Classification> {
    classify_caught(&daemon.classifier, mail, &context_for(daemon, mailbox))
}

/// A mail's classification (an error when the classifier failed) and, for a
/// complaint, its related-case keys.
type Classified = (
    anyhow::Result<Classification>,
    Option<Vec<crate::related::Key>>,
);

/// What the classifier needs to know of a mailbox.
pub fn context_for(daemon: &Daemon, mailbox: &Mailbox) -> classify::Context {
    classify::Context {
        default_language: mailbox
            .default_language
            .unwrap_or(daemon.config.company.default_language),
        case_prefix: daemon.config.company.case_prefix.clone(),
        own_domain: daemon.config.company.domain.clone(),
    }
}

/// The message a panic carried (our own code's words, never the mail's).
pub(super) fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The customer's mail a colleague forwarded, classified on its own, with when
/// the company received it: an earlier mail a per-mail reply address names (a
/// digest line, a forward read as no complaint) when `#open` stands on top, else
/// the mail attached or quoted inline in a colleague's mail.
async fn forwarded_for(
    daemon: &Daemon,
    mailbox: &Mailbox,
    mail: &InboundMail,
    arrived: DateTime<Utc>,
    tx: &mut Tx,
) -> anyhow::Result<Option<Forwarded>> {
    let Some(sender) = mail.from.as_ref().map(|a| &a.email) else {
        return Ok(None);
    };
    if !daemon.config.is_colleague(sender) {
        return Ok(None);
    }
    let local = mailbox
        .jurisdiction
        .unwrap_or(daemon.config.company.jurisdiction)
        .time_zone();
    if starts_with_open(&mail.new_text)
        && let Some(id) = stored_mail_named(daemon, mail)
        && let Some(stored) = tx.stored_mail(id).await?
    {
        let stored_mail = parse::parse(&stored.raw);
        let from_colleague = stored_mail
            .from
            .as_ref()
            .is_some_and(|a| daemon.config.is_colleague(&a.email));
        // A colleague's forward holds the customer's mail; any other stored
        // mail is the customer's own.
        let inner = parse::forwarded_mail(&stored_mail, local).filter(|_| from_colleague);
        let original = inner.unwrap_or(stored_mail);
        let received_at = receipt_of(&original, stored.received_at);
        let classification = classify_for(daemon, mailbox, &original)?;
        return Ok(Some(Forwarded {
            mail: original,
            classification,
            received_at,
            stored: Some(stored.id),
            stored_case: stored.case_ref,
        }));
    }
    let Some(original) = parse::forwarded_mail(mail, local) else {
        return Ok(None);
    };
    // Our own mail quoted in a reply is no customer's mail.
    if original
        .from
        .as_ref()
        .is_some_and(|a| daemon.config.is_own_address(&a.email))
    {
        return Ok(None);
    }
    let classification = classify_for(daemon, mailbox, &original)?;
    Ok(Some(Forwarded {
        received_at: receipt_of(&original, arrived),
        mail: original,
        classification,
        stored: None,
        stored_case: None,
    }))
}

/// The stored mail a per-mail reply address among the recipients names.
fn stored_mail_named(daemon: &Daemon, mail: &InboundMail) -> Option<i64> {
    let company = &daemon.config.company;
    route::recipients(mail).find_map(|addr| {
        crate::outbox::verify_mail_reply_address(
            &addr,
            &company.complaint_address,
            daemon.recorder.token_secret(),
        )
    })
}

/// A forwarded mail older than this counts as received when it was forwarded.
const MAX_FORWARD_AGE_DAYS: i64 = 90;

/// When the company first had a forwarded customer mail: when the customer sent
/// it, if that is plausible (not after the forward arrived, and not more than 90
/// days before), else when the forward arrived.
fn receipt_of(original: &InboundMail, forward_arrived: DateTime<Utc>) -> DateTime<Utc> {
    original
        .date
        .filter(|sent| parse::plausibly_before(*sent, forward_arrived, MAX_FORWARD_AGE_DAYS))
        .unwrap_or(forward_arrived)
}

fn new_inbound<'a>(
    mailbox: &'a Mailbox,
    message: &'a RawMessage,
    mail: &InboundMail,
    now: DateTime<Utc>,
) -> NewInbound<'a> {
    NewInbound {
        mailbox: &mailbox.name,
        source_key: message.key.as_string(),
        message_id: mail.message_id.clone(),
        sha256: hex::encode(Sha256::digest(&message.bytes)),
        identity: identity(mail, &message.bytes),
        sender: mail.from.as_ref().map(|a| a.email.key()),
        fingerprint: classify::echo::of_mail(mail),
        raw: &message.bytes,
        received_at: arrival(message, now),
    }
}

/// What makes a mail the same mail along any path (a re-delivery with one more
/// Received line, a restored mailbox): its Message-ID with its sender, or, when it
/// has none, its content without the trace headers.
fn identity(mail: &InboundMail, raw: &[u8]) -> String {
    match mail.message_id_generated {
        false => {
            let sender = mail
                .from
                .as_ref()
                .map(|a| a.email.key())
                .unwrap_or_default();
            format!("id:{}|{sender}", mail.message_id)
        }
        true => format!("content:{}", parse::content_hash(raw)),
    }
}

/// When the company received a message: when it arrived in the mailbox, unless
/// the source could not say or claims a time still to come; then now.
fn arrival(message: &RawMessage, now: DateTime<Utc>) -> DateTime<Utc> {
    message
        .arrived_at
        .filter(|at| *at <= now + chrono::Duration::minutes(5))
        .map_or(now, |at| at.min(now))
}

fn disposition_of(status: InboundStatus, complaint: bool) -> Disposition {
    match status {
        InboundStatus::Quarantined => Disposition::Quarantined,
        InboundStatus::Ignored => Disposition::Ignored,
        InboundStatus::Left => Disposition::LeftForPerson,
        InboundStatus::Processed | InboundStatus::Pending => Disposition::Handled { complaint },
    }
}

/// The one log line per message saying what became of it, once committed.
fn log_report(daemon: &Daemon, report: Report) {
    match report {
        Report::Handled {
            classification: c,
            outcome,
        } => {
            info!(
                case = outcome.case.as_ref().map(|r| r.to_string()).unwrap_or_default(),
                action = outcome.action,
                complaint = c.complaint,
                language = %c.language,
                automated = c.automated,
                category = c.category.map(|k| k.code()).unwrap_or(""),
                reasons = %c.reasons.iter().map(|r| classify::unquoted(r)).collect::<Vec<_>>().join("; "),
                "{}",
                outcome.note
            );
            daemon.metrics.message(outcome.action);
        }
        Report::Duplicate { status } => info!(
            status = status.code(),
            "message already handled before; not handled again"
        ),
        Report::Quarantined { why } => {
            error!(error = %why, "message quarantined: stored, not handled; the mailbox goes on");
            daemon.metrics.message("quarantined");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_mail_counts_from_when_the_customer_sent_it_when_plausible() {
        let arrived = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .to_utc();
        let days = chrono::Duration::days;
        let sent = |date| InboundMail {
            date,
            ..InboundMail::default()
        };
        assert_eq!(
            receipt_of(&sent(Some(arrived - days(3))), arrived),
            arrived - days(3)
        );
        assert_eq!(receipt_of(&sent(None), arrived), arrived, "no date");
        assert_eq!(
            receipt_of(&sent(Some(arrived + days(1))), arrived),
            arrived,
            "after the forward"
        );
        assert_eq!(
            receipt_of(&sent(Some(arrived - days(91))), arrived),
            arrived,
            "implausibly old"
        );
    }
}
