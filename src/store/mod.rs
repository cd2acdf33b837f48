//! All SQL: cases, timeline, inbound messages, outbox, deadlines, mailbox sync
//! state and leases, on SQLite (the default, WAL) or PostgreSQL, chosen by the URL.
//!
//! The SQL is written once where it is portable: both backends take `$1`-style
//! parameters, `ON CONFLICT … DO UPDATE` and `RETURNING`, and every value is bound
//! with a type both drivers encode (`i64`, `String`, `bool`, `Vec<u8>`, chrono's
//! `DateTime<Utc>` and `NaiveDate`). The few statements that must differ (row
//! locks) are spelled out per backend. Migrations for each backend live in
//! `migrations/{sqlite,postgres}` and run at connect.
//!
//! Two ways in: a [`Tx`] (from [`Store::begin`]) groups the writes of one mail or
//! one deadline into one transaction — the outbox pattern — and [`Store`] itself
//! offers the reads and single-statement writes that need no transaction of their
//! own (the CLI, the sender, the mailbox leases). On SQLite a `Tx` takes the write
//! lock at `BEGIN IMMEDIATE`, so two writers queue instead of failing mid-way;
//! on PostgreSQL [`Tx::case`] locks the case's row. A transaction that fails with
//! an error [`is_transient`] accepts (a broken deadlock, a busy database) is run
//! again from the start.
//!
//! What is kept, and what each guarantees:
//!
//! | table | holds | guarantee |
//! |---|---|---|
//! | `inbound` | every mail's raw bytes, status, note, case, sender and text fingerprint | stored once: unique per mailbox position, per (content hash, Message-ID) and per identity (Message-ID with sender, or content without trace headers) |
//! | `mailbox_sync`, `mailbox_leases` | UIDVALIDITY + last UID; who reads a mailbox | one reader per mailbox while its lease lasts and its holder lives |
//! | `instances` | each running instance: host, boot id, pid, start, last heartbeat | a holder that stopped beating (3 s) or whose process on this host is gone holds nothing |
//! | `case_counters`, `cases` | the next number per prefix and year; each case's state | references gapless and unique with any number of writers |
//! | `case_events` | the timeline, JSON per event, kind beside it | append-only, in append order |
//! | `message_ids` | Message-IDs in and out, by case | the first case to file an id keeps it |
//! | `outbox`, `outbox_recipients` | rendered mail, attempts, errors, claim (holder and lease) | claimed by one sender at a time; a dead holder or an expired lease frees it again |
//! | `deadlines` | (case, key) → due instant | fires once: claimed and marked in one transaction |
//! | `staff` | names of staff seen in the config | names stay in the register after someone leaves |
//! | `digests` | one row per local day a digest covered, and up to when | one digest per day across instances |
//! | `late_acknowledgements` | cases opened when their acknowledgement was due already | listed in one alarm, once |
//! | `login_failures` | a mailbox's or the SMTP server's login failing since, its alarm | one alarm per failure, whatever restarts or instances |
//! | `withheld`, `flood_notices` | automatic mail not queued beyond a per-address cap (or to our own address); when staff last heard of each address | caps counted in the queueing transaction (PostgreSQL: an advisory lock per address); one summary per address and hour |
//! | `retention_runs` | one row per local day the anonymisation ran, and what it did | once per day across instances |
//! | `audit_log` | who (OS user or staff address) read or changed which case, when, why | append-only: triggers refuse UPDATE and DELETE |
//! | `related_docs`, `related_keys`, `related_key_counts` | each case's weight, its keys' hashes (no text), how many cases hold each key | candidates found by the new case's rarer keys within the window, never a scan |
//! | `case_links` | suggested links (score, reason), confirmed or removed by staff | one row per pair |
//! | `surges`, `surge_members` | a cluster of complaints about one matter; its cases, listed in the alert or a daily update | one alert per cluster, named by its earliest case, whatever instances |
//! | `corrections` | staff labels (`#notcomplaint`, `#open`, `#category`) with the opening mail's model features | features only, never the mail's text |
//!
//! Instants are `DateTime<Utc>`; deadline dates are local `NaiveDate`s of the
//! case's jurisdiction, as in [`crate::case::Case`].

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

mod cases;
mod corrections;
mod deadlines;
mod floods;
mod inbound;
mod instances;
mod logins;
mod outbox;
mod people;
mod privacy;
mod related;
mod types;

