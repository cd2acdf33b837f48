//! Mail coming in: each mailbox's sync state (UIDVALIDITY, last UID), the raw
//! messages stored once before anything else, and the leases that let one
//! instance at a time read a mailbox.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Conn, InboundInsert, InboundStatus, NewInbound, PendingInbound, Store, SyncState, Tx};
use super::{on_backend, parse_column};
use crate::domain::CaseRef;

impl Tx {
    pub async fn sync_state(&mut self, mailbox: &str) -> anyhow::Result<Option<SyncState>> {
        sync_state(self.conn(), mailbox).await
    }

    /// Records that everything up to `last_uid` under `uidvalidity` is stored.
    pub async fn set_sync_state(
        &mut self,
        mailbox: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> anyhow::Result<()> {
        set_sync_state(self.conn(), mailbox, uidvalidity, last_uid).await
    }

    /// Stores a mail's raw bytes once; a mail seen before is not stored again.
    pub async fn insert_inbound(&mut self, mail: &NewInbound<'_>) -> anyhow::Result<InboundInsert> {
        insert_inbound(self.conn(), mail).await
    }

    pub async fn set_inbound_status(
        &mut self,
        id: i64,
        status: InboundStatus,
        note: Option<&str>,
        case_ref: Option<&CaseRef>,
    ) -> anyhow::Result<()> {
        set_inbound_status(self.conn(), id, status, note, case_ref).await
    }
}

impl Store {
    pub async fn sync_state(&self, mailbox: &str) -> anyhow::Result<Option<SyncState>> {
        sync_state(self.acquire().await?.conn(), mailbox).await
    }

