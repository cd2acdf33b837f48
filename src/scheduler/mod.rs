//! One loop over the deadlines stored in the database: it sleeps until the next
//! one is due (or until a transaction changed them), fires what is due, and goes
//! back to sleep. No timer per case lives in memory, so a restart loses nothing,
//! and the database makes each deadline fire once even with several instances.

use std::sync::Arc;
use std::time::Duration;

use tracing::{error, info};

use crate::daemon::{Daemon, Shutdown};

const BATCH: usize = 50;
/// The longest sleep: also catches deadlines written by another instance.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Fires deadlines until shutdown.
pub async fn run(daemon: Arc<Daemon>, mut shutdown: Shutdown) {
    while !shutdown.is_requested() {
        let pause = match fire_due(&daemon).await {
            Ok(fired) if fired >= BATCH => Duration::ZERO,
            Ok(_) => time_to_next(&daemon).await,
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
            _ = daemon.deadlines_changed.notified() => {}
            _ = shutdown.requested() => {}
        }
    }
    info!("scheduler stopped");
}

/// Fires every deadline due now, each in its own transaction; returns how many
/// fired. Tests call this directly after moving the clock.
pub async fn fire_due(daemon: &Daemon) -> anyhow::Result<usize> {
    let now = daemon.clock.now();
    let mut fired = 0;
    while fired < BATCH {
        let mut tx = daemon.store.begin().await?;
        let Some(due) = tx.claim_due_deadlines(now, 1).await?.into_iter().next() else {
            tx.rollback().await?;
            break;
        };
        match crate::daemon::changes::fire_deadline(daemon, &mut tx, &due, now).await {
            Ok(()) => {
                tx.mark_deadline_fired(due.id, now).await?;
                tx.commit().await?;
                daemon.metrics.deadline_fired(&due.key);
            }
            Err(err) => {
                // A deadline that cannot be carried out must not block the others.
                tx.rollback().await?;
                error!(case = %due.case_ref, deadline = %due.key, error = format!("{err:#}"), "deadline could not be carried out; marked fired");
                let mut tx = daemon.store.begin().await?;
                tx.mark_deadline_fired(due.id, now).await?;
                tx.commit().await?;
            }
        }
        fired += 1;
    }
    if fired > 0 {
        daemon.outbox_ready.notify_one();
    }
    Ok(fired)
}

async fn time_to_next(daemon: &Daemon) -> Duration {
    let now = daemon.clock.now();
    match daemon.store.next_deadline_at().await {
        Ok(Some(at)) if at > now => (at - now).to_std().unwrap_or(MAX_SLEEP).min(MAX_SLEEP),
        Ok(Some(_)) => Duration::from_secs(1),
        Ok(None) => MAX_SLEEP,
        Err(err) => {
            error!(error = format!("{err:#}"), "cannot read the next deadline");
            Duration::from_secs(10)
        }
    }
}
