//! The period's figures for charts (pure): complaints per month by category,
//! channel and language, deadline compliance, time to answer and the age of open
//! cases. Counted from the same cases and with the same working-day arithmetic as
//! the register, so the charts and the register always agree.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{RegisterRules, answered_at, local_date, received_date};
use crate::case::{Case, Status};

/// Everything the charts show, in the JSON report as `figures`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// `YYYY-MM` for every month of the period, oldest first.
    pub months: Vec<String>,
    /// Per month (aligned with `months`), by category code (or `uncategorised`).
    pub by_category: BTreeMap<String, Vec<usize>>,
    /// Per month, by channel: the mailbox the complaint came in through.
    pub by_channel: BTreeMap<String, Vec<usize>>,
    /// Per month, by the customer's language.
    pub by_language: BTreeMap<String, Vec<usize>>,
    pub acknowledgement: Acknowledgement,
    pub answer: Answer,
    pub time_to_answer: TimeToAnswer,
    /// Open cases by business days since receipt, as of the day of the report.
    pub open_by_age: Vec<Bucket>,
}

/// Acknowledgements of the complaints (withdrawn cases left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Acknowledgement {
    /// Sent on or before the day it was due.
    pub in_time: usize,
    /// Sent after that day, or still unsent after it.
    pub late: usize,
    /// Not sent yet, and not yet due.
    pub pending: usize,
}

/// When the complaints were answered (a decision, or closing the case), in business
/// days after receipt (withdrawn cases left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The policy's limits: 15 and 35 business days by default.
    pub answer_within_days: u32,
    pub final_answer_within_days: u32,
    /// Answered within `answer_within_days`.
    pub within_answer_limit: usize,
    /// Answered after that, but within `final_answer_within_days`.
    pub within_final_limit: usize,
    /// Answered after `final_answer_within_days`.
    pub later: usize,
    /// Not answered yet, past the limit that applies (the register's "deadline missed").
    pub open_overdue: usize,
    /// Not answered yet, still within the limit.
    pub open_in_time: usize,
}

/// Business days from receipt to the answer, over the answered complaints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TimeToAnswer {
    pub answered: usize,
    /// The median, rounded down to a whole business day; `None` without answers.
    pub median_days: Option<i64>,
    /// The 90th percentile (nearest rank).
    pub p90_days: Option<i64>,
    pub buckets: Vec<Bucket>,
}

/// A count of cases whose business days fall within `min..=max` (`max` open-ended when `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub label: String,
    pub min: i64,
    pub max: Option<i64>,
    pub count: usize,
}

const ANSWER_BUCKETS: [(i64, Option<i64>); 6] = [
    (0, Some(5)),
    (6, Some(10)),
    (11, Some(15)),
    (16, Some(25)),
    (26, Some(35)),
    (36, None),
];
const AGE_BUCKETS: [(i64, Option<i64>); 5] = [
    (0, Some(5)),
    (6, Some(10)),
    (11, Some(15)),
    (16, Some(35)),
    (36, None),
];

