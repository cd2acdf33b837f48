//! Throw-away PostgreSQL storage for tests and benchmarks (not part of the
//! library: the store tests and `benches/store.rs` include this file). Each test process gets
//! its own database (`klagebot_test_{unix time}_{pid}`) and each test a schema of
//! its own inside it, so tests never see each other and stay fast (a schema takes
//! milliseconds, a database half a second). Databases left by earlier runs are
//! dropped when the next run starts: their process is gone or they are old.

#![allow(dead_code)] // each includer uses a different part
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tokio::sync::OnceCell;

use klagebot::store::Store;

/// The environment variable naming the server, and its default.
pub const SERVER_URL_ENV: &str = "KLAGEBOT_TEST_POSTGRES_URL";
pub const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// What to tell someone whose PostgreSQL does not answer.
pub const START_HINT: &str = "start PostgreSQL with \
    `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
    or point KLAGEBOT_TEST_POSTGRES_URL at a server that accepts CREATE DATABASE";

const PREFIX: &str = "klagebot_test_";
/// A run database older than this is left over, whoever made it.
const STALE_AFTER_SECS: u64 = 6 * 3600;

/// A schema of its own for one test, in this process's database.
pub struct ScratchPostgres {
    database_url: String,
    schema: String,
    /// The url for [`Store::connect`]: the run's database with this schema first
    /// on the search path.
    pub url: String,
}

impl ScratchPostgres {
    /// Creates a fresh schema on the server of `KLAGEBOT_TEST_POSTGRES_URL`.
    pub async fn create() -> anyhow::Result<ScratchPostgres> {
        static RUN_DATABASE: OnceCell<String> = OnceCell::const_new();
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let database_url = RUN_DATABASE.get_or_try_init(create_run_database).await?;
        let schema = format!("t{}", COUNTER.fetch_add(1, Ordering::Relaxed));
        admin(database_url, &format!("CREATE SCHEMA {schema}")).await?;
        let separator = if database_url.contains('?') { '&' } else { '?' };
        let url = format!("{database_url}{separator}options[search_path]={schema}");
        Ok(ScratchPostgres {
            database_url: database_url.clone(),
            schema,
            url,
        })
    }

    /// Closes `store` and drops the schema with everything in it.
    pub async fn drop_schema(self, store: Store) -> anyhow::Result<()> {
        store.close().await;
        admin(
            &self.database_url,
            &format!("DROP SCHEMA {} CASCADE", self.schema),
        )
        .await
    }
}

async fn create_run_database() -> anyhow::Result<String> {
    let server_url =
        std::env::var(SERVER_URL_ENV).unwrap_or_else(|_| DEFAULT_SERVER_URL.to_string());
    let mut conn = PgConnection::connect(&server_url)
        .await
        .with_context(|| format!("PostgreSQL at {server_url} does not answer: {START_HINT}"))?;
    drop_leftovers(&mut conn, &server_url).await?;
    let name = format!("{PREFIX}{}_{}", unix_now(), std::process::id());
    sqlx::query(checked(&format!("CREATE DATABASE {name}"))?)
        .execute(&mut conn)
        .await
        .with_context(|| format!("cannot create database {name}"))?;
    conn.close().await?;
    Ok(with_database(&server_url, &name))
}

/// Drops the run databases of processes that have ended (when the server is on
/// this machine) or that are older than [`STALE_AFTER_SECS`].
async fn drop_leftovers(conn: &mut PgConnection, server_url: &str) -> anyhow::Result<()> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'klagebot\\_test\\_%'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let local = server_url.contains("@127.0.0.1") || server_url.contains("@localhost");
    for name in names {
        let Some((created, pid)) = parse_run_name(&name) else {
            continue;
        };
        let gone = local && !std::path::Path::new(&format!("/proc/{pid}")).exists();
        if gone || unix_now().saturating_sub(created) > STALE_AFTER_SECS {
            let statement = checked(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
            // Another run may be dropping it at the same moment: not our concern.
            let _ = sqlx::query(statement).execute(&mut *conn).await;
        }
    }
    Ok(())
}

/// `klagebot_test_{created}_{pid}` → `(created, pid)`.
pub(crate) fn parse_run_name(name: &str) -> Option<(u64, u32)> {
    let (created, pid) = name.strip_prefix(PREFIX)?.split_once('_')?;
    Some((created.parse().ok()?, pid.parse().ok()?))
}

async fn admin(url: &str, statement: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url)
        .await
        .with_context(|| format!("PostgreSQL does not answer: {START_HINT}"))?;
    sqlx::query(checked(statement)?)
        .execute(&mut conn)
        .await
        .with_context(|| format!("while running {statement}"))?;
    conn.close().await?;
    Ok(())
}

/// DDL takes no parameters: the statements here are built only from names of
/// our own making, and this makes sure they hold nothing but plain identifiers.
pub(crate) fn checked(statement: &str) -> anyhow::Result<AssertSqlSafe<String>> {
    let plain = statement
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '(' | ')'));
    if !plain {
        anyhow::bail!("refusing to run {statement:?}: unexpected characters");
    }
    Ok(AssertSqlSafe(statement.to_string()))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// `server_url` with its database name replaced by `name`.
pub(crate) fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}
