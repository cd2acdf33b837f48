//! What klagebot leaves to people and tells them about: a person's mail it did
//! not act on (with the reason), the daily digest that lists such mail (one per
//! local day, sent by exactly one instance), and the cases of a backlog whose
//! acknowledgement was due before klagebot read them (alarmed once).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Store, Tx, on_backend, parse_column};
use crate::domain::{CaseRef, LeftReason};

/// A person's mail left alone, as the digest lists it.
#[derive(Debug, Clone)]
pub struct LeftMail {
    pub id: i64,
    pub mailbox: String,
    pub received_at: DateTime<Utc>,
    pub reason: Option<LeftReason>,
    pub raw: Vec<u8>,
}

/// A stored mail, to open a case from it later (a digest line answered `#open`).
#[derive(Debug, Clone)]
pub struct StoredMail {
    pub id: i64,
    pub mailbox: String,
    pub received_at: DateTime<Utc>,
    pub raw: Vec<u8>,
    pub case_ref: Option<CaseRef>,
}

impl Tx {
    /// Mail left for people that arrived after `after` and up to `through`, oldest first.
    pub async fn left_mail_between(
        &mut self,
        after: DateTime<Utc>,
        through: DateTime<Utc>,
    ) -> anyhow::Result<Vec<LeftMail>> {
        let rows = on_backend!(self.conn(), c => {
            sqlx::query(
                "SELECT id, mailbox, received_at, left_reason, raw FROM inbound
                 WHERE status = 'left' AND received_at > $1 AND received_at <= $2
                 ORDER BY received_at, id",
            )
            .bind(after)
            .bind(through)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| -> anyhow::Result<LeftMail> {
                let reason: Option<String> = r.try_get("left_reason")?;
                Ok(LeftMail {
                    id: r.try_get("id")?,
                    mailbox: r.try_get("mailbox")?,
                    received_at: r.try_get("received_at")?,
                    reason: reason.and_then(|r| r.parse().ok()),
                    raw: r.try_get("raw")?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// Marks inbound mail `id` as a person's mail left alone for `reason`.
    pub async fn leave_for_people(
        &mut self,
        id: i64,
        reason: LeftReason,
        note: &str,
    ) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::query("UPDATE inbound SET status = 'left', left_reason = $2, note = $3 WHERE id = $1")
                .bind(id)
                .bind(reason.code())
                .bind(note)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// A stored inbound mail by id.
    pub async fn stored_mail(&mut self, id: i64) -> anyhow::Result<Option<StoredMail>> {
        let row = on_backend!(self.conn(), c => {
            sqlx::query("SELECT id, mailbox, received_at, raw, case_ref FROM inbound WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| -> anyhow::Result<StoredMail> {
                    let case_ref: Option<String> = r.try_get("case_ref")?;
                    Ok(StoredMail {
                        id: r.try_get("id")?,
                        mailbox: r.try_get("mailbox")?,
                        received_at: r.try_get("received_at")?,
                        raw: r.try_get("raw")?,
                        case_ref: case_ref.map(|c| parse_column("case reference", &c)).transpose()?,
                    })
                })
                .transpose()?
        });
        Ok(row)
    }

    /// Claims the digest of local day `day`, covering mail up to `through`; false
    /// when it was sent already (by this or another instance).
    pub async fn claim_digest(
        &mut self,
        day: NaiveDate,
        through: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let claimed: Option<NaiveDate> = on_backend!(self.conn(), c => {
            sqlx::query_scalar(
                "INSERT INTO digests (day, through, sent_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING RETURNING day",
            )
            .bind(day)
            .bind(through)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?
        });
        Ok(claimed.is_some())
    }

    /// Notes that case `reference` opened when its acknowledgement was due already.
    pub async fn record_late_acknowledgement(
        &mut self,
        reference: &CaseRef,
        opened_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::query(
                "INSERT INTO late_acknowledgements (case_ref, opened_at) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(reference.to_string())
            .bind(opened_at)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The late cases no alarm has listed yet, marked alarmed at `now` (the
    /// caller queues the alarm in this transaction).
    pub async fn claim_late_acknowledgements(
        &mut self,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<CaseRef>> {
        let refs: Vec<String> = on_backend!(self.conn(), c => {
            sqlx::query_scalar(
                "UPDATE late_acknowledgements SET alarmed_at = $1 WHERE alarmed_at IS NULL
                 RETURNING case_ref",
            )
            .bind(now)
            .fetch_all(&mut *c)
            .await?
        });
        let mut refs: Vec<CaseRef> = refs
            .iter()
            .map(|r| parse_column("case reference", r))
            .collect::<anyhow::Result<_>>()?;
        refs.sort();
        Ok(refs)
    }
}

impl Store {
    /// When the oldest mail left for people arrived, if there is any.
    pub async fn first_left_mail_at(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let first = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar("SELECT MIN(received_at) FROM inbound WHERE status = 'left'")
                .fetch_one(&mut *c)
                .await?
        });
        Ok(first)
    }

    /// Where the last digest's period ended, if one was ever sent.
    pub async fn last_digest_through(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let through = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar("SELECT MAX(through) FROM digests")
                .fetch_one(&mut *c)
                .await?
        });
        Ok(through)
    }
}
