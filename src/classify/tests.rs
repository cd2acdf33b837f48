//! Classifier-level tests: one classifier for the module, mails in all five languages.

use std::sync::LazyLock;

use super::*;
use crate::parse::parse;

pub(crate) static CLASSIFIER: LazyLock<Classifier> =
    LazyLock::new(|| Classifier::new(Rules::embedded()));

pub(crate) fn ctx() -> Context {
    Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "bank.example".into(),
    }
}

pub(crate) fn classify(raw: &str) -> Classification {
    CLASSIFIER.classify(&parse(raw.as_bytes()), &ctx())
}

/// Asserts that the config is refused with an error naming `setting`.
fn assert_refused(config: &crate::config::Config, setting: &str) {
    let err = Classifier::from_config(config)
        .err()
        .expect("a broken file is an error");
    assert!(format!("{err:#}").contains(setting), "{err:#}");
}

/// Asserts that one of the reasons contains `part`.
fn assert_reason(c: &Classification, part: &str) {
    assert!(
        c.reasons.iter().any(|r| r.contains(part)),
        "no reason with {part:?} in {:?}",
        c.reasons
    );
}

#[test]
fn complaints_and_questions_in_five_languages() {
    let table: &[(&str, bool, Language)] = &[
        (
            "Subject: Gebyr\n\nI har trukket mig to gange for den samme betaling, og ingen svarer på mine mails. Det er uacceptabelt.",
            true,
            Language::Da,
        ),
        (
            "Subject: Spørgsmål\n\nHvordan klager jeg over et gebyr? Hvor finder jeg jeres klageformular?",
            false,
            Language::Da,
        ),
        (
            "Subject: Tak\n\nJeg kan ikke klage, alt fungerer fint. Tak for god hjælp med mit nye kort.",
            false,
            Language::Da,
        ),
        (
            "Subject: Kortet\n\nHei. Jeg har fortsatt ikke fått det nye kortet mitt, og ingen svarer når jeg ringer. Dette er ikke greit.",
            true,
            Language::Nb,
        ),
        (
            "Subject: Klage\n\nEg er ikkje nøgd med korleis de har handtert saka mi. Eg har venta i tre veker utan svar frå dykk.",
            true,
            Language::Nn,
        ),
        (
            "Subject: Fråga\n\nHej! Vad kostar det att ha ett extra kort till min sambo? Tack på förhand.",
            false,
            Language::Sv,
        ),
        (
            "Subject: Dubbeldragning\n\nJag har blivit debiterad två gånger för samma köp och är mycket missnöjd med er kundtjänst.",
            true,
            Language::Sv,
        ),
        (
            "Subject: Thanks\n\nNo complaints, just thanks for sorting out my account so quickly!",
            false,
            Language::En,
        ),
        (
            "Subject: Card payment\n\nI was charged twice for the same purchase and nobody answers my emails.",
            true,
            Language::En,
        ),
    ];
    for (raw, complaint, language) in table {
        let c = classify(raw);
        assert_eq!(
            c.complaint, *complaint,
            "complaint for {raw}: {:?}",
            c.reasons
        );
        assert_eq!(c.language, *language, "language for {raw}: {:?}", c.reasons);
        assert!(!c.automated, "{raw}: {:?}", c.reasons);
    }
}

#[test]
fn escalation_requests_are_complaints_with_escalation() {
    for raw in [
        "Subject: Re: Svar på din klage [KL-2026-000123]\n\nJeg ønsker at klagen behandles af klageansvarlig.",
        "Subject: Re: Your complaint [KL-2026-000123]\n\nI want to speak to the complaints manager.",
        "Subject: SV: Ditt klagomål [KL-2026-000123]\n\nJag vill att klagomålsansvarig tittar på ärendet.",
    ] {
        let c = classify(raw);
        assert!(
            c.escalation_request && c.complaint,
            "{raw}: {:?}",
            c.reasons
        );
        assert_eq!(
            c.case_ref.map(|r| r.to_string()).as_deref(),
            Some("KL-2026-000123")
        );
    }
}

#[test]
fn short_text_falls_back_to_the_mailbox_language() {
    let c = classify("Subject: Re: x\nIn-Reply-To: <a@b>\n\nOk!");
    assert_eq!(c.language, Language::Da);
    let mut other = ctx();
    other.default_language = Language::Sv;
    let c = CLASSIFIER.classify(&parse(b"Subject: Re: x\nIn-Reply-To: <a@b>\n\nOk!"), &other);
    assert_eq!(c.language, Language::Sv);
    // Too short for statistics, but "tak" is Danish alone.
    let c = CLASSIFIER.classify(
        &parse("Subject: Re: x\nIn-Reply-To: <a@b>\n\nOk tak".as_bytes()),
        &other,
    );
    assert_eq!(c.language, Language::Da, "{:?}", c.reasons);
}

