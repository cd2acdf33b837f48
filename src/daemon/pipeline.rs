//! The path of one inbound mail, in one transaction: store the raw bytes, parse,
//! classify, decide where it belongs, change the case, queue the mail the change
//! causes, write the deadlines, mark the message handled. Whatever cannot be
//! handled is stored and quarantined, so that the mailbox goes on.
//! Case changes are written by [`super::changes`].

use std::panic::AssertUnwindSafe;

use anyhow::Context;
use chrono::{DateTime, Datelike, Utc};
use sha2::{Digest, Sha256};
use tracing::{error, info, warn};

use super::Daemon;
use super::changes::{apply_mail_event, write_step};
use super::letters::Extras;
use super::route::{self, KnownCase, Lookup, Route};
use super::{staff, undelivered};
use crate::case::{self, Event, NewCase};
use crate::classify::{self, Classification, RefSource};
use crate::config::Mailbox;
use crate::domain::{CaseRef, EmailAddress};
use crate::inbox::{Disposition, RawMessage};
use crate::parse::{self, InboundMail};
use crate::store::{Direction, InboundInsert, InboundStatus, NewInbound, Tx};

/// Handles one message and says what the mailbox should do with it. An error
/// means nothing was committed and the message should be tried again later
/// (the database is unreachable); anything wrong with the message itself ends
/// in quarantine instead.
pub async fn ingest(
    daemon: &Daemon,
    mailbox: &Mailbox,
    message: &RawMessage,
) -> anyhow::Result<Disposition> {
    let now = daemon.clock.now();
    let mail = parse::parse(&message.bytes);
    tracing::Span::current().record("message_id", mail.message_id.as_str());
    info!(bytes = message.bytes.len(), "mail received");
    match handle(daemon, mailbox, message, &mail, now).await {
        Ok(disposition) => Ok(disposition),
        // A busy or unreachable database: nothing was committed; try again later.
        Err(err) if crate::store::is_transient(&err) => Err(err),
        Err(err) => quarantine(daemon, mailbox, message, &mail, now, err).await,
    }
}

/// The facts of one inbound mail the case changes need.
pub(super) struct Inbound<'a> {
    pub mailbox: &'a Mailbox,
    pub mail: &'a InboundMail,
    pub classification: Classification,
    pub now: DateTime<Utc>,
    /// When the company received the complaint: `now`, except for a mail staff
    /// forwarded with `#open`, which the company had since the customer sent it.
    pub received_at: DateTime<Utc>,
    /// The staff member who forwarded the mail with `#open`.
    pub opened_by: Option<EmailAddress>,
}

async fn handle(
    daemon: &Daemon,
    mailbox: &Mailbox,
    message: &RawMessage,
    mail: &InboundMail,
    now: DateTime<Utc>,
) -> anyhow::Result<Disposition> {
    let classification = classify_for(daemon, mailbox, mail)?;
    let mut tx = daemon.store.begin().await?;
    let inbound_id = match tx
        .insert_inbound(&new_inbound(mailbox, message, mail, now))
        .await?
    {
        InboundInsert::New(id) => id,
        InboundInsert::Duplicate(_, status) => {
            tx.rollback().await?;
            info!(
                status = status.code(),
                "message already handled before; not handled again"
            );
            return Ok(disposition_of(status, classification.complaint));
        }
    };
    let inbound = Inbound {
        mailbox,
        mail,
        classification,
        now,
        received_at: now,
        opened_by: None,
    };
    let outcome = decide(daemon, &mut tx, &inbound).await?;
    let status = if outcome.case.is_some() {
        InboundStatus::Processed
    } else {
        InboundStatus::Ignored
    };
    tx.set_inbound_status(
        inbound_id,
        status,
        Some(&outcome.note),
        outcome.case.as_ref(),
    )
    .await?;
    tx.commit()
        .await
        .context("while committing the message's transaction")?;
    log_outcome(&inbound, &outcome);
    daemon.metrics.message(outcome.action);
    daemon.outbox_ready.notify_one();
    daemon.deadlines_changed.notify_one();
    Ok(outcome.disposition)
}

/// What became of a message: for the log, the database and the mailbox.
pub(super) struct Outcome {
    case: Option<CaseRef>,
    /// A short word for the log: opened, follow_up, bounce, staff_reply, ignored…
    action: &'static str,
    pub note: String,
    disposition: Disposition,
}

