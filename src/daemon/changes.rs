//! Writing case changes: the new state, its timeline events, the mail it causes
//! (rendered into the outbox) and its deadlines, always inside one transaction.
//! The inbound pipeline, the scheduler and the sender all change cases through here.

use anyhow::Context;
use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::Daemon;
use super::letters::{self, Extras};
use super::pipeline::strip_angle;
use crate::case::{self, Action, Case, DeadlineKind, Event};
use crate::domain::CaseRef;
use crate::parse::InboundMail;
use crate::store::{Direction, DueDeadline, Outgoing, Tx};

/// Applies the event an inbound mail stands for to its case, filing the mail under
/// the case. A change the case refuses still keeps the event on the timeline, so
/// that no mail is lost from a case's history; the refusal is returned.
pub(super) async fn apply_mail_event(
    daemon: &Daemon,
    tx: &mut Tx,
    reference: &CaseRef,
    mail: &InboundMail,
    event: &Event,
    extras: &Extras,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(), case::Rejected>> {
    let case = load_case(tx, reference).await?;
    tx.record_message_id(&mail.message_id, reference, Direction::In)
        .await?;
    match case::apply(&case, event, now, &daemon.rules) {
        Ok((next, actions)) => {
            write_step(
                daemon,
                tx,
                &next,
                std::slice::from_ref(event),
                &actions,
                extras,
                now,
            )
            .await?;
            Ok(Ok(()))
        }
        Err(rejected) => {
            tx.append_event(reference, now, event).await?;
            Ok(Err(rejected))
        }
    }
}

pub(super) async fn load_case(tx: &mut Tx, reference: &CaseRef) -> anyhow::Result<Case> {
    tx.case(reference)
        .await?
        .with_context(|| format!("case {reference} is not in the database"))
}

/// Writes one case change: the new state, its events, the mail it causes and its
/// deadlines, all inside the caller's transaction.
pub(super) async fn write_step(
    daemon: &Daemon,
    tx: &mut Tx,
    case: &Case,
    events: &[Event],
    actions: &[Action],
    extras: &Extras,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for event in events {
        tx.append_event(&case.reference, now, event).await?;
        if let Some(correction) = crate::classify::training::correction_for(event) {
            record_correction(daemon, tx, case, correction, extras, now).await?;
        }
    }
    for action in actions {
        let letter = letters::build(daemon, case, action, extras, now)?;
        tx.record_message_id(
            strip_angle(&letter.message_id),
            &case.reference,
            Direction::Out,
        )
        .await?;
        tx.enqueue(&letter).await?;
    }
    tx.update_case(case).await?;
    if case.status.is_open() {
        for deadline in case::deadlines(case, &daemon.rules) {
            tx.upsert_deadline(&case.reference, &deadline.kind.key(), deadline.due_at)
                .await?;
        }
    } else {
        tx.cancel_deadlines(&case.reference).await?;
    }
    Ok(())
}

/// Keeps a staff correction as a label for retraining, with the model features
/// of the mail that opened the case (its stored bytes, else its text).
async fn record_correction(
    daemon: &Daemon,
    tx: &mut Tx,
    case: &Case,
    correction: crate::classify::training::Correction,
    extras: &Extras,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let raw = tx
        .inbound_raw_by_message_id(&case.customer_message_id)
        .await?;
    let ctx = crate::classify::Context::from_config(&daemon.config, None)?;
    let text = extras.customer_text.as_deref();
    let features = daemon
        .classifier
        .correction_features(raw.as_deref(), &case.subject, text, &ctx);
    let features = features.unwrap_or_default();
    let set = crate::classify::model::FEATURE_SET;
    tx.record_correction(&case.reference, correction, &features, set, now)
        .await
}

/// Fires one due deadline in its own transaction (the scheduler calls this).
pub async fn fire_deadline(
    daemon: &Daemon,
    tx: &mut Tx,
    due: &DueDeadline,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(kind) = DeadlineKind::from_key(&due.key) else {
        warn!(case = %due.case_ref, key = %due.key, "unknown deadline kind; marking it fired");
        return Ok(());
    };
    let case = load_case(tx, &due.case_ref).await?;
    let step = case::on_deadline(&case, &kind, now, &daemon.rules);
    if step.events.is_empty() {
        info!(case = %due.case_ref, deadline = %due.key, "deadline passed with nothing left to do");
        return Ok(());
    }
    write_step(
        daemon,
        tx,
        &step.case,
        &step.events,
        &step.actions,
        &Extras::default(),
        now,
    )
    .await?;
    let kinds: Vec<&str> = step.events.iter().map(Event::kind).collect();
    info!(case = %due.case_ref, deadline = %due.key, events = ?kinds, mails = step.actions.len(), "deadline fired");
    Ok(())
}

/// Records a delivered mail, and what its delivery changes (an acknowledgement
/// moves its case on), in one transaction.
pub async fn mark_delivered(
    daemon: &Daemon,
    mail: &Outgoing,
    sent_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut tx = daemon.store.begin().await?;
    tx.mark_sent(mail.id, sent_at).await?;
    if let (Some(reference), true) = (&mail.case_ref, mail.kind == letters::ACKNOWLEDGEMENT_KIND) {
        let case = load_case(&mut tx, reference).await?;
        let event = Event::AcknowledgementSent {
            message_id: strip_angle(&mail.message_id).to_string(),
        };
        match case::apply(&case, &event, sent_at, &daemon.rules) {
            Ok((next, actions)) => {
                write_step(
                    daemon,
                    &mut tx,
                    &next,
                    &[event],
                    &actions,
                    &Extras::default(),
                    sent_at,
                )
                .await?;
                info!(case = %reference, "acknowledgement delivered");
            }
            Err(rejected) => {
                info!(case = %reference, reason = %rejected, "acknowledgement delivered; case unchanged")
            }
        }
    }
    tx.commit().await
}
