//! Cases: reference allocation, the case row, its append-only timeline, the
//! Message-ID index that threads mail to cases, and the staff directory.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
// The dynamic SQL here only repeats numbered placeholders: every value is bound.
use sqlx::AssertSqlSafe;

use super::{CaseFilter, Conn, Direction, Store, Tx};
use super::{on_backend, parse_column, placeholders};
use crate::case::{Case, Event, Measure};
use crate::config::Staff;
use crate::domain::CaseRef;

/// The columns of `cases` in the order [`bind_case`] binds them.
macro_rules! case_columns {
    () => {
        "reference, status, tier, mailbox, jurisdiction, language, category, customer, \
         customer_name, subject, contact, received_at, acknowledge_due, answer_due, final_due, \
         acknowledged_at, holding_reply_at, decided_at, outcome, closed_at, escalated_at, \
         referred, related, customer_message_id, last_customer_message_id, next_message_seq, \
         cause, measure, measure_text"
    };
}

/// A `cases` row as stored: texts for the domain's enums, JSON for `related`.
#[derive(sqlx::FromRow)]
struct CaseRow {
    reference: String,
    status: String,
    tier: String,
    mailbox: String,
    jurisdiction: String,
    language: String,
    category: Option<String>,
    customer: String,
    customer_name: Option<String>,
    subject: String,
    contact: Option<String>,
    received_at: DateTime<Utc>,
    acknowledge_due: NaiveDate,
    answer_due: NaiveDate,
    final_due: NaiveDate,
    acknowledged_at: Option<DateTime<Utc>>,
    holding_reply_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    closed_at: Option<DateTime<Utc>>,
    escalated_at: Option<DateTime<Utc>>,
    referred: bool,
    related: String,
    customer_message_id: String,
    last_customer_message_id: String,
    next_message_seq: i64,
    cause: Option<String>,
    measure: Option<String>,
    measure_text: Option<String>,
}

impl CaseRow {
    fn into_case(self) -> anyhow::Result<Case> {
        Ok(Case {
            reference: parse_column("case reference", &self.reference)?,
            status: from_code("status", &self.status)?,
            tier: from_code("tier", &self.tier)?,
            mailbox: self.mailbox,
            jurisdiction: parse_column("jurisdiction", &self.jurisdiction)?,
            language: parse_column("language", &self.language)?,
            category: self
                .category
                .map(|c| parse_column("category", &c))
                .transpose()?,
            customer: parse_column("customer", &self.customer)?,
            customer_name: self.customer_name,
            subject: self.subject,
            contact: self
                .contact
                .map(|c| parse_column("contact", &c))
                .transpose()?,
            received_at: self.received_at,
            acknowledge_due: self.acknowledge_due,
            answer_due: self.answer_due,
            final_due: self.final_due,
            acknowledged_at: self.acknowledged_at,
            holding_reply_at: self.holding_reply_at,
            decided_at: self.decided_at,
            outcome: self.outcome.map(|o| from_code("outcome", &o)).transpose()?,
            closed_at: self.closed_at,
            escalated_at: self.escalated_at,
            referred: self.referred,
            related: serde_json::from_str(&self.related)
                .map_err(|e| anyhow::anyhow!("stored related cases are invalid: {e}"))?,
            customer_message_id: self.customer_message_id,
            last_customer_message_id: self.last_customer_message_id,
            next_message_seq: u32::try_from(self.next_message_seq)?,
            cause: self.cause,
            measure: self
                .measure
                .map(|kind| -> anyhow::Result<Measure> {
                    Ok(Measure {
                        kind: from_code("measure", &kind)?,
                        text: self.measure_text.unwrap_or_default(),
                    })
                })
                .transpose()?,
        })
    }
}

/// Parses a stored enum code (`on_hold`, `partially_upheld`, …) by its serde name.
fn from_code<T: DeserializeOwned>(column: &str, code: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(code.to_string()))
        .map_err(|e| anyhow::anyhow!("stored {column} {code:?} is invalid: {e}"))
}

