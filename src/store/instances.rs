//! Running instances and their heartbeats. Each instance beats once a second; a
//! mailbox lease or an outbox claim is held only while its holder beats (within
//! [`LIVENESS`]) or, on the holder's own host, while its process lives. So a
//! killed instance's mailbox and claimed mail are taken over within seconds, on
//! PostgreSQL by another host's instance and on SQLite by a restarted one.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Store, on_backend};

/// A holder whose last heartbeat is older than this is dead: its leases and
/// claims are free. Instances beat every second.
pub const LIVENESS: Duration = Duration::from_secs(3);

/// An instance as it beats: who, and where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    pub holder: String,
    pub host: String,
    pub boot_id: String,
    pub pid: i64,
    pub started: i64,
}

/// The instant before which a heartbeat is too old to keep anything held.
pub(crate) fn live_after(now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    Ok(now - chrono::Duration::from_std(LIVENESS)?)
}

impl Store {
    /// This instance is alive at `now`; its first beat also says where it runs.
    pub async fn beat(&self, me: &InstanceRow, now: DateTime<Utc>) -> anyhow::Result<()> {
        on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "INSERT INTO instances (holder, host, boot_id, pid, started, heartbeat_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (holder) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            )
            .bind(&me.holder)
            .bind(&me.host)
            .bind(&me.boot_id)
            .bind(me.pid)
            .bind(me.started)
            .bind(now)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The instances that beat from `host` (live or not), for checking their processes.
    pub async fn instances_on_host(&self, host: &str) -> anyhow::Result<Vec<InstanceRow>> {
        let rows: Vec<(String, String, String, i64, i64)> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_as(
                "SELECT holder, host, boot_id, pid, started FROM instances WHERE host = $1",
            )
            .bind(host)
            .fetch_all(&mut *c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(holder, host, boot_id, pid, started)| InstanceRow {
                holder,
                host,
                boot_id,
                pid,
                started,
            })
            .collect())
    }

    /// Forgets an instance (one that stopped, or whose process is gone): its
    /// mailbox leases and outbox claims are free at once.
    pub async fn forget_instance(&self, holder: &str) -> anyhow::Result<()> {
        on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query("DELETE FROM instances WHERE holder = $1")
                .bind(holder)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// Forgets instances that have not beaten since `before` (long dead).
    pub async fn forget_instances_silent_since(
        &self,
        before: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let n = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query("DELETE FROM instances WHERE heartbeat_at < $1")
                .bind(before)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// Whether `holder` beat after `now - LIVENESS`.
    pub async fn instance_is_live(&self, holder: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let live: Option<String> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar("SELECT holder FROM instances WHERE holder = $1 AND heartbeat_at > $2")
                .bind(holder)
                .bind(live_after(now)?)
                .fetch_optional(&mut *c)
                .await?
        });
        Ok(live.is_some())
    }
}
