//! The heartbeat: once a second this instance tells the database it lives
//! (`instances`), renews its claims on outgoing mail, and now and then forgets
//! the instances of this host whose process is gone, so that their mailbox
//! leases and claims are free at once. Each beat is a commit, so it also tells
//! `/healthz` whether the database takes commits: the log says so once when it
//! stops and once when it works again, and the tasks waiting for it wake.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::Daemon;
use super::sender::LEASE;
use crate::runtime::{Instance, Shutdown};
use crate::store::InstanceRow;

const BEAT: Duration = Duration::from_secs(1);
/// Every this many beats, the instances of this host are checked for dead processes.
const REAP_EVERY: u64 = 10;
/// Instances silent this long are removed from the table for good.
const FORGET_AFTER: chrono::Duration = chrono::Duration::days(1);

/// Beats until shutdown.
pub async fn run(daemon: Arc<Daemon>, mut shutdown: Shutdown) {
    let mut tick = tokio::time::interval(BEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.requested() => break,
        }
        beat(&daemon, round.is_multiple_of(REAP_EVERY)).await;
        round += 1;
    }
}

/// One beat; with `reap`, also forgets this host's dead instances. Called once
/// before the tasks start, so that a restarted instance takes its dead
/// predecessor's mailboxes at once.
pub async fn beat(daemon: &Daemon, reap: bool) {
    let now = daemon.clock.now();
    let result = async {
        daemon.store.beat(&row(&daemon.instance), now).await?;
        daemon.instance.beat();
        let until = now + chrono::Duration::from_std(LEASE)?;
        daemon
            .store
            .renew_claims(&daemon.instance.holder, until)
            .await?;
        if reap {
            forget_dead(daemon, now).await?;
        }
        anyhow::Ok(())
    }
    .await;
    match result {
        Ok(()) => daemon.health.beat_works(),
        Err(err) => daemon.health.beat_failed(&format!("{err:#}")),
    }
}

/// This instance stops: its leases and claims are free at once. Called after
/// every task ended, so no mail of it is still being sent.
pub async fn farewell(daemon: &Daemon) {
    if let Err(err) = daemon.store.forget_instance(&daemon.instance.holder).await {
        warn!(
            error = format!("{err:#}"),
            "could not sign this instance off; its claims free themselves within seconds"
        );
    }
}

/// Forgets the instances of this host whose process is gone (killed, or the host
/// rebooted), and those silent for a day anywhere.
async fn forget_dead(daemon: &Daemon, now: DateTime<Utc>) -> anyhow::Result<()> {
    let me = &daemon.instance;
    for other in daemon.store.instances_on_host(&me.host).await? {
        if other.holder == me.holder {
            continue;
        }
        let (pid, started) = (
            u32::try_from(other.pid).unwrap_or(u32::MAX),
            u64::try_from(other.started).unwrap_or_default(),
        );
        if me.is_gone(&other.host, &other.boot_id, pid, started) {
            daemon.store.forget_instance(&other.holder).await?;
            info!(
                pid = other.pid,
                "an instance on this host is gone; its mailboxes and outgoing mail are taken over"
            );
        }
    }
    daemon
        .store
        .forget_instances_silent_since(now - FORGET_AFTER)
        .await?;
    Ok(())
}

fn row(me: &Instance) -> InstanceRow {
    InstanceRow {
        holder: me.holder.clone(),
        host: me.host.clone(),
        boot_id: me.boot_id.clone(),
        pid: i64::from(me.pid),
        started: i64::try_from(me.started).unwrap_or(i64::MAX),
    }
}
