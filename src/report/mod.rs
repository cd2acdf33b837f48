//! The complaint register (pure): one row per case received in a period, with the
//! dates, outcome and deadline figures the supervisors ask for, and the period's
//! totals by category and outcome. No I/O and no clock: the cases, `today` and the
//! working-day arithmetic are passed in. [`figures`] counts what the charts show;
//! [`csv`] writes the register for spreadsheets, [`html`] as one page to read.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::case::{Case, Status};
use crate::domain::Jurisdiction;

pub mod charts;
pub mod csv;
pub mod figures;
pub mod html;

pub use figures::Figures;

/// Working days after the first date up to and including the second, in a jurisdiction.
pub type DaysBetween<'a> = &'a dyn Fn(Jurisdiction, NaiveDate, NaiveDate) -> i64;

/// What the register needs besides the cases.
pub struct RegisterRules<'a> {
    /// Business days for the answer (policy, default 15).
    pub answer_within_days: u32,
    /// Business days for the final answer after a holding reply (policy, default 35).
    pub final_answer_within_days: u32,
    /// The local date the register is made on: open cases past their limit count as missed.
    pub today: NaiveDate,
    pub days_between: DaysBetween<'a>,
    /// Staff names by address key, to show "Name <address>" as contact person.
    pub staff_names: &'a HashMap<String, String>,
}

/// One case in the register. Times are local to the case's jurisdiction,
/// `YYYY-MM-DD HH:MM`, which spreadsheets read as date and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterRow {
    pub reference: String,
    pub received: String,
    pub channel: String,
    pub jurisdiction: String,
    pub language: String,
    pub category: String,
    pub customer: String,
    pub subject: String,
    pub contact_person: String,
    pub status: String,
    pub tier: String,
    pub acknowledged_at: String,
    pub holding_reply_at: String,
    pub decided_at: String,
    pub outcome: String,
    pub business_days_to_decision: Option<i64>,
    /// `None` while an open case is still within its limit (or was withdrawn).
    pub deadline_met: Option<bool>,
    pub escalated: bool,
    pub referred: bool,
    pub related_cases: Vec<String>,
    /// The root cause staff recorded (`#cause`), empty when none.
    pub root_cause: String,
    /// The internal consequence: `routine`, `practice`, `training`, `other`,
    /// `none`, or empty when none was recorded; and what was changed.
    pub measure: String,
    pub measure_text: String,
}

/// The period's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub received: usize,
    pub decided: usize,
    pub open: usize,
    pub withdrawn: usize,
    pub deadline_met: usize,
    pub deadline_missed: usize,
    pub escalated: usize,
    pub referred: usize,
    pub by_category: BTreeMap<String, usize>,
    /// Outcome codes, plus `open`, `withdrawn` and `closed_without_decision`.
    pub by_outcome: BTreeMap<String, usize>,
    /// Root causes as written (`unrecorded` where there is none).
    pub by_cause: BTreeMap<String, usize>,
    /// Measure kinds (`unrecorded` where there is none).
    pub by_measure: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Register {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cases: Vec<RegisterRow>,
    pub totals: Totals,
    pub figures: Figures,
}

/// The register of the cases received (local date) from `from` to `to` inclusive.
pub fn build_register(
    cases: &[Case],
    from: NaiveDate,
    to: NaiveDate,
    rules: &RegisterRules<'_>,
) -> Register {
    build_register_with_progress(cases, from, to, rules, &|| {})
}

/// [`build_register`], calling `progress` once per case looked at (for a progress bar).
pub fn build_register_with_progress(
    cases: &[Case],
    from: NaiveDate,
    to: NaiveDate,
    rules: &RegisterRules<'_>,
    progress: &dyn Fn(),
) -> Register {
    let in_period: Vec<&Case> = cases
        .iter()
        .filter(|c| (from..=to).contains(&received_date(c)))
        .collect();
    let mut rows: Vec<(DateTime<Utc>, RegisterRow)> = cases
        .iter()
        .inspect(|_| progress())
        .filter(|c| (from..=to).contains(&received_date(c)))
        .map(|c| (c.received_at, register_row(c, rules)))
        .collect();
    rows.sort_by(|a, b| (a.0, &a.1.reference).cmp(&(b.0, &b.1.reference)));
    let rows: Vec<RegisterRow> = rows.into_iter().map(|(_, r)| r).collect();
    let totals = totals(&rows);
    Register {
        from,
        to,
        cases: rows,
        totals,
        figures: figures::figures(&in_period, from, to, rules),
    }
}

