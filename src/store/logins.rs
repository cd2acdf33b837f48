//! Logins that keep failing: since when, and whether their one alarm was queued.
//! Kept in the database so that a restart or a second instance neither forgets a
//! failure's start nor alarms about it twice.

use chrono::{DateTime, Utc};

use super::{Store, Tx, on_backend};

/// A login failing since `since`; `alarmed` once its alarm mail was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    pub since: DateTime<Utc>,
    pub alarmed: bool,
}

impl Store {
    /// Notes that `login` failed at `now`; the first failure's time is kept.
    pub async fn login_failed(
        &self,
        login: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<LoginFailure> {
        let (since, alarmed_at): (DateTime<Utc>, Option<DateTime<Utc>>) = on_backend!(self.acquire().await?.conn(), c => {
            // The no-op update makes RETURNING give the existing row too.
            sqlx::query_as(
                "INSERT INTO login_failures (login, failing_since) VALUES ($1, $2)
                     ON CONFLICT (login) DO UPDATE SET login = excluded.login
                     RETURNING failing_since, alarmed_at",
            )
            .bind(login)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
        });
        Ok(LoginFailure {
            since,
            alarmed: alarmed_at.is_some(),
        })
    }

    /// `login` works again: forgets its failure, so that a new one alarms again.
    /// True when there was a failure to forget.
    pub async fn login_recovered(&self, login: &str) -> anyhow::Result<bool> {
        let deleted = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query("DELETE FROM login_failures WHERE login = $1")
                .bind(login)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }
}

impl Tx {
    /// Claims the alarm of `login`'s current failure; false when it was claimed
    /// before (an earlier run, another instance) or the failure is over.
    pub async fn claim_login_alarm(
        &mut self,
        login: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let claimed = on_backend!(self.conn(), c => {
            sqlx::query(
                "UPDATE login_failures SET alarmed_at = $2 WHERE login = $1 AND alarmed_at IS NULL",
            )
            .bind(login)
            .bind(at)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(claimed == 1)
    }
}
