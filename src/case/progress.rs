//! Where a case stands against its deadlines, for listings (`cases --overdue`,
//! `--due-within N`) and the complaint register (business days to decision,
//! deadline met). An instant counts on the working day it would count as received:
//! after the cut-off it belongs to the next working day.

use chrono::{DateTime, Utc};

use super::model::Case;
use super::rules::Rules;

/// The working day an instant counts for in the case's jurisdiction.
fn business_day(case: &Case, at: DateTime<Utc>, rules: &Rules) -> chrono::NaiveDate {
    rules.calendar(case.jurisdiction).receipt_day(at)
}

/// Working days from the receipt day to the day the decision counts for.
pub fn business_days_to_decision(case: &Case, rules: &Rules) -> Option<i64> {
    let decided = case.decided_at?;
    let cal = rules.calendar(case.jurisdiction);
    let start = cal.receipt_day(case.received_at);
    Some(cal.working_days_between(start, business_day(case, decided, rules)))
}

/// Whether the answer came by the date due (the holding reply's date when one was
/// sent). `None` while the answer is not yet due, and for cases closed or withdrawn
/// without a decision.
pub fn deadline_met(case: &Case, now: DateTime<Utc>, rules: &Rules) -> Option<bool> {
    match case.decided_at {
        Some(decided) => Some(business_day(case, decided, rules) <= case.answer_due),
        None if case.status.is_open() && is_overdue(case, now, rules) => Some(false),
        None => None,
    }
}

/// An open case whose answer date has ended (its cut-off passed) without a decision.
pub fn is_overdue(case: &Case, now: DateTime<Utc>, rules: &Rules) -> bool {
    case.status.is_open()
        && now
            > rules
                .calendar(case.jurisdiction)
                .end_of_day(case.answer_due)
}

/// Whether a case opened at `now` is late to be acknowledged: the day its
/// acknowledgement is due is today or has passed (a backlog read late).
pub fn acknowledgement_late(case: &Case, now: DateTime<Utc>, rules: &Rules) -> bool {
    rules.calendar(case.jurisdiction).local_date(now) >= case.acknowledge_due
}

/// Working days from today (local) until the answer is due: 0 on the due day,
/// negative once it has passed.
pub fn working_days_left(case: &Case, now: DateTime<Utc>, rules: &Rules) -> i64 {
    let cal = rules.calendar(case.jurisdiction);
    cal.working_days_between(cal.local_date(now), case.answer_due)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{HANDLER, Life, new_case, rules, utc};
    use super::*;
    use crate::domain::Jurisdiction;

    fn life() -> Life {
        // Received Wednesday 1 April 2026; the answer is due Monday 27 April.
        Life::open(rules(), new_case(Jurisdiction::Dk, "2026-04-01T08:00:00Z"))
    }

    #[test]
    fn a_decision_on_the_due_day_before_the_cutoff_is_in_time() {
        let mut life = life();
        life.staff_reply("2026-04-27T13:59:00Z", HANDLER, "#decision upheld\nYes.")
            .unwrap();
        assert_eq!(business_days_to_decision(&life.case, &life.rules), Some(15));
        assert_eq!(
            deadline_met(&life.case, utc("2026-06-01T00:00:00Z"), &life.rules),
            Some(true)
        );
    }

    #[test]
    fn a_decision_after_the_cutoff_of_the_due_day_is_late() {
        let mut life = life();
        life.staff_reply("2026-04-27T14:30:00Z", HANDLER, "#decision upheld\nYes.")
            .unwrap();
        assert_eq!(business_days_to_decision(&life.case, &life.rules), Some(16));
        assert_eq!(
            deadline_met(&life.case, utc("2026-06-01T00:00:00Z"), &life.rules),
            Some(false)
        );
    }

    #[test]
    fn open_cases_become_overdue_at_the_cutoff_of_the_due_day() {
        let life = life();
        let (case, rules) = (&life.case, &life.rules);
        assert_eq!(
            working_days_left(case, utc("2026-04-20T08:00:00Z"), rules),
            5
        );
        assert!(!is_overdue(case, utc("2026-04-27T14:00:00Z"), rules));
        assert_eq!(deadline_met(case, utc("2026-04-27T14:00:00Z"), rules), None);
        assert!(is_overdue(case, utc("2026-04-27T14:00:01Z"), rules));
        assert_eq!(
            deadline_met(case, utc("2026-04-28T08:00:00Z"), rules),
            Some(false)
        );
        assert_eq!(
            working_days_left(case, utc("2026-04-28T08:00:00Z"), rules),
            -1
        );
    }
}