fn register_row(case: &Case, rules: &RegisterRules<'_>) -> RegisterRow {
    let at = |t: Option<DateTime<Utc>>| t.map(|t| local_time(case, t)).unwrap_or_default();
    let days_to_decision = case
        .decided_at
        .map(|d| (rules.days_between)(case.jurisdiction, received_date(case), local_date(case, d)));
    RegisterRow {
        reference: case.reference.to_string(),
        received: local_time(case, case.received_at),
        channel: case.mailbox.clone(),
        jurisdiction: case.jurisdiction.code().to_string(),
        language: case.language.code().to_string(),
        category: case
            .category
            .map(|c| c.code().to_string())
            .unwrap_or_default(),
        customer: match &case.customer_name {
            Some(name) => format!("{name} <{}>", case.customer),
            None => case.customer.to_string(),
        },
        subject: case.subject.clone(),
        contact_person: contact_person(case, rules.staff_names),
        status: case.status.code().to_string(),
        tier: case.tier.code().to_string(),
        acknowledged_at: at(case.acknowledged_at),
        holding_reply_at: at(case.holding_reply_at),
        decided_at: at(case.decided_at),
        outcome: case
            .outcome
            .map(|o| o.code().to_string())
            .unwrap_or_default(),
        business_days_to_decision: days_to_decision,
        deadline_met: deadline_met(case, rules),
        escalated: case.escalated_at.is_some(),
        referred: case.referred,
        related_cases: case.related.iter().map(|r| r.to_string()).collect(),
        root_cause: case.cause.clone().unwrap_or_default(),
        measure: case
            .measure
            .as_ref()
            .map(|m| m.kind.code().to_string())
            .unwrap_or_default(),
        measure_text: case
            .measure
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default(),
    }
}

/// Answered within the answer limit, or within the final limit after a holding
/// reply that itself went out within the answer limit (PSD2 art. 101(2)). A case
/// closed without a decision counts as answered when it was closed.
fn deadline_met(case: &Case, rules: &RegisterRules<'_>) -> Option<bool> {
    if case.status == Status::Withdrawn {
        return None;
    }
    let received = received_date(case);
    let days_to = |d: NaiveDate| (rules.days_between)(case.jurisdiction, received, d);
    let answer = i64::from(rules.answer_within_days);
    let holding_in_time = case
        .holding_reply_at
        .is_some_and(|h| days_to(local_date(case, h)) <= answer);
    let limit = if holding_in_time {
        i64::from(rules.final_answer_within_days)
    } else {
        answer
    };
    match answered_at(case) {
        Some(answered) => Some(days_to(local_date(case, answered)) <= limit),
        None if days_to(rules.today) > limit => Some(false),
        None => None,
    }
}

/// When the customer got the answer: the decision, or closing the case without one.
fn answered_at(case: &Case) -> Option<DateTime<Utc>> {
    case.decided_at
        .or(case.closed_at.filter(|_| case.status == Status::Closed))
}

fn totals(rows: &[RegisterRow]) -> Totals {
    let mut t = Totals {
        received: rows.len(),
        ..Totals::default()
    };
    for row in rows {
        let category = if row.category.is_empty() {
            "uncategorised"
        } else {
            &row.category
        };
        *t.by_category.entry(category.to_string()).or_default() += 1;
        *t.by_outcome
            .entry(outcome_bucket(row).to_string())
            .or_default() += 1;
        t.decided += usize::from(!row.outcome.is_empty());
        t.withdrawn += usize::from(row.status == Status::Withdrawn.code());
        t.deadline_met += usize::from(row.deadline_met == Some(true));
        t.deadline_missed += usize::from(row.deadline_met == Some(false));
        t.escalated += usize::from(row.escalated);
        t.referred += usize::from(row.referred);
        let or_unrecorded = |s: &str| match s.trim() {
            "" => UNRECORDED.to_string(),
            s => s.to_string(),
        };
        *t.by_cause
            .entry(or_unrecorded(&row.root_cause))
            .or_default() += 1;
        *t.by_measure.entry(or_unrecorded(&row.measure)).or_default() += 1;
    }
    t.open = t.by_outcome.get("open").copied().unwrap_or(0);
    t
}

/// The cause or measure bucket of the cases without one.
pub const UNRECORDED: &str = "unrecorded";

fn outcome_bucket(row: &RegisterRow) -> &str {
    if !row.outcome.is_empty() {
        &row.outcome
    } else if row.status == Status::Withdrawn.code() {
        "withdrawn"
    } else if row.status == Status::Closed.code() {
        "closed_without_decision"
    } else {
        "open"
    }
}

fn contact_person(case: &Case, staff_names: &HashMap<String, String>) -> String {
    match &case.contact {
        Some(address) => match staff_names.get(&address.key()) {
            Some(name) => format!("{name} <{address}>"),
            None => address.to_string(),
        },
        None => String::new(),
    }
}

/// The local date a complaint counts from (receipt day is day 0).
fn received_date(case: &Case) -> NaiveDate {
    local_date(case, case.received_at)
}

fn local_date(case: &Case, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&case.jurisdiction.time_zone()).date_naive()
}

fn local_time(case: &Case, t: DateTime<Utc>) -> String {
    t.with_timezone(&case.jurisdiction.time_zone())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests;