#[test]
fn a_word_only_one_language_writes_outweighs_the_statistical_guess() {
    // Lingua reads the first as Bokmål; "eg", "kva", "hvad" and "hva" are each
    // written by one language alone.
    let table = [
        (
            "Hei, eg har fått nytt mobilnummer. Kan de oppdatere det? Takk.",
            Language::Nn,
        ),
        ("Kva skjer med pengane? Har venta lenge no.", Language::Nn),
        (
            "Hvad sker der med pengene? Det tager lang tid.",
            Language::Da,
        ),
        ("Hva skjer med pengene? Det tar lang tid.", Language::Nb),
    ];
    for (text, want) in table {
        let c = classify(&format!("Subject: Kort\n\n{text}"));
        assert_eq!(c.language, want, "{text}: {:?}", c.reasons);
    }
}

#[test]
fn automated_mail_is_never_a_complaint() {
    let c =
        classify("Subject: Klage\nAuto-Submitted: auto-replied\n\nJeg er utilfreds og vil klage.");
    assert!(c.automated && !c.complaint && c.category.is_none());
    assert_eq!(c.automated_kind, Some(AutomatedKind::AutoReply));
}

#[test]
fn a_company_rules_file_replaces_the_embedded_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rules.toml");
    let tuned = rules::EMBEDDED_RULES.replace(
        "whatever the mail.\npatterns = [\n",
        "whatever the mail.\npatterns = [\n  'direktøren',\n",
    );
    assert_ne!(tuned, rules::EMBEDDED_RULES);
    std::fs::write(&path, tuned).expect("write rules");
    let mut config = crate::config::Config::load_or_default(None).expect("embedded config");
    config.classify.rules_file = Some(path.clone());
    let classifier = Classifier::from_config(&config).expect("loads the file");
    let mail = parse("Subject: Re: svar\n\nJeg vil have, at direktøren ser på det.".as_bytes());
    assert!(classifier.classify(&mail, &ctx()).escalation_request);

    std::fs::write(&path, "[complaint]\nthreshold = 'x'\n").expect("write rules");
    assert_refused(&config, "classify.rules_file");
}

#[test]
fn the_classifier_can_be_shared_between_tasks() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Classifier>();
    shareable::<Classification>();
    shareable::<crate::parse::InboundMail>();
}

#[test]
fn trouble_told_in_unlisted_words_is_a_complaint_but_asked_for_help_is_not() {
    let told = classify(
        "Subject: Kortet\n\nMit kort blev afvist i Føtex tre gange i går, selv om der er penge nok på kontoen. Det må ikke ske igen.",
    );
    assert!(told.complaint, "{:?}", told.reasons);
    assert_reason(&told, "problem with the customer's own affairs");
    let asked = classify(
        "Subject: Kort\n\nMit kort er blevet spærret, fordi jeg tastede forkert pinkode tre gange. Hvordan får jeg det åbnet igen?",
    );
    assert!(!asked.complaint, "{:?}", asked.reasons);
}

#[test]
fn asking_how_to_complain_about_a_shop_is_no_complaint_about_the_company() {
    let about_shop = classify(
        "Subject: Klage\n\nHvor finner jeg klageskjemaet? Jeg vil klage på en nettbutikk som aldri sendte varene, ikke på banken.",
    );
    assert!(!about_shop.complaint, "{:?}", about_shop.reasons);
    let about_us = classify(
        "Subject: Klage\n\nJeg vil klage på at dere trakk gebyret to ganger. Dette er en formell klage.",
    );
    assert!(about_us.complaint, "{:?}", about_us.reasons);
}

#[test]
fn asking_why_something_happened_to_ones_money_is_a_complaint_but_asking_why_a_rule_exists_is_not()
{
    let declined = classify(
        "Subject: Kort\n\nVarför nekades mitt kort i butiken igår när det finns pengar på kontot?",
    );
    assert!(declined.complaint, "{:?}", declined.reasons);
    let how_come = classify(
        "Subject: Lånet\n\nHvordan kan det ha seg at søknaden min har ligget hos dere i fem uker?",
    );
    assert!(how_come.complaint, "{:?}", how_come.reasons);
    let refused_credit = classify(
        "Subject: Avslag\n\nKan noen forklare meg hvorfor jeg fikk avslag på forhøyet kredittgrense?",
    );
    assert!(refused_credit.complaint, "{:?}", refused_credit.reasons);
    let went_up = classify(
        "Subject: Loan\n\nCould you tell me why my loan payment went up by 900 kr without any letter from you?",
    );
    assert!(went_up.complaint, "{:?}", went_up.reasons);
    let curious = classify(
        "Subject: Kort\n\nIs it normal that the new card arrives without a PIN letter? I just want to check before I activate it.",
    );
    assert!(!curious.complaint, "{:?}", curious.reasons);
}