/// Binds every column of a case, in the order of [`case_columns`].
macro_rules! bind_case {
    ($query:expr, $case:expr) => {{
        let c: &Case = $case;
        $query
            .bind(c.reference.to_string())
            .bind(c.status.code())
            .bind(c.tier.code())
            .bind(c.mailbox.as_str())
            .bind(c.jurisdiction.code())
            .bind(c.language.code())
            .bind(c.category.map(|x| x.code()))
            .bind(c.customer.as_str())
            .bind(c.customer_name.as_deref())
            .bind(c.subject.as_str())
            .bind(c.contact.as_ref().map(|x| x.as_str()))
            .bind(c.received_at)
            .bind(c.acknowledge_due)
            .bind(c.answer_due)
            .bind(c.final_due)
            .bind(c.acknowledged_at)
            .bind(c.holding_reply_at)
            .bind(c.decided_at)
            .bind(c.outcome.map(|x| x.code()))
            .bind(c.closed_at)
            .bind(c.escalated_at)
            .bind(c.referred)
            .bind(serde_json::to_string(&c.related)?)
            .bind(c.customer_message_id.as_str())
            .bind(c.last_customer_message_id.as_str())
            .bind(i64::from(c.next_message_seq))
            .bind(c.cause.as_deref())
            .bind(c.measure.as_ref().map(|m| m.kind.code()))
            .bind(c.measure.as_ref().map(|m| m.text.as_str()))
    }};
}

impl Tx {
    /// The next reference for `prefix` and `year`: numbers are consecutive and never
    /// repeat, whatever the number of writers, because the counter row stays locked
    /// until this transaction ends (and a rollback gives the number back).
    pub async fn allocate_reference(&mut self, prefix: &str, year: i32) -> anyhow::Result<CaseRef> {
        let prefix = prefix.to_ascii_uppercase();
        let number: i64 = on_backend!(self.conn(), c => {
            sqlx::query_scalar(
                "INSERT INTO case_counters (prefix, year, last_number) VALUES ($1, $2, 1)
                 ON CONFLICT (prefix, year) DO UPDATE SET last_number = case_counters.last_number + 1
                 RETURNING last_number",
            )
            .bind(&prefix)
            .bind(i64::from(year))
            .fetch_one(&mut *c)
            .await?
        });
        Ok(CaseRef::new(&prefix, year, u32::try_from(number)?)?)
    }

