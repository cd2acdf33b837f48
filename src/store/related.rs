//! The same matter: the inverted index of complaint keys (hashes only, no
//! text), the links between cases, the surges alerted once per cluster and
//! their later members.
//!
//! Finding candidates reads the counts of the new case's keys (one lookup by
//! primary key each) and the postings of its rarer keys within the window (a
//! range of the `(key, received_at, case_ref)` primary key each): never every case.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
// The dynamic SQL below only repeats numbered placeholders (`$3, $4, …`):
// every value is bound.
use sqlx::AssertSqlSafe;

use super::{Conn, Store, Tx, on_backend, parse_column, placeholders};
use crate::domain::CaseRef;
use crate::related::{Candidate, Frequencies, Match};

/// The `related_key_counts` row that counts the indexed cases themselves.
const TOTAL: i64 = i64::MIN;

/// A stored link between two cases, seen from one of them.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLink {
    pub other: CaseRef,
    pub score: f64,
    pub reason: String,
    /// `suggested`, `confirmed` or `removed`.
    pub state: String,
    pub by: Option<String>,
}

/// A case of a surge not yet listed in a daily update.
#[derive(Debug, Clone)]
pub struct SurgeMember {
    pub surge: String,
    pub case_ref: CaseRef,
    pub received_at: DateTime<Utc>,
}

/// A surge as alerted.
#[derive(Debug, Clone)]
pub struct StoredSurge {
    pub name: String,
    pub words: String,
    pub first_at: DateTime<Utc>,
    pub latest_at: DateTime<Utc>,
}

