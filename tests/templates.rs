//! The templates as a reader meets them: every kind in every language renders with
//! strict variables, names what the law asks for, never names a closed or wrong
//! body, and overrides replace exactly what they should.

use std::path::Path;

use klagebot::case::Outcome;
use klagebot::config::CompanyKind;
use klagebot::domain::{Category, Jurisdiction, Language};
use klagebot::outbox::context::RefusalReason;
use klagebot::outbox::render::shipped_source;
use klagebot::outbox::{
    Firm, RenderError, TemplateError, TemplateKind, Templates, forbidden, referral_bodies, samples,
};

fn shipped() -> Templates {
    Templates::shipped().expect("the shipped templates load")
}

#[test]
fn every_kind_exists_in_every_language_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for lang in Language::ALL {
        for kind in TemplateKind::ALL {
            let path = root.join(lang.code()).join(format!("{kind}.txt"));
            assert!(path.is_file(), "missing {}", path.display());
        }
    }
}

#[test]
fn check_all_passes_for_the_shipped_templates() {
    if let Err(e) = shipped().check_all() {
        panic!("{e}");
    }
}

#[test]
fn every_subject_line_carries_the_reference_itself() {
    for lang in Language::ALL {
        // Mail of no case (a digest, a reply to a colleague's forward) has none.
        for kind in TemplateKind::ALL.into_iter().filter(|k| !k.is_caseless()) {
            let first = shipped_source(kind, lang)
                .lines()
                .next()
                .unwrap_or_default();
            assert!(
                first.contains("[{{ reference }}]"),
                "{lang}/{kind}: {first}"
            );
        }
    }
}

#[test]
fn rendered_mail_keeps_no_template_syntax_and_carries_the_reference() {
    let t = shipped();
    for lang in Language::ALL {
        for kind in TemplateKind::ALL {
            let ctx = samples::full(lang);
            let text = t.render(kind, lang, &ctx).unwrap();
            assert_eq!(
                text.subject.contains("[KL-2026-000123]"),
                !kind.is_caseless(),
                "{lang}/{kind}"
            );
            assert!(!text.subject.contains('\n'));
            for syntax in ["{{", "}}", "{%", "%}"] {
                assert!(!text.body.contains(syntax), "{lang}/{kind} keeps {syntax}");
            }
            assert!(text.body.ends_with('\n') && !text.body.ends_with("\n\n"));
            assert!(
                !text.body.contains("\n\n\n"),
                "{lang}/{kind} has a double blank line"
            );
        }
    }
}

#[test]
fn a_kind_rendered_without_its_data_says_what_is_missing() {
    let mut ctx = samples::full(Language::Da);
    ctx.decision = None;
    let err = shipped()
        .render(TemplateKind::Decision, Language::Da, &ctx)
        .unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::MissingField {
                field: "decision",
                ..
            }
        ),
        "{err}"
    );
}

fn override_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn an_override_replaces_only_its_own_kind_and_language() {
    let dir = override_dir(&[(
        "sv/acknowledgement.txt",
        "Subject: Tack, {{ customer.name }}\r\n\r\nÄrende {{ reference }}, svar senast {{ dates.answer_due }}.\r\n{{ contact.name }} {{ contact.email }} {{ contact.phone }}\r\n",
    )]);
    let t = Templates::load(Some(dir.path())).unwrap();
    let ctx = samples::full(Language::Sv);
    let sv = t
        .render(TemplateKind::Acknowledgement, Language::Sv, &ctx)
        .unwrap();
    // The reference is added to a subject that lacks it.
    assert_eq!(sv.subject, "Tack, Åsa Lindqvist [KL-2026-000123]");
    assert!(
        sv.body
            .starts_with("Ärende KL-2026-000123, svar senast torsdag den 7 januari 2027.")
    );
    assert!(
        t.origin(TemplateKind::Acknowledgement, Language::Sv)
            .ends_with("acknowledgement.txt")
    );
    let da = t
        .render(
            TemplateKind::Acknowledgement,
            Language::Da,
            &samples::full(Language::Da),
        )
        .unwrap();
    assert!(da.subject.starts_with("Vi har modtaget din klage"));
    assert_eq!(
        t.origin(TemplateKind::Acknowledgement, Language::Da),
        "shipped"
    );
}

