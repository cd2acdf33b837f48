//! Staff corrections kept as labels for `klagebot train --from-db`: the label,
//! the case, and the model features of the mail that opened the case (never
//! its text), with the name of the feature builder that made them.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Conn, Store, Tx, on_backend, parse_column};
use crate::classify::training::Correction;
use crate::domain::{CaseRef, Category};

/// One recorded correction.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCorrection {
    pub case_ref: CaseRef,
    pub at: DateTime<Utc>,
    pub correction: Correction,
    pub features: Vec<String>,
    /// Which feature builder made the features (`classify::model::FEATURE_SET`).
    pub feature_set: String,
}

impl Tx {
    /// Records what staff said about the mail that opened `reference`.
    pub async fn record_correction(
        &mut self,
        reference: &CaseRef,
        correction: Correction,
        features: &[String],
        feature_set: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(self.conn(), c => {
            sqlx::query(
                "INSERT INTO corrections (case_ref, at, label, category, features, feature_set)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(reference.to_string())
            .bind(at)
            .bind(correction.code())
            .bind(correction.category().map(|c| c.code().to_string()))
            .bind(features.join("\n"))
            .bind(feature_set)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The raw bytes of the stored mail with this Message-ID (the first stored).
    pub async fn inbound_raw_by_message_id(
        &mut self,
        message_id: &str,
    ) -> anyhow::Result<Option<Vec<u8>>> {
        inbound_raw_by_message_id(self.conn(), message_id).await
    }
}

impl Store {
    /// Every recorded correction, oldest first.
    pub async fn corrections(&self) -> anyhow::Result<Vec<StoredCorrection>> {
        corrections(self.acquire().await?.conn()).await
    }
}

async fn inbound_raw_by_message_id(
    conn: Conn<'_>,
    message_id: &str,
) -> anyhow::Result<Option<Vec<u8>>> {
    let raw = on_backend!(conn, c => {
        sqlx::query_scalar("SELECT raw FROM inbound WHERE message_id = $1 ORDER BY id LIMIT 1")
            .bind(message_id)
            .fetch_optional(&mut *c)
            .await?
    });
    Ok(raw)
}

async fn corrections(conn: Conn<'_>) -> anyhow::Result<Vec<StoredCorrection>> {
    let rows = on_backend!(conn, c => {
        sqlx::query(
            "SELECT case_ref, at, label, category, features, feature_set FROM corrections
             ORDER BY id",
        )
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("case_ref")?,
                r.try_get::<DateTime<Utc>, _>("at")?,
                r.try_get::<String, _>("label")?,
                r.try_get::<Option<String>, _>("category")?,
                r.try_get::<String, _>("features")?,
                r.try_get::<String, _>("feature_set")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    rows.into_iter()
        .map(|(case_ref, at, label, category, features, feature_set)| {
            let category: Option<Category> = category
                .map(|c| parse_column("correction category", &c))
                .transpose()?;
            let correction = Correction::from_code(&label, category)
                .ok_or_else(|| anyhow::anyhow!("stored correction label {label:?} is invalid"))?;
            Ok(StoredCorrection {
                case_ref: parse_column("correction case_ref", &case_ref)?,
                at,
                correction,
                features: features.lines().map(str::to_string).collect(),
                feature_set,
            })
        })
        .collect()
}