/// The figures of the cases received from `from` to `to` (already picked by the register).
pub fn figures(
    cases: &[&Case],
    from: NaiveDate,
    to: NaiveDate,
    rules: &RegisterRules<'_>,
) -> Figures {
    let months = months_between(from, to);
    let mut f = Figures {
        months: months
            .iter()
            .map(|(y, m)| format!("{y:04}-{m:02}"))
            .collect(),
        answer: Answer {
            answer_within_days: rules.answer_within_days,
            final_answer_within_days: rules.final_answer_within_days,
            ..Answer::default()
        },
        ..Figures::default()
    };
    let mut days_to_answer = Vec::new();
    let mut open_ages = Vec::new();
    for case in cases {
        let received = received_date(case);
        let month = months
            .iter()
            .position(|&(y, m)| (received.year(), received.month()) == (y, m))
            .expect("the case was received within the period");
        let category = case.category.map_or("uncategorised", |c| c.code());
        count_month(&mut f.by_category, category, month, months.len());
        count_month(&mut f.by_channel, &case.mailbox, month, months.len());
        count_month(
            &mut f.by_language,
            case.language.code(),
            month,
            months.len(),
        );
        if case.status == Status::Withdrawn {
            continue;
        }
        let days_to = |d: NaiveDate| (rules.days_between)(case.jurisdiction, received, d);
        acknowledgement(&mut f.acknowledgement, case, rules.today);
        match answered_at(case) {
            Some(at) => {
                let days = days_to(local_date(case, at));
                days_to_answer.push(days);
                let a = &mut f.answer;
                if days <= i64::from(a.answer_within_days) {
                    a.within_answer_limit += 1;
                } else if days <= i64::from(a.final_answer_within_days) {
                    a.within_final_limit += 1;
                } else {
                    a.later += 1;
                }
            }
            None => {
                match super::deadline_met(case, rules) {
                    Some(false) => f.answer.open_overdue += 1,
                    _ => f.answer.open_in_time += 1,
                }
                if case.status.is_open() {
                    open_ages.push(days_to(rules.today));
                }
            }
        }
    }
    f.time_to_answer = time_to_answer(days_to_answer);
    f.open_by_age = buckets(&AGE_BUCKETS, &open_ages);
    f
}

fn acknowledgement(a: &mut Acknowledgement, case: &Case, today: NaiveDate) {
    match case.acknowledged_at {
        Some(at) if local_date(case, at) <= case.acknowledge_due => a.in_time += 1,
        Some(_) => a.late += 1,
        None if today > case.acknowledge_due => a.late += 1,
        None => a.pending += 1,
    }
}

fn count_month(map: &mut BTreeMap<String, Vec<usize>>, key: &str, month: usize, months: usize) {
    map.entry(key.to_string())
        .or_insert_with(|| vec![0; months])[month] += 1;
}

fn time_to_answer(mut days: Vec<i64>) -> TimeToAnswer {
    days.sort_unstable();
    let nearest_rank = |p: usize| -> Option<i64> {
        let rank = (days.len() * p).div_ceil(100).max(1);
        days.get(rank - 1).copied()
    };
    TimeToAnswer {
        answered: days.len(),
        median_days: match days.len() {
            0 => None,
            n if n % 2 == 1 => Some(days[n / 2]),
            n => Some((days[n / 2 - 1] + days[n / 2]).div_euclid(2)),
        },
        p90_days: nearest_rank(90),
        buckets: buckets(&ANSWER_BUCKETS, &days),
    }
}

fn buckets(bounds: &[(i64, Option<i64>)], values: &[i64]) -> Vec<Bucket> {
    bounds
        .iter()
        .map(|&(min, max)| Bucket {
            label: match max {
                Some(max) => format!("{min}–{max}"),
                None => format!("{min}+"),
            },
            min,
            max,
            count: values
                .iter()
                .filter(|&&v| v >= min && max.is_none_or(|max| v <= max))
                .count(),
        })
        .collect()
}

/// (year, month) of every month that has a day within `from..=to`.
fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<(i32, u32)> {
    let mut months = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        months.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_month_of_the_period_is_listed() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            months_between(d(2025, 11, 15), d(2026, 2, 1)),
            vec![(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
        );
        assert_eq!(months_between(d(2026, 3, 1), d(2026, 3, 31)).len(), 1);
    }

    #[test]
    fn median_and_percentile_of_answer_times() {
        let t = time_to_answer(vec![20, 3, 8, 12]);
        assert_eq!(
            (t.answered, t.median_days, t.p90_days),
            (4, Some(10), Some(20))
        );
        let counts: Vec<usize> = t.buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![1, 1, 1, 1, 0, 0]);
        let t = time_to_answer(vec![40, 1, 2]);
        assert_eq!((t.median_days, t.p90_days), (Some(2), Some(40)));
        assert_eq!(t.buckets[5].label, "36+");
        assert_eq!(t.buckets[5].count, 1);
        let none = time_to_answer(vec![]);
        assert_eq!((none.median_days, none.p90_days), (None, None));
    }
}
