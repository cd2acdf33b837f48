//! Personal data under control: which cases and mails have outlived their
//! retention period (a case on legal hold never has), anonymising them in place
//! (the register row stays), the daily run claimed once per local day, reclaiming
//! the freed space so deleted bytes do not linger in the file, the append-only
//! audit trail, and what an access request collects about one address.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Conn, Store, Tx, on_backend, parse_column};
use crate::case::Event;
use crate::config::Cutoffs;
use crate::domain::CaseRef;

/// Whether case `c` is on legal hold: its latest hold event is a hold, not a release.
macro_rules! held {
    () => {
        "COALESCE((SELECT e.kind FROM case_events e WHERE e.case_ref = c.reference \
           AND e.kind IN ('legal_hold', 'legal_hold_released') ORDER BY e.id DESC LIMIT 1), '') \
           = 'legal_hold'"
    };
}

/// One line of the audit trail to write: who, what, which case, any detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// An OS user (`os:NAME`) for the command line, a staff address for mail commands.
    pub actor: String,
    /// What was done: `case`, `report`, `gdpr export`, `gdpr erase`, `staff command #note`…
    pub action: String,
    pub case_ref: Option<CaseRef>,
    pub detail: String,
}

/// One stored line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub case_ref: Option<String>,
    pub detail: String,
}

/// Where a case stands with respect to retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionState {
    /// When the case ended (decided, closed or withdrawn); `None` while open.
    pub ended_at: Option<DateTime<Utc>>,
    pub held: bool,
    pub anonymised: bool,
}

/// What the next anonymisation would touch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPreview {
    /// Expired cases that will be anonymised.
    pub cases: u64,
    /// Expired cases kept because of a legal hold.
    pub held: u64,
    /// Mail of no case past its period.
    pub mails: u64,
    /// Quarantined mail past its period.
    pub quarantined: u64,
}

/// A stored inbound mail as an access request lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMail {
    pub id: i64,
    pub mailbox: String,
    pub received_at: DateTime<Utc>,
    pub status: String,
    pub case_ref: Option<String>,
    pub raw: Vec<u8>,
    pub anonymised: bool,
}

impl Tx {
    /// Claims the anonymisation of local day `day`; false when this or another
    /// instance ran it already.
    pub async fn claim_retention_run(
        &mut self,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let claimed: Option<NaiveDate> = on_backend!(self.conn(), c => {
            sqlx::query_scalar(
                "INSERT INTO retention_runs (day, ran_at, cases, mails) VALUES ($1, $2, 0, 0)
                 ON CONFLICT DO NOTHING RETURNING day",
            )
            .bind(day)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?
        });
        Ok(claimed.is_some())
    }

    /// Records what a claimed run anonymised.
    pub async fn finish_retention_run(
        &mut self,
        day: NaiveDate,
        cases: u64,
        mails: u64,
    ) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::query("UPDATE retention_runs SET cases = $2, mails = $3 WHERE day = $1")
                .bind(day)
                .bind(i64::try_from(cases)?)
                .bind(i64::try_from(mails)?)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// Cases that ended at or before `ended_by`, not anonymised yet and not on
    /// legal hold, oldest first.
    pub async fn expired_cases(&mut self, ended_by: DateTime<Utc>) -> anyhow::Result<Vec<CaseRef>> {
        let refs: Vec<String> = on_backend!(self.conn(), c => {
            sqlx::query_scalar(concat!(
                "SELECT c.reference FROM cases c
                 WHERE c.anonymised_at IS NULL AND c.status IN ('decided', 'closed', 'withdrawn')
                   AND COALESCE(c.closed_at, c.decided_at) <= $1 AND NOT ", held!(),
                " ORDER BY c.received_at, c.reference"
            ))
            .bind(ended_by)
            .fetch_all(&mut *c)
            .await?
        });
        refs.iter()
            .map(|r| parse_column("case reference", r))
            .collect()
    }

    pub async fn retention_state(
        &mut self,
        reference: &CaseRef,
    ) -> anyhow::Result<Option<RetentionState>> {
        retention_state(self.conn(), reference).await
    }

    /// A case's events with their ids, in timeline order.
    pub async fn events_with_ids(
        &mut self,
        reference: &CaseRef,
    ) -> anyhow::Result<Vec<(i64, Event)>> {
        let rows: Vec<(i64, String)> = on_backend!(self.conn(), c => {
            sqlx::query_as("SELECT id, data FROM case_events WHERE case_ref = $1 ORDER BY id")
                .bind(reference.to_string())
                .fetch_all(&mut *c)
                .await?
        });
        rows.into_iter()
            .map(|(id, data)| {
                let event = serde_json::from_str(&data)
                    .map_err(|e| anyhow::anyhow!("stored event of {reference} is invalid: {e}"))?;
                Ok((id, event))
            })
            .collect()
    }

