//! End-to-end: `klagebot run` against real Dovecot and Postfix, with customers and
//! staff played by real mail clients. What a customer and a staff member would
//! notice is what these tests assert.

#[path = "../support/mod.rs"]
mod support;

mod arrival;
mod commands;
mod deadlines;
mod faults;
mod harness;
mod mails;
mod oauth;
mod people;
mod related;
mod retention;
mod staff;
mod staff_mail;
mod watch;

use std::time::Duration;

use harness::{Harness, WAIT};
use klagebot::case::Status;
use klagebot::outbox::dates::in_words;
use mails::{complaint, reply_to};
use staff::parsed;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_in_each_language_is_acknowledged_in_that_language() {
    let mut h = Harness::new().await;
    h.start();
    let cases = [
        ("da", "Vi har modtaget din klage", mails::DA),
        ("nb", "Vi har mottatt klagen din", mails::NB),
        ("nn", "Vi har fått klaga di", mails::NN),
        ("sv", "Vi har tagit emot ditt klagomål", mails::SV),
        ("en", "We have received your complaint", mails::EN),
    ];
    let mut customers = Vec::new();
    for (lang, _, (subject, body)) in &cases {
        let customer = h.customer(&format!("kunde-{lang}"));
        h.send(
            &customer,
            &complaint(&customer.address, &h.klage.address, subject, body),
        );
        customers.push(customer);
    }
    let opened = h.wait_for_cases(cases.len()).await;
    for ((lang, ack_subject, _), customer) in cases.iter().zip(&customers) {
        let case = opened
            .iter()
            .find(|c| c.customer.as_str() == customer.address)
            .unwrap_or_else(|| panic!("no case for the {lang} customer"));
        assert_eq!(
            case.language.code(),
            *lang,
            "language of {}",
            case.reference
        );
        let ack = &parsed(&h, customer, 1)[0];
        let reference = case.reference.to_string();
        assert!(
            ack.subject.starts_with(ack_subject),
            "{lang}: subject {:?}",
            ack.subject
        );
        assert!(
            ack.subject.contains(&format!("[{reference}]")),
            "{lang}: {:?}",
            ack.subject
        );
        assert!(
            ack.full_text.contains("Mette Jensen"),
            "{lang}: the contact person is named"
        );
        assert!(
            ack.full_text.contains("+45 70 20 30 41"),
            "{lang}: the contact's phone"
        );
        let due = in_words(case.answer_due, case.language);
        assert!(
            ack.full_text.contains(&due),
            "{lang}: the due date {due:?} in words"
        );
        assert_eq!(ack.header("auto-submitted"), Some("auto-replied"));
        assert!(
            ack.in_reply_to
                .iter()
                .any(|id| id.ends_with("@sender.test")),
            "threaded to the customer's mail"
        );
    }
    // The contact person got one notification per case, with the reply token.
    let notices = parsed(&h, &h.handler, cases.len());
    assert_eq!(notices.len(), cases.len());
    assert!(
        notices
            .iter()
            .all(|n| n.header("reply-to").is_some_and(|r| r.contains('+')))
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_joins_its_case_and_gets_no_second_acknowledgement() {
    let mut h = Harness::new().await;
    h.start();
    let customer = h.customer("kunde");
    let (subject, body) = mails::DA;
    h.send(
        &customer,
        &complaint(&customer.address, &h.klage.address, subject, body),
    );
    let case = h.wait_for_cases(1).await.remove(0);
    let ack = parsed(&h, &customer, 1).remove(0);

    // A reply to our acknowledgement, and a new mail with the reference in the subject.
    h.send(
        &customer,
        &reply_to(
            &customer.address,
            &h.klage.address,
            &ack,
            "Her er kontoudtoget, I bad om.",
        ),
    );
    let tagged = format!("Vedr. sag {}", case.reference);
    h.send(
        &customer,
        &complaint(
            &customer.address,
            &h.klage.address,
            &tagged,
            "Jeg har stadig ikke hørt fra jer.",
        ),
    );
    h.wait_until_inbox_handled().await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    assert_eq!(h.cases().await.len(), 1, "no new case");
    let events = h.timeline(&case.reference).await;
    let follow_ups = events
        .iter()
        .filter(|e| e.kind() == "customer_mail")
        .count();
    assert_eq!(follow_ups, 2, "both mails are in the case: {events:?}");
    assert_eq!(
        h.servers.messages(&customer, "INBOX").len(),
        1,
        "only the one acknowledgement"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_office_replies_and_bounces_get_no_answer() {
    let mut h = Harness::new().await;
    h.start();
    let customer = h.customer("kunde");
    h.send(
        &customer,
        &mails::out_of_office(&customer.address, &h.klage.address),
    );
    h.send(
        &customer,
        &mails::out_of_office_without_headers(&customer.address, &h.klage.address),
    );
    let daemon_address = "MAILER-DAEMON@mail.klagebot.test";
    h.servers.send_raw(
        "<>",
        &[&h.klage.address],
        mails::bounce(
            daemon_address,
            &h.klage.address,
            "<nobody-knows@nowhere.test>",
        )
        .as_bytes(),
    );
    h.wait_until_inbox_handled().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(h.cases().await.is_empty(), "no case for automated mail");
    assert!(
        h.servers.messages(&customer, "INBOX").is_empty(),
        "nothing was sent to the customer"
    );
    let folders = h.servers.folders(&h.klage);
    let folder = folders
        .iter()
        .find(|f| f.ends_with("processed"))
        .unwrap_or_else(|| panic!("no processed folder in {folders:?}"));
    let processed = h.servers.messages(&h.klage, folder);
    assert_eq!(
        processed.len(),
        3,
        "the mails are kept, moved out of the inbox"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_elses_reference_opens_a_new_linked_case() {
    let mut h = Harness::new().await;
    h.start();
    let anna = h.customer("anna");
    let (subject, body) = mails::DA;
    h.send(
        &anna,
        &complaint(&anna.address, &h.klage.address, subject, body),
    );
    let first = h.wait_for_cases(1).await.remove(0);

    let bo = h.customer("bo");
    let subject = format!("Klage vedr. {}", first.reference);
    let body = "Jeg er også blevet opkrævet gebyret to gange og er meget utilfreds. Jeg vil have pengene tilbage.";
    h.send(
        &bo,
        &complaint(&bo.address, &h.klage.address, &subject, body),
    );
    let cases = h.wait_for_cases(2).await;
    let second = cases
        .iter()
        .find(|c| c.customer.as_str() == bo.address)
        .expect("a case for bo");
    assert_ne!(second.reference, first.reference);
    assert_eq!(second.related, vec![first.reference.clone()]);
    let anna_events = h.timeline(&first.reference).await;
    assert!(
        !anna_events.iter().any(|e| e.kind() == "customer_mail"),
        "nothing entered anna's case"
    );
    assert!(
        parsed(&h, &bo, 1)[0]
            .subject
            .contains(&second.reference.to_string()),
        "bo is told his own reference"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_backlog_loses_nothing_and_duplicates_nothing() {
    let mut h = Harness::new().await;
    const BACKLOG: usize = 24;
    let mut customers = Vec::new();
    for i in 0..BACKLOG {
        let customer = h.customer(&format!("backlog{i}"));
        let (subject, body) = mails::DA;
        h.send(
            &customer,
            &complaint(&customer.address, &h.klage.address, subject, body),
        );
        customers.push(customer);
    }
    h.servers
        .wait_for_messages(&h.klage, "INBOX", BACKLOG, WAIT);
    h.start();
    h.wait_for_cases(BACKLOG / 3).await;
    h.restart().await;
    h.stop().await;
    h.restart().await;
    let cases = h.wait_for_cases(BACKLOG).await;
    h.wait_until_inbox_handled().await;
    assert_eq!(cases.len(), BACKLOG, "one case per complaint");
    for customer in &customers {
        let acks = parsed(&h, customer, 1);
        assert_eq!(
            acks.len(),
            1,
            "{} got exactly one acknowledgement",
            customer.address
        );
    }
    let mut references: Vec<String> = cases.iter().map(|c| c.reference.to_string()).collect();
    references.sort();
    references.dedup();
    assert_eq!(references.len(), BACKLOG, "references are unique");
    // Delivery moves each case on just after the mail is accepted.
    let start = std::time::Instant::now();
    loop {
        let cases = h.cases().await;
        if cases.iter().all(|c| c.status == Status::Acknowledged) {
            break;
        }
        let statuses: Vec<_> = cases
            .iter()
            .map(|c| (c.reference.to_string(), c.status))
            .collect();
        assert!(start.elapsed() < WAIT, "not all acknowledged: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.stop().await;
}