impl Tx {
    /// How many indexed cases hold each of `hashes`, and how many are indexed.
    pub async fn related_frequencies(&mut self, hashes: &[i64]) -> anyhow::Result<Frequencies> {
        let mut all: Vec<i64> = hashes.to_vec();
        all.push(TOTAL);
        all.sort_unstable();
        all.dedup();
        let sql = format!(
            "SELECT key, cases FROM related_key_counts WHERE key IN ({})",
            placeholders(1, all.len())
        );
        let rows: Vec<(i64, i64)> = on_backend!(self.conn(), c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
            for h in &all {
                q = q.bind(*h);
            }
            q.fetch_all(&mut *c).await?
        });
        let mut freq = Frequencies::default();
        for (key, cases) in rows {
            if key == TOTAL {
                freq.total = cases;
            } else {
                freq.of.insert(key, cases);
            }
        }
        Ok(freq)
    }

    /// The cases received since `since` that hold two or more of `hashes`, with
    /// the keys each holds; of each key only its `per_key` most recent cases are
    /// read (a range of the primary key each, newest first), so that a common key
    /// costs no more than a rare one, and the database groups them by case.
    pub async fn related_postings(
        &mut self,
        hashes: &[i64],
        since: DateTime<Utc>,
        per_key: i64,
    ) -> anyhow::Result<Vec<(CaseRef, Vec<i64>)>> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let ranges = (0..hashes.len())
            .map(|i| {
                format!(
                    "SELECT case_ref, key FROM (SELECT case_ref, key FROM related_keys
                     WHERE key = ${} AND received_at >= $1 ORDER BY received_at DESC LIMIT $2) AS p{i}",
                    i + 3
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let keys_of = match self.conn() {
            Conn::Sqlite(_) => "group_concat(key, ',')",
            Conn::Postgres(_) => "string_agg(key::text, ',')",
        };
        let sql = format!(
            "SELECT case_ref, {keys_of} FROM ({ranges}) AS postings
             GROUP BY case_ref HAVING COUNT(*) >= 2"
        );
        let rows: Vec<(String, String)> = on_backend!(self.conn(), c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(since).bind(per_key);
            for h in hashes {
                q = q.bind(*h);
            }
            q.fetch_all(&mut *c).await?
        });
        rows.into_iter()
            .map(|(r, keys)| {
                let keys = keys
                    .split(',')
                    .map(|k| parse_column("related key", k))
                    .collect::<anyhow::Result<Vec<i64>>>()?;
                Ok((parse_column("case reference", &r)?, keys))
            })
            .collect()
    }

    /// The candidates among `found` (case, shared keys) with their stored weight.
    pub async fn related_candidates(
        &mut self,
        found: Vec<(CaseRef, Vec<i64>)>,
    ) -> anyhow::Result<Vec<Candidate>> {
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT case_ref, received_at, weight FROM related_docs WHERE case_ref IN ({})",
            placeholders(1, found.len())
        );
        let rows: Vec<(String, DateTime<Utc>, f64)> = on_backend!(self.conn(), c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
            for (r, _) in &found {
                q = q.bind(r.to_string());
            }
            q.fetch_all(&mut *c).await?
        });
        let docs: HashMap<String, (DateTime<Utc>, f64)> =
            rows.into_iter().map(|(r, at, w)| (r, (at, w))).collect();
        Ok(found
            .into_iter()
            .filter_map(|(reference, shared)| {
                let (received_at, weight) = *docs.get(&reference.to_string())?;
                Some(Candidate {
                    reference,
                    received_at,
                    weight,
                    shared,
                })
            })
            .collect())
    }

    /// Adds a case to the index: its weight, a posting for each of `posted`
    /// (the keys worth one) and a count for each of `hashes`.
    pub async fn index_case(
        &mut self,
        reference: &CaseRef,
        received_at: DateTime<Utc>,
        weight: f64,
        hashes: &[i64],
        posted: &[i64],
    ) -> anyhow::Result<()> {
        let distinct = |hashes: &[i64]| {
            let mut hashes = hashes.to_vec();
            hashes.sort_unstable();
            hashes.dedup();
            hashes.retain(|h| *h != TOTAL);
            hashes
        };
        let (hashes, posted) = (distinct(hashes), distinct(posted));
        let reference = reference.to_string();
        let postings = format!(
            "INSERT INTO related_keys (key, case_ref, received_at) VALUES {} ON CONFLICT DO NOTHING",
            (0..posted.len())
                .map(|i| format!("(${}, $1, $2)", i + 3))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let counts = format!(
            "INSERT INTO related_key_counts (key, cases) VALUES {}
             ON CONFLICT (key) DO UPDATE SET cases = related_key_counts.cases + 1",
            (1..=hashes.len() + 1)
                .map(|i| format!("(${i}, 1)"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        on_backend!(self.conn(), c => {
            let inserted = sqlx::query(
                "INSERT INTO related_docs (case_ref, received_at, weight) VALUES ($1, $2, $3)
                 ON CONFLICT (case_ref) DO NOTHING",
            )
            .bind(&reference)
            .bind(received_at)
            .bind(weight)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Ok(());
            }
            if !posted.is_empty() {
                let mut q = sqlx::query(AssertSqlSafe(postings.as_str())).bind(&reference).bind(received_at);
                for h in &posted {
                    q = q.bind(*h);
                }
                q.execute(&mut *c).await?;
            }
            let mut q = sqlx::query(AssertSqlSafe(counts.as_str())).bind(TOTAL);
            for h in &hashes {
                q = q.bind(*h);
            }
            q.execute(&mut *c).await?;
        });
        Ok(())
    }

    /// Stores the links a new case was given (suggested, with score and reason).
    pub async fn insert_links(
        &mut self,
        reference: &CaseRef,
        links: &[Match],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO case_links (case_ref, other_ref, score, reason, state, at)
             VALUES {} ON CONFLICT DO NOTHING",
            (0..links.len())
                .map(|i| format!(
                    "($1, ${}, ${}, ${}, 'suggested', $2)",
                    3 * i + 3,
                    3 * i + 4,
                    3 * i + 5
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        on_backend!(self.conn(), c => {
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(reference.to_string())
                .bind(now);
            for link in links {
                q = q.bind(link.reference.to_string()).bind(link.score).bind(&link.reason);
            }
            q.execute(&mut *c).await?;
        });
        Ok(())
    }

    /// Records a staff member's word on a link (`confirmed` or `removed`),
    /// whichever way it was stored; a link not suggested is added.
    pub async fn set_link_state(
        &mut self,
        reference: &CaseRef,
        other: &CaseRef,
        state: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (a, b) = (reference.to_string(), other.to_string());
        on_backend!(self.conn(), c => {
            let updated = sqlx::query(
                "UPDATE case_links SET state = $3, by_staff = $4, at = $5
                 WHERE (case_ref = $1 AND other_ref = $2) OR (case_ref = $2 AND other_ref = $1)",
            )
            .bind(&a)
            .bind(&b)
            .bind(state)
            .bind(by)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if updated == 0 {
                sqlx::query(
                    "INSERT INTO case_links (case_ref, other_ref, score, reason, state, at, by_staff)
                     VALUES ($1, $2, 1.0, 'linked by staff', $3, $4, $5)",
                )
                .bind(&a)
                .bind(&b)
                .bind(state)
                .bind(now)
                .bind(by)
                .execute(&mut *c)
                .await?;
            }
        });
        Ok(())
    }

    /// The surge each of `references` belongs to, if any.
    pub async fn surges_of(
        &mut self,
        references: &[CaseRef],
    ) -> anyhow::Result<HashMap<CaseRef, String>> {
        if references.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT case_ref, surge FROM surge_members WHERE case_ref IN ({})",
            placeholders(1, references.len())
        );
        let rows: Vec<(String, String)> = on_backend!(self.conn(), c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
            for r in references {
                q = q.bind(r.to_string());
            }
            q.fetch_all(&mut *c).await?
        });
        rows.into_iter()
            .map(|(r, s)| Ok((parse_column("case reference", &r)?, s)))
            .collect()
    }

    /// Records a new surge named `name`; false when it was recorded already
    /// (by another transaction or instance): its alert is sent once.
    pub async fn create_surge(
        &mut self,
        name: &str,
        words: &str,
        first_at: DateTime<Utc>,
        latest_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let created = on_backend!(self.conn(), c => {
            sqlx::query(
                "INSERT INTO surges (name, alerted_at, first_at, latest_at, words, last_update)
                 VALUES ($1, $2, $3, $4, $5, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(now)
            .bind(first_at)
            .bind(latest_at)
            .bind(words)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(created == 1)
    }

    /// Adds a case to a surge: `in_alert` when the alert lists it, else it
    /// waits for the daily update. The surge's latest time moves on.
    pub async fn add_surge_member(
        &mut self,
        surge: &str,
        reference: &CaseRef,
        received_at: DateTime<Utc>,
        in_alert: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let reported = in_alert.then_some(now);
        on_backend!(self.conn(), c => {
            sqlx::query(
                "INSERT INTO surge_members (case_ref, surge, received_at, in_alert, reported_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_ref) DO NOTHING",
            )
            .bind(reference.to_string())
            .bind(surge)
            .bind(received_at)
            .bind(in_alert)
            .bind(reported)
            .execute(&mut *c)
            .await?;
            sqlx::query(
                "UPDATE surges SET latest_at = $2 WHERE name = $1 AND latest_at < $2",
            )
            .bind(surge)
            .bind(received_at)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Surge members no update listed yet, claimed for the update being written.
    pub async fn unreported_surge_members(&mut self) -> anyhow::Result<Vec<SurgeMember>> {
        let rows: Vec<(String, String, DateTime<Utc>)> = on_backend!(self.conn(), c => {
            sqlx::query_as(
                "SELECT surge, case_ref, received_at FROM surge_members
                 WHERE reported_at IS NULL ORDER BY surge, received_at",
            )
            .fetch_all(&mut *c)
            .await?
        });
        rows.into_iter()
            .map(|(surge, case_ref, received_at)| {
                Ok(SurgeMember {
                    surge,
                    case_ref: parse_column("case reference", &case_ref)?,
                    received_at,
                })
            })
            .collect()
    }

    /// Claims a surge's daily update: true for the one transaction (of any
    /// instance) that moves its last update from before `before` to `now`.
    pub async fn claim_surge_update(
        &mut self,
        name: &str,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let claimed = on_backend!(self.conn(), c => {
            sqlx::query("UPDATE surges SET last_update = $3 WHERE name = $1 AND last_update <= $2")
                .bind(name)
                .bind(before)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        Ok(claimed == 1)
    }

    /// A surge by name.
    pub async fn surge(&mut self, name: &str) -> anyhow::Result<Option<StoredSurge>> {
        let row: Option<(String, String, DateTime<Utc>, DateTime<Utc>)> = on_backend!(self.conn(), c => {
            sqlx::query_as(
                "SELECT name, words, first_at, latest_at FROM surges WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(&mut *c)
            .await?
        });
        Ok(row.map(|(name, words, first_at, latest_at)| StoredSurge {
            name,
            words,
            first_at,
            latest_at,
        }))
    }

    /// Marks members as listed in an update.
    pub async fn mark_surge_reported(
        &mut self,
        references: &[CaseRef],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        for r in references {
            on_backend!(self.conn(), c => {
                sqlx::query(
                    "UPDATE surge_members SET reported_at = $2 WHERE case_ref = $1 AND reported_at IS NULL",
                )
                .bind(r.to_string())
                .bind(now)
                .execute(&mut *c)
                .await?;
            });
        }
        Ok(())
    }

    /// The links of a case, either way round.
    pub async fn links_of(&mut self, reference: &CaseRef) -> anyhow::Result<Vec<StoredLink>> {
        links_of(self.conn(), reference).await
    }
}

impl Store {
    /// The links of a case, either way round, the strongest first.
    pub async fn links_of(&self, reference: &CaseRef) -> anyhow::Result<Vec<StoredLink>> {
        links_of(self.acquire().await?.conn(), reference).await
    }
}

async fn links_of(conn: Conn<'_>, reference: &CaseRef) -> anyhow::Result<Vec<StoredLink>> {
    let rows: Vec<(String, String, f64, String, String, Option<String>)> = on_backend!(conn, c => {
        sqlx::query_as(
            "SELECT case_ref, other_ref, score, reason, state, by_staff FROM case_links
             WHERE case_ref = $1 OR other_ref = $1 ORDER BY score DESC, at",
        )
        .bind(reference.to_string())
        .fetch_all(&mut *c)
        .await?
    });
    let me = reference.to_string();
    rows.into_iter()
        .map(|(a, b, score, reason, state, by)| {
            let other = if a == me { b } else { a };
            Ok(StoredLink {
                other: parse_column("case reference", &other)?,
                score,
                reason,
                state,
                by,
            })
        })
        .collect()
}
