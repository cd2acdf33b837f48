//! The outbox: rendered mail queued in the same transaction as the state change
//! that caused it, claimed by the sender under a lease that names its holder,
//! then marked sent, retried or failed (each counting one attempt). A sender
//! killed mid-delivery loses nothing: once its instance stops beating (or its
//! process is found gone) the mail is claimed again; a live sender renews its
//! leases with every heartbeat.

use chrono::{DateTime, Utc};

use super::{Conn, Direction, NewOutgoing, Outgoing, Store, Tx};
use super::{on_backend, parse_column, placeholders, skip_locked};
use crate::domain::CaseRef;

/// The columns of `outbox` that make an [`Outgoing`].
macro_rules! outgoing_columns {
    () => {
        "id, case_ref, kind, message_id, envelope_from, recipients, raw, state, not_before, \
         attempts, last_error, sent_at"
    };
}

#[derive(sqlx::FromRow)]
struct OutgoingRow {
    id: i64,
    case_ref: Option<String>,
    kind: String,
    message_id: String,
    envelope_from: String,
    recipients: String,
    raw: Vec<u8>,
    state: String,
    not_before: DateTime<Utc>,
    attempts: i64,
    last_error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
}

impl OutgoingRow {
    fn into_outgoing(self) -> anyhow::Result<Outgoing> {
        Ok(Outgoing {
            id: self.id,
            case_ref: self
                .case_ref
                .map(|r| parse_column("case reference", &r))
                .transpose()?,
            kind: self.kind,
            message_id: self.message_id,
            envelope_from: self.envelope_from,
            recipients: serde_json::from_str(&self.recipients).map_err(|e| {
                anyhow::anyhow!("stored recipients of mail {} invalid: {e}", self.id)
            })?,
            raw: self.raw,
            state: parse_column("outgoing state", &self.state)?,
            not_before: self.not_before,
            attempts: u32::try_from(self.attempts)?,
            last_error: self.last_error,
            sent_at: self.sent_at,
        })
    }
}

/// The form of an address the per-address counts go by (see `floods`).
fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

impl Tx {
    /// The case's mail, oldest first, as this transaction sees it.
    pub async fn outgoing_for_case(
        &mut self,
        reference: &CaseRef,
    ) -> anyhow::Result<Vec<Outgoing>> {
        outgoing_for_case(self.conn(), reference).await
    }

    /// The mail was accepted by the server; in the transaction that records what
    /// its delivery changes.
    pub async fn mark_sent(&mut self, id: i64, at: DateTime<Utc>) -> anyhow::Result<()> {
        mark_sent(self.conn(), id, at).await
    }

    /// Queues a mail; returns its outbox id. A case's mail also files its
    /// Message-ID under the case, so that replies to it thread back.
    pub async fn enqueue(&mut self, mail: &NewOutgoing) -> anyhow::Result<i64> {
        if let Some(reference) = &mail.case_ref {
            self.record_message_id(&mail.message_id, reference, Direction::Out)
                .await?;
        }
        let mut conn = self.conn();
        let id: i64 = on_backend!(conn.reborrow(), c => {
            sqlx::query_scalar(
                "INSERT INTO outbox (case_ref, kind, message_id, envelope_from, recipients, raw,
                     not_before) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(mail.case_ref.as_ref().map(|r| r.to_string()))
            .bind(&mail.kind)
            .bind(&mail.message_id)
            .bind(&mail.envelope_from)
            .bind(serde_json::to_string(&mail.recipients)?)
            .bind(&mail.raw)
            .bind(mail.not_before)
            .fetch_one(&mut *c)
            .await?
        });
        let mut keys: Vec<String> = mail.recipients.iter().map(|a| address_key(a)).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            on_backend!(conn.reborrow(), c => {
                sqlx::query("INSERT INTO outbox_recipients (outgoing_id, address) VALUES ($1, $2)")
                    .bind(id)
                    .bind(key)
                    .execute(&mut *c)
                    .await?;
            });
        }
        Ok(id)
    }
}

impl Store {
    /// Queues a mail in its own transaction (mail not tied to a state change).
    pub async fn enqueue(&self, mail: &NewOutgoing) -> anyhow::Result<i64> {
        let mut tx = self.begin().await?;
        let id = tx.enqueue(mail).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Takes up to `limit` mails due at `now` that nobody holds, and holds them
    /// for `holder` for `lease` (renewed by [`Store::renew_claims`]). A mail is
    /// held while its lease runs and its holder beats. Oldest first.
    pub async fn claim_outgoing(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        holder: &str,
        lease: std::time::Duration,
    ) -> anyhow::Result<Vec<Outgoing>> {
        let until = now + chrono::Duration::from_std(lease)?;
        let live_after = super::instances::live_after(now)?;
        let mut conn = self.acquire().await?;
        // One statement, and SQLite has one writer at a time: atomic as it stands.
        // PostgreSQL has several senders: each skips the rows another is claiming.
        let lock = skip_locked(&conn.conn());
        let sql = format!(
            "UPDATE outbox SET lease_until = $2, claimed_by = $4
             WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND not_before <= $1
                 AND (lease_until IS NULL OR lease_until <= $1 OR claimed_by IS NULL
                      OR NOT EXISTS (SELECT 1 FROM instances i
                          WHERE i.holder = outbox.claimed_by AND i.heartbeat_at > $5))
                 ORDER BY not_before, id LIMIT $3{lock})
             RETURNING {}",
            outgoing_columns!()
        );
        let rows: Vec<OutgoingRow> = on_backend!(conn.conn(), c => {
            // Only constants are spliced in: the lock clause and the column list.
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(now)
                .bind(until)
                .bind(i64::from(limit))
                .bind(holder)
                .bind(live_after)
                .fetch_all(&mut *c)
                .await?
        });
        let mut claimed = rows
            .into_iter()
            .map(OutgoingRow::into_outgoing)
            .collect::<anyhow::Result<Vec<_>>>()?;
        claimed.sort_by_key(|m| (m.not_before, m.id));
        Ok(claimed)
    }