    /// Stores a new case; its reference must not exist yet.
    pub async fn insert_case(&mut self, case: &Case) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            bind_case!(
                sqlx::query(concat!(
                    "INSERT INTO cases (", case_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
                     $24, $25, $26, $27, $28, $29)"
                )),
                case
            )
            .execute(&mut *c)
            .await
            .with_context(|| format!("while storing new case {}", case.reference))?;
        });
        Ok(())
    }

    /// Replaces the stored state of an existing case.
    pub async fn update_case(&mut self, case: &Case) -> anyhow::Result<()> {
        let updated = on_backend!(self.conn(), c => {
            bind_case!(
                sqlx::query(
                    "UPDATE cases SET status = $2, tier = $3, mailbox = $4, jurisdiction = $5,
                     language = $6, category = $7, customer = $8, customer_name = $9, subject = $10,
                     contact = $11, received_at = $12, acknowledge_due = $13, answer_due = $14,
                     final_due = $15, acknowledged_at = $16, holding_reply_at = $17,
                     decided_at = $18, outcome = $19, closed_at = $20, escalated_at = $21,
                     referred = $22, related = $23, customer_message_id = $24,
                     last_customer_message_id = $25, next_message_seq = $26, cause = $27,
                     measure = $28, measure_text = $29
                     WHERE reference = $1",
                ),
                case
            )
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        if updated != 1 {
            anyhow::bail!("cannot update case {}: it is not stored", case.reference);
        }
        Ok(())
    }

    /// The cases among `references`, in no particular order, read without
    /// taking them (unlike [`Tx::case`]): what another case's mail shows of them.
    pub async fn cases_among(&mut self, references: &[CaseRef]) -> anyhow::Result<Vec<Case>> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM cases WHERE reference IN ({})",
            case_columns!(),
            placeholders(1, references.len())
        );
        let rows: Vec<CaseRow> = on_backend!(self.conn(), c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
            for r in references {
                q = q.bind(r.to_string());
            }
            q.fetch_all(&mut *c).await?
        });
        rows.into_iter().map(CaseRow::into_case).collect()
    }

    /// Reads a case to change it: on PostgreSQL the row stays locked until this
    /// transaction ends, so two instances handling mail of one case take turns
    /// instead of overwriting each other (SQLite's write lock already does that).
    pub async fn case(&mut self, reference: &CaseRef) -> anyhow::Result<Option<Case>> {
        let row: Option<CaseRow> = match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    case_columns!(),
                    " FROM cases WHERE reference = $1"
                ))
                .bind(reference.to_string())
                .fetch_optional(&mut *c)
                .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    case_columns!(),
                    " FROM cases WHERE reference = $1 FOR UPDATE"
                ))
                .bind(reference.to_string())
                .fetch_optional(&mut *c)
                .await?
            }
        };
        row.map(CaseRow::into_case).transpose()
    }

    pub async fn open_cases_per_contact(&mut self) -> anyhow::Result<HashMap<String, usize>> {
        open_cases_per_contact(self.conn()).await
    }

    /// Appends one event to a case's timeline; returns its id (timeline order).
    pub async fn append_event(
        &mut self,
        reference: &CaseRef,
        at: DateTime<Utc>,
        event: &Event,
    ) -> anyhow::Result<i64> {
        let data = serde_json::to_string(event)?;
        let id = on_backend!(self.conn(), c => {
            sqlx::query_scalar(
                "INSERT INTO case_events (case_ref, at, kind, data) VALUES ($1, $2, $3, $4)
                 RETURNING id",
            )
            .bind(reference.to_string())
            .bind(at)
            .bind(event.kind())
            .bind(data)
            .fetch_one(&mut *c)
            .await
            .with_context(|| format!("while appending {} to {reference}", event.kind()))?
        });
        Ok(id)
    }

    /// Appends several events of one case at once, in their order.
    pub async fn append_events(
        &mut self,
        reference: &CaseRef,
        at: DateTime<Utc>,
        events: &[&Event],
    ) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO case_events (case_ref, at, kind, data) VALUES {}",
            (0..events.len())
                .map(|i| format!("($1, $2, ${}, ${})", 2 * i + 3, 2 * i + 4))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let data = events
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?;
        on_backend!(self.conn(), c => {
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(reference.to_string())
                .bind(at);
            for (event, data) in events.iter().zip(&data) {
                q = q.bind(event.kind()).bind(data);
            }
            q.execute(&mut *c)
                .await
                .with_context(|| format!("while appending events to {reference}"))?;
        });
        Ok(())
    }

    pub async fn timeline(
        &mut self,
        reference: &CaseRef,
    ) -> anyhow::Result<Vec<(DateTime<Utc>, Event)>> {
        timeline(self.conn(), reference).await
    }

    /// Files a Message-ID under a case; the first case to claim an id keeps it.
    pub async fn record_message_id(
        &mut self,
        message_id: &str,
        reference: &CaseRef,
        direction: Direction,
    ) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::query(
                "INSERT INTO message_ids (message_id, case_ref, direction) VALUES ($1, $2, $3)
                 ON CONFLICT (message_id) DO NOTHING",
            )
            .bind(crate::domain::strip_angle_brackets(message_id))
            .bind(reference.to_string())
            .bind(direction.code())
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    pub async fn case_for_message_id(
        &mut self,
        message_id: &str,
    ) -> anyhow::Result<Option<CaseRef>> {
        case_for_message_id(self.conn(), message_id).await
    }
}

impl Store {
    pub async fn case(&self, reference: &CaseRef) -> anyhow::Result<Option<Case>> {
        load_case(self.acquire().await?.conn(), reference).await
    }