impl Outcome {
    pub(super) fn ignored(note: String) -> Outcome {
        Outcome {
            case: None,
            action: "ignored",
            note,
            disposition: Disposition::Ignored,
        }
    }

    pub(super) fn in_case(
        case: CaseRef,
        action: &'static str,
        note: String,
        complaint: bool,
    ) -> Outcome {
        Outcome {
            case: Some(case),
            action,
            note,
            disposition: Disposition::Handled { complaint },
        }
    }
}

async fn decide(daemon: &Daemon, tx: &mut Tx, inbound: &Inbound<'_>) -> anyhow::Result<Outcome> {
    let mail = inbound.mail;
    let sender = sender_of(mail);
    if let Some(staff_mail) = staff::recognise(daemon, tx, mail, &inbound.classification).await? {
        return staff::handle(daemon, tx, inbound, staff_mail).await;
    }
    let lookup = lookup(daemon, tx, mail, &inbound.classification).await?;
    let from_staff = sender
        .as_ref()
        .is_some_and(|s| daemon.config.staff_by_address(s).is_some());
    if from_staff {
        warn!("mail from a staff address without a valid case token: no command run");
    }
    match route::route(
        sender.as_ref(),
        &inbound.classification,
        &lookup,
        from_staff,
    ) {
        Route::NewCase { linked } => open_case(daemon, tx, inbound, linked).await,
        Route::FollowUp { case } => follow_up(daemon, tx, inbound, &case).await,
        Route::Bounce { case } => undelivered::bounce(daemon, tx, inbound, &case).await,
        Route::Duplicate { case } => Ok(Outcome::in_case(
            case.clone(),
            "duplicate",
            format!("the same mail is already in case {case}"),
            true,
        )),
        Route::Ignore { reason } => Ok(Outcome::ignored(reason)),
    }
}

/// What the database knows about the cases the mail points at.
async fn lookup(
    daemon: &Daemon,
    tx: &mut Tx,
    mail: &InboundMail,
    c: &Classification,
) -> anyhow::Result<Lookup> {
    let mut found = Lookup {
        already_recorded: match mail.message_id_generated {
            true => None,
            false => tx.case_for_message_id(&mail.message_id).await?,
        },
        ..Lookup::default()
    };
    // The most recent id first: In-Reply-To, then References from the end.
    let thread_ids = mail.in_reply_to.iter().chain(mail.references.iter().rev());
    for id in thread_ids {
        if let Some(reference) = tx.case_for_message_id(id).await? {
            let ours = crate::outbox::parse_our_message_id(
                &format!("<{id}>"),
                &daemon.config.company.case_prefix,
            )
            .is_some();
            found.thread = known_case(tx, reference, ours).await?;
            break;
        }
    }
    if let (Some(reference), Some(RefSource::Subject)) = (&c.case_ref, c.case_ref_source) {
        found.subject = known_case(tx, reference.clone(), false).await?;
    }
    if let Some(original) = &mail.bounced_message_id {
        found.bounced = tx.case_for_message_id(original).await?;
    }
    Ok(found)
}

async fn known_case(
    tx: &mut Tx,
    reference: CaseRef,
    ours: bool,
) -> anyhow::Result<Option<KnownCase>> {
    Ok(tx.case(&reference).await?.map(|case| KnownCase {
        reference,
        customer: case.customer,
        by_our_message_id: ours,
    }))
}

pub(super) async fn open_case(
    daemon: &Daemon,
    tx: &mut Tx,
    inbound: &Inbound<'_>,
    linked: Option<CaseRef>,
) -> anyhow::Result<Outcome> {
    let (mail, c) = (inbound.mail, &inbound.classification);
    let customer = mail
        .from
        .as_ref()
        .context("a new case needs the customer's address")?;
    let jurisdiction = inbound
        .mailbox
        .jurisdiction
        .unwrap_or(daemon.config.company.jurisdiction);
    let year = inbound
        .received_at
        .with_timezone(&jurisdiction.time_zone())
        .year();
    let reference = tx
        .allocate_reference(&daemon.config.company.case_prefix, year)
        .await?;
    let load = tx.open_cases_per_contact().await?;
    let contact =
        case::assign::choose_contact(&daemon.config.staff, c.language, jurisdiction, &load)
            .map(|s| s.email.clone());
    let input = NewCase {
        reference: reference.clone(),
        mailbox: inbound.mailbox.name.clone(),
        jurisdiction,
        language: c.language,
        category: c.category,
        customer: customer.email.clone(),
        customer_name: customer.name.clone(),
        subject: mail.subject.trim().to_string(),
        message_id: mail.message_id.clone(),
        received_at: inbound.received_at,
        contact,
        opened_by: inbound.opened_by.clone(),
    };
    let mut step = case::open(input, inbound.now, &daemon.rules);
    if let Some(other) = &linked {
        step.events.push(Event::Linked {
            other: other.clone(),
        });
        step.case.related.push(other.clone());
    }
    tx.insert_case(&step.case).await?;
    tx.record_message_id(&mail.message_id, &reference, Direction::In)
        .await?;
    let extras = Extras::from_customer_mail(mail);
    write_step(
        daemon,
        tx,
        &step.case,
        &step.events,
        &step.actions,
        &extras,
        inbound.now,
    )
    .await?;
    let note = match &linked {
        Some(other) => {
            format!("opened case {reference}, linked to {other} (written by another sender)")
        }
        None => format!("opened case {reference}"),
    };
    Ok(Outcome::in_case(reference, "opened", note, true))
}