pub use corrections::StoredCorrection;
pub use floods::Withheld;
pub use instances::{InstanceRow, LIVENESS};
pub use logins::LoginFailure;
pub use people::{LeftMail, StoredMail};
pub use privacy::{AuditEntry, AuditRow, CustomerMail, RetentionPreview, RetentionState};
pub use related::{StoredLink, StoredSurge, SurgeMember};
pub use types::{
    CaseFilter, Direction, DueDeadline, InboundInsert, InboundStatus, NewInbound, NewOutgoing,
    Outgoing, OutgoingState, PendingInbound, SyncState,
};

/// Runs `$body` with `$c` bound to the backend's connection (`&mut SqliteConnection`
/// or `&mut PgConnection`): the body is compiled once per backend from one text.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $($body:tt)*) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => { $($body)* }
            $crate::store::Conn::Postgres($c) => { $($body)* }
        }
    };
}
pub(crate) use on_backend;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How long a SQLite writer waits for another writer's lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The database: a pool on one of the two backends. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One transaction: everything written through it becomes visible at
/// [`Tx::commit`], or not at all (dropping it rolls back).
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A borrowed connection of either backend, what the query functions run on.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// The clause that makes PostgreSQL claims skip rows another instance holds;
/// nothing on SQLite, where one writer at a time makes a claim atomic anyway.
pub(crate) fn skip_locked(conn: &Conn<'_>) -> &'static str {
    match conn {
        Conn::Sqlite(_) => "",
        Conn::Postgres(_) => " FOR UPDATE SKIP LOCKED",
    }
}

impl Conn<'_> {
    /// The same connection again, for one more statement.
    fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A connection taken from the pool for one statement outside any [`Tx`].
enum PoolConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl PoolConn {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            PoolConn::Sqlite(c) => Conn::Sqlite(c),
            PoolConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://path` or `postgres://…`),
    /// creating a missing SQLite file, and brings its schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        let store = Store::open(url, true).await?;
        tracing::info!(backend = store.backend(), database = %redact_url(url), "database ready");
        Ok(store)
    }

    /// Like [`Store::connect`], but a missing SQLite file is an error: commands
    /// that only read should not leave an empty database behind.
    pub async fn connect_existing(url: &str) -> anyhow::Result<Store> {
        Store::open(url, false).await
    }

    async fn open(url: &str, create: bool) -> anyhow::Result<Store> {
        let store = if is_sqlite(url) {
            Store::Sqlite(open_sqlite(url, create).await?)
        } else if is_postgres(url) {
            Store::Postgres(open_postgres(url).await?)
        } else {
            bail!("database url {url:?}: expected sqlite://PATH or postgres://…");
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Which backend this is: `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Store::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Store::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .context("while bringing the database schema up to date")
    }

    /// Every table with its columns in order (migrations' bookkeeping left out):
    /// lets a test check that the two backends' migrations stay in step.
    pub async fn schema(&self) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> = match self.acquire().await?.conn() {
            Conn::Sqlite(c) => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                     WHERE m.type = 'table'
                       AND m.name NOT IN ('sqlite_sequence', '_sqlx_migrations')
                     ORDER BY m.name, p.cid",
                )
                .fetch_all(&mut *c)
                .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as(
                    "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'
                     ORDER BY table_name, ordinal_position",
                )
                .fetch_all(&mut *c)
                .await?
            }
        };
        let mut tables: Vec<(String, Vec<String>)> = Vec::new();
        for (table, column) in rows {
            match tables.last_mut() {
                Some((name, columns)) if *name == table => columns.push(column),
                _ => tables.push((table, vec![column])),
            }
        }
        Ok(tables)
    }

    /// Starts a transaction (on SQLite it holds the write lock until it ends).
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        let tx = match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        Ok(tx)
    }

    /// Closes every pooled connection (waits for those in use).
    pub async fn close(&self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }

    /// The SQLite database's file; `None` on PostgreSQL.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self {
            Store::Sqlite(pool) => Some(pool.connect_options().get_filename().to_path_buf()),
            Store::Postgres(_) => None,
        }
    }

    async fn acquire(&self) -> anyhow::Result<PoolConn> {
        let conn = match self {
            Store::Sqlite(pool) => PoolConn::Sqlite(pool.acquire().await?),
            Store::Postgres(pool) => PoolConn::Postgres(pool.acquire().await?),
        };
        Ok(conn)
    }
}

impl Tx {
    /// Makes every write of this transaction visible at once.
    pub async fn commit(self) -> anyhow::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .context("while committing a transaction")
    }

    /// Discards every write of this transaction (dropping it does the same).
    pub async fn rollback(self) -> anyhow::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
        .context("while rolling back a transaction")
    }

    /// Marks the point [`Tx::rollback_to_savepoint`] goes back to: the start of
    /// one message in a group of messages sharing this transaction.
    pub async fn savepoint(&mut self) -> anyhow::Result<()> {
        self.execute_plain("SAVEPOINT message").await
    }

    /// Discards what was written since [`Tx::savepoint`], keeping what came
    /// before it; the savepoint stays, to be released.
    pub async fn rollback_to_savepoint(&mut self) -> anyhow::Result<()> {
        self.execute_plain("ROLLBACK TO SAVEPOINT message").await
    }

    /// Keeps what was written since [`Tx::savepoint`] as part of the transaction.
    pub async fn release_savepoint(&mut self) -> anyhow::Result<()> {
        self.execute_plain("RELEASE SAVEPOINT message").await
    }

    async fn execute_plain(&mut self, sql: &'static str) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::raw_sql(sql).execute(&mut *c).await?;
        });
        Ok(())
    }

    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

async fn open_sqlite(url: &str, create: bool) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("database url {url:?} is not a valid SQLite url"))?;
    if url.contains(":memory:") || url.contains("mode=memory") {
        bail!(
            "database url {url:?}: use a file, sqlite://PATH (an in-memory database vanishes with its connections)"
        );
    }
    let path = options.get_filename().to_path_buf();
    if !create && !path.exists() {
        bail!(
            "no database at {}: `klagebot run` creates it on first start (or set database.url)",
            path.display()
        );
    }
    let options = options
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true);
    // SQLite has one writer at a time; writers of this process queue for the one
    // connection instead of meeting SQLite's lock and its busy-wait sleeps (up to
    // 100 ms each), which made every transaction slow as soon as two tasks wrote.
    SqlitePoolOptions::new()
        .max_connections(1)
        .before_acquire(|conn, _| Box::pin(async move { Ok(fit_for_reuse(conn)) }))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open SQLite database {}", path.display()))
}

async fn open_postgres(url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(8)
        .before_acquire(|conn, _| Box::pin(async move { Ok(fit_for_reuse(conn)) }))
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {}", redact_url(url)))
}

/// Whether a pooled connection may be handed out again: not while it still
/// counts itself inside a transaction. That happens when a COMMIT fails and
/// SQLite has already rolled the transaction back by itself (a full disk: the
/// rollback queued when the transaction is dropped then fails with "no
/// transaction is active", and sqlx keeps its depth at 1), after which every
/// `BEGIN` on that connection failed with "attempted to call begin_with at
/// non-zero transaction depth" until a restart. Such a connection is closed and
/// the pool opens a fresh one.
fn fit_for_reuse<C: sqlx::Connection>(conn: &C) -> bool {
    if conn.is_in_transaction() {
        tracing::warn!(
            "a database connection was left inside a failed transaction; opening a fresh one"
        );
        return false;
    }
    true
}

/// A database url without its password, fit for a log line or an error message.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Whether a failed transaction may simply be run again from the start:
/// PostgreSQL broke a deadlock or a serialization conflict, SQLite stayed busy
/// past its timeout or its disk was full or failing, or the pool or the
/// connection gave out for a moment.
pub fn is_transient(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| match cause.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::Database(db)) => {
                let code = db.code().unwrap_or_default();
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // BUSY and LOCKED, also in their extended forms (primary code in the
                    // low byte); IOERR, FULL and CANTOPEN: the disk, not the data, failed,
                    // and the same transaction works once it is back.
                    code.parse::<i32>()
                        .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13 | 14))
                } else {
                    // serialization failure, deadlock detected, lock not available
                    matches!(code.as_ref(), "40001" | "40P01" | "55P03")
                }
            }
            Some(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) => true,
            _ => false,
        })
}

/// Turns a stored text back into a domain value, naming the column when it does not parse.
/// `$from, $from+1, …`: `n` numbered placeholders, for an `IN (…)` list.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_column<T: FromStr>(column: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| anyhow::anyhow!("stored {column} {value:?} is invalid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_the_password_only() {
        assert_eq!(
            redact_url("postgres://kb:secret@db.example:5432/kb"),
            "postgres://kb@db.example:5432/kb"
        );
        assert_eq!(redact_url("postgres://db/kb"), "postgres://db/kb");
    }
}
