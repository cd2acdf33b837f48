//! `klagebot preview KIND`: one template rendered with sample data around the
//! configured company and staff, printed as its reader meets it (subject, blank
//! line, body). What a company needs when it edits its texts or its referral data.
//! Needs no database, no server and no secret.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::case::{self, Case, NewCase, Outcome, Rules};
use crate::config::Config;
use crate::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};
use crate::outbox::context::{EscalationTrigger, UpdateKind};
use crate::outbox::{TemplateContext, TemplateKind, samples};

/// What one preview shows: the template, and the sample case around it.
#[derive(Debug, Clone)]
pub struct Preview {
    pub kind: TemplateKind,
    /// The mail's language; default: the company's.
    pub lang: Option<Language>,
    pub category: Option<Category>,
    /// Default: the company's jurisdiction.
    pub jurisdiction: Option<Jurisdiction>,
    /// For `decision`; default: rejected (the bodies are listed).
    pub outcome: Outcome,
    /// For `staff_escalation`; default: the answer date has passed.
    pub trigger: EscalationTrigger,
    /// For `staff_update`; default: the customer wrote again.
    pub update: UpdateKind,
}

pub fn run(config: &Config, args: &super::PreviewArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        print!("{}", kind_list());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(kind) = args.kind else {
        anyhow::bail!("name a template kind, or use --list to see them");
    };
    let preview = Preview {
        kind,
        lang: args.lang,
        category: args.category,
        jurisdiction: args.jurisdiction,
        outcome: args.outcome.map_or(Outcome::Rejected, Outcome::from),
        trigger: args.trigger.map_or(EscalationTrigger::Breached, Into::into),
        update: args.update.map_or(UpdateKind::CustomerWrote, Into::into),
    };
    print!("{}", render(config, &preview)?);
    Ok(ExitCode::SUCCESS)
}

/// Every kind, whom it goes to and what it is.
pub fn kind_list() -> String {
    TemplateKind::ALL
        .into_iter()
        .map(|k| {
            let reader = if k.is_for_customer() {
                "customer"
            } else {
                "staff"
            };
            format!("{:<24} {reader:<9} {}\n", k.code(), describe(k))
        })
        .collect()
}

fn describe(kind: TemplateKind) -> &'static str {
    match kind {
        TemplateKind::Acknowledgement => "the case is open: contact person, answer date",
        TemplateKind::HoldingReply => "the answer is late: the reason and the new date",
        TemplateKind::Decision => "the reasoned answer; the external bodies unless upheld",
        TemplateKind::EscalationToCustomer => "the complaints manager has the case now",
        TemplateKind::RelayedAnswer => "a staff member's answer, relayed",
        TemplateKind::CommandReply => "a #command was refused, and why",
        TemplateKind::StaffNewCase => "a new case, and what each reply command sends",
        TemplateKind::StaffReminder => "the answer is due in a few working days",
        TemplateKind::StaffHoldingPrompt => "send a holding reply now if the answer will be late",
        TemplateKind::StaffEscalation => "to the complaints manager: asked for, due, overdue",
        TemplateKind::StaffBounce => "our mail to the customer bounced; #address",
        TemplateKind::StaffAlarm => "the acknowledgement is still unsent; #acknowledged",
        TemplateKind::StaffUpdate => "news on a case: customer wrote, assigned, board open",
        TemplateKind::ColleagueForward => "to a colleague whose forward opened a case",
        TemplateKind::ForwardNotComplaint => "to a colleague whose forward is no complaint; #open",
        TemplateKind::StaffDigest => "the daily list of mail left for people; #open",
        TemplateKind::StaffBacklog => "acknowledgements sent after their deadline (a backlog)",
        TemplateKind::StaffFlood => "one address over the per-address caps: its cases, hourly",
        TemplateKind::StaffSurge => "many complaints about one matter at once: alert, daily update",
    }
}

/// The preview as text: `Subject: …`, a blank line, the body.
pub fn render(config: &Config, preview: &Preview) -> anyhow::Result<String> {
    let (templates, referrals) = crate::outbox::load_from_config(config)?;
    let rules = Rules::from_config(config);
    let lang = preview.lang.unwrap_or(config.company.default_language);
    let case = sample_case(config, &rules, preview, lang)?;
    let ctx = TemplateContext::for_case(&case, config, &referrals, lang);
    let ctx = kind_parts(ctx, config, &rules, &case, preview, lang);
    let text = templates
        .render(preview.kind, lang, &ctx)
        .with_context(|| format!("while rendering {lang}/{}", preview.kind))?;
    Ok(format!("Subject: {}\n\n{}", text.subject, text.body))
}

/// A complaint received on Monday 14 December 2026 at 10:15 local time, with the
/// due dates the company's calendar gives it and the contact the daemon would pick.
fn sample_case(
    config: &Config,
    rules: &Rules,
    preview: &Preview,
    lang: Language,
) -> anyhow::Result<Case> {
    let jurisdiction = preview.jurisdiction.unwrap_or(config.company.jurisdiction);
    let received_at = local(jurisdiction, 2026, 12, 14, 10, 15)?;
    let sample = samples::full(lang);
    let contact = case::assign::choose_contact(&config.staff, lang, jurisdiction, &HashMap::new())
        .map(|s| s.email.clone());
    let input = NewCase {
        reference: CaseRef::new(&config.company.case_prefix, 2026, 123)?,
        mailbox: "preview".into(),
        jurisdiction,
        language: lang,
        category: preview.category,
        customer: EmailAddress::parse(&sample.customer.email)?,
        customer_name: sample.customer.name.clone(),
        subject: sample.subject.clone(),
        message_id: "<preview@example.net>".into(),
        received_at,
        contact,
        forwarded_by: None,
        opened_by: None,
    };
    Ok(case::open(input, received_at, rules).case)
}