#[test]
fn a_why_kind_that_names_no_signal_list_is_refused() {
    let text = crate::classify::rules::EMBEDDED_RULES.replace(
        "why_kinds = ['company_action',",
        "why_kinds = ['company_actions',",
    );
    let err = Rules::from_toml(&text).map(|_| ()).unwrap_err();
    assert!(err.to_string().contains("company_actions"), "{err}");
}

#[test]
fn the_model_decides_and_says_so_and_the_rules_decide_without_it() {
    let raw = "Subject: Rente\n\nRådgiveren lovede mig 7 % om året. Jeg har fået 2 %. \
               Det var ikke det, jeg skrev under på.";
    let with_model = classify(raw);
    assert_eq!(
        with_model.complaint,
        with_model.complaint_probability.expect("a probability") >= 0.5
    );
    assert_reason(&with_model, "complaint model ");
    let rules_only = Classifier::with_model(Rules::embedded(), None);
    let alone = rules_only.classify(&parse(raw.as_bytes()), &ctx());
    assert_eq!(alone.complaint_probability, None);
    assert_reason(&alone, "complaint (score");
}

#[test]
fn a_rules_file_without_a_model_cutoff_decides_by_the_score() {
    let start = rules::EMBEDDED_RULES
        .find("[complaint.model]")
        .expect("model section");
    let end = start
        + rules::EMBEDDED_RULES[start..]
            .find("\n\n")
            .expect("its end");
    let old_style = format!(
        "{}{}",
        &rules::EMBEDDED_RULES[..start],
        &rules::EMBEDDED_RULES[end..]
    );
    let classifier = Classifier::new(Rules::from_toml(&old_style).expect("loads"));
    let c = classifier.classify(
        &parse("Subject: Gebyr\n\nJeg er meget utilfreds med jeres gebyr.".as_bytes()),
        &ctx(),
    );
    assert!(c.complaint);
    assert!(c.complaint_probability.is_some());
    assert_reason(&c, "complaint (score");
}

#[test]
fn asking_who_the_complaints_officer_is_without_dissatisfaction_is_no_escalation() {
    let c = classify(
        "Subject: Uppsats\n\nHej. Vem är er klagomålsansvarige och hur når jag hen? Jag skriver \
         en uppsats om konsumentskydd och vill ställa några frågor om era rutiner.",
    );
    assert!(!c.escalation_request && !c.complaint, "{:?}", c.reasons);
    assert_reason(&c, "no escalation");
}

#[test]
fn a_company_model_file_replaces_the_embedded_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.tsv");
    std::fs::write(&path, "#bias\t-9\n").expect("write model");
    let mut config = crate::config::Config::load_or_default(None).expect("embedded config");
    config.classify.model_file = Some(path.clone());
    let classifier = Classifier::from_config(&config).expect("loads the file");
    let mail = parse("Subject: Gebyr\n\nJeg er meget utilfreds med jeres gebyr.".as_bytes());
    let c = classifier.classify(&mail, &ctx());
    assert!(c.complaint_probability.is_some_and(|p| p < 0.01));
    assert!(!c.complaint, "a model that never says complaint decides");

    std::fs::write(&path, "w:x\tnot-a-number\n").expect("write model");
    assert_refused(&config, "classify.model_file");
}

#[test]
fn a_tagged_subject_over_a_covering_note_and_a_letter_is_a_complaint_whatever_the_model_says() {
    // A model that finds no complaint anywhere: only the rule can say otherwise.
    let sceptic = Model::from_tsv("#bias\t-20\n").expect("a model");
    let classifier = Classifier::with_model(Rules::embedded(), Some(sceptic));
    let mail = |subject: &str, text: &str, attachment: bool| {
        let letter = if attachment {
            "--b\nContent-Type: application/pdf; name=\"klage.pdf\"\n\
             Content-Disposition: attachment; filename=\"klage.pdf\"\n\
             Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
        } else {
            ""
        };
        let raw = format!(
            "Subject: {subject}\nMIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain; charset=utf-8\n\n{text}\n{letter}--b--\n"
        );
        classifier.classify(&parse(raw.as_bytes()), &ctx())
    };
    let letter = mail("Klage", "Se vedhæftede brev.\n\nMvh Karen", true);
    assert!(letter.complaint, "{:?}", letter.reasons);
    assert_reason(&letter, "only covers the attached klage.pdf");
    assert!(!mail("Klage", "Se vedhæftede brev.\n\nMvh Karen", false).complaint);
    assert!(!mail("Kontoudtog", "Se vedhæftede brev.\n\nMvh Karen", true).complaint);
    assert!(!mail("Klage", "Hvordan klager jeg? Se vedhæftede.", true).complaint);
    let story = "Jeg har vedhæftet kontoudtoget. ".repeat(12);
    assert!(
        !mail("Klage", &story, true).complaint,
        "a long text is no covering note"
    );
}

