//! Sample contexts with every field filled (and sparse ones with every optional
//! part absent), so that `check_all` exercises each branch of each template.

use chrono::NaiveDate;

use super::context::*;
use super::dates::in_words;
use super::kind::TemplateKind;
use super::referral::{Firm, referral_bodies};
use crate::case::{CommandError, Outcome, Refusal, Rejected};
use crate::config::CompanyKind;
use crate::domain::{Category, Jurisdiction, Language, LeftReason};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A customer name and complaint text that fit the language.
fn customer_in(lang: Language) -> (&'static str, &'static str) {
    match lang {
        Language::Da => (
            "Ole Sørensen",
            "Jeg er blevet opkrævet et gebyr på 250 kr. for en overførsel, som jeg aldrig har fået oplyst.",
        ),
        Language::Nb => (
            "Kari Nordmann",
            "Jeg har blitt trukket et gebyr på 250 kroner for en overføring jeg aldri fikk beskjed om.",
        ),
        Language::Nn => (
            "Ingrid Haugen",
            "Eg har vorte trekt eit gebyr på 250 kroner for ei overføring eg aldri fekk melding om.",
        ),
        Language::Sv => (
            "Åsa Lindqvist",
            "Jag har debiterats en avgift på 250 kronor för en överföring som jag aldrig blev informerad om.",
        ),
        Language::En => (
            "Jane Whitfield",
            "I was charged a fee of 250 for a transfer I was never told about.",
        ),
    }
}