#[test]
fn an_override_with_an_unknown_variable_fails_the_check() {
    let dir = override_dir(&[(
        "nb/holding_reply.txt",
        "Subject: Forsinket [{{ reference }}]\n\n{{ holding_reason }} {{ dates.answer_due }} {{ new_date }}\n",
    )]);
    let t = Templates::load(Some(dir.path())).unwrap();
    let err = t.check_all().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("nb/holding_reply"), "{text}");
    assert!(
        text.contains("new_date") || text.contains("undefined"),
        "{text}"
    );
}

#[test]
fn an_override_that_drops_the_due_date_fails_the_check() {
    let dir = override_dir(&[(
        "en/acknowledgement.txt",
        "Subject: Received [{{ reference }}]\n\nThanks. {{ reference }} {{ contact.name }} {{ contact.email }}\n",
    )]);
    let err = Templates::load(Some(dir.path()))
        .unwrap()
        .check_all()
        .unwrap_err();
    assert!(err.to_string().contains("answer date"), "{err}");
}

#[test]
fn misspelt_or_malformed_overrides_are_refused_with_the_file_named() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "da/acknowledgment.txt",
            "Subject: x\n\ny\n",
            "acknowledgment.txt",
        ),
        ("de/acknowledgement.txt", "Subject: x\n\ny\n", "de"),
        ("da/decision.txt", "Emne: x\n\ny\n", "Subject:"),
        ("da/decision.txt", "Subject: x\ny\n", "blank"),
    ];
    for (path, text, expected) in cases {
        let dir = override_dir(&[(path, text)]);
        let err = match Templates::load(Some(dir.path())) {
            Ok(_) => panic!("{path} should be refused"),
            Err(e) => e,
        };
        assert!(err.to_string().contains(expected), "{path}: {err}");
    }
}

#[test]
fn an_override_naming_the_closed_odr_platform_is_refused() {
    let dir = override_dir(&[(
        "en/decision.txt",
        "Subject: Answer [{{ reference }}]\n\nSee https://ec.europa.eu/consumers/odr\n",
    )]);
    let err = Templates::load(Some(dir.path())).err().expect("refused");
    assert!(matches!(err, TemplateError::Format { .. }), "{err}");
}

#[test]
fn no_shipped_file_names_odr_or_forbrukerradet() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut seen = 0;
    for entry in walk(&root) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert_eq!(forbidden::mention(&text), None, "{}", entry.display());
        assert!(!text.to_lowercase().contains("odr"), "{}", entry.display());
        seen += 1;
    }
    assert!(seen > 55, "only {seen} files scanned");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Kind of firm, jurisdiction, category, names the decision must give, names it must not give.
type ReferralCase = (
    CompanyKind,
    Jurisdiction,
    Option<Category>,
    &'static [&'static str],
    &'static [&'static str],
);