#[test]
fn when_the_model_is_unsure_the_rules_decide() {
    // A model that gives every mail 0.45: between unsure_floor 0.4 and cutoff 0.5.
    let unsure = Model::from_tsv("#bias\t-0.2\n").expect("a model");
    let classifier = Classifier::with_model(Rules::embedded(), Some(unsure));
    let judge = |text: &str| {
        let raw = format!("Subject: Kortet\n\n{text}");
        classifier.classify(&parse(raw.as_bytes()), &ctx())
    };
    let angry = judge("Jeg er meget utilfreds. I har trukket mig to gange, og ingen svarer.");
    assert!(angry.complaint, "{:?}", angry.reasons);
    assert_reason(&angry, "model unsure at 0.45");
    let asking = judge("Hvornår kommer mit nye kort?");
    assert!(!asking.complaint, "{:?}", asking.reasons);
}

#[test]
fn naming_the_complaints_officer_escalates_only_a_case_or_an_earlier_answer() {
    let letter = "Klageansvarlig\n\nPå vegne af min klient klager jeg over, at kreditgrænsen blev \
                  forhøjet uden kreditvurdering. Det er i strid med god skik.";
    let first = classify(&format!("Subject: Klage over kreditgrænse\n\n{letter}"));
    assert!(first.complaint, "{:?}", first.reasons);
    assert!(!first.escalation_request, "{:?}", first.reasons);
    assert_reason(&first, "outside a case or an earlier answer: no escalation");
    let on_a_case = classify(&format!(
        "Subject: VS: [KL-2026-000298] Kreditgrænse\n\n{letter}"
    ));
    assert!(on_a_case.escalation_request, "{:?}", on_a_case.reasons);
    let after_an_answer = classify(&format!(
        "Subject: Kreditgrænse\n\nJeg har fået et svar, men {letter}"
    ));
    assert!(
        after_an_answer.escalation_request,
        "{:?}",
        after_an_answer.reasons
    );
    let asked = classify("Subject: Gebyr\n\nJeg vil have, at klageansvarlig ser på mit gebyr nu.");
    assert!(asked.escalation_request, "{:?}", asked.reasons);
}

#[test]
fn a_text_that_only_points_to_the_subject_is_judged_on_the_subject() {
    let c = classify(
        "Subject: Feil rente på lånet mitt - de har rekna 14,9 % i staden for 9,9 % som avtalt\n\n\
         Sjå emnefeltet.\n\nOla",
    );
    assert_reason(&c, "points to the subject");
    assert!(c.complaint, "{:?}", c.reasons);
    let long = classify(
        "Subject: Rente\n\nSe emnet. Jeg lurer også på om dere kan sende meg en oversikt over \
         alle innbetalinger i år, og hva som gjenstår av lånet.",
    );
    assert!(
        !long
            .reasons
            .iter()
            .any(|r| r.contains("points to the subject"))
    );
}

#[test]
fn asking_to_reconsider_outside_a_case_is_a_complaint_not_an_escalation() {
    let text = "I was not asked whether I agreed to the higher interest rate. \
                I should be grateful if you would reconsider this.";
    let first = classify(&format!("Subject: Interest rate\n\n{text}"));
    assert!(!first.escalation_request, "{:?}", first.reasons);
    let on_a_case = classify(&format!(
        "Subject: Re: [KL-2026-000120] Interest rate\n\n{text}"
    ));
    assert!(on_a_case.escalation_request, "{:?}", on_a_case.reasons);
}

#[test]
fn reasons_are_logged_without_the_words_they_quote() {
    assert_eq!(
        super::unquoted("dissatisfaction (\"meget utilfreds\")"),
        "dissatisfaction"
    );
    assert_eq!(
        super::unquoted("subject tagged \"Klage\""),
        "subject tagged"
    );
    assert_eq!(super::unquoted("language da: 12 words"), "language da");
    assert_eq!(
        super::unquoted("a negative statement"),
        "a negative statement"
    );
}
