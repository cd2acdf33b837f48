//! Personal data under control (GDPR): anonymising what outlived its retention
//! period (the daily job of the scheduler, and `klagebot gdpr erase`), what a
//! customer's erasure request may take at once and what the law makes us keep,
//! and the data an access request (`klagebot gdpr export`) collects.
//!
//! Anonymising a case keeps its register row (dates, status, tier, category,
//! outcome, contact person, deadlines met) and replaces the customer's address,
//! name, subject and every text on its timeline ([`crate::case::privacy`]); the
//! raw bytes of its mail, in and out, are deleted. A case on legal hold
//! (`#hold`) is never anonymised by the retention job.

use chrono::{DateTime, Utc};

use crate::case::privacy::{anonymised_case, anonymised_event};
use crate::config::Retention;
use crate::domain::CaseRef;
use crate::store::{AuditEntry, RetentionState, Store, Tx};

mod export;

pub use export::{CaseExport, CustomerExport, collect};

/// What one anonymisation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anonymised {
    pub cases: Vec<CaseRef>,
    /// Mails (received or sent) whose bytes were deleted.
    pub mails: u64,
}

/// Anonymises case `reference` in place, in the caller's transaction; returns
/// how many of its mails lost their bytes. Anonymising twice changes nothing more.
pub async fn anonymise_case(
    tx: &mut Tx,
    reference: &CaseRef,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let case = tx
        .case(reference)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no case {reference} to anonymise"))?;
    tx.update_case(&anonymised_case(&case)).await?;
    for (id, event) in tx.events_with_ids(reference).await? {
        let anonymised = anonymised_event(&event);
        if anonymised != event {
            tx.replace_event(id, &anonymised).await?;
        }
    }
    tx.anonymise_case_data(reference, now).await
}

/// Anonymises, in the caller's transaction, every case and mail whose retention
/// period ended by `now` (cases on legal hold are kept).
pub async fn anonymise_expired(
    tx: &mut Tx,
    retention: &Retention,
    now: DateTime<Utc>,
) -> anyhow::Result<Anonymised> {
    let cutoffs = retention.cutoffs(now);
    let cases = tx.expired_cases(cutoffs.case_ended).await?;
    let mut mails = 0;
    for reference in &cases {
        mails += anonymise_case(tx, reference, now).await?;
    }
    mails += tx.anonymise_expired_mail(&cutoffs, now).await?;
    Ok(Anonymised { cases, mails })
}

/// Why a case's personal data must stay for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The case still owes the customer an answer.
    Open,
    /// Staff put it on legal hold (`#hold`).
    Held,
    /// The retention duty lasts until then.
    Until(DateTime<Utc>),
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kept::Open => write!(
                f,
                "the case is open; it is kept until it ends and its retention period has passed"
            ),
            Kept::Held => write!(
                f,
                "the case is on legal hold; release it with #unhold first"
            ),
            Kept::Until(at) => write!(
                f,
                "kept until {} (the retention period after the case ended)",
                at.format("%Y-%m-%d")
            ),
        }
    }
}

/// Whether an erasure request may anonymise a case now: never while it is open
/// or held; before its retention period ends only with `override_retention`.
pub fn erasure_blocked(
    state: &RetentionState,
    retention: &Retention,
    now: DateTime<Utc>,
    override_retention: bool,
) -> Option<Kept> {
    if state.held {
        return Some(Kept::Held);
    }
    let Some(ended) = state.ended_at else {
        return Some(Kept::Open);
    };
    let until = retention.kept_until(ended);
    (until > now && !override_retention).then_some(Kept::Until(until))
}

/// The answer to an erasure request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    pub erased: Vec<CaseRef>,
    pub already: Vec<CaseRef>,
    pub kept: Vec<(CaseRef, Kept)>,
    /// Mails of no case from the address (left for people, quarantined) erased.
    pub mails: u64,
}

/// An erasure request for the customer at `address`: anonymises at once each of
/// their cases no retention duty keeps (all ended ones with `override_retention`)
/// and their mail of no case; records each in the audit trail with `reason`;
/// the kept cases say until when. Running it again erases nothing more.
pub async fn erase(
    store: &Store,
    address: &str,
    reason: &str,
    override_retention: bool,
    actor: &str,
    retention: &Retention,
    now: DateTime<Utc>,
) -> anyhow::Result<Erasure> {
    if reason.trim().is_empty() {
        anyhow::bail!("an erasure needs its reason (--reason TEXT)");
    }
    let mut result = Erasure::default();
    let cases = store.customer_cases(address).await?;
    let mut tx = store.begin().await?;
    let audit = |action: &str, case_ref: Option<&CaseRef>, detail: String| AuditEntry {
        actor: actor.to_string(),
        action: action.to_string(),
        case_ref: case_ref.cloned(),
        detail,
    };
    for reference in cases {
        let Some(state) = tx.retention_state(&reference).await? else {
            continue;
        };
        if state.anonymised {
            result.already.push(reference);
            continue;
        }
        if let Some(kept) = erasure_blocked(&state, retention, now, override_retention) {
            let entry = audit(
                "gdpr erase refused",
                Some(&reference),
                format!("{reason} ({kept})"),
            );
            tx.append_audit(&entry, now).await?;
            result.kept.push((reference, kept));
            continue;
        }
        result.mails += anonymise_case(&mut tx, &reference, now).await?;
        let within = erasure_blocked(&state, retention, now, false).is_some();
        let action = match within {
            true => "gdpr erase (retention overridden)",
            false => "gdpr erase",
        };
        tx.append_audit(&audit(action, Some(&reference), reason.to_string()), now)
            .await?;
        result.erased.push(reference);
    }
    let mails = tx.anonymise_mail_from(address, now).await?;
    if mails > 0 {
        let entry = audit(
            "gdpr erase",
            None,
            format!("{reason} ({mails} mails of no case)"),
        );
        tx.append_audit(&entry, now).await?;
    }
    result.mails += mails;
    tx.commit().await?;
    if (result.mails > 0 || !result.erased.is_empty())
        && let Err(err) = store.reclaim_space().await
    {
        // The erasure is committed; the freed pages are overwritten at the next vacuum.
        tracing::warn!(
            error = format!("{err:#}"),
            "cannot reclaim the space of the erased data yet (another reader?)"
        );
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn an_erasure_waits_for_the_retention_period_unless_overridden() {
        let r = Retention::default();
        let now = at("2026-06-01T00:00:00Z");
        let ended = |e: &str| RetentionState {
            ended_at: Some(at(e)),
            held: false,
            anonymised: false,
        };
        assert_eq!(
            erasure_blocked(&ended("2024-01-01T00:00:00Z"), &r, now, false),
            Some(Kept::Until(at("2029-01-01T00:00:00Z")))
        );
        assert_eq!(
            erasure_blocked(&ended("2024-01-01T00:00:00Z"), &r, now, true),
            None
        );
        assert_eq!(
            erasure_blocked(&ended("2021-05-31T00:00:00Z"), &r, now, false),
            None
        );
        let open = RetentionState {
            ended_at: None,
            held: false,
            anonymised: false,
        };
        assert_eq!(erasure_blocked(&open, &r, now, true), Some(Kept::Open));
        let held = RetentionState {
            held: true,
            ..ended("2001-01-01T00:00:00Z")
        };
        assert_eq!(erasure_blocked(&held, &r, now, true), Some(Kept::Held));
    }
}
