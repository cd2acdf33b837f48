//! What keeps one address from causing a flood or a loop: how much mail it
//! sent us and we sent it within a window (counted in the transaction that
//! queues the next one, so that a cap holds exactly), the automatic mail
//! withheld beyond a cap, and the one summary per address and hour that tells
//! staff about it.
//!
//! Addresses are compared by their key (trimmed, lower-case), as the outbox's
//! recipients are stored.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Conn, Tx, on_backend, parse_column};
use crate::domain::CaseRef;

/// Mail withheld for one address and not yet summarised for staff.
#[derive(Debug, Clone)]
pub struct Withheld {
    pub case_ref: CaseRef,
    /// The outbox kind that was not queued, e.g. `customer_acknowledgement`.
    pub kind: String,
    pub at: DateTime<Utc>,
}

fn key(address: &str) -> String {
    address.trim().to_lowercase()
}

impl Tx {
    /// Serialises the transactions that count and queue mail to `address`, so
    /// that two of them cannot both see room under a cap. SQLite has one writer
    /// at a time already; PostgreSQL takes a transaction-scoped advisory lock.
    pub async fn lock_address(&mut self, address: &str) -> anyhow::Result<()> {
        if let Conn::Postgres(c) = self.conn() {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
                .bind(format!("klagebot-address:{}", key(address)))
                .execute(&mut *c)
                .await?;
        }
        Ok(())
    }

    /// How many mails to the customer at `address` were queued since `since`
    /// (sent, waiting or failed alike).
    pub async fn customer_mail_count(
        &mut self,
        address: &str,
        since: DateTime<Utc>,
    ) -> anyhow::Result<u32> {
        Ok(self.customer_mail_counts(address, since, since).await?.0)
    }

    /// [`Tx::customer_mail_count`] since `recent` and since `earlier` (the hour
    /// and the day of the caps) in one query; `recent` is the later instant.
    pub async fn customer_mail_counts(
        &mut self,
        address: &str,
        recent: DateTime<Utc>,
        earlier: DateTime<Utc>,
    ) -> anyhow::Result<(u32, u32)> {
        let (recent, earlier): (i64, i64) = on_backend!(self.conn(), c => {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN o.not_before >= $2 THEN 1 ELSE 0 END), 0), COUNT(*)
                 FROM outbox o JOIN outbox_recipients r ON r.outgoing_id = o.id
                 WHERE r.address = $1 AND o.kind LIKE 'customer\\_%' ESCAPE '\\'
                   AND o.not_before >= $3",
            )
            .bind(key(address))
            .bind(recent)
            .bind(earlier.min(recent))
            .fetch_one(&mut *c)
            .await?
        });
        Ok((u32::try_from(recent)?, u32::try_from(earlier)?))
    }

    /// When each mail of any kind to `address` was queued since `since`.
    pub async fn mail_to_times(
        &mut self,
        address: &str,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<DateTime<Utc>>> {
        let times = on_backend!(self.conn(), c => {
            sqlx::query_scalar(
                "SELECT o.not_before FROM outbox o JOIN outbox_recipients r ON r.outgoing_id = o.id
                 WHERE r.address = $1 AND o.not_before >= $2 ORDER BY o.not_before",
            )
            .bind(key(address))
            .bind(since)
            .fetch_all(&mut *c)
            .await?
        });
        Ok(times)
    }

    /// Mail from `sender` that arrived since `since`, other than mail `except`:
    /// when each arrived and its text's fingerprint.
    pub async fn mail_from(
        &mut self,
        sender: &str,
        since: DateTime<Utc>,
        except: i64,
    ) -> anyhow::Result<Vec<(DateTime<Utc>, Option<u64>)>> {
        let rows = on_backend!(self.conn(), c => {
            sqlx::query(
                "SELECT received_at, fingerprint FROM inbound
                 WHERE sender = $1 AND received_at >= $2 AND id <> $3 ORDER BY received_at",
            )
            .bind(key(sender))
            .bind(since)
            .bind(except)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| -> Result<_, sqlx::Error> {
                let fingerprint: Option<i64> = r.try_get("fingerprint")?;
                // Stored as the signed number with the same 64 bits.
                Ok((r.try_get("received_at")?, fingerprint.map(|f| f as u64)))
            })
            .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// How many mails from `sender` arrived since `since` (this one included).
    pub async fn mail_count_from(
        &mut self,
        sender: &str,
        since: DateTime<Utc>,
    ) -> anyhow::Result<u32> {
        let n: i64 = on_backend!(self.conn(), c => {
            sqlx::query_scalar("SELECT COUNT(*) FROM inbound WHERE sender = $1 AND received_at >= $2")
                .bind(key(sender))
                .bind(since)
                .fetch_one(&mut *c)
                .await?
        });
        Ok(u32::try_from(n)?)
    }

    /// Records that mail of `kind` to `address` in case `reference` was not
    /// queued, and why.
    pub async fn record_withheld(
        &mut self,
        reference: &CaseRef,
        address: &str,
        kind: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::query(
                "INSERT INTO withheld (case_ref, address, kind, reason, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(reference.to_string())
            .bind(key(address))
            .bind(kind)
            .bind(reason)
            .bind(at)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Whether mail of `kind` was withheld in case `reference`.
    pub async fn was_withheld(&mut self, reference: &CaseRef, kind: &str) -> anyhow::Result<bool> {
        let n: i64 = on_backend!(self.conn(), c => {
            sqlx::query_scalar("SELECT COUNT(*) FROM withheld WHERE case_ref = $1 AND kind = $2")
                .bind(reference.to_string())
                .bind(kind)
                .fetch_one(&mut *c)
                .await?
        });
        Ok(n > 0)
    }

    /// The addresses with withheld mail not yet summarised whose last summary is
    /// older than `last_before` (or that never had one), oldest first.
    pub async fn floods_due(&mut self, last_before: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
        let addresses = on_backend!(self.conn(), c => {
            sqlx::query_scalar(
                "SELECT w.address FROM withheld w LEFT JOIN flood_notices n ON n.address = w.address
                 WHERE w.summarized_at IS NULL AND (n.last_at IS NULL OR n.last_at <= $1)
                 GROUP BY w.address ORDER BY MIN(w.at)",
            )
            .bind(last_before)
            .fetch_all(&mut *c)
            .await?
        });
        Ok(addresses)
    }

    /// The mail withheld for `address` not yet summarised, oldest first.
    pub async fn unsummarized_withheld(&mut self, address: &str) -> anyhow::Result<Vec<Withheld>> {
        let rows = on_backend!(self.conn(), c => {
            sqlx::query(
                "SELECT case_ref, kind, at FROM withheld
                 WHERE address = $1 AND summarized_at IS NULL ORDER BY at, id",
            )
            .bind(key(address))
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| -> anyhow::Result<Withheld> {
                let reference: String = r.try_get("case_ref")?;
                Ok(Withheld {
                    case_ref: parse_column("case reference", &reference)?,
                    kind: r.try_get("kind")?,
                    at: r.try_get("at")?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// Records that staff were told about `address`'s withheld mail at `now`.
    pub async fn mark_flood_summarized(
        &mut self,
        address: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let address = key(address);
        on_backend!(self.conn(), c => {
            sqlx::query("UPDATE withheld SET summarized_at = $2 WHERE address = $1 AND summarized_at IS NULL")
                .bind(&address)
                .bind(now)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "INSERT INTO flood_notices (address, last_at) VALUES ($1, $2)
                 ON CONFLICT (address) DO UPDATE SET last_at = excluded.last_at",
            )
            .bind(&address)
            .bind(now)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}
