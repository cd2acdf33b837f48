//! Tests of the case's life, its deadlines and the replay of its timeline, with a
//! small Danish-Norwegian team.

mod deadlines;
mod life;
mod replay;

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::config::{Config, Staff, StaffRole};
use crate::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};

pub(super) fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(super) fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn person(email: &str, role: StaffRole, languages: &[Language], js: &[Jurisdiction]) -> Staff {
    Staff {
        name: email.to_string(),
        email: addr(email),
        role,
        phone: None,
        languages: languages.to_vec(),
        jurisdictions: js.to_vec(),
    }
}

pub(super) const HANDLER: &str = "mette@bank.dk";
pub(super) const MANAGER: &str = "lars@bank.dk";
pub(super) const OTHER: &str = "kari@bank.no";

pub(super) fn rules_with(policy: crate::config::Policy) -> Rules {
    use Jurisdiction::*;
    use Language::*;
    let staff = vec![
        person(HANDLER, StaffRole::Handler, &[Da, En], &[Dk]),
        person(OTHER, StaffRole::Handler, &[Nb, Nn, En], &[No]),
        person(
            MANAGER,
            StaffRole::ComplaintsManager,
            &[Da, Nb, Sv, En],
            &[Dk, No, Se],
        ),
    ];
    Rules::new(&Config::embedded_default().company, policy, staff)
}

pub(super) fn rules() -> Rules {
    rules_with(crate::config::Policy::default())
}

/// A Danish complaint received at `received_at`, assigned to the handler.
pub(super) fn new_case(j: Jurisdiction, received_at: &str) -> NewCase {
    NewCase {
        reference: CaseRef::new("KL", 2026, 7).unwrap(),
        mailbox: "klage".into(),
        jurisdiction: j,
        language: Language::Da,
        category: Some(Category::Fees),
        customer: addr("ole@kunde.dk"),
        customer_name: Some("Ole Hansen".into()),
        subject: "Klage over gebyr".into(),
        message_id: "<m1@kunde.dk>".into(),
        received_at: utc(received_at),
        contact: Some(addr(HANDLER)),
        forwarded_by: None,
        opened_by: None,
    }
}

/// A case opened at its receipt, with the timeline so far.
pub(super) struct Life {
    pub rules: Rules,
    pub case: Case,
    pub timeline: Vec<(DateTime<Utc>, Event)>,
}

impl Life {
    pub fn open(rules: Rules, input: NewCase) -> Life {
        let now = input.received_at;
        let step = open(input, now, &rules);
        let timeline = step.events.into_iter().map(|e| (now, e)).collect();
        Life {
            rules,
            case: step.case,
            timeline,
        }
    }

    /// Applies an event at `at`, recording it; panics if it is rejected.
    pub fn apply(&mut self, at: &str, event: Event) -> Vec<Action> {
        self.try_apply(at, event).unwrap()
    }

    pub fn try_apply(&mut self, at: &str, event: Event) -> Result<Vec<Action>, Rejected> {
        let (case, actions) = apply(&self.case, &event, utc(at), &self.rules)?;
        self.case = case;
        self.timeline.push((utc(at), event));
        Ok(actions)
    }

    /// Fires a deadline at `at`, recording its events.
    pub fn fire(&mut self, at: &str, kind: DeadlineKind) -> Step {
        let step = on_deadline(&self.case, &kind, utc(at), &self.rules);
        self.case = step.case.clone();
        self.timeline
            .extend(step.events.iter().map(|e| (utc(at), e.clone())));
        step
    }

    /// A staff reply, parsed, turned into events and applied all or nothing.
    pub fn staff_reply(&mut self, at: &str, by: &str, text: &str) -> Result<Vec<Action>, String> {
        let reply = parse_commands(text).map_err(|e| e.to_string())?;
        let events = staff_events(
            &self.case,
            &reply,
            &addr(by),
            "<s1@bank.dk>",
            &self.rules,
            &Default::default(),
        )
        .map_err(|e| e.to_string())?;
        let (case, actions) =
            apply_all(&self.case, &events, utc(at), &self.rules).map_err(|e| e.to_string())?;
        self.case = case;
        self.timeline
            .extend(events.into_iter().map(|e| (utc(at), e)));
        Ok(actions)
    }

    pub fn replayed(&self) -> Case {
        replay(&self.case, &self.timeline, &self.rules).unwrap()
    }
}

pub(super) fn customer_mails(actions: &[Action]) -> Vec<&CustomerMail> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToCustomer { mail, .. } => Some(mail),
            Action::ToStaff { .. } => None,
        })
        .collect()
}

pub(super) fn staff_notices(actions: &[Action]) -> Vec<(String, &StaffNotice)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToStaff { to, notice, .. } => Some((to.to_string(), notice)),
            Action::ToCustomer { .. } => None,
        })
        .collect()
}