fn local(
    j: Jurisdiction,
    y: i32,
    m: u32,
    d: u32,
    h: u32,
    min: u32,
) -> anyhow::Result<DateTime<Utc>> {
    let naive = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|day| day.and_hms_opt(h, min, 0))
        .context("a valid sample date")?;
    j.time_zone()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .context("an unambiguous sample time")
}

/// The kind-specific parts: sample texts in the mail's language, the case's own
/// dates, and the staff reply address (with a preview secret, not the real one).
fn kind_parts(
    base: TemplateContext,
    config: &Config,
    rules: &Rules,
    case: &Case,
    preview: &Preview,
    lang: Language,
) -> TemplateContext {
    let sample = samples::full(lang);
    let reply = crate::outbox::reply_address(
        &config.company.complaint_address,
        &case.reference,
        b"klagebot preview, not the configured secret",
    );
    let base = base.with_reply_address(&reply);
    let received = rules
        .calendar(case.jurisdiction)
        .local_date(case.received_at);
    let signer = base.contact.name.clone();
    let text = |o: Option<String>| o.unwrap_or_default();
    match preview.kind {
        TemplateKind::HoldingReply => {
            let reason = text(sample.holding_reason);
            base.with_holding(&reason, case.final_due, received, lang)
        }
        TemplateKind::Decision => {
            let decision = sample.decision.map(|d| d.text);
            base.with_decision(preview.outcome, &text(decision), &signer)
        }
        TemplateKind::RelayedAnswer => {
            let answer = sample.staff_answer.map(|a| a.text);
            base.with_staff_answer(&signer, &text(answer))
        }
        TemplateKind::CommandReply => TemplateContext {
            refusal: sample.refusal,
            ..base
        },
        TemplateKind::StaffNewCase => base
            .with_customer_text(&text(sample.customer_text), sample.attachments)
            .with_related(sample.related),
        TemplateKind::StaffReminder => base.with_reminder(2),
        TemplateKind::StaffHoldingPrompt => {
            let automatic = config
                .policy
                .auto_holding_reason_for(case.category, case.language)
                .filter(|_| config.policy.auto_holding_reply);
            base.with_prompt(automatic)
        }
        TemplateKind::StaffEscalation => base.with_escalation(preview.trigger),
        TemplateKind::StaffBounce => {
            let bounce = sample.bounce.unwrap_or_else(|| unreachable_bounce(case));
            base.with_bounce(
                &case.customer.to_string(),
                &bounce.bounced_subject,
                bounce.reason.as_deref(),
            )
        }
        TemplateKind::StaffUpdate => {
            let with_text = match preview.update {
                UpdateKind::CustomerWrote => {
                    base.with_customer_text(&text(sample.customer_text), Vec::new())
                }
                UpdateKind::UnverifiedAnswer => {
                    let answer = sample.staff_answer.map(|a| a.text);
                    return base.with_unverified_answer(&signer, &text(answer));
                }
                _ => base,
            };
            with_text.with_update(preview.update)
        }
        TemplateKind::ColleagueForward => match sample.forward {
            Some(forward) => base.with_forward(forward),
            None => base,
        },
        TemplateKind::ForwardNotComplaint
        | TemplateKind::StaffDigest
        | TemplateKind::StaffBacklog
        | TemplateKind::StaffFlood
        | TemplateKind::StaffSurge => {
            let caseless = TemplateContext::for_company(config, case.jurisdiction);
            let reply = crate::outbox::mail_reply_address(
                &config.company.complaint_address,
                1,
                b"klagebot preview, not the configured secret",
            );
            TemplateContext {
                forward: sample.forward,
                digest: sample.digest,
                late: sample.late,
                flood: sample.flood,
                surge: sample.surge,
                ..caseless
            }
            .with_reply_address(&reply)
        }
        TemplateKind::Acknowledgement
        | TemplateKind::EscalationToCustomer
        | TemplateKind::StaffAlarm => base,
    }
}

/// The sample always has a bounce; this only keeps the preview total.
fn unreachable_bounce(case: &Case) -> crate::outbox::context::BounceView {
    crate::outbox::context::BounceView {
        recipient: case.customer.to_string(),
        bounced_subject: case.subject.clone(),
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview(kind: TemplateKind) -> Preview {
        Preview {
            kind,
            lang: None,
            category: None,
            jurisdiction: None,
            outcome: Outcome::Rejected,
            trigger: EscalationTrigger::Breached,
            update: UpdateKind::CustomerWrote,
        }
    }

    #[test]
    fn every_kind_previews_in_every_language_with_the_embedded_default() {
        let config = Config::embedded_default();
        for kind in TemplateKind::ALL {
            for lang in Language::ALL {
                let p = Preview {
                    lang: Some(lang),
                    ..preview(kind)
                };
                let text = render(&config, &p).unwrap();
                assert!(text.starts_with("Subject: "), "{lang}/{kind}: {text}");
                // Mail of no case (a digest, a reply to a colleague) names none.
                assert_eq!(
                    text.contains("KL-2026-000123"),
                    !kind.is_caseless(),
                    "{lang}/{kind}"
                );
            }
        }
    }

    #[test]
    fn the_preview_uses_the_configured_company_and_its_calendar() {
        let config = Config::embedded_default();
        let text = render(&config, &preview(TemplateKind::Acknowledgement)).unwrap();
        assert!(text.contains("Eksempel Finans A/S"), "{text}");
        assert!(text.contains("Mette Jensen"), "{text}");
        // Received Monday 14 December 2026: 15 working days later, across
        // Christmas and New Year in Denmark.
        assert!(text.contains("fredag den 8. januar 2027"), "{text}");
    }
}
