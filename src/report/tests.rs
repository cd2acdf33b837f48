//! The register's figures, with Monday–Friday as working days.

use chrono::{Datelike, TimeZone, Weekday};

use super::*;
use crate::case::{Outcome, Tier};
use crate::domain::{CaseRef, Category, EmailAddress, Language};

fn weekdays(_: Jurisdiction, a: NaiveDate, b: NaiveDate) -> i64 {
    a.iter_days()
        .skip(1)
        .take_while(|d| *d <= b)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .count() as i64
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Noon in Copenhagen on a date.
fn noon(d: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::Copenhagen
        .from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn case(n: u32, received: NaiveDate) -> Case {
    Case {
        reference: CaseRef::new("KL", 2026, n).unwrap(),
        status: Status::Acknowledged,
        tier: Tier::ComplaintsDepartment,
        mailbox: "klage".into(),
        jurisdiction: Jurisdiction::Dk,
        language: Language::Da,
        category: Some(Category::Fees),
        customer: EmailAddress::parse("kunde@example.dk").unwrap(),
        customer_name: None,
        subject: "Gebyr".into(),
        contact: Some(EmailAddress::parse("mette@bank.dk").unwrap()),
        received_at: noon(received),
        acknowledge_due: received,
        answer_due: received,
        final_due: received,
        acknowledged_at: None,
        holding_reply_at: None,
        decided_at: None,
        outcome: None,
        closed_at: None,
        escalated_at: None,
        referred: false,
        related: vec![],
        customer_message_id: "<a@example.dk>".into(),
        last_customer_message_id: "<a@example.dk>".into(),
        next_message_seq: 1,
        cause: None,
        measure: None,
    }
}

fn decided(mut c: Case, on: NaiveDate, outcome: Outcome) -> Case {
    c.status = Status::Decided;
    c.decided_at = Some(noon(on));
    c.outcome = Some(outcome);
    c
}

fn register(cases: &[Case], today: NaiveDate) -> Register {
    let names = HashMap::from([("mette@bank.dk".to_string(), "Mette Jensen".to_string())]);
    let rules = RegisterRules {
        answer_within_days: 15,
        final_answer_within_days: 35,
        today,
        days_between: &weekdays,
        staff_names: &names,
    };
    build_register(cases, date(2026, 1, 1), date(2026, 3, 31), &rules)
}

#[test]
fn decision_within_fifteen_business_days_meets_the_deadline() {
    // Monday 5 January + 15 weekdays = Monday 26 January.
    let on_time = decided(
        case(1, date(2026, 1, 5)),
        date(2026, 1, 26),
        Outcome::Upheld,
    );
    let late = decided(
        case(2, date(2026, 1, 5)),
        date(2026, 1, 27),
        Outcome::Rejected,
    );
    let r = register(&[on_time, late], date(2026, 3, 1));
    assert_eq!(r.cases[0].business_days_to_decision, Some(15));
    assert_eq!(r.cases[0].deadline_met, Some(true));
    assert_eq!(r.cases[1].business_days_to_decision, Some(16));
    assert_eq!(r.cases[1].deadline_met, Some(false));
    assert_eq!(r.totals.deadline_met, 1);
    assert_eq!(r.totals.deadline_missed, 1);
    assert_eq!(r.cases[0].contact_person, "Mette Jensen <mette@bank.dk>");
}

#[test]
fn a_timely_holding_reply_extends_the_limit_to_thirty_five_days() {
    let mut held = case(1, date(2026, 1, 5));
    held.holding_reply_at = Some(noon(date(2026, 1, 20)));
    let held = decided(held, date(2026, 2, 20), Outcome::PartiallyUpheld);
    let mut late_hold = case(2, date(2026, 1, 5));
    late_hold.holding_reply_at = Some(noon(date(2026, 1, 28)));
    let late_hold = decided(late_hold, date(2026, 2, 2), Outcome::Upheld);
    let r = register(&[held, late_hold], date(2026, 3, 1));
    assert_eq!(r.cases[0].deadline_met, Some(true));
    assert_eq!(r.cases[1].deadline_met, Some(false));
}

#[test]
fn open_cases_count_as_missed_only_once_past_their_limit() {
    let fresh = case(1, date(2026, 3, 2));
    let stale = case(2, date(2026, 1, 5));
    let mut withdrawn = case(3, date(2026, 1, 5));
    withdrawn.status = Status::Withdrawn;
    let r = register(&[fresh, stale, withdrawn], date(2026, 3, 10));
    let met: Vec<_> = r.cases.iter().map(|c| c.deadline_met).collect();
    // Oldest first: the stale case (#2), the withdrawn one (#3), the fresh one (#1).
    assert_eq!(met, [Some(false), None, None]);
    assert_eq!(r.totals.by_outcome.get("open"), Some(&2));
    assert_eq!(r.totals.by_outcome.get("withdrawn"), Some(&1));
    assert_eq!(r.totals.withdrawn, 1);
}

#[test]
fn the_period_is_by_local_date_of_receipt() {
    // 23:30 UTC on 31 March is 1 April in Copenhagen: outside the first quarter.
    let mut late_night = case(1, date(2026, 3, 31));
    late_night.received_at = Utc.with_ymd_and_hms(2026, 3, 31, 23, 30, 0).unwrap();
    let inside = case(2, date(2026, 1, 1));
    let r = register(&[late_night, inside], date(2026, 4, 10));
    let refs: Vec<_> = r.cases.iter().map(|c| c.reference.as_str()).collect();
    assert_eq!(refs, ["KL-2026-000002"]);
    assert_eq!(r.totals.received, 1);
    assert_eq!(r.totals.by_category.get("fees"), Some(&1));
}

#[test]
fn a_case_closed_without_decision_counts_from_its_closing() {
    let mut closed = case(1, date(2026, 1, 5));
    closed.status = Status::Closed;
    closed.closed_at = Some(noon(date(2026, 1, 9)));
    let r = register(&[closed], date(2026, 3, 1));
    assert_eq!(r.cases[0].deadline_met, Some(true));
    assert_eq!(r.cases[0].business_days_to_decision, None);
    assert_eq!(r.totals.by_outcome.get("closed_without_decision"), Some(&1));
}