#[test]
fn rejected_decisions_name_the_right_bodies_for_the_kind_of_firm() {
    use CompanyKind::*;
    use Jurisdiction::*;
    let t = shipped();
    let cases: [ReferralCase; 12] = [
        (
            Bank,
            Dk,
            Some(Category::Fees),
            &[
                "Det Finansielle Ankenævn",
                "fanke.dk",
                "200 kr.",
                "fem uger",
                "Domstolene",
            ],
            &["Fondsmægler", "Forbrugerklagenævnet"],
        ),
        (
            Bank,
            Dk,
            Some(Category::Investment),
            &["Det Finansielle Ankenævn", "investeringsrådgivning"],
            &["Fondsmægler", "Forbrugerklagenævnet"],
        ),
        (
            InvestmentFirm,
            Dk,
            Some(Category::Investment),
            &["Ankenævnet for Fondsmæglerselskaber", "200 kr."],
            &["Datatilsynet", "Forbrugerklagenævnet"],
        ),
        (
            ConsumerLender,
            Dk,
            Some(Category::Loan),
            &["Ankenævnet for Finansieringsselskaber", "finansanke.dk"],
            &["fanke.dk", "Forbrugerklagenævnet"],
        ),
        (
            Bank,
            Dk,
            Some(Category::Privacy),
            &["Datatilsynet", "datatilsynet.dk"],
            &["Ankenævn"],
        ),
        (
            Bank,
            Dk,
            Some(Category::Marketing),
            &["Forbrugerombudsmanden", "Det Finansielle Ankenævn"],
            &[],
        ),
        (
            Crowdfunding,
            Dk,
            Some(Category::Service),
            &["Forbrugerklagenævnet", "Nævnenes Hus"],
            &["Det Finansielle Ankenævn"],
        ),
        (
            Crowdfunding,
            Dk,
            Some(Category::Payment),
            &["Det Finansielle Ankenævn", "betalingstjenester"],
            &["Forbrugerklagenævnet"],
        ),
        (
            Bank,
            No,
            Some(Category::Loan),
            &[
                "Finansklagenemnda",
                "finkn.no",
                "avvist",
                "gratis",
                "Domstolene",
            ],
            &["Datatilsynet", "Forbrukertilsynet"],
        ),
        (
            Crowdfunding,
            No,
            Some(Category::Loan),
            &["Forbrukertilsynet", "mekle"],
            &["finkn.no"],
        ),
        (
            Bank,
            No,
            Some(Category::Marketing),
            &["Forbrukertilsynet", "Finansklagenemnda"],
            &[],
        ),
        (
            CardIssuer,
            Se,
            Some(Category::Card),
            &[
                "Allmänna reklamationsnämnden",
                "arn.se",
                "inom ett år",
                "2 000 kronor",
                "Konsumenternas Bank- och finansbyrå",
            ],
            &["IMY"],
        ),
    ];
    for (kind, jurisdiction, category, must, must_not) in cases {
        let lang = match jurisdiction {
            Jurisdiction::Dk => Language::Da,
            Jurisdiction::No => Language::Nb,
            Jurisdiction::Se => Language::Sv,
        };
        let mut ctx = samples::full(lang);
        ctx.referrals = referral_bodies(Firm::usual(kind), jurisdiction, category, lang);
        let text = t.render(TemplateKind::Decision, lang, &ctx).unwrap().body;
        for name in must {
            assert!(
                text.contains(name),
                "{kind}/{jurisdiction}/{category:?} lacks {name}:\n{text}"
            );
        }
        for name in must_not {
            assert!(
                !text.contains(name),
                "{kind}/{jurisdiction}/{category:?} names {name}:\n{text}"
            );
        }
    }
}

#[test]
fn the_decision_lead_in_fits_a_list_with_courts_and_advisers() {
    let t = shipped();
    let lead_ins = [
        (Language::Da, "Du kan også henvende dig til:"),
        (Language::Nb, "Du kan også kontakte:"),
        (Language::Nn, "Du kan òg vende deg til:"),
        (Language::Sv, "Du kan också vända dig till:"),
        (Language::En, "You can also turn to:"),
    ];
    for (lang, lead_in) in lead_ins {
        let text = t
            .render(TemplateKind::Decision, lang, &samples::full(lang))
            .unwrap()
            .body;
        assert!(text.contains(lead_in), "{lang}:\n{text}");
    }
}

#[test]
fn an_upheld_decision_names_no_bodies() {
    let t = shipped();
    for lang in Language::ALL {
        let mut ctx = samples::full(lang);
        if let Some(d) = ctx.decision.as_mut() {
            d.outcome = Outcome::Upheld;
        }
        let text = t.render(TemplateKind::Decision, lang, &ctx).unwrap().body;
        assert!(!text.contains("fanke.dk"), "{lang}:\n{text}");
    }
}

#[test]
fn sweden_privacy_goes_to_imy_and_norway_never_to_forbrukerradet() {
    let bank = Firm::usual(CompanyKind::Bank);
    let se = referral_bodies(
        bank,
        Jurisdiction::Se,
        Some(Category::Privacy),
        Language::Sv,
    );
    assert!(se.iter().any(|b| b.web.contains("imy.se")));
    for category in Category::ALL.map(Some).into_iter().chain([None]) {
        for lang in Language::ALL {
            for kind in CompanyKind::ALL {
                let firm = Firm::usual(kind);
                for body in referral_bodies(firm, Jurisdiction::No, category, lang) {
                    let text = format!("{} {}", body.name, body.handles);
                    assert!(!text.contains("Forbrukerrådet"), "{text}");
                }
            }
        }
    }
}

