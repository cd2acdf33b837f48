//! Builds the [`TemplateContext`] for a case from the case, the config and the
//! referral data; the kind-specific parts are added with the `with_*` methods.

use chrono::NaiveDate;

use super::context::*;
use super::dates::in_words;
use super::referral::Referrals;
use crate::case::{Case, Outcome};
use crate::config::{Config, Staff, StaffRole};
use crate::domain::{EmailAddress, Language};

impl TemplateContext {
    /// The context every kind shares, in `lang` (the customer's language for
    /// customer mail; the staff member's for staff mail). The contact person is the
    /// case's, or else the first complaint officer or handler, or else the company.
    pub fn for_case(
        case: &Case,
        config: &Config,
        referrals: &Referrals,
        lang: Language,
    ) -> TemplateContext {
        let company = &config.company;
        let words = |d: NaiveDate| in_words(d, lang);
        let received = case
            .received_at
            .with_timezone(&case.jurisdiction.time_zone())
            .date_naive();
        TemplateContext {
            company: CompanyView {
                name: company.name.clone(),
                email: company.complaint_address.to_string(),
                phone: company.phone.clone(),
                address: company.address.clone(),
                website: company.website.clone(),
            },
            reference: case.reference.to_string(),
            customer: CustomerView {
                name: case.customer_name.clone().filter(|n| !n.trim().is_empty()),
                email: case.customer.to_string(),
            },
            subject: case.subject.clone(),
            contact: contact_person(case.contact.as_ref(), config),
            manager: manager_for(case, config).map(person),
            dates: DateWords {
                received: words(received),
                acknowledge_due: words(case.acknowledge_due),
                answer_due: words(case.answer_due),
                final_due: words(case.final_due),
            },
            answer_within_days: config.policy.answer_within_days,
            final_within_days: config.policy.final_answer_within_days,
            ankenaevn_after_weeks: config.policy.ankenaevn_after_weeks,
            reply_address: None,
            holding_reason: None,
            decision: None,
            // Present always; the decision template shows them only when the
            // outcome is not a full uphold.
            referrals: referrals.bodies_for(case.jurisdiction, case.category, lang),
            staff_answer: None,
            customer_text: None,
            attachments: Vec::new(),
            reminder: None,
            escalation: None,
            bounce: None,
            refusal: None,
        }
    }

    pub fn with_reply_address(mut self, address: &EmailAddress) -> Self {
        self.reply_address = Some(address.to_string());
        self
    }

    /// Holding reply: the staff member's reason; `new_due` becomes the answer date.
    pub fn with_holding(mut self, reason: &str, new_due: NaiveDate, lang: Language) -> Self {
        self.holding_reason = Some(reason.trim().to_string());
        self.dates.answer_due = in_words(new_due, lang);
        self
    }

    pub fn with_decision(mut self, outcome: Outcome, text: &str, signed_by: &str) -> Self {
        self.decision = Some(DecisionView {
            outcome,
            text: text.trim().to_string(),
            signed_by: signed_by.to_string(),
        });
        self
    }

    pub fn with_staff_answer(mut self, name: &str, text: &str) -> Self {
        self.staff_answer = Some(StaffAnswer {
            name: name.to_string(),
            text: text.trim().to_string(),
        });
        self
    }

    pub fn with_customer_text(mut self, text: &str, attachments: Vec<AttachmentView>) -> Self {
        self.customer_text = Some(text.trim().to_string());
        self.attachments = attachments;
        self
    }

    pub fn with_reminder(mut self, working_days_left: u32) -> Self {
        self.reminder = Some(ReminderView { working_days_left });
        self
    }

    pub fn with_escalation(mut self, trigger: EscalationTrigger) -> Self {
        self.escalation = Some(EscalationView { trigger });
        self
    }

    pub fn with_bounce(
        mut self,
        recipient: &str,
        bounced_subject: &str,
        reason: Option<&str>,
    ) -> Self {
        self.bounce = Some(BounceView {
            recipient: recipient.to_string(),
            bounced_subject: bounced_subject.to_string(),
            reason: reason.map(str::to_string),
        });
        self
    }

    pub fn with_refusal(mut self, line: &str, reason: RefusalReason, detail: Option<&str>) -> Self {
        self.refusal = Some(CommandRefusal {
            line: line.trim().to_string(),
            reason,
            detail: detail.map(str::to_string),
        });
        self
    }
}

fn person(staff: &Staff) -> Person {
    Person {
        name: staff.name.clone(),
        email: staff.email.to_string(),
        phone: staff.phone.clone(),
    }
}

fn contact_person(contact: Option<&EmailAddress>, config: &Config) -> Person {
    let named = contact.and_then(|a| config.staff_by_address(a));
    let fallback = || {
        [StaffRole::ComplaintOfficer, StaffRole::Handler]
            .into_iter()
            .find_map(|role| config.staff.iter().find(|s| s.role == role))
    };
    match named.or_else(fallback) {
        Some(staff) => person(staff),
        None => Person {
            name: config.company.name.clone(),
            email: config.company.complaint_address.to_string(),
            phone: config.company.phone.clone(),
        },
    }
}

/// The complaints manager for the case's jurisdiction (the first one listed).
fn manager_for<'a>(case: &Case, config: &'a Config) -> Option<&'a Staff> {
    let managers = || {
        config
            .staff
            .iter()
            .filter(|s| s.role == StaffRole::ComplaintsManager)
    };
    managers()
        .find(|s| s.jurisdictions.contains(&case.jurisdiction))
        .or_else(|| managers().next())
}
