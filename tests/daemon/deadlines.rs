//! Time moved forward: the breach escalates to the complaints manager once, and
//! the policy's automatic holding reply reaches the customer once, on the due day.

use chrono::Duration;
use klagebot::case::{Event, Tier};
use klagebot::domain::{Jurisdiction, Language};
use klagebot::outbox::dates::in_words;
use klagebot::parse::InboundMail;

use crate::harness::{AUTO_HOLDING_REASON, Harness, Setup};
use crate::mails;
use crate::staff::{opened_case, staff_reply};
use crate::support::unique_local_part;

const DUE_SOON: &str = "Svarfristen er ved at udløbe";
const OVERDUE: &str = "Svarfristen er overskredet";

fn count(mail: &[InboundMail], subject: &str) -> usize {
    mail.iter()
        .filter(|m| m.subject.starts_with(subject))
        .count()
}

fn subjects(mail: &[InboundMail]) -> Vec<&str> {
    mail.iter().map(|m| m.subject.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breach_escalates_to_the_complaints_manager_exactly_once() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    h.stop().await;
    let cal = h.daemon.rules.calendar(Jurisdiction::Dk);

    h.fire_deadlines_at(cal.start_of_day(case.answer_due) + Duration::minutes(1))
        .await;
    let mail = h.settled_messages(&h.manager, 1);
    assert_eq!(
        count(&mail, DUE_SOON),
        1,
        "warned on the due day: {:?}",
        subjects(&mail)
    );
    assert_eq!(count(&mail, OVERDUE), 0, "not yet breached");

    h.fire_deadlines_at(cal.end_of_day(case.answer_due) + Duration::minutes(1))
        .await;
    h.fire_deadlines_at(cal.end_of_day(case.answer_due) + Duration::days(1))
        .await;
    let mail = h.settled_messages(&h.manager, 2);
    assert_eq!(
        count(&mail, OVERDUE),
        1,
        "one escalation: {:?}",
        subjects(&mail)
    );
    assert_eq!(count(&mail, DUE_SOON), 1);
    let escalation = mail
        .iter()
        .find(|m| m.subject.starts_with(OVERDUE))
        .expect("the escalation");
    assert!(escalation.subject.contains(&case.reference.to_string()));
    assert!(
        escalation
            .full_text
            .contains(&in_words(case.answer_due, Language::Da)),
        "it says when the answer was due"
    );
    let escalated = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(escalated.tier, Tier::ComplaintsManager);
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "the customer hears nothing from an internal escalation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_sends_one_automatic_holding_reply_on_the_due_day() {
    let setup = Setup {
        auto_holding_reply: true,
        ..Setup::default()
    };
    let mut h = Harness::with(setup).await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    h.stop().await;
    let cal = h.daemon.rules.calendar(Jurisdiction::Dk);

    let day_before = cal.sub_working_days(case.answer_due, 1);
    h.fire_deadlines_at(cal.end_of_day(day_before)).await;
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "not before the due day"
    );

    h.fire_deadlines_at(cal.start_of_day(case.answer_due) + Duration::minutes(1))
        .await;
    h.fire_deadlines_at(cal.end_of_day(case.answer_due) + Duration::minutes(1))
        .await;
    let mail = h.settled_messages(&customer, 2);
    assert_eq!(mail.len(), 2, "one holding reply: {:?}", subjects(&mail));
    let holding = &mail[1];
    assert!(holding.subject.starts_with("Vi skal bruge lidt mere tid"));
    assert!(
        holding.full_text.contains(AUTO_HOLDING_REASON),
        "the configured reason"
    );
    assert!(
        holding
            .full_text
            .contains(&in_words(case.final_due, Language::Da)),
        "the latest date the law allows"
    );
    let events = h.timeline(&case.reference).await;
    let sent_on: Vec<_> = h
        .daemon
        .store
        .timeline(&case.reference)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, e)| matches!(e, Event::HoldingReply { by: None, .. }))
        .map(|(at, _)| cal.local_date(at))
        .collect();
    assert_eq!(
        sent_on,
        vec![case.answer_due],
        "once, on the due day: {events:?}"
    );
    let manager = h.servers.messages(&h.manager, "INBOX");
    assert!(
        manager.is_empty(),
        "the holding reply keeps the deadline; no escalation"
    );

    // The new date passes unanswered: the manager is told it is overdue, once.
    h.fire_deadlines_at(cal.end_of_day(case.final_due) + Duration::minutes(1))
        .await;
    h.fire_deadlines_at(cal.end_of_day(case.final_due) + Duration::days(1))
        .await;
    let mail = h.settled_messages(&h.manager, 1);
    assert_eq!(count(&mail, OVERDUE), 1, "{:?}", subjects(&mail));
    assert_eq!(h.settled_messages(&customer, 2).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_holding_reply_the_deadlines_follow_the_new_date() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    staff_reply(&h, &notice, "#extend Vi venter på en udtalelse fra Nets.");
    h.wait_for_event(&case.reference, "holding_reply").await;
    h.settled_messages(&customer, 2);
    h.stop().await;
    let held = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    let cal = h.daemon.rules.calendar(Jurisdiction::Dk);
    let handler_before = h.servers.messages(&h.handler, "INBOX").len();

    // The old date passes: no warning, no escalation, no reminder for it.
    h.fire_deadlines_at(cal.end_of_day(case.answer_due) + Duration::minutes(1))
        .await;
    let manager = h.settled_messages(&h.manager, 0);
    assert!(
        manager
            .iter()
            .all(|m| !m.subject.starts_with(DUE_SOON) && !m.subject.starts_with(OVERDUE)),
        "the old date is no longer the deadline: {:?}",
        subjects(&manager)
    );

    // Reminders come 5 and 2 working days before the new date, once each.
    for (left, expected) in [(5, 1), (2, 2)] {
        let day = cal.sub_working_days(held.answer_due, left);
        h.fire_deadlines_at(cal.start_of_day(day) + Duration::minutes(1))
            .await;
        let mail = h.settled_messages(&h.handler, handler_before + expected);
        let reminders: Vec<_> = mail
            .iter()
            .filter(|m| m.subject.starts_with("Påmindelse"))
            .collect();
        assert_eq!(reminders.len(), expected, "{:?}", subjects(&mail));
        assert!(
            reminders.iter().all(|m| m
                .full_text
                .contains(&in_words(held.answer_due, Language::Da))),
            "the reminder names the new date"
        );
    }
    assert_eq!(h.settled_messages(&customer, 2).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_never_delivered_raises_the_alarm_the_day_before_it_is_due() {
    let mut h = Harness::new().await;
    h.start();
    // Postfix refuses `reject-…` addresses, so the acknowledgement never goes out.
    let customer = format!("{}@klagebot.test", unique_local_part("reject"));
    let (subject, body) = mails::DA;
    h.servers.send_raw(
        &customer,
        &[&h.klage.address],
        mails::complaint(&customer, &h.klage.address, subject, body).as_bytes(),
    );
    let case = h.wait_for_cases(1).await.remove(0);
    h.wait_for_event(&case.reference, "bounced").await;
    h.stop().await;
    let cal = h.daemon.rules.calendar(Jurisdiction::Dk);
    let day_before = cal.sub_working_days(case.acknowledge_due, 1);
    h.fire_deadlines_at(cal.start_of_day(day_before)).await;
    let alarm = "Kvitteringen til kunden er ikke sendt";
    assert_eq!(
        count(&h.settled_messages(&h.manager, 0), alarm),
        0,
        "not yet"
    );
    h.fire_deadlines_at(cal.end_of_day(day_before) + Duration::minutes(1))
        .await;
    h.fire_deadlines_at(cal.end_of_day(case.acknowledge_due))
        .await;
    let mail = h.settled_messages(&h.manager, 1);
    assert_eq!(count(&mail, alarm), 1, "one alarm: {:?}", subjects(&mail));
    let text = &mail
        .iter()
        .find(|m| m.subject.starts_with(alarm))
        .unwrap()
        .full_text;
    assert!(text.contains(&in_words(case.acknowledge_due, Language::Da)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_norwegian_customer_gets_the_automatic_holding_reply_in_norwegian() {
    let setup = Setup {
        jurisdiction: "no",
        language: "nb",
        auto_holding_reply: true,
        ..Setup::default()
    };
    let mut h = Harness::with(setup).await;
    h.start();
    let (case, customer, _) = crate::staff::opened_case_with(&h, crate::mails::NB).await;
    h.stop().await;
    let cal = h.daemon.rules.calendar(Jurisdiction::No);
    h.fire_deadlines_at(cal.start_of_day(case.answer_due) + Duration::minutes(1))
        .await;
    let mail = h.settled_messages(&customer, 2);
    assert_eq!(mail.len(), 2, "{:?}", subjects(&mail));
    let holding = &mail[1];
    assert!(
        holding.subject.starts_with("Vi trenger litt mer tid"),
        "{}",
        holding.subject
    );
    assert!(
        !holding.full_text.contains(AUTO_HOLDING_REASON),
        "not the Danish reason configured for Danish customers"
    );
    assert!(
        holding
            .full_text
            .contains(&in_words(case.final_due, Language::Nb)),
        "the date in Norwegian words: {}",
        holding.full_text
    );
}