/// A full context for the mail language `lang`: every optional part present.
pub fn full(lang: Language) -> TemplateContext {
    let (customer_name, customer_text) = customer_in(lang);
    let bank = Firm::usual(CompanyKind::Bank);
    let bank_referrals = referral_bodies(bank, Jurisdiction::Dk, Some(Category::Fees), lang);
    TemplateContext {
        company: CompanyView {
            name: "Nordvik Bank A/S".into(),
            email: "klage@nordvikbank.dk".into(),
            phone: Some("+45 70 20 30 40".into()),
            address: Some("Havnegade 12, 1058 København K".into()),
            website: Some("https://www.nordvikbank.dk".into()),
        },
        reference: "KL-2026-000123".into(),
        jurisdiction: Jurisdiction::Dk,
        customer: CustomerView {
            name: Some(customer_name.into()),
            email: "kunde@example.net".into(),
        },
        subject: "Gebyr på overførsel – æøå ÆØÅ".into(),
        contact: Person {
            name: "Mette Jensen".into(),
            email: "mette.jensen@nordvikbank.dk".into(),
            phone: Some("+45 70 20 30 41".into()),
        },
        manager: Some(Person {
            name: "Lars Holm".into(),
            email: "lars.holm@nordvikbank.dk".into(),
            phone: Some("+45 70 20 30 42".into()),
        }),
        dates: DateWords {
            received: in_words(day(2026, 12, 14), lang),
            acknowledge_due: in_words(day(2026, 12, 17), lang),
            answer_due: in_words(day(2027, 1, 7), lang),
            final_due: in_words(day(2027, 2, 4), lang),
            final_due_iso: "2027-02-04".into(),
            ankenaevn_open: in_words(day(2027, 1, 18), lang),
        },
        answer_within_days: 15,
        final_within_days: 35,
        ankenaevn_after_weeks: 5,
        reply_address: Some("klage+KL-2026-000123.abcdefghijklmnop@nordvikbank.dk".into()),
        holding_reason: Some(holding_reason(lang).into()),
        decision: Some(DecisionView {
            outcome: Outcome::Rejected,
            text: decision_text(lang).into(),
            signed_by: "Mette Jensen".into(),
        }),
        referrals: bank_referrals.clone(),
        ankenaevn: bank_referrals
            .iter()
            .find(|b| b.after_weeks_without_answer)
            .cloned(),
        answer_beyond_ankenaevn_weeks: false,
        staff_answer: Some(StaffAnswer {
            name: "Mette Jensen".into(),
            text: staff_answer_text(lang).into(),
        }),
        customer_text: Some(customer_text.into()),
        attachments: vec![
            AttachmentView::new("kontoudtog-november.pdf", 245_311),
            AttachmentView::new("skærmbillede.png", 812),
        ],
        reminder: Some(ReminderView {
            working_days_left: 2,
        }),
        escalation: Some(EscalationView {
            trigger: EscalationTrigger::CustomerRequest,
        }),
        bounce: Some(BounceView {
            recipient: "kunde@example.net".into(),
            bounced_subject: "Vi har modtaget din klage [KL-2026-000123]".into(),
            reason: Some("550 5.1.1 mailbox unavailable".into()),
        }),
        refusal: Some(CommandRefusal {
            line: "#decison rejected".into(),
            reason: RefusalReason::UnknownCommand,
            detail: Some(RefusalDetail::from(&sample_refusals()[0])),
        }),
        update: Some(UpdateView::of(UpdateKind::CustomerWrote)),
        forward: Some(ForwardView {
            customer: CustomerView {
                name: Some(customer_name.into()),
                email: "kunde@example.net".into(),
            },
            subject: "Gebyr på overførsel".into(),
            sent: in_words(day(2026, 12, 11), lang),
        }),
        digest: Some(DigestView {
            since: format!("{} 08:30", in_words(day(2026, 12, 11), lang)),
            items: LeftReason::ALL
                .iter()
                .enumerate()
                .map(|(i, reason)| DigestItem {
                    received: format!("{} 1{i}:05", in_words(day(2026, 12, 11), lang)),
                    sender: format!("Kunde {i} <kunde{i}@example.net>"),
                    subject: format!("Spørgsmål {i} – æøå"),
                    mailbox: "klage".into(),
                    reason: *reason,
                    reply_address: format!("klage+m{i}.abcdefghijklmnop@nordvikbank.dk"),
                })
                .collect(),
        }),
        late: vec![
            LateCaseView {
                reference: "KL-2026-000120".into(),
                received: in_words(day(2026, 12, 9), lang),
                acknowledge_due: in_words(day(2026, 12, 14), lang),
            },
            LateCaseView {
                reference: "KL-2026-000121".into(),
                received: in_words(day(2026, 12, 10), lang),
                acknowledge_due: in_words(day(2026, 12, 15), lang),
            },
        ],
        flood: Some(FloodView {
            address: "loop@example.net".into(),
            mails: 14,
            per_hour: 10,
            per_day: 30,
            cases: (124..=125)
                .map(|n| FloodCaseView {
                    reference: format!("KL-2026-000{n}"),
                    received: in_words(day(2026, 12, 9), lang),
                    subject: format!("Klage {n} – æøå"),
                    reply_address: format!("klage+KL-2026-000{n}.abcdefghijklmnop@nordvikbank.dk"),
                    unacknowledged: n == 125,
                })
                .collect(),
            more: 3,
        }),
        prompt: Some(PromptView {
            automatic_reason: Some(holding_reason(lang).into()),
        }),
        related: vec![
            RelatedCaseView {
                reference: "KL-2026-000098".into(),
                received: in_words(day(2026, 12, 1), lang),
                status: "decided".into(),
                outcome: Some("upheld".into()),
                handler: Some("Mette Jensen".into()),
                score: "0.62".into(),
                reason: "shared: amount 49, date 12-01, fee, double".into(),
                cause: Some("Gebyrkørslen 1/12 kørte to gange".into()),
            },
            RelatedCaseView {
                reference: "KL-2026-000101".into(),
                received: in_words(day(2026, 12, 2), lang),
                status: "acknowledged".into(),
                outcome: None,
                handler: None,
                score: "0.35".into(),
                reason: "shared: amount 49, fee".into(),
                cause: None,
            },
        ],
        surge: Some(SurgeView {
            update: false,
            words: "amount 49, date 12-01, fee, double".into(),
            first: in_words(day(2026, 12, 1), lang) + " 08:12",
            latest: in_words(day(2026, 12, 2), lang) + " 10:40",
            hours: 48,
            count: 5,
            cases: (98..=102)
                .map(|n| SurgeCaseView {
                    reference: format!("KL-2026-000{n}"),
                    received: in_words(day(2026, 12, 1), lang),
                    subject: format!("Gebyr {n} – æøå"),
                    status: "received".into(),
                })
                .collect(),
        }),
    }
}