#[test]
fn each_language_gives_the_due_date_in_its_own_words() {
    let t = shipped();
    let want = [
        (Language::Da, "torsdag den 7. januar 2027"),
        (Language::Nb, "torsdag 7. januar 2027"),
        (Language::Nn, "torsdag 7. januar 2027"),
        (Language::Sv, "torsdag den 7 januari 2027"),
        (Language::En, "Thursday 7 January 2027"),
    ];
    for (lang, date) in want {
        let text = t
            .render(TemplateKind::Acknowledgement, lang, &samples::full(lang))
            .unwrap();
        assert!(text.body.contains(date), "{lang}:\n{}", text.body);
    }
}

/// Bokmål words that have a different Nynorsk form; none may appear in `nn`.
const BOKMAL_ONLY: [&str; 24] = [
    "ikke",
    "jeg",
    "hva",
    "fra",
    "saken",
    "hvis",
    "hvordan",
    "hvorfor",
    "noe",
    "mye",
    "også",
    "ønsker",
    "dessverre ikke",
    "behandlet",
    "mottatt",
    "avgjørelse",
    "begrunnelse",
    "foreløpig",
    "nå",
    "senest",
    "virkedager",
    "vennlig",
    "hilsen",
    "klagen",
];

#[test]
fn nynorsk_texts_are_nynorsk() {
    for kind in TemplateKind::ALL {
        let text = shipped_source(kind, Language::Nn).to_lowercase();
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric() && c != 'ø' && c != 'å' && c != 'æ')
            .collect();
        for word in BOKMAL_ONLY.iter().filter(|w| !w.contains(' ')) {
            assert!(
                !words.contains(word),
                "nn/{kind} uses the Bokmål word {word:?}"
            );
        }
    }
    for kind in CompanyKind::ALL {
        let firm = Firm::usual(kind);
        for body in referral_bodies(firm, Jurisdiction::No, None, Language::Nn) {
            assert!(!body.handles.contains("ikke "), "{}", body.handles);
        }
    }
}

#[test]
fn command_refusals_explain_each_reason_differently() {
    let t = shipped();
    for lang in Language::ALL {
        let mut bodies = Vec::new();
        for reason in RefusalReason::ALL {
            let ctx = samples::full(lang).with_refusal("#close now", reason, None);
            bodies.push(
                t.render(TemplateKind::CommandReply, lang, &ctx)
                    .unwrap()
                    .body,
            );
        }
        bodies.sort();
        bodies.dedup();
        assert_eq!(bodies.len(), RefusalReason::ALL.len(), "{lang}");
    }
}

#[test]
fn a_breach_in_denmark_reminds_the_manager_of_the_ankenaevn() {
    use klagebot::outbox::context::EscalationTrigger;
    let t = shipped();
    for lang in Language::ALL {
        for (jurisdiction, named) in [(Jurisdiction::Dk, true), (Jurisdiction::No, false)] {
            let mut ctx = samples::full(lang).with_escalation(EscalationTrigger::Breached);
            ctx.jurisdiction = jurisdiction;
            let bank = Firm::usual(CompanyKind::Bank);
            ctx.referrals = referral_bodies(bank, jurisdiction, None, lang);
            ctx.ankenaevn = ctx
                .referrals
                .iter()
                .find(|b| b.after_weeks_without_answer)
                .cloned();
            let text = t.render(TemplateKind::StaffEscalation, lang, &ctx).unwrap();
            assert_eq!(
                text.body.contains("Ankenævn"),
                named,
                "{lang}/{jurisdiction}"
            );
        }
    }
}

