//! The fixed inputs of every case decision: the calendars of the three
//! jurisdictions, the company's policy numbers and its staff list.

use chrono::{DateTime, NaiveDate, Utc};

use super::assign;
use super::calendar::Calendar;
use super::model::{Case, Tier};
use crate::config::{Company, Config, Policy, Staff};
use crate::domain::{EmailAddress, Jurisdiction};

/// What the pure case logic needs from the configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    calendars: [Calendar; 3],
    pub policy: Policy,
    pub staff: Vec<Staff>,
}

/// The deadlines a complaint received at a given instant gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDates {
    /// Day 0 of the count.
    pub receipt_day: NaiveDate,
    pub acknowledge_due: NaiveDate,
    pub answer_due: NaiveDate,
    /// The latest date a holding reply may promise.
    pub final_due: NaiveDate,
}

impl Rules {
    pub fn new(company: &Company, policy: Policy, staff: Vec<Staff>) -> Rules {
        Rules {
            calendars: Jurisdiction::ALL.map(|j| Calendar::from_config(company, j)),
            policy,
            staff,
        }
    }

    pub fn from_config(config: &Config) -> Rules {
        Rules::new(&config.company, config.policy.clone(), config.staff.clone())
    }

    pub fn calendar(&self, j: Jurisdiction) -> &Calendar {
        let index = Jurisdiction::ALL.iter().position(|x| *x == j).unwrap_or(0);
        &self.calendars[index]
    }

    /// Acknowledgement, answer and final-answer dates counted from day 0.
    pub fn due_dates(&self, j: Jurisdiction, received_at: DateTime<Utc>) -> DueDates {
        let cal = self.calendar(j);
        let day0 = cal.receipt_day(received_at);
        let p = &self.policy;
        DueDates {
            receipt_day: day0,
            acknowledge_due: cal.add_working_days(day0, p.acknowledge_within_days),
            answer_due: cal.add_working_days(day0, p.answer_within_days),
            final_due: cal.add_working_days(day0, p.final_answer_within_days),
        }
    }

    /// The complaints manager who hears of the case's escalations.
    pub fn manager_for(&self, case: &Case) -> Option<&Staff> {
        assign::complaints_manager_for(&self.staff, case.jurisdiction, case.language)
    }

    pub fn is_staff(&self, address: &EmailAddress) -> bool {
        let key = address.key();
        self.staff.iter().any(|s| s.email.key() == key)
    }

    /// Who works the case now: the contact person, plus the manager once the case
    /// is with the manager; the manager alone when nobody is assigned.
    pub fn handlers(&self, case: &Case) -> Vec<EmailAddress> {
        let manager = self.manager_for(case).map(|s| s.email.clone());
        let mut to: Vec<EmailAddress> = case.contact.iter().cloned().collect();
        if case.tier == Tier::ComplaintsManager || to.is_empty() {
            to.extend(manager);
        }
        to
    }

    /// The manager first, then the contact person: who must hear of a risk to a deadline.
    pub fn escalation_recipients(&self, case: &Case) -> Vec<EmailAddress> {
        let mut to: Vec<EmailAddress> = self
            .manager_for(case)
            .map(|s| s.email.clone())
            .into_iter()
            .collect();
        to.extend(case.contact.iter().cloned());
        to
    }
}
