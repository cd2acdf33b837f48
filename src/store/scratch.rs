//! Throw-away PostgreSQL databases for tests and benchmarks: each run creates its
//! own, uniquely named, and drops it at the end, so runs never see each other.

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use super::Store;

/// The environment variable naming the server, and its default.
pub const SERVER_URL_ENV: &str = "KLAGEBOT_TEST_POSTGRES_URL";
pub const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// What to tell someone whose PostgreSQL does not answer.
pub const START_HINT: &str = "start PostgreSQL with \
    `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
    or point KLAGEBOT_TEST_POSTGRES_URL at a server that accepts CREATE DATABASE";

/// A database created for one test run.
pub struct ScratchPostgres {
    server_url: String,
    name: String,
    /// The url of the new database, for [`Store::connect`].
    pub url: String,
}

impl ScratchPostgres {
    /// Creates a fresh database on the server of `KLAGEBOT_TEST_POSTGRES_URL`.
    pub async fn create() -> anyhow::Result<ScratchPostgres> {
        let server_url =
            std::env::var(SERVER_URL_ENV).unwrap_or_else(|_| DEFAULT_SERVER_URL.to_string());
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "klagebot_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(&server_url)
            .await
            .with_context(|| format!("PostgreSQL at {server_url} does not answer: {START_HINT}"))?;
        sqlx::query(admin_statement("CREATE DATABASE", &name)?)
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        admin.close().await?;
        let url = with_database(&server_url, &name);
        Ok(ScratchPostgres {
            server_url,
            name,
            url,
        })
    }

    /// Closes `store` and drops the database.
    pub async fn drop_database(self, store: Store) -> anyhow::Result<()> {
        store.close().await;
        let mut admin = PgConnection::connect(&self.server_url).await?;
        sqlx::query(admin_statement("DROP DATABASE IF EXISTS", &self.name)?)
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot drop database {}", self.name))?;
        admin.close().await?;
        Ok(())
    }
}

/// `CREATE/DROP DATABASE` take no parameters: the name is checked to be a plain
/// identifier of our own making before it goes into the statement.
fn admin_statement(verb: &'static str, name: &str) -> anyhow::Result<AssertSqlSafe<String>> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        anyhow::bail!("{name:?} is not a plain database name");
    }
    let force = if verb.starts_with("DROP") {
        " WITH (FORCE)"
    } else {
        ""
    };
    Ok(AssertSqlSafe(format!("{verb} {name}{force}")))
}

/// `server_url` with its database name replaced by `name`.
fn with_database(server_url: &str, name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
