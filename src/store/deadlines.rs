//! Deadlines in the database (no timer per case in memory): one row per case and
//! key, armed by the case logic, claimed by the scheduler when due and marked
//! fired in the same transaction as the actions it caused, so each fires once —
//! across restarts and with several instances on one PostgreSQL.

use chrono::{DateTime, Utc};
// The dynamic SQL below only repeats numbered placeholders: every value is bound.
use sqlx::AssertSqlSafe;

use super::{DueDeadline, Store, Tx};
use super::{on_backend, parse_column, skip_locked};
use crate::domain::CaseRef;

impl Tx {
    /// Arms (or moves) the deadline `key` of a case. A deadline that already
    /// fired stays fired: to fire again, use a new key (e.g. one naming the date).
    pub async fn upsert_deadline(
        &mut self,
        reference: &CaseRef,
        key: &str,
        due_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.upsert_deadlines(reference, &[(key.to_string(), due_at)])
            .await
    }

    /// Arms (or moves) several deadlines of a case in one statement, each as
    /// [`Tx::upsert_deadline`] does.
    pub async fn upsert_deadlines(
        &mut self,
        reference: &CaseRef,
        deadlines: &[(String, DateTime<Utc>)],
    ) -> anyhow::Result<()> {
        if deadlines.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO deadlines (case_ref, key, due_at) VALUES {}
             ON CONFLICT (case_ref, key) DO UPDATE SET due_at = excluded.due_at,
                 cancelled = FALSE
             WHERE deadlines.fired_at IS NULL",
            (0..deadlines.len())
                .map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3))
                .collect::<Vec<_>>()
                .join(", ")
        );
        on_backend!(self.conn(), c => {
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str())).bind(reference.to_string());
            for (key, due_at) in deadlines {
                q = q.bind(key).bind(*due_at);
            }
            q.execute(&mut *c).await?;
        });
        Ok(())
    }

    /// Disarms every deadline of a case that has not fired (decided, withdrawn…).
    pub async fn cancel_deadlines(&mut self, reference: &CaseRef) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::query("UPDATE deadlines SET cancelled = TRUE WHERE case_ref = $1 AND fired_at IS NULL")
                .bind(reference.to_string())
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// Claims up to `limit` deadlines due at `now`, earliest first. They stay
    /// claimed until this transaction ends: mark each fired in it (with the mail
    /// and events it causes) and commit; a rollback or a crash leaves them due.
    /// On PostgreSQL another instance skips the rows this one holds.
    pub async fn claim_due_deadlines(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> anyhow::Result<Vec<DueDeadline>> {
        // SQLite: the transaction began IMMEDIATE, it is the only writer until it ends.
        let sql = format!(
            "SELECT id, case_ref, key, due_at FROM deadlines
             WHERE fired_at IS NULL AND NOT cancelled AND due_at <= $1
             ORDER BY due_at, id LIMIT $2{}",
            skip_locked(&self.conn())
        );
        let rows: Vec<(i64, String, String, DateTime<Utc>)> = on_backend!(self.conn(), c => {
            // Only a constant lock clause is spliced in.
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&mut *c)
                .await?
        });
        rows.into_iter()
            .map(|(id, case_ref, key, due_at)| {
                Ok(DueDeadline {
                    id,
                    case_ref: parse_column("case reference", &case_ref)?,
                    key,
                    due_at,
                })
            })
            .collect()
    }

    /// Marks a claimed deadline fired; false if it had fired already.
    pub async fn mark_deadline_fired(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let n = on_backend!(self.conn(), c => {
            sqlx::query("UPDATE deadlines SET fired_at = $2 WHERE id = $1 AND fired_at IS NULL")
                .bind(id)
                .bind(at)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }
}

impl Store {
    /// When the scheduler should wake next: the earliest armed deadline.
    pub async fn next_deadline_at(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let next = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_scalar(
                "SELECT MIN(due_at) FROM deadlines WHERE fired_at IS NULL AND NOT cancelled",
            )
            .fetch_one(&mut *c)
            .await?
        });
        Ok(next)
    }

    /// The armed deadlines of a case, as `(key, due_at)`, earliest first.
    pub async fn deadlines_for_case(
        &self,
        reference: &CaseRef,
    ) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
        let rows = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_as(
                "SELECT key, due_at FROM deadlines
                 WHERE case_ref = $1 AND fired_at IS NULL AND NOT cancelled ORDER BY due_at, id",
            )
            .bind(reference.to_string())
            .fetch_all(&mut *c)
            .await?
        });
        Ok(rows)
    }
}
