//! Builds the [`TemplateContext`] for a case from the case, the config and the
//! referral data; the kind-specific parts are added with the `with_*` methods.

use chrono::NaiveDate;

use super::context::*;
use super::dates::in_words;
use super::referral::{Firm, Referrals};
use crate::case::{Case, Outcome};
use crate::config::{Config, Staff, StaffRole};
use crate::domain::{EmailAddress, Jurisdiction, Language};

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
        let firm = Firm::of(company);
        // Present always; the decision template shows them only when the
        // outcome is not a full uphold.
        let referrals = referrals.bodies_for(firm, case.jurisdiction, case.category, lang);
        let ankenaevn = referrals
            .iter()
            .find(|b| b.after_weeks_without_answer)
            .cloned();
        let weeks = config.policy.ankenaevn_after_weeks;
        TemplateContext {
            company: CompanyView {
                name: company.name.clone(),
                email: company.complaint_address.to_string(),
                phone: company.phone.clone(),
                address: company.address.clone(),
                website: company.website.clone(),
            },
            reference: case.reference.to_string(),
            jurisdiction: case.jurisdiction,
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
                final_due_iso: case.final_due.to_string(),
                ankenaevn_open: words(received + chrono::Duration::weeks(i64::from(weeks))),
            },
            answer_within_days: config.policy.answer_within_days,
            final_within_days: config.policy.final_answer_within_days,
            ankenaevn_after_weeks: config.policy.ankenaevn_after_weeks,
            reply_address: None,
            holding_reason: None,
            decision: None,
            referrals,
            ankenaevn,
            answer_beyond_ankenaevn_weeks: beyond_weeks(received, case.answer_due, weeks),
            staff_answer: None,
            customer_text: None,
            attachments: Vec::new(),
            reminder: None,
            escalation: None,
            bounce: None,
            refusal: None,
            update: None,
            forward: None,
            digest: None,
            late: Vec::new(),
            flood: None,
            prompt: None,
            related: Vec::new(),
            surge: None,
        }
    }

    /// The context of mail that belongs to no case (a digest, an alarm over many
    /// cases, a reply to a colleague's forward): the company, the contact person
    /// a colleague should know, the law's numbers; no reference, customer or dates.
    pub fn for_company(config: &Config, jurisdiction: Jurisdiction) -> TemplateContext {
        let company = &config.company;
        let none = String::new;
        TemplateContext {
            company: CompanyView {
                name: company.name.clone(),
                email: company.complaint_address.to_string(),
                phone: company.phone.clone(),
                address: company.address.clone(),
                website: company.website.clone(),
            },
            reference: none(),
            jurisdiction,
            customer: CustomerView {
                name: None,
                email: none(),
            },
            subject: none(),
            contact: contact_person(None, config),
            manager: None,
            dates: DateWords::default(),
            answer_within_days: config.policy.answer_within_days,
            final_within_days: config.policy.final_answer_within_days,
            ankenaevn_after_weeks: config.policy.ankenaevn_after_weeks,
            reply_address: None,
            holding_reason: None,
            decision: None,
            referrals: Vec::new(),
            ankenaevn: None,
            answer_beyond_ankenaevn_weeks: false,
            staff_answer: None,
            customer_text: None,
            attachments: Vec::new(),
            reminder: None,
            escalation: None,
            bounce: None,
            refusal: None,
            update: None,
            prompt: None,
            forward: None,
            digest: None,
            late: Vec::new(),
            flood: None,
            related: Vec::new(),
            surge: None,
        }
    }

    pub fn with_related(mut self, related: Vec<RelatedCaseView>) -> Self {
        self.related = related;
        self
    }

    pub fn with_surge(mut self, surge: SurgeView) -> Self {
        self.surge = Some(surge);
        self
    }

    pub fn with_forward(mut self, forward: ForwardView) -> Self {
        self.forward = Some(forward);
        self
    }

    pub fn with_digest(mut self, digest: DigestView) -> Self {
        self.digest = Some(digest);
        self
    }

    pub fn with_flood(mut self, flood: FloodView) -> Self {
        self.flood = Some(flood);
        self
    }

    pub fn with_late(mut self, late: Vec<LateCaseView>) -> Self {
        self.late = late;
        self
    }

    pub fn with_reply_address(mut self, address: &EmailAddress) -> Self {
        self.reply_address = Some(address.to_string());
        self
    }

    /// Holding reply: the staff member's reason; `new_due` becomes the answer
    /// date. `received` is the local day the complaint arrived.
    pub fn with_holding(
        mut self,
        reason: &str,
        new_due: NaiveDate,
        received: NaiveDate,
        lang: Language,
    ) -> Self {
        self.holding_reason = Some(reason.trim().to_string());
        self.dates.answer_due = in_words(new_due, lang);
        self.answer_beyond_ankenaevn_weeks =
            beyond_weeks(received, new_due, self.ankenaevn_after_weeks);
        self
    }

    /// The prompt to send a holding reply; `automatic_reason` is what the policy
    /// will send on the answer date if staff do not.
    pub fn with_prompt(mut self, automatic_reason: Option<&str>) -> Self {
        self.prompt = Some(PromptView {
            automatic_reason: automatic_reason.map(str::to_string),
        });
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

    pub fn with_update(mut self, kind: UpdateKind) -> Self {
        self.update = Some(UpdateView::of(kind));
        self
    }

    /// A mail copied to us as `by`'s answer that our MX could not vouch for.
    pub fn with_unverified_answer(mut self, by: &str, text: &str) -> Self {
        self.update = Some(UpdateView {
            kind: UpdateKind::UnverifiedAnswer,
            by: Some(by.to_string()),
            text: Some(text.to_string()),
        });
        self
    }

    /// A refused command line: `reason` chooses the explanation, `refusal` (when
    /// known) gives the facts the template words in the staff member's language.
    pub fn with_refusal(
        mut self,
        line: &str,
        reason: RefusalReason,
        refusal: Option<&crate::case::Refusal>,
    ) -> Self {
        self.refusal = Some(CommandRefusal {
            line: line.trim().to_string(),
            reason,
            detail: refusal.map(RefusalDetail::from),
        });
        self
    }
}