    pub async fn set_sync_state(
        &self,
        mailbox: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> anyhow::Result<()> {
        set_sync_state(self.acquire().await?.conn(), mailbox, uidvalidity, last_uid).await
    }

    /// Stores a mail's raw bytes once, in its own transaction.
    pub async fn insert_inbound(&self, mail: &NewInbound<'_>) -> anyhow::Result<InboundInsert> {
        let mut tx = self.begin().await?;
        let result = tx.insert_inbound(mail).await?;
        tx.commit().await?;
        Ok(result)
    }

    pub async fn set_inbound_status(
        &self,
        id: i64,
        status: InboundStatus,
        note: Option<&str>,
        case_ref: Option<&CaseRef>,
    ) -> anyhow::Result<()> {
        let mut conn = self.acquire().await?;
        set_inbound_status(conn.conn(), id, status, note, case_ref).await
    }

    /// Mail stored but not finished, oldest first: what to handle after a crash.
    pub async fn pending_inbound(&self) -> anyhow::Result<Vec<PendingInbound>> {
        let rows = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "SELECT id, mailbox, source_key, message_id, received_at FROM inbound
                 WHERE status = 'pending' ORDER BY id",
            )
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| {
                Ok(PendingInbound {
                    id: r.try_get("id")?,
                    mailbox: r.try_get("mailbox")?,
                    source_key: r.try_get("source_key")?,
                    message_id: r.try_get("message_id")?,
                    received_at: r.try_get("received_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// The raw bytes of a stored mail.
    pub async fn inbound_raw(&self, id: i64) -> anyhow::Result<Option<Vec<u8>>> {
        let raw = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar("SELECT raw FROM inbound WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
        });
        Ok(raw)
    }

    /// Takes (or renews) the right to read `mailbox` until `now + ttl`; false
    /// while another holder keeps it: its lease has not expired and it beat
    /// within [`super::LIVENESS`] (a holder that stopped beating, or that was
    /// found dead and forgotten, holds nothing).
    pub async fn try_lease_mailbox(
        &self,
        mailbox: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> anyhow::Result<bool> {
        let expires = now + chrono::Duration::from_std(ttl)?;
        let live_after = super::instances::live_after(now)?;
        let got: Option<String> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar(
                "INSERT INTO mailbox_leases (mailbox, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (mailbox) DO UPDATE SET holder = excluded.holder,
                     expires_at = excluded.expires_at
                 WHERE mailbox_leases.holder = excluded.holder OR mailbox_leases.expires_at <= $4
                     OR NOT EXISTS (SELECT 1 FROM instances i
                         WHERE i.holder = mailbox_leases.holder AND i.heartbeat_at > $5)
                 RETURNING holder",
            )
            .bind(mailbox)
            .bind(holder)
            .bind(expires)
            .bind(now)
            .bind(live_after)
            .fetch_optional(&mut *c)
            .await?
        });
        Ok(got.is_some())
    }

    /// Extends a lease this holder has; false when it was lost meanwhile
    /// (expired and taken by another instance): stop reading the mailbox.
    pub async fn renew_mailbox_lease(
        &self,
        mailbox: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> anyhow::Result<bool> {
        let expires = now + chrono::Duration::from_std(ttl)?;
        let done = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query("UPDATE mailbox_leases SET expires_at = $3 WHERE mailbox = $1 AND holder = $2")
                .bind(mailbox)
                .bind(holder)
                .bind(expires)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Gives a lease up at once (on shutdown), so another instance need not wait.
    pub async fn release_mailbox_lease(&self, mailbox: &str, holder: &str) -> anyhow::Result<()> {
        on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query("DELETE FROM mailbox_leases WHERE mailbox = $1 AND holder = $2")
                .bind(mailbox)
                .bind(holder)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }
}

async fn sync_state(conn: Conn<'_>, mailbox: &str) -> anyhow::Result<Option<SyncState>> {
    let row: Option<(i64, i64)> = on_backend!(conn, c => {
        sqlx::query_as("SELECT uidvalidity, last_uid FROM mailbox_sync WHERE mailbox = $1")
            .bind(mailbox)
            .fetch_optional(&mut *c)
            .await?
    });
    row.map(|(uidvalidity, last_uid)| {
        Ok(SyncState {
            uidvalidity: u32::try_from(uidvalidity)?,
            last_uid: u32::try_from(last_uid)?,
        })
    })
    .transpose()
}

async fn set_sync_state(
    conn: Conn<'_>,
    mailbox: &str,
    uidvalidity: u32,
    last_uid: u32,
) -> anyhow::Result<()> {
    on_backend!(conn, c => {
        sqlx::query(
            "INSERT INTO mailbox_sync (mailbox, uidvalidity, last_uid) VALUES ($1, $2, $3)
             ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                 last_uid = excluded.last_uid",
        )
        .bind(mailbox)
        .bind(i64::from(uidvalidity))
        .bind(i64::from(last_uid))
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// Inserts first and looks only on a conflict: the two unique keys are the two
/// dedupe rules, so a mail seen before never gets a second row.
async fn insert_inbound(
    mut conn: Conn<'_>,
    mail: &NewInbound<'_>,
) -> anyhow::Result<InboundInsert> {
    let id: Option<i64> = on_backend!(conn.reborrow(), c => {
        sqlx::query_scalar(
            "INSERT INTO inbound (mailbox, source_key, message_id, sha256, raw, received_at, identity,
                 sender, fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(mail.mailbox)
        .bind(&mail.source_key)
        .bind(&mail.message_id)
        .bind(&mail.sha256)
        .bind(mail.raw)
        .bind(mail.received_at)
        .bind(&mail.identity)
        .bind(&mail.sender)
        // Stored as the signed number with the same 64 bits.
        .bind(mail.fingerprint.map(|f| f as i64))
        .fetch_optional(&mut *c)
        .await?
    });
    match id {
        Some(id) => Ok(InboundInsert::New(id)),
        None => find_inbound(conn, mail)
            .await?
            .ok_or_else(|| anyhow::anyhow!("inbound mail conflicts but cannot be found")),
    }
}

async fn find_inbound(
    conn: Conn<'_>,
    mail: &NewInbound<'_>,
) -> anyhow::Result<Option<InboundInsert>> {
    let row: Option<(i64, String)> = on_backend!(conn, c => {
        sqlx::query_as(
            "SELECT id, status FROM inbound
             WHERE (mailbox = $1 AND source_key = $2) OR (sha256 = $3 AND message_id = $4)
                OR (mailbox = $1 AND identity = $5)
             ORDER BY id LIMIT 1",
        )
        .bind(mail.mailbox)
        .bind(&mail.source_key)
        .bind(&mail.sha256)
        .bind(&mail.message_id)
        .bind(&mail.identity)
        .bind(&mail.sender)
        // Stored as the signed number with the same 64 bits.
        .bind(mail.fingerprint.map(|f| f as i64))
        .fetch_optional(&mut *c)
        .await?
    });
    row.map(|(id, status)| {
        Ok(InboundInsert::Duplicate(
            id,
            parse_column("inbound status", &status)?,
        ))
    })
    .transpose()
}

async fn set_inbound_status(
    conn: Conn<'_>,
    id: i64,
    status: InboundStatus,
    note: Option<&str>,
    case_ref: Option<&CaseRef>,
) -> anyhow::Result<()> {
    let updated = on_backend!(conn, c => {
        sqlx::query(
            "UPDATE inbound SET status = $2, note = $3, case_ref = COALESCE($4, case_ref)
             WHERE id = $1",
        )
        .bind(id)
        .bind(status.code())
        .bind(note)
        .bind(case_ref.map(|r| r.to_string()))
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if updated != 1 {
        anyhow::bail!("no inbound mail with id {id}");
    }
    Ok(())
}