async fn follow_up(
    daemon: &Daemon,
    tx: &mut Tx,
    inbound: &Inbound<'_>,
    reference: &CaseRef,
) -> anyhow::Result<Outcome> {
    let mail = inbound.mail;
    let event = if inbound.classification.escalation_request {
        Event::EscalationRequested {
            message_id: mail.message_id.clone(),
        }
    } else {
        Event::CustomerMail {
            message_id: mail.message_id.clone(),
            subject: mail.subject.clone(),
        }
    };
    let extras = Extras::from_customer_mail(mail);
    let note = match apply_mail_event(daemon, tx, reference, mail, &event, &extras, inbound.now)
        .await?
    {
        Ok(()) => format!("{} in case {reference}", event.kind().replace('_', " ")),
        Err(rejected) => format!("customer mail in case {reference}, no state change: {rejected}"),
    };
    Ok(Outcome::in_case(reference.clone(), "follow_up", note, true))
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
    let id = match tx
        .insert_inbound(&new_inbound(mailbox, message, mail, now))
        .await?
    {
        InboundInsert::New(id) | InboundInsert::Duplicate(id, _) => id,
    };
    tx.set_inbound_status(id, InboundStatus::Quarantined, Some(&why), None)
        .await?;
    if let Err(commit_err) = tx.commit().await {
        return Err(cause.context(format!("and quarantining failed too: {commit_err:#}")));
    }
    error!(error = %why, "message quarantined: stored, not handled; the mailbox goes on");
    daemon.metrics.message("quarantined");
    Ok(Disposition::Quarantined)
}

/// Classification, with a panic in any rule turned into an error (and so a
/// quarantined message) instead of a stopped mailbox.
pub(super) fn classify_for(
    daemon: &Daemon,
    mailbox: &Mailbox,
    mail: &InboundMail,
) -> anyhow::Result<Classification> {
    let ctx = classify::Context {
        default_language: mailbox
            .default_language
            .unwrap_or(daemon.config.company.default_language),
        case_prefix: daemon.config.company.case_prefix.clone(),
        own_domain: daemon.config.company.domain.clone(),
    };
    std::panic::catch_unwind(AssertUnwindSafe(|| daemon.classifier.classify(mail, &ctx)))
        .map_err(|_| anyhow::anyhow!("the classifier failed on this message"))
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
        raw: &message.bytes,
        received_at: now,
    }
}

fn disposition_of(status: InboundStatus, complaint: bool) -> Disposition {
    match status {
        InboundStatus::Quarantined => Disposition::Quarantined,
        InboundStatus::Ignored => Disposition::Ignored,
        InboundStatus::Processed | InboundStatus::Pending => Disposition::Handled { complaint },
    }
}

fn log_outcome(inbound: &Inbound<'_>, outcome: &Outcome) {
    let c = &inbound.classification;
    info!(
        case = outcome.case.as_ref().map(|r| r.to_string()).unwrap_or_default(),
        action = outcome.action,
        complaint = c.complaint,
        language = %c.language,
        automated = c.automated,
        category = c.category.map(|k| k.code()).unwrap_or(""),
        reasons = %c.reasons.join("; "),
        "{}",
        outcome.note
    );
}

pub(super) fn strip_angle(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// The sender's address, when it parses.
fn sender_of(mail: &InboundMail) -> Option<EmailAddress> {
    mail.from.as_ref().map(|a| a.email.clone())
}