    /// Extends every lease `holder` has on queued mail to `until` (the sender's
    /// heartbeat); returns how many.
    pub async fn renew_claims(&self, holder: &str, until: DateTime<Utc>) -> anyhow::Result<u64> {
        let n = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "UPDATE outbox SET lease_until = $2
                 WHERE claimed_by = $1 AND lease_until IS NOT NULL AND state = 'queued'",
            )
            .bind(holder)
            .bind(until)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// Gives a claimed mail back untried (the sender stops, or the server is
    /// down): due again at once, no attempt counted.
    pub async fn release_outgoing(&self, id: i64) -> anyhow::Result<()> {
        on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "UPDATE outbox SET lease_until = NULL, claimed_by = NULL
                 WHERE id = $1 AND state = 'queued'",
            )
            .bind(id)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The SMTP server is back: every queued mail waiting for a retry because
    /// of a failure is due at `now`, not at its own later time.
    pub async fn retry_waiting_now(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let n = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "UPDATE outbox SET not_before = $1
                 WHERE state = 'queued' AND not_before > $1 AND last_error IS NOT NULL
                     AND lease_until IS NULL",
            )
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// The mail was accepted by the server.
    pub async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> anyhow::Result<()> {
        mark_sent(self.acquire().await?.conn(), id, at).await
    }

    /// A transient failure: try again at `next_attempt_at`.
    pub async fn mark_retry(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let n = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "UPDATE outbox SET not_before = $3, last_error = $2, lease_until = NULL,
                     claimed_by = NULL, attempts = attempts + 1
                 WHERE id = $1 AND state = 'queued'",
            )
            .bind(id)
            .bind(error)
            .bind(next_attempt_at)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        expect_one(n, id)
    }

    /// A permanent failure: never tried again.
    pub async fn mark_failed(&self, id: i64, error: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        let n = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "UPDATE outbox SET state = 'failed', last_error = $2, failed_at = $3,
                     lease_until = NULL, claimed_by = NULL, attempts = attempts + 1
                 WHERE id = $1 AND state = 'queued'",
            )
            .bind(id)
            .bind(error)
            .bind(at)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        expect_one(n, id)
    }

    /// Every mail queued for a case, in queue order.
    pub async fn outgoing_for_case(&self, reference: &CaseRef) -> anyhow::Result<Vec<Outgoing>> {
        outgoing_for_case(self.acquire().await?.conn(), reference).await
    }

    /// Of the mails `ids`, those still queued (not marked sent or failed).
    pub async fn queued_outgoing(&self, ids: &[i64]) -> anyhow::Result<Vec<Outgoing>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM outbox WHERE state = 'queued' AND id IN ({}) ORDER BY id",
            outgoing_columns!(),
            placeholders(1, ids.len())
        );
        let rows: Vec<OutgoingRow> = on_backend!(self.acquire().await?.conn(), c => {
            // Only the column list and numbered placeholders are spliced in.
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        rows.into_iter().map(OutgoingRow::into_outgoing).collect()
    }

    /// Mails still waiting to be sent (queued, whether or not due yet).
    pub async fn queued_outgoing_count(&self) -> anyhow::Result<u64> {
        let n: i64 = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'queued'")
                .fetch_one(&mut *c)
                .await?
        });
        Ok(u64::try_from(n)?)
    }
}

fn expect_one(rows: u64, id: i64) -> anyhow::Result<()> {
    if rows != 1 {
        anyhow::bail!("no queued outgoing mail with id {id}");
    }
    Ok(())
}

async fn mark_sent(conn: Conn<'_>, id: i64, at: DateTime<Utc>) -> anyhow::Result<()> {
    let n = on_backend!(conn, c => {
        sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $2, lease_until = NULL,
                 claimed_by = NULL, last_error = NULL,
                 attempts = attempts + CASE WHEN state = 'queued' THEN 1 ELSE 0 END
             WHERE id = $1",
        )
        .bind(id)
        .bind(at)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    expect_one(n, id)
}

async fn outgoing_for_case(conn: Conn<'_>, reference: &CaseRef) -> anyhow::Result<Vec<Outgoing>> {
    let rows: Vec<OutgoingRow> = on_backend!(conn, c => {
        sqlx::query_as(concat!(
            "SELECT ", outgoing_columns!(), " FROM outbox WHERE case_ref = $1 ORDER BY id"
        ))
        .bind(reference.to_string())
        .fetch_all(&mut *c)
        .await?
    });
    rows.into_iter().map(OutgoingRow::into_outgoing).collect()
}
