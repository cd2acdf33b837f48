//! Staff commands end to end: `#extend` and its legal limit, `#notcomplaint`, and
//! `#decision rejected` naming the right bodies in Norway and Sweden.

use klagebot::case::{Event, Status};
use klagebot::classify::training::Correction;
use klagebot::domain::{Jurisdiction, Language};
use klagebot::outbox::dates::in_words;

use klagebot::parse::{InboundMail, parse};

use crate::harness::{Harness, Setup, WAIT};
use crate::mails;
use crate::staff::{opened_case, opened_case_with, parsed, staff_reply};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extend_sends_a_holding_reply_and_a_date_past_the_legal_limit_is_refused() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    let reason = "Vi venter på en udtalelse fra Nets om den anden postering.";
    staff_reply(&h, &notice, &format!("#extend {reason}"));
    h.wait_for_event(&case.reference, "holding_reply").await;

    let held = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(held.status, Status::OnHold);
    let cal = h.daemon.rules.calendar(Jurisdiction::Dk);
    let business_days =
        cal.working_days_between(cal.receipt_day(case.received_at), held.answer_due);
    assert!(
        (16..=35).contains(&business_days),
        "the new date is later than before and at most 35 business days after receipt: {business_days}"
    );
    let mail = parsed(&h, &customer, 2);
    let holding = mail
        .iter()
        .find(|m| m.subject.starts_with("Vi skal bruge lidt mere tid"))
        .expect("a Danish holding reply");
    assert!(
        holding.full_text.contains(reason),
        "the staff member's reason"
    );
    assert!(
        holding
            .full_text
            .contains(&in_words(held.answer_due, Language::Da)),
        "the new date in words"
    );
    assert!(holding.subject.contains(&case.reference.to_string()));

    // A later #extend, with the law's latest date promised already or with a date
    // past it, is refused and the handler told why.
    let too_late = cal.add_working_days(held.final_due, 1);
    let later = [
        "#extend Nets har bedt om mere tid.".to_string(),
        format!("#extend {too_late} Nets har bedt om mere tid."),
    ];
    for (i, command) in later.iter().enumerate() {
        staff_reply(&h, &notice, command);
        let refusals = refusals(&h, i + 1).await;
        assert!(
            refusals[i]
                .full_text
                .contains(&in_words(held.final_due, Language::Da)),
            "the reply names the latest date the law allows: {}",
            refusals[i].full_text
        );
        assert!(refusals[i].full_text.contains(command.as_str()));
    }
    let after = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(after.answer_due, held.answer_due, "the date is unchanged");
    assert_eq!(
        h.settled_messages(&customer, 2).len(),
        2,
        "the customer got no second holding reply"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_a_complaint_withdraws_the_case_and_nothing_more_reaches_the_customer() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    staff_reply(
        &h,
        &notice,
        "#notcomplaint\n\nKunden ville kun have et kontoudtog; det har jeg sendt ham.",
    );
    h.wait_for_event(&case.reference, "withdrawn").await;
    h.stop().await;
    let withdrawn = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(withdrawn.status, Status::Withdrawn);
    let corrections = h.daemon.store.corrections().await.unwrap();
    assert_eq!(corrections.len(), 1, "{corrections:?}");
    let label = &corrections[0];
    assert_eq!(
        (&label.case_ref, label.correction),
        (&case.reference, Correction::NotComplaint)
    );
    assert!(
        label.features.iter().any(|f| f.starts_with("w:"))
            && !label.features.iter().any(|f| f.contains("kontoudtog"))
            && !label.features.iter().any(|f| f.contains("hansen")),
        "the customer's mail's features, not the staff member's text: {:?}",
        label.features
    );

    let cal = h.daemon.rules.calendar(Jurisdiction::Dk);
    for day in [case.answer_due, case.final_due] {
        h.fire_deadlines_at(cal.end_of_day(day) + chrono::Duration::hours(1))
            .await;
    }
    let mail = h.settled_messages(&customer, 1);
    assert_eq!(
        mail.len(),
        1,
        "only the acknowledgement: {:?}",
        subjects(&mail)
    );
    assert!(
        !mail[0].full_text.contains("kontoudtog"),
        "the internal text is not relayed"
    );
    assert!(
        h.servers.messages(&h.manager, "INBOX").is_empty(),
        "no escalation for a withdrawn case"
    );
}

/// Waits for `count` command replies to the handler, oldest first.
async fn refusals(h: &Harness, count: usize) -> Vec<InboundMail> {
    let start = std::time::Instant::now();
    loop {
        let refusals: Vec<InboundMail> = h
            .servers
            .messages(&h.handler, "INBOX")
            .iter()
            .map(|m| parse(&m.bytes))
            .filter(|m| m.subject.starts_with("Kommandoen blev ikke udført"))
            .collect();
        if refusals.len() >= count {
            return refusals;
        }
        assert!(
            start.elapsed() < WAIT,
            "{} of {count} command replies",
            refusals.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn subjects(mail: &[InboundMail]) -> Vec<&str> {
    mail.iter().map(|m| m.subject.as_str()).collect()
}

/// Opens a complaint in a mailbox of `setup`, rejects it, and returns the decision mail.
async fn rejected_in(setup: Setup, complaint: (&str, &str), reasons: &str) -> String {
    let mut h = Harness::with(setup).await;
    h.start();
    let (case, customer, notice) = opened_case_with(&h, complaint).await;
    staff_reply(&h, &notice, &format!("#decision rejected\n\n{reasons}"));
    let events = h.wait_for_event(&case.reference, "decided").await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Decided { referred: true, .. }))
    );
    let mail = parsed(&h, &customer, 2);
    h.stop().await;
    let decision = mail
        .iter()
        .find(|m| {
            m.full_text
                .contains(reasons.lines().next().unwrap_or(reasons))
        })
        .expect("the decision with the reasoned answer reached the customer");
    assert!(decision.subject.contains(&case.reference.to_string()));
    decision.full_text.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_norwegian_rejection_names_finansklagenemnda() {
    let setup = Setup {
        jurisdiction: "no",
        language: "nb",
        ..Setup::default()
    };
    let reasons = "Vi har gått gjennom saken. Kortet ble sperret fordi vi så forsøk på misbruk fra utlandet, og sperringen var nødvendig for å beskytte deg.";
    let text = rejected_in(setup, mails::NB, reasons).await;
    assert!(text.contains("Finansklagenemnda"), "{text}");
    assert!(!text.contains("ODR"), "never the closed EU ODR platform");
    assert!(
        !text.contains("Forbrukerrådet"),
        "a banking dispute does not go to Forbrukerrådet: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swedish_rejection_names_allmanna_reklamationsnamnden() {
    let setup = Setup {
        jurisdiction: "se",
        language: "sv",
        ..Setup::default()
    };
    let reasons = "Vi har gått igenom ärendet. Avgiften togs ut enligt prislistan, och överföringen nådde mottagarens bank den 4 november.";
    let text = rejected_in(setup, mails::SV, reasons).await;
    assert!(text.contains("Allmänna reklamationsnämnden"), "{text}");
    assert!(!text.contains("ODR"), "never the closed EU ODR platform");
    assert!(!text.contains("Forbrukerrådet"));
}