fn decision_text(lang: Language) -> &'static str {
    match lang {
        Language::Da => {
            "Vi har gennemgået din konto og vores aftale om overførsler.\n\nGebyret følger af prislisten, som du accepterede den 3. marts 2025."
        }
        Language::Nb => {
            "Vi har gått gjennom kontoen din og avtalen om overføringer.\n\nGebyret følger av prislisten som du godtok 3. mars 2025."
        }
        Language::Nn => {
            "Vi har gått gjennom kontoen din og avtalen om overføringar.\n\nGebyret følgjer av prislista som du godtok 3. mars 2025."
        }
        Language::Sv => {
            "Vi har gått igenom ditt konto och avtalet om överföringar.\n\nAvgiften följer av prislistan som du godkände den 3 mars 2025."
        }
        Language::En => {
            "We have reviewed your account and the agreement on transfers.\n\nThe fee follows from the price list you accepted on 3 March 2025."
        }
    }
}

fn staff_answer_text(lang: Language) -> &'static str {
    match lang {
        Language::Da => "Hej Ole\n\nVi har i dag tilbageført gebyret på 250 kr. til din konto.",
        Language::Nb => {
            "Hei Kari,\n\nVi har i dag tilbakeført gebyret på 250 kroner til kontoen din."
        }
        Language::Nn => {
            "Hei Ingrid,\n\nVi har i dag ført gebyret på 250 kroner tilbake til kontoen din."
        }
        Language::Sv => {
            "Hej Åsa,\n\nVi har i dag återbetalat avgiften på 250 kronor till ditt konto."
        }
        Language::En => "Dear Jane,\n\nWe have refunded the fee of 250 to your account today.",
    }
}

fn holding_reason(lang: Language) -> &'static str {
    match lang {
        Language::Da => "Vi venter på oplysninger fra den modtagende bank i udlandet.",
        Language::Nb => "Vi venter på opplysninger fra mottakerbanken i utlandet.",
        Language::Nn => "Vi ventar på opplysningar frå mottakarbanken i utlandet.",
        Language::Sv => "Vi väntar på uppgifter från mottagarbanken utomlands.",
        Language::En => "We are waiting for information from the receiving bank abroad.",
    }
}

/// The full context with every optional part absent that `kind` can do without.
pub fn sparse(kind: TemplateKind, lang: Language) -> TemplateContext {
    let full = full(lang);
    let mut ctx = full.clone();
    ctx.company.phone = None;
    ctx.company.address = None;
    ctx.company.website = None;
    ctx.customer.name = None;
    ctx.contact.phone = None;
    ctx.attachments.clear();
    ctx.referrals.clear();
    ctx.ankenaevn = None;
    ctx.manager = None;
    ctx.reply_address = None;
    ctx.holding_reason = None;
    ctx.decision = None;
    ctx.staff_answer = None;
    ctx.customer_text = None;
    ctx.reminder = None;
    ctx.escalation = None;
    ctx.bounce = None;
    ctx.refusal = None;
    ctx.update = None;
    ctx.forward = None;
    ctx.digest = None;
    ctx.late.clear();
    ctx.flood = None;
    ctx.prompt = None;
    ctx.related.clear();
    ctx.surge = None;
    // Put back exactly what the kind cannot do without, in its barest form.
    while let Some(field) = kind.missing_in(&ctx) {
        restore(&mut ctx, &full, field);
    }
    ctx
}