#[test]
fn every_kind_of_refusal_is_explained_in_the_staff_members_language() {
    let t = shipped();
    for lang in Language::ALL {
        let coarse = |reason| {
            let ctx = samples::full(lang).with_refusal("#x", reason, None);
            t.render(TemplateKind::CommandReply, lang, &ctx)
                .unwrap()
                .body
        };
        let mut bodies = Vec::new();
        for refusal in samples::sample_refusals() {
            let reason = RefusalReason::from(&refusal);
            let ctx = samples::full(lang).with_refusal("#x", reason, Some(&refusal));
            let body = t
                .render(TemplateKind::CommandReply, lang, &ctx)
                .unwrap()
                .body;
            assert_ne!(
                body,
                coarse(reason),
                "{lang}: {} adds nothing to its reason",
                refusal.code()
            );
            if lang != Language::En && refusal.code() != "text" {
                // The English log text never stands in a Nordic reply (only a
                // refusal stored as text before refusals were typed has no other).
                assert!(!body.contains(&refusal.to_string()), "{lang}: {refusal}");
            }
            bodies.push(body);
        }
        let count = bodies.len();
        bodies.sort();
        bodies.dedup();
        assert_eq!(bodies.len(), count, "{lang}: two kinds read the same");
    }
}

#[test]
fn a_late_danish_holding_reply_names_the_board_the_customer_may_already_use() {
    let t = shipped();
    for lang in Language::ALL {
        let mut ctx = samples::full(lang);
        let board = ctx.ankenaevn.clone().expect("a Danish bank's board");
        ctx.answer_beyond_ankenaevn_weeks = true;
        let text = t
            .render(TemplateKind::HoldingReply, lang, &ctx)
            .unwrap()
            .body;
        assert!(text.contains(&board.name), "{lang}:\n{text}");
        assert!(text.contains(&ctx.dates.ankenaevn_open), "{lang}:\n{text}");
        ctx.answer_beyond_ankenaevn_weeks = false;
        let text = t
            .render(TemplateKind::HoldingReply, lang, &ctx)
            .unwrap()
            .body;
        assert!(
            !text.contains(&board.name),
            "{lang}: within five weeks:\n{text}"
        );
    }
}

#[test]
fn the_five_week_notice_names_the_board_in_every_language() {
    use klagebot::outbox::context::UpdateKind;
    let t = shipped();
    for lang in Language::ALL {
        let ctx = samples::full(lang).with_update(UpdateKind::AnkenaevnEligible);
        let board = ctx.ankenaevn.clone().expect("a Danish bank's board").name;
        let text = t.render(TemplateKind::StaffUpdate, lang, &ctx).unwrap();
        assert!(text.body.contains(&board), "{lang}:\n{}", text.body);
        assert!(text.subject.contains(&board), "{lang}: {}", text.subject);
    }
}

#[test]
fn every_staff_notice_says_what_each_command_sends() {
    let t = shipped();
    let kinds = [
        TemplateKind::StaffNewCase,
        TemplateKind::StaffReminder,
        TemplateKind::StaffHoldingPrompt,
        TemplateKind::StaffEscalation,
        TemplateKind::StaffUpdate,
    ];
    for lang in Language::ALL {
        for kind in kinds {
            let text = t.render(kind, lang, &samples::full(lang)).unwrap().body;
            for command in [
                "#note",
                "#assign",
                "#category",
                "#address",
                "#acknowledged",
                "#close",
                "#open",
                "#notcomplaint",
                "#decision upheld|partial|rejected",
            ] {
                assert!(text.contains(command), "{lang}/{kind} lacks {command}");
            }
            // #extend with its optional date, shown with the latest date allowed.
            assert!(
                text.contains("#extend 2027-02-04"),
                "{lang}/{kind}:\n{text}"
            );
            // Text under these commands is relayed: the notice says so.
            assert!(
                text.contains("#assign, #category, #address, #acknowledged, #close"),
                "{lang}/{kind}"
            );
        }
    }
}

#[test]
fn the_holding_prompt_gives_the_exact_line_to_send() {
    let t = shipped();
    for lang in Language::ALL {
        let ctx = samples::full(lang);
        let text = t
            .render(TemplateKind::StaffHoldingPrompt, lang, &ctx)
            .unwrap()
            .body;
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("#extend 2027-02-04 "))
            .unwrap_or_else(|| panic!("{lang}: no #extend line:\n{text}"));
        assert!(
            line.trim().len() > "#extend 2027-02-04 ".len(),
            "{lang}: {line}"
        );
        let automatic = ctx.prompt.as_ref().and_then(|p| p.automatic_reason.clone());
        assert!(
            text.contains(&automatic.unwrap()),
            "{lang}: the automatic reason"
        );
    }
}
