//! One loop over the deadlines stored in the database: it sleeps until the next
//! one is due (or until a transaction changed them), fires what is due, and goes
//! back to sleep. No timer per case lives in memory, so a restart loses nothing,
//! and the database makes each deadline fire once even with several instances.
//!
//! Firing a deadline asks the case logic what it means ([`case::on_deadline`])
//! and records the answer ([`Recorder::write`]) in the transaction that claimed
//! the deadline and marks it fired. Beside the deadlines it runs the jobs of
//! `jobs`: the daily digest, the alarm over a backlog's late acknowledgements,
//! the hourly summary over an address beyond the per-address caps and the daily
//! anonymisation of personal data past its retention period.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{error, info, warn};

use crate::case::{self, DeadlineKind, Event};
use crate::record::{CaseChange, Extras, Recorder, load_case};
use crate::runtime::{Clock, Metrics, Shutdown, Wakeups};
use crate::store::{DueDeadline, Store, Tx};

mod jobs;

const BATCH: usize = 50;
/// The longest sleep: also catches deadlines written by another instance.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The deadline loop and what it needs.
pub struct Scheduler {
    store: Store,
    recorder: Arc<Recorder>,
    clock: Clock,
    wake: Arc<Wakeups>,
    metrics: Arc<Metrics>,
}

impl Scheduler {
    pub fn new(
        store: Store,
        recorder: Arc<Recorder>,
        clock: Clock,
        wake: Arc<Wakeups>,
        metrics: Arc<Metrics>,
    ) -> Scheduler {
        Scheduler {
            store,
            recorder,
            clock,
            wake,
            metrics,
        }
    }

    /// Fires deadlines and sends the daily digest until shutdown.
    pub async fn run(&self, mut shutdown: Shutdown) {
        let today = self
            .recorder
            .rules
            .calendar(self.recorder.config.company.jurisdiction)
            .local_date(self.clock.now());
        if let Err(err) = self
            .log_next_anonymisation(today.pred_opt().unwrap_or(today))
            .await
        {
            error!(
                error = format!("{err:#}"),
                "cannot tell what the next anonymisation will do"
            );
        }
        while !shutdown.is_requested() {
            if let Err(err) = self.send_digest_if_due().await {
                error!(
                    error = format!("{err:#}"),
                    "the daily digest failed; will retry"
                );
            }
            if let Err(err) = self.anonymise_expired_if_due().await {
                error!(
                    error = format!("{err:#}"),
                    "the daily anonymisation failed; will retry"
                );
            }
            if let Err(err) = self.summarize_floods().await {
                error!(
                    error = format!("{err:#}"),
                    "the summary over a flooding address failed; will retry"
                );
            }
            if let Err(err) = self.send_surge_updates().await {
                error!(
                    error = format!("{err:#}"),
                    "the daily update of a surge failed; will retry"
                );
            }
            let pause = match self.fire_due().await {
                Ok(fired) if fired >= BATCH => Duration::ZERO,
                Ok(_) => self.time_to_next().await,
                Err(err) => {
                    error!(
                        error = format!("{err:#}"),
                        "firing deadlines failed; will retry"
                    );
                    Duration::from_secs(10)
                }
            };
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.wake.deadlines.notified() => {}
                _ = shutdown.requested() => {}
            }
        }
        info!("scheduler stopped");
    }

    /// Fires every deadline due now, each in its own transaction; returns how
    /// many fired. Tests call this directly after moving the clock.
    pub async fn fire_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut fired = 0;
        while fired < BATCH {
            let mut tx = self.store.begin().await?;
            let Some(due) = tx.claim_due_deadlines(now, 1).await?.into_iter().next() else {
                tx.rollback().await?;
                break;
            };
            match self.fire(&mut tx, &due, now).await {
                Ok(()) => {
                    tx.mark_deadline_fired(due.id, now).await?;
                    tx.commit().await?;
                    self.metrics.deadline_fired(&due.key);
                }
                Err(err) => {
                    // A deadline that cannot be carried out must not block the others.
                    tx.rollback().await?;
                    error!(case = %due.case_ref, deadline = %due.key, error = format!("{err:#}"), "deadline could not be carried out; marked fired");
                    let mut tx = self.store.begin().await?;
                    tx.mark_deadline_fired(due.id, now).await?;
                    tx.commit().await?;
                }
            }
            fired += 1;
        }
        if fired > 0 {
            self.wake.outbox.notify_one();
        }
        Ok(fired)
    }

    /// Carries out one due deadline inside the transaction that claimed it.
    async fn fire(&self, tx: &mut Tx, due: &DueDeadline, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(kind) = DeadlineKind::from_key(&due.key) else {
            warn!(case = %due.case_ref, key = %due.key, "unknown deadline kind; marking it fired");
            return Ok(());
        };
        let case = load_case(tx, &due.case_ref).await?;
        if matches!(kind, DeadlineKind::AcknowledgementAlarm { .. })
            && tx
                .was_withheld(&case.reference, crate::record::ACKNOWLEDGEMENT_KIND)
                .await?
        {
            info!(case = %due.case_ref, deadline = %due.key, "acknowledgement held back by the per-address caps; the flood summary listed it, no alarm per case");
            return Ok(());
        }
        let step = case::on_deadline(&case, &kind, now, &self.recorder.rules);
        if step.events.is_empty() {
            info!(case = %due.case_ref, deadline = %due.key, "deadline passed with nothing left to do");
            return Ok(());
        }
        let kinds: Vec<&str> = step.events.iter().map(Event::kind).collect();
        let mails = step.actions.len();
        let change = CaseChange::changed(step, Extras::default());
        self.recorder.write(tx, &change, now).await?;
        info!(case = %due.case_ref, deadline = %due.key, events = ?kinds, mails, "deadline fired");
        Ok(())
    }

    async fn time_to_next(&self) -> Duration {
        let now = self.clock.now();
        let next = self.store.next_deadline_at().await.map(|deadline| {
            match (deadline, self.next_digest_at(now)) {
                (Some(d), Some(g)) => Some(d.min(g)),
                (d, g) => d.or(g),
            }
        });
        match next {
            Ok(Some(at)) if at > now => (at - now).to_std().unwrap_or(MAX_SLEEP).min(MAX_SLEEP),
            Ok(Some(_)) => Duration::from_secs(1),
            Ok(None) => MAX_SLEEP,
            Err(err) => {
                error!(error = format!("{err:#}"), "cannot read the next deadline");
                Duration::from_secs(10)
            }
        }
    }
}