/// Whether `answer_due` lies more than `weeks` weeks after `received`.
fn beyond_weeks(received: NaiveDate, answer_due: NaiveDate, weeks: u32) -> bool {
    answer_due > received + chrono::Duration::weeks(i64::from(weeks))
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

/// The complaints manager for the case, chosen as the case logic chooses the one
/// who hears of its escalations (a complaint officer where no manager is configured).
fn manager_for<'a>(case: &Case, config: &'a Config) -> Option<&'a Staff> {
    crate::case::assign::complaints_manager_for(&config.staff, case.jurisdiction, case.language)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use mail_parser::MessageParser;

    use super::*;
    use crate::case::{Status, Tier};
    use crate::domain::{CaseRef, Category, Jurisdiction};
    use crate::outbox::compose::{NamedAddress, OutgoingMessage, compose};
    use crate::outbox::kind::TemplateKind;
    use crate::outbox::render::Templates;
    use crate::outbox::threading::{message_id, thread_index};

    fn config() -> Config {
        let extra = r#"
[[staff]]
name = "Sven Ek"
email = "sven.ek@klagebot.localhost"
role = "complaints_manager"
jurisdictions = ["se"]
"#;
        let mut cfg =
            Config::from_toml(&format!("{}{extra}", crate::config::EMBEDDED_DEFAULT)).unwrap();
        // Lars Holm manages Danish complaints only.
        for s in cfg.staff.iter_mut().filter(|s| s.name == "Lars Holm") {
            s.jurisdictions = vec![Jurisdiction::Dk];
        }
        cfg
    }

    fn case(jurisdiction: Jurisdiction, language: Language) -> Case {
        let received: DateTime<Utc> = "2026-12-14T20:15:00Z".parse().unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(if m == 12 { 2026 } else { 2027 }, m, d).unwrap();
        Case {
            reference: CaseRef::new("KL", 2026, 123).unwrap(),
            status: Status::Acknowledged,
            tier: Tier::ComplaintsDepartment,
            mailbox: "local".into(),
            jurisdiction,
            language,
            category: Some(Category::Loan),
            customer: EmailAddress::parse("aase@example.net").unwrap(),
            customer_name: Some("Åsa Lindqvist".into()),
            subject: "Ränta på mitt lån".into(),
            contact: Some(EmailAddress::parse("Mette.Jensen@klagebot.localhost").unwrap()),
            received_at: received,
            acknowledge_due: day(12, 17),
            answer_due: day(1, 7),
            final_due: day(2, 4),
            acknowledged_at: None,
            holding_reply_at: None,
            decided_at: None,
            outcome: None,
            closed_at: None,
            escalated_at: None,
            referred: false,
            related: vec![],
            customer_message_id: "<abc@example.net>".into(),
            last_customer_message_id: "<abc@example.net>".into(),
            next_message_seq: 1,
            cause: None,
            measure: None,
        }
    }

    #[test]
    fn context_comes_from_the_case_and_the_config() {
        let ctx = TemplateContext::for_case(
            &case(Jurisdiction::Se, Language::Sv),
            &config(),
            &Referrals::shipped(),
            Language::Sv,
        );
        assert_eq!(ctx.reference, "KL-2026-000123");
        assert_eq!(ctx.contact.name, "Mette Jensen");
        assert_eq!(ctx.contact.phone.as_deref(), Some("+45 70 00 00 01"));
        // The Swedish case gets the manager who handles Sweden.
        assert_eq!(
            ctx.manager.as_ref().map(|m| m.name.as_str()),
            Some("Sven Ek")
        );
        // 20:15 UTC is 21:15 in Stockholm: still 14 December.
        assert_eq!(ctx.dates.received, "måndag den 14 december 2026");
        assert_eq!(ctx.dates.answer_due, "torsdag den 7 januari 2027");
        assert!(ctx.referrals.iter().any(|b| b.id == "se-arn"));
        let held = ctx.with_holding(
            "Vi väntar på underlag.",
            NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 14).unwrap(),
            Language::Sv,
        );
        assert_eq!(held.dates.answer_due, "måndag den 1 februari 2027");
    }

    #[test]
    fn an_unknown_contact_falls_back_to_a_handler_and_then_the_company() {
        let mut c = case(Jurisdiction::Dk, Language::Da);
        c.contact = Some(EmailAddress::parse("former.colleague@klagebot.localhost").unwrap());
        let mut cfg = config();
        let ctx = TemplateContext::for_case(&c, &cfg, &Referrals::shipped(), Language::Da);
        assert_eq!(ctx.contact.name, "Mette Jensen");
        cfg.staff.clear();
        let ctx = TemplateContext::for_case(&c, &cfg, &Referrals::shipped(), Language::Da);
        assert_eq!(ctx.contact.name, "Eksempel Finans A/S");
        assert_eq!(ctx.contact.email, "klage@klagebot.localhost");
        assert!(ctx.manager.is_none());
    }

    #[test]
    fn a_case_becomes_a_threaded_acknowledgement_in_the_customers_language() {
        let c = case(Jurisdiction::Se, Language::Sv);
        let cfg = config();
        let ctx = TemplateContext::for_case(&c, &cfg, &Referrals::shipped(), c.language);
        let text = Templates::shipped()
            .unwrap()
            .render(TemplateKind::Acknowledgement, c.language, &ctx)
            .unwrap();
        let sent_at: DateTime<Utc> = "2026-12-14T20:15:03Z".parse().unwrap();
        let mail = OutgoingMessage {
            from: NamedAddress::new(
                Some(&cfg.company.name),
                cfg.company.complaint_address.clone(),
            ),
            to: vec![NamedAddress::new(
                c.customer_name.as_deref(),
                c.customer.clone(),
            )],
            cc: vec![],
            reply_to: None,
            subject: text.subject,
            body: text.body,
            message_id: message_id(&c.reference, c.next_message_seq, &cfg.company.domain, b"s"),
            in_reply_to: Some(c.customer_message_id.clone()),
            references: vec![c.customer_message_id.clone()],
            date: sent_at,
            auto_submitted: true,
            thread_index: Some(thread_index(&c.reference, c.received_at, sent_at, 1)),
            thread_topic: Some(c.subject.clone()),
        };
        let bytes = compose(&mail).unwrap();
        let parsed = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(
            parsed.subject(),
            Some("Vi har tagit emot ditt klagomål [KL-2026-000123]")
        );
        let id = parsed.message_id().unwrap_or_default();
        assert!(
            id.starts_with("case-KL-2026-000123.1.") && id.ends_with("@klagebot.localhost"),
            "{id}"
        );
        let body = parsed.body_text(0).unwrap();
        assert!(body.contains("Hej Åsa Lindqvist,"), "{body}");
        assert!(body.contains("senast torsdag den 7 januari 2027"), "{body}");
        assert!(body.contains("mette.jensen@klagebot.localhost"), "{body}");
    }
}