    /// The cases matching `filter`, oldest first. `overdue_on` and `due_by` imply open.
    pub async fn list_cases(&self, filter: &CaseFilter) -> anyhow::Result<Vec<Case>> {
        let open_only = filter.open_only || filter.overdue_on.is_some() || filter.due_by.is_some();
        let rows: Vec<CaseRow> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_as(concat!(
                "SELECT ", case_columns!(), " FROM cases
                 WHERE ($1 = FALSE OR status IN ('received', 'acknowledged', 'on_hold'))
                   AND ($2 IS NULL OR answer_due < $2)
                   AND ($3 IS NULL OR answer_due <= $3)
                 ORDER BY received_at, reference"
            ))
            .bind(open_only)
            .bind(filter.overdue_on)
            .bind(filter.due_by)
            .fetch_all(&mut *c)
            .await?
        });
        rows.into_iter().map(CaseRow::into_case).collect()
    }

    /// Cases received in `[from, to)`, oldest first (the register's raw material).
    pub async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Case>> {
        let rows: Vec<CaseRow> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_as(concat!(
                "SELECT ", case_columns!(), " FROM cases
                 WHERE received_at >= $1 AND received_at < $2 ORDER BY received_at, reference"
            ))
            .bind(from)
            .bind(to)
            .fetch_all(&mut *c)
            .await?
        });
        rows.into_iter().map(CaseRow::into_case).collect()
    }

    /// Open cases per contact person, keyed by [`crate::domain::EmailAddress::key`].
    pub async fn open_cases_per_contact(&self) -> anyhow::Result<HashMap<String, usize>> {
        open_cases_per_contact(self.acquire().await?.conn()).await
    }

    /// A case's events in the order they were appended.
    pub async fn timeline(
        &self,
        reference: &CaseRef,
    ) -> anyhow::Result<Vec<(DateTime<Utc>, Event)>> {
        timeline(self.acquire().await?.conn(), reference).await
    }

    pub async fn case_for_message_id(&self, message_id: &str) -> anyhow::Result<Option<CaseRef>> {
        case_for_message_id(self.acquire().await?.conn(), message_id).await
    }

    /// Mirrors the configured staff, so that names stay known for the register
    /// after someone leaves the config.
    pub async fn sync_staff(&self, staff: &[Staff]) -> anyhow::Result<()> {
        let mut tx = self.begin().await?;
        for s in staff {
            let role = serde_json::to_value(s.role)?;
            on_backend!(tx.conn(), c => {
                sqlx::query(
                    "INSERT INTO staff (email_key, email, name, role) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (email_key) DO UPDATE SET email = excluded.email,
                         name = excluded.name, role = excluded.role",
                )
                .bind(s.email.key())
                .bind(s.email.as_str())
                .bind(&s.name)
                .bind(role.as_str().unwrap_or_default())
                .execute(&mut *c)
                .await?;
            });
        }
        tx.commit().await
    }

    /// Staff names by address key, as last synchronised from the config.
    pub async fn staff_names(&self) -> anyhow::Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> = on_backend!(self.acquire().await?.conn(), c => {
            sqlx::query_as("SELECT email_key, name FROM staff").fetch_all(&mut *c).await?
        });
        Ok(rows.into_iter().collect())
    }
}

async fn load_case(conn: Conn<'_>, reference: &CaseRef) -> anyhow::Result<Option<Case>> {
    let row: Option<CaseRow> = on_backend!(conn, c => {
        sqlx::query_as(concat!("SELECT ", case_columns!(), " FROM cases WHERE reference = $1"))
            .bind(reference.to_string())
            .fetch_optional(&mut *c)
            .await?
    });
    row.map(CaseRow::into_case).transpose()
}

async fn open_cases_per_contact(conn: Conn<'_>) -> anyhow::Result<HashMap<String, usize>> {
    // Kept by triggers (migration 0012): no count over every open case.
    let rows: Vec<(String, i64)> = on_backend!(conn, c => {
        sqlx::query_as("SELECT contact, open FROM contact_load WHERE open > 0")
        .fetch_all(&mut *c)
        .await?
    });
    rows.into_iter()
        .map(|(contact, n)| Ok((contact, usize::try_from(n)?)))
        .collect()
}

async fn timeline(
    conn: Conn<'_>,
    reference: &CaseRef,
) -> anyhow::Result<Vec<(DateTime<Utc>, Event)>> {
    let rows: Vec<(DateTime<Utc>, String)> = on_backend!(conn, c => {
        sqlx::query_as("SELECT at, data FROM case_events WHERE case_ref = $1 ORDER BY id")
            .bind(reference.to_string())
            .fetch_all(&mut *c)
            .await?
    });
    rows.into_iter()
        .map(|(at, data)| {
            let event = serde_json::from_str(&data)
                .map_err(|e| anyhow::anyhow!("stored event of {reference} is invalid: {e}"))?;
            Ok((at, event))
        })
        .collect()
}

async fn case_for_message_id(conn: Conn<'_>, message_id: &str) -> anyhow::Result<Option<CaseRef>> {
    let found: Option<String> = on_backend!(conn, c => {
        sqlx::query_scalar("SELECT case_ref FROM message_ids WHERE message_id = $1")
            .bind(crate::domain::strip_angle_brackets(message_id))
            .fetch_optional(&mut *c)
            .await?
    });
    found
        .map(|r| parse_column("case reference", &r))
        .transpose()
}