fn restore(ctx: &mut TemplateContext, full: &TemplateContext, field: &str) {
    match field {
        "holding_reason" => ctx.holding_reason = full.holding_reason.clone(),
        "decision" => {
            ctx.decision = full.decision.clone();
            ctx.referrals = full.referrals.clone();
        }
        "manager" => {
            ctx.manager = full.manager.clone().map(|m| Person { phone: None, ..m });
        }
        "staff_answer" => ctx.staff_answer = full.staff_answer.clone(),
        "refusal" => {
            ctx.refusal = full
                .refusal
                .clone()
                .map(|r| CommandRefusal { detail: None, ..r });
        }
        "customer_text" => ctx.customer_text = full.customer_text.clone(),
        "reply_address" => ctx.reply_address = full.reply_address.clone(),
        "update" => ctx.update = full.update.clone(),
        "forward" => {
            ctx.forward = full.forward.clone().map(|f| ForwardView {
                customer: CustomerView {
                    name: None,
                    ..f.customer
                },
                sent: String::new(),
                ..f
            })
        }
        "digest" => ctx.digest = full.digest.clone(),
        "late" => ctx.late = full.late.clone(),
        "surge" => {
            ctx.surge = full.surge.clone().map(|s| SurgeView {
                cases: s.cases.into_iter().take(1).collect(),
                ..s
            })
        }
        "flood" => {
            ctx.flood = full.flood.clone().map(|f| FloodView {
                cases: f.cases.into_iter().take(1).collect(),
                more: 0,
                ..f
            })
        }
        "prompt" => {
            ctx.prompt = Some(PromptView {
                automatic_reason: None,
            })
        }
        "reminder" => ctx.reminder = full.reminder.clone(),
        "escalation" => ctx.escalation = full.escalation.clone(),
        "bounce" => {
            ctx.bounce = full
                .bounce
                .clone()
                .map(|b| BounceView { reason: None, ..b })
        }
        other => unreachable!("missing_in names a field restore does not know: {other}"),
    }
}

/// Variants of the full context that take other branches: each decision outcome
/// with each jurisdiction's referrals, each escalation trigger, each refusal reason.
pub fn variants(kind: TemplateKind, lang: Language) -> Vec<TemplateContext> {
    let mut base = full(lang);
    if kind.is_caseless() {
        // Mail of no case: a template that leans on case data shows it empty.
        base.reference.clear();
        base.customer.email.clear();
        base.customer.name = None;
        base.subject.clear();
        base.dates = DateWords::default();
    }
    match kind {
        TemplateKind::Decision => decision_variants(&base, lang),
        TemplateKind::StaffEscalation => EscalationTrigger::ALL
            .into_iter()
            .flat_map(|trigger| Jurisdiction::ALL.map(|j| (trigger, j)))
            .map(|(trigger, jurisdiction)| TemplateContext {
                escalation: Some(EscalationView { trigger }),
                jurisdiction,
                ..base.clone()
            })
            .collect(),
        TemplateKind::StaffUpdate => UpdateKind::ALL
            .into_iter()
            .flat_map(|kind| [(kind, base.ankenaevn.clone()), (kind, None)])
            .map(|(kind, ankenaevn)| TemplateContext {
                update: Some(match kind {
                    UpdateKind::UnverifiedAnswer => UpdateView {
                        kind,
                        by: Some(base.contact.name.clone()),
                        text: Some(staff_answer_text(lang).into()),
                    },
                    _ => UpdateView::of(kind),
                }),
                ankenaevn,
                ..base.clone()
            })
            .collect(),
        TemplateKind::HoldingReply => [(true, base.ankenaevn.clone()), (true, None), (false, None)]
            .into_iter()
            .map(|(beyond, ankenaevn)| TemplateContext {
                answer_beyond_ankenaevn_weeks: beyond,
                ankenaevn,
                ..base.clone()
            })
            .collect(),
        TemplateKind::StaffHoldingPrompt => vec![
            base.clone(),
            TemplateContext {
                prompt: Some(PromptView {
                    automatic_reason: None,
                }),
                ..base.clone()
            },
        ],
        TemplateKind::CommandReply => refusal_variants(&base),

        _ => vec![base],
    }
}