    /// Rewrites one timeline event in place: only anonymisation does this; the
    /// timeline is otherwise append-only.
    pub async fn replace_event(&mut self, id: i64, event: &Event) -> anyhow::Result<()> {
        let data = serde_json::to_string(event)?;
        on_backend!(self.conn(), c => {
            sqlx::query("UPDATE case_events SET data = $2 WHERE id = $1 AND kind = $3")
                .bind(id)
                .bind(data)
                .bind(event.kind())
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// Deletes the personal data a case's mail holds: the raw bytes, sender,
    /// Message-IDs and fingerprints of the mail it received, the bodies and
    /// recipients of the mail it sent (queued mail is left to be sent), the
    /// customer's Message-IDs and the addresses mail was withheld from; marks
    /// the case anonymised. Returns how many mails lost their bytes.
    pub async fn anonymise_case_data(
        &mut self,
        reference: &CaseRef,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let r = reference.to_string();
        let inbound = anonymise_inbound_where(self.conn(), "case_ref = $2", &r, now).await?;
        let outbound = anonymise_outbox_where(self.conn(), "case_ref = $2", &r, now).await?;
        on_backend!(self.conn(), c => {
            sqlx::query("DELETE FROM message_ids WHERE case_ref = $1 AND direction = 'in'")
                .bind(&r)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "UPDATE withheld SET address = 'anonymised', summarized_at = COALESCE(summarized_at, $2)
                 WHERE case_ref = $1",
            )
            .bind(&r)
            .bind(now)
            .execute(&mut *c)
            .await?;
            sqlx::query("UPDATE cases SET anonymised_at = $2 WHERE reference = $1")
                .bind(&r)
                .bind(now)
                .execute(&mut *c)
                .await?;
        });
        Ok(inbound + outbound)
    }

    /// Anonymises the mail of no case past its period (quarantined mail by its
    /// own period), the notices of no case sent before the mail period, and the
    /// flood bookkeeping of addresses not heard from since. Returns the mails.
    pub async fn anonymise_expired_mail(
        &mut self,
        cutoffs: &Cutoffs,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let mut n = anonymise_inbound_where(
            self.conn(),
            "case_ref IS NULL AND status NOT IN ('pending', 'quarantined') AND received_at <= $2",
            cutoffs.mail_received,
            now,
        )
        .await?;
        n += anonymise_inbound_where(
            self.conn(),
            "case_ref IS NULL AND status = 'quarantined' AND received_at <= $2",
            cutoffs.quarantine_received,
            now,
        )
        .await?;
        n += anonymise_outbox_where(
            self.conn(),
            "case_ref IS NULL AND COALESCE(sent_at, not_before) <= $2",
            cutoffs.mail_received,
            now,
        )
        .await?;
        on_backend!(self.conn(), c => {
            sqlx::query("DELETE FROM flood_notices WHERE last_at <= $1")
                .bind(cutoffs.mail_received)
                .execute(&mut *c)
                .await?;
        });
        Ok(n)
    }

    /// Anonymises the mail of no case from `sender` (an erasure request).
    pub async fn anonymise_mail_from(
        &mut self,
        sender: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let key = sender.trim().to_lowercase();
        let n = anonymise_inbound_where(
            self.conn(),
            "case_ref IS NULL AND status <> 'pending' AND sender = $2",
            key.as_str(),
            now,
        )
        .await?;
        on_backend!(self.conn(), c => {
            sqlx::query("DELETE FROM flood_notices WHERE address = $1")
                .bind(&key)
                .execute(&mut *c)
                .await?;
        });
        Ok(n)
    }

    pub async fn append_audit(
        &mut self,
        entry: &AuditEntry,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        append_audit(self.conn(), entry, at).await
    }
}

/// Empties the inbound rows matching `filter` (`$1` is now, `$2` the value).
async fn anonymise_inbound_where<'v, V>(
    conn: Conn<'_>,
    filter: &str,
    value: V,
    now: DateTime<Utc>,
) -> anyhow::Result<u64>
where
    V: sqlx::Encode<'v, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + sqlx::Encode<'v, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + 'v,
{
    let sql = format!(
        "UPDATE inbound SET raw = $3, message_id = '', identity = 'anonymised:' || sha256,
             sender = NULL, fingerprint = NULL, note = NULL, anonymised_at = $1
         WHERE anonymised_at IS NULL AND {filter}"
    );
    let n = on_backend!(conn, c => {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now)
            .bind(value)
            .bind(Vec::<u8>::new())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// Empties the sent or failed outbox rows matching `filter` and forgets their
/// recipients (`$1` is now, `$2` the value).
async fn anonymise_outbox_where<'v, V>(
    mut conn: Conn<'_>,
    filter: &str,
    value: V,
    now: DateTime<Utc>,
) -> anyhow::Result<u64>
where
    V: sqlx::Encode<'v, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + sqlx::Encode<'v, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + 'v,
{
    let update = format!(
        "UPDATE outbox SET raw = $3, recipients = '[]', last_error = NULL, anonymised_at = $1
         WHERE anonymised_at IS NULL AND state <> 'queued' AND {filter} RETURNING id"
    );
    let ids: Vec<i64> = on_backend!(conn.reborrow(), c => {
        sqlx::query_scalar(sqlx::AssertSqlSafe(update.as_str()))
            .bind(now)
            .bind(value)
            .bind(Vec::<u8>::new())
            .fetch_all(&mut *c)
            .await?
    });
    for id in &ids {
        on_backend!(conn.reborrow(), c => {
            sqlx::query("DELETE FROM outbox_recipients WHERE outgoing_id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?;
        });
    }
    Ok(u64::try_from(ids.len())?)
}

async fn append_audit(conn: Conn<'_>, entry: &AuditEntry, at: DateTime<Utc>) -> anyhow::Result<()> {
    on_backend!(conn, c => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, case_ref, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(entry.case_ref.as_ref().map(|r| r.to_string()))
        .bind(&entry.detail)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

async fn retention_state(
    conn: Conn<'_>,
    reference: &CaseRef,
) -> anyhow::Result<Option<RetentionState>> {
    let row: Option<StateRow> = on_backend!(conn, c => {
        sqlx::query_as(concat!(
            "SELECT c.status, c.closed_at, c.decided_at, ", held!(),
            ", c.anonymised_at IS NOT NULL FROM cases c WHERE c.reference = $1"
        ))
        .bind(reference.to_string())
        .fetch_optional(&mut *c)
        .await?
    });
    Ok(row.map(|(status, closed, decided, held, anonymised)| {
        let ended = matches!(status.as_str(), "decided" | "closed" | "withdrawn");
        RetentionState {
            ended_at: closed.or(decided).filter(|_| ended),
            held,
            anonymised,
        }
    }))
}

impl Store {
    /// Whether the anonymisation of local day `day` ran already.
    pub async fn retention_ran(&self, day: NaiveDate) -> anyhow::Result<bool> {
        let found: Option<NaiveDate> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar("SELECT day FROM retention_runs WHERE day = $1")
                .bind(day)
                .fetch_optional(&mut *c)
                .await?
        });
        Ok(found.is_some())
    }

    /// What an anonymisation at `cutoffs` would touch (for `check` and the log).
    pub async fn retention_preview(&self, cutoffs: &Cutoffs) -> anyhow::Result<RetentionPreview> {
        let (cases, held): (i64, i64) = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_as(concat!(
                "SELECT COALESCE(SUM(CASE WHEN NOT ", held!(), " THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN ", held!(), " THEN 1 ELSE 0 END), 0)
                 FROM cases c WHERE c.anonymised_at IS NULL
                   AND c.status IN ('decided', 'closed', 'withdrawn')
                   AND COALESCE(c.closed_at, c.decided_at) <= $1"
            ))
            .bind(cutoffs.case_ended)
            .fetch_one(&mut *c)
            .await?
        });
        let (mails, quarantined): (i64, i64) = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_as(
                "SELECT
                   COALESCE(SUM(CASE WHEN status NOT IN ('pending', 'quarantined') AND received_at <= $1 THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN status = 'quarantined' AND received_at <= $2 THEN 1 ELSE 0 END), 0)
                 FROM inbound WHERE anonymised_at IS NULL AND case_ref IS NULL",
            )
            .bind(cutoffs.mail_received)
            .bind(cutoffs.quarantine_received)
            .fetch_one(&mut *c)
            .await?
        });
        Ok(RetentionPreview {
            cases: u64::try_from(cases)?,
            held: u64::try_from(held)?,
            mails: u64::try_from(mails)?,
            quarantined: u64::try_from(quarantined)?,
        })
    }

    pub async fn retention_state(
        &self,
        reference: &CaseRef,
    ) -> anyhow::Result<Option<RetentionState>> {
        retention_state(self.acquire().await?.conn(), reference).await
    }

    /// Gives the space of deleted data back so that its bytes do not linger in
    /// the database file: SQLite rewrites the file (`VACUUM`) and empties its
    /// write-ahead log; PostgreSQL vacuums the tables that held mail.
    pub async fn reclaim_space(&self) -> anyhow::Result<()> {
        match self.acquire().await?.conn() {
            Conn::Sqlite(c) => {
                sqlx::query("VACUUM").execute(&mut *c).await?;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&mut *c)
                    .await?;
            }
            Conn::Postgres(c) => {
                sqlx::query("VACUUM inbound, outbox, case_events, cases")
                    .execute(&mut *c)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn append_audit(&self, entry: &AuditEntry, at: DateTime<Utc>) -> anyhow::Result<()> {
        append_audit(self.acquire().await?.conn(), entry, at).await
    }

    /// Appends several lines in one transaction (a report reads many cases).
    pub async fn append_audit_all(
        &self,
        entries: &[AuditEntry],
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin().await?;
        for entry in entries {
            tx.append_audit(entry, at).await?;
        }
        tx.commit().await
    }

    /// The audit trail, oldest first: of one case, and/or since an instant.
    pub async fn audit(
        &self,
        case: Option<&CaseRef>,
        since: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Vec<AuditRow>> {
        let rows = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query(
                "SELECT id, at, actor, action, case_ref, detail FROM audit_log
                 WHERE ($1 IS NULL OR case_ref = $1) AND ($2 IS NULL OR at >= $2) ORDER BY id",
            )
            .bind(case.map(|r| r.to_string()))
            .bind(since)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| -> anyhow::Result<AuditRow> {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    case_ref: r.try_get("case_ref")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// The cases of the customer at `address`: those whose customer it is, and
    /// those a mail from it joined (a case links its other addresses), oldest first.
    pub async fn customer_cases(&self, address: &str) -> anyhow::Result<Vec<CaseRef>> {
        let key = address.trim().to_lowercase();
        let refs: Vec<String> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar(
                "SELECT reference FROM cases
                 WHERE LOWER(customer) = $1
                    OR reference IN (SELECT case_ref FROM inbound WHERE sender = $1 AND case_ref IS NOT NULL)
                 ORDER BY received_at, reference",
            )
            .bind(&key)
            .fetch_all(&mut *c)
            .await?
        });
        refs.iter()
            .map(|r| parse_column("case reference", r))
            .collect()
    }

    /// The stored mail of `cases`, then the mail of no case from `sender`
    /// (left for people, ignored, quarantined), each oldest first.
    pub async fn customer_mail(
        &self,
        cases: &[CaseRef],
        sender: &str,
    ) -> anyhow::Result<Vec<CustomerMail>> {
        let key = sender.trim().to_lowercase();
        let mut conn = self.acquire().await?;
        let mut mails = Vec::new();
        let by_case: &'static str = concat!(
            "SELECT id, mailbox, received_at, status, case_ref, raw, anonymised_at IS NOT NULL",
            " FROM inbound WHERE case_ref = $1 ORDER BY received_at, id"
        );
        let by_sender: &'static str = concat!(
            "SELECT id, mailbox, received_at, status, case_ref, raw, anonymised_at IS NOT NULL",
            " FROM inbound WHERE case_ref IS NULL AND sender = $1 ORDER BY received_at, id"
        );
        let queries = cases
            .iter()
            .map(|r| (by_case, r.to_string()))
            .chain(std::iter::once((by_sender, key)));
        for (sql, value) in queries {
            let rows: Vec<MailRow> = on_backend!(conn.conn(), c => {
                sqlx::query_as(sql).bind(value).fetch_all(&mut *c).await?
            });
            mails.extend(rows.into_iter().map(
                |(id, mailbox, received_at, status, case_ref, raw, anonymised)| CustomerMail {
                    id,
                    mailbox,
                    received_at,
                    status,
                    case_ref,
                    raw,
                    anonymised,
                },
            ));
        }
        Ok(mails)
    }
}

/// status, closed_at, decided_at, held, anonymised.
type StateRow = (
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    bool,
    bool,
);

type MailRow = (
    i64,
    String,
    DateTime<Utc>,
    String,
    Option<String>,
    Vec<u8>,
    bool,
);

#[cfg(test)]
mod tests {
    use crate::case::{LEGAL_HOLD, LEGAL_HOLD_RELEASED};

    #[test]
    fn the_hold_query_reads_the_kinds_the_events_store() {
        assert!(held!().contains(&format!("'{LEGAL_HOLD}'")));
        assert!(held!().contains(&format!("'{LEGAL_HOLD_RELEASED}'")));
    }
}