/// Each outcome, for each kind of firm in each jurisdiction, with a few
/// categories that name different bodies.
fn decision_variants(base: &TemplateContext, lang: Language) -> Vec<TemplateContext> {
    let categories = [
        None,
        Some(Category::Investment),
        Some(Category::Payment),
        Some(Category::Privacy),
        Some(Category::Marketing),
    ];
    let mut out = Vec::new();
    for outcome in [Outcome::Upheld, Outcome::PartiallyUpheld, Outcome::Rejected] {
        for kind in CompanyKind::ALL {
            for jurisdiction in Jurisdiction::ALL {
                for category in categories {
                    let mut ctx = base.clone();
                    ctx.jurisdiction = jurisdiction;
                    if let Some(d) = ctx.decision.as_mut() {
                        d.outcome = outcome;
                    }
                    ctx.referrals = if outcome.needs_referral() {
                        referral_bodies(Firm::usual(kind), jurisdiction, category, lang)
                    } else {
                        Vec::new()
                    };
                    out.push(ctx);
                }
            }
        }
    }
    out
}

/// One refusal of every kind, for rendering each branch of the command reply.
pub fn sample_refusals() -> Vec<Refusal> {
    let date = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("valid date");
    let text = String::from;
    let staff = crate::domain::EmailAddress::parse("kari@example.no").expect("valid address");
    let case = crate::domain::CaseRef::new("KL", 2026, 42).expect("valid reference");
    let commands = [
        CommandError::Unknown {
            word: text("decison"),
            suggestion: Some(text("#decision")),
        },
        CommandError::MissingArgument {
            command: text("#assign"),
            expected: text("an address"),
        },
        CommandError::BadArgument {
            command: text("#category"),
            value: text("gebyr"),
            expected: text("a category"),
            suggestion: Some(text("fees")),
        },
        CommandError::Unexpected {
            command: text("#close"),
            found: text("now"),
        },
        CommandError::Repeated(text("#note")),
        CommandError::Conflict(text("#close"), text("#open")),
    ];
    let rejections = [
        Rejected::AlreadyOpened,
        Rejected::Withdrawn,
        Rejected::Closed,
        Rejected::AlreadyDecided(date(1)),
        Rejected::AlreadyOpen,
        Rejected::AlreadyAtTier(crate::case::Tier::ComplaintsManager),
        Rejected::BeyondFinalDue {
            new_due: date(30),
            final_due: date(28),
            days: 35,
        },
        Rejected::NoLaterDateAllowed(date(28)),
        Rejected::NotLater {
            new_due: date(2),
            answer_due: date(4),
        },
        Rejected::NotWorkingDay(date(25)),
        Rejected::InThePast(date(1)),
        Rejected::MissingReason,
        Rejected::NotStaff(staff),
        Rejected::EmptyDecision,
        Rejected::AlreadyClosed,
        Rejected::AlreadyWithdrawn,
        Rejected::AlreadyAcknowledged,
    ];
    commands
        .into_iter()
        .map(Refusal::Command)
        .chain(rejections.into_iter().map(Refusal::Case))
        .chain([
            Refusal::ForwardInCase(case),
            Refusal::Text(text("an old refusal")),
        ])
        .collect()
}

/// Each coarse reason alone, and each kind of refusal with its facts.
fn refusal_variants(base: &TemplateContext) -> Vec<TemplateContext> {
    let coarse = RefusalReason::ALL.into_iter().map(|reason| (reason, None));
    let typed = sample_refusals()
        .into_iter()
        .map(|r| (RefusalReason::from(&r), Some(RefusalDetail::from(&r))));
    coarse
        .chain(typed)
        .map(|(reason, detail)| {
            let mut ctx = base.clone();
            ctx.refusal = ctx.refusal.map(|r| CommandRefusal {
                reason,
                detail,
                ..r
            });
            ctx
        })
        .collect()
}
