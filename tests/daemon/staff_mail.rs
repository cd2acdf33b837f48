//! Staff mail that is not a reply to a notification: a customer's mail forwarded
//! with `#open`, an answer written straight to the customer with us in Cc, and
//! the bounce of a mail we sent.

use klagebot::case::{Event, Status};
use klagebot::classify;
use klagebot::classify::training::Correction;
use klagebot::parse::parse;

use klagebot::case::Case;

use crate::harness::{Harness, Setup};
use crate::mails;
use crate::staff::{opened_case, parsed, staff_reply};
use crate::support::{TestUser, unique_local_part};

/// A customer's mail the classifier does not take as a complaint on its own.
/// A customer's mail that says nothing of a complaint: the complaint was made on the
/// phone, and only the staff member knows it (the case `#open` is for).
const QUESTION: (&str, &str) = (
    "Kontoudtog for august",
    "Hej Mette\n\nTak for snakken i telefonen i går. Som aftalt sender jeg kontoudtoget for august, så du kan se posteringen fra den 14. Ring gerne, hvis du har spørgsmål.\n\nVenlig hilsen\nOle Hansen",
);

fn customer_mail(customer: &TestUser, to: &str) -> String {
    mails::complaint(&customer.address, to, QUESTION.0, QUESTION.1)
}

/// The premise of the `#open` tests: sent straight to us, this would open no case.
fn assert_not_a_complaint(h: &Harness, raw: &str) {
    let ctx = classify::Context {
        default_language: klagebot::domain::Language::Da,
        case_prefix: h.config.company.case_prefix.clone(),
        own_domain: h.config.company.domain.clone(),
    };
    let c = h.daemon.classifier.classify(&parse(raw.as_bytes()), &ctx);
    assert!(
        !c.complaint,
        "the classifier takes it as a complaint: {c:?}"
    );
}

fn staff_headers(h: &Harness, subject: &str, content_type: &str) -> String {
    format!(
        "From: Mette Jensen <{}>\r\nTo: {}\r\nSubject: {subject}\r\nMessage-ID: <{}@staff.test>\r\n\
         Date: Thu, 19 Nov 2026 11:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n",
        h.handler.address,
        h.klage.address,
        unique_local_part("fwd")
    )
}

/// Asserts that the forwarded mail opened one case for the customer, who got the
/// acknowledgement; the staff member got none.
async fn assert_opened_for(h: &Harness, customer: &TestUser) {
    let case = h.wait_for_cases(1).await.remove(0);
    assert_eq!(
        case.customer.as_str(),
        customer.address,
        "the customer's case"
    );
    assert_eq!(case.subject, QUESTION.0);
    let ack = parsed(h, customer, 1).remove(0);
    assert!(ack.subject.contains(&case.reference.to_string()));
    assert!(
        ack.subject.starts_with("Vi har modtaget din klage"),
        "{}",
        ack.subject
    );
    let handler = h.settled_messages(&h.handler, 1);
    assert!(
        handler
            .iter()
            .all(|m| !m.subject.starts_with("Vi har modtaget din klage")),
        "the staff member gets no acknowledgement"
    );
    assert_eq!(h.cases().await.len(), 1, "one case only");
    let corrections = h.daemon.store.corrections().await.unwrap();
    assert!(
        corrections.iter().any(|c| c.case_ref == case.reference
            && c.correction == Correction::Complaint
            && c.features.iter().any(|f| f.starts_with("w:"))),
        "#open is kept as a label with the mail's features: {corrections:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_on_an_inline_forward_opens_the_customers_case() {
    let mut h = Harness::new().await;
    h.start();
    let customer = h.customer("kunde");
    assert_not_a_complaint(&h, &customer_mail(&customer, &h.handler.address));
    let (subject, body) = QUESTION;
    let forward = format!(
        "{}Content-Transfer-Encoding: 8bit\r\n\r\n#open\r\n\r\n---------- Forwarded message ---------\r\n\
         Fra: Ole Hansen <{}>\r\nDate: tor. 19. nov. 2026 kl. 09.12\r\nSubject: {subject}\r\nTo: <{}>\r\n\r\n{}\r\n",
        staff_headers(&h, &format!("Fwd: {subject}"), "text/plain; charset=utf-8"),
        customer.address,
        h.handler.address,
        body.replace('\n', "\r\n")
    );
    h.servers
        .send_raw(&h.handler.address, &[&h.klage.address], forward.as_bytes());
    assert_opened_for(&h, &customer).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_on_an_attached_forward_opens_the_customers_case() {
    let mut h = Harness::new().await;
    h.start();
    let customer = h.customer("kunde");
    let original = customer_mail(&customer, &h.handler.address);
    assert_not_a_complaint(&h, &original);
    let boundary = "fwd-boundary-7";
    let forward = format!(
        "{}\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         #open\r\n\r\nSe den vedhæftede mail fra kunden.\r\n\r\n--{boundary}\r\nContent-Type: message/rfc822\r\n\
         Content-Disposition: attachment; filename=\"kunde.eml\"\r\n\r\n{original}\r\n--{boundary}--\r\n",
        staff_headers(
            &h,
            &format!("Fwd: {}", QUESTION.0),
            &format!("multipart/mixed; boundary=\"{boundary}\""),
        ),
    );
    h.servers
        .send_raw(&h.handler.address, &[&h.klage.address], forward.as_bytes());
    assert_opened_for(&h, &customer).await;
    h.stop().await;
}

/// A staff member's answer to the customer with us in Cc, as their mail client
/// sends it; `vouch` puts our MX's passing Authentication-Results on top.
fn copied_answer(h: &Harness, case: &Case, customer: &TestUser, vouch: Option<&str>) {
    let answer = "Hej Ole\n\nJeg har lige talt med vores betalingsafdeling: det ene gebyr på 250 kr. er tilbageført i dag.\n\nVenlig hilsen\nMette Jensen";
    let results = vouch
        .map(|id| {
            format!(
                "Authentication-Results: {id}; dkim=pass header.d=klagebot.test; dmarc=pass header.from=klagebot.test\r\n"
            )
        })
        .unwrap_or_default();
    let raw = format!(
        "{results}From: Mette Jensen <{handler}>\r\nTo: {customer}\r\nCc: {klage}\r\nSubject: Re: Klage over dobbelt gebyr [{reference}]\r\n\
         Message-ID: <{id}@staff.test>\r\nDate: Fri, 20 Nov 2026 09:30:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        handler = h.handler.address,
        customer = customer.address,
        klage = h.klage.address,
        reference = case.reference,
        id = unique_local_part("cc"),
        body = answer.replace('\n', "\r\n"),
    );
    h.servers.send_raw(
        &h.handler.address,
        &[&customer.address, &h.klage.address],
        raw.as_bytes(),
    );
}

/// The customer has the answer once, from Mette herself.
fn assert_not_relayed(h: &Harness, customer: &TestUser) {
    let mail = h.settled_messages(customer, 2);
    assert_eq!(mail.len(), 2, "the acknowledgement and Mette's own mail");
    let from_mette = mail
        .iter()
        .filter(|m| m.full_text.contains("tilbageført i dag"))
        .collect::<Vec<_>>();
    assert_eq!(from_mette.len(), 1, "not relayed a second time");
    assert!(
        from_mette[0]
            .from
            .as_ref()
            .is_some_and(|f| f.email.as_str() == h.handler.address),
        "the customer has it from Mette herself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_with_us_in_cc_vouched_for_by_our_mx_is_recorded_and_not_relayed() {
    // The customers of these tests share the complaint address's domain: with
    // another one listed as the company's, they are customers, not colleagues.
    let mut h = Harness::with(Setup {
        authserv_id: Some("mx.nordvik.test"),
        internal_domains: &["nordvik.test"],
        ..Setup::default()
    })
    .await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    copied_answer(&h, &case, &customer, Some("mx.nordvik.test"));
    let events = h.wait_for_event(&case.reference, "staff_answer").await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::StaffAnswer { relayed: false, by, .. } if by.as_str() == h.handler.address
        )),
        "recorded as the handler's own answer: {events:?}"
    );
    assert_not_relayed(&h, &customer);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverifiable_answer_in_cc_counts_only_once_the_contact_person_confirms_it() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    copied_answer(&h, &case, &customer, None);
    let events = h.wait_for_event(&case.reference, "unverified_answer").await;
    assert!(
        !events.iter().any(|e| e.kind() == "staff_answer"),
        "not counted as the answer: {events:?}"
    );
    // The contact person is asked to confirm it, with the copied text.
    let notices = parsed(&h, &h.handler, 2);
    let ask = notices
        .iter()
        .find(|n| n.full_text.contains("#answered"))
        .expect("the contact person is asked to confirm the answer");
    assert!(
        ask.full_text.contains("tilbageført i dag"),
        "{}",
        ask.full_text
    );
    staff_reply(&h, ask, "#answered");
    let events = h.wait_for_event(&case.reference, "staff_answer").await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::StaffAnswer { relayed: false, by, .. } if by.as_str() == h.handler.address
        )),
        "confirmed by the contact person: {events:?}"
    );
    assert_not_relayed(&h, &customer);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_of_our_acknowledgement_alerts_the_contact_person() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    let ack = parsed(&h, &customer, 1).remove(0);
    // A DSN goes to the envelope sender our mail had: its signed bounce address.
    let verp = ack.return_path.clone().expect("a Return-Path");
    assert!(verp.contains("+b."), "{verp}");
    let dsn = mails::bounce(
        "MAILER-DAEMON@mail.klagebot.test",
        &verp,
        &format!("<{}>", ack.message_id),
    );
    h.servers.send_raw("<>", &[&verp], dsn.as_bytes());
    let events = h.wait_for_event(&case.reference, "bounced").await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Bounced { original: Some(id), .. } if *id == ack.message_id
        )),
        "the bounce names our acknowledgement: {events:?}"
    );
    let notices = parsed(&h, &h.handler, 2);
    let alert = notices
        .iter()
        .find(|m| m.subject.starts_with("Vores mail til kunden kom ikke frem"))
        .expect("the contact person is alerted");
    assert!(alert.subject.contains(&case.reference.to_string()));
    assert!(
        alert.full_text.contains("550 5.1.1"),
        "the reason from the DSN"
    );
    assert!(
        alert
            .full_text
            .contains(&format!("Emne:     {}", ack.subject)),
        "the subject of our mail that bounced, not the DSN's: {}",
        alert.full_text
    );
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "nothing goes to the customer about a bounce"
    );
    let after = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(after.status, Status::Acknowledged);
    h.stop().await;
}

/// Postfix refuses our acknowledgement while we hand it over (the test rig's 550
/// for `reject-…` addresses): no DSN will come, yet the customer did not get it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_refused_at_handover_alerts_the_contact_person() {
    let mut h = Harness::new().await;
    h.start();
    let gone = format!("{}@klagebot.test", unique_local_part("reject"));
    let (subject, body) = mails::DA;
    h.servers.send_raw(
        &gone,
        &[&h.klage.address],
        mails::complaint(&gone, &h.klage.address, subject, body).as_bytes(),
    );
    let case = h.wait_for_cases(1).await.remove(0);
    h.wait_for_event(&case.reference, "bounced").await;
    let notices = parsed(&h, &h.handler, 2);
    let alert = notices
        .iter()
        .find(|m| m.subject.starts_with("Vores mail til kunden kom ikke frem"))
        .unwrap_or_else(|| panic!("the contact person is alerted: {notices:?}"));
    assert!(alert.subject.contains(&case.reference.to_string()));
    assert!(
        alert.full_text.contains(&gone),
        "it names the address that failed"
    );
    assert!(
        alert.full_text.contains("550"),
        "and why: {}",
        alert.full_text
    );
    assert!(
        alert.full_text.contains("Vi har modtaget din klage"),
        "and which of our mails: {}",
        alert.full_text
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_of_a_staff_notice_is_kept_without_telling_staff_the_customer_missed_it() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    let verp = notice.return_path.clone().expect("a Return-Path");
    let dsn = mails::bounce(
        "MAILER-DAEMON@mail.klagebot.test",
        &verp,
        &format!("<{}>", notice.message_id),
    );
    h.servers.send_raw("<>", &[&verp], dsn.as_bytes());
    h.wait_for_event(&case.reference, "bounced").await;
    let handler = h.settled_messages(&h.handler, 1);
    assert!(
        handler
            .iter()
            .all(|m| !m.subject.starts_with("Vores mail til kunden kom ikke frem")),
        "the customer did get their mail: {:?}",
        handler.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert_eq!(h.settled_messages(&customer, 1).len(), 1);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_on_a_mail_already_in_a_case_opens_no_second_case() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    // The customer had also written to the handler; she forwards that copy.
    let original = h.servers.messages(&h.klage, "INBOX");
    let original = if original.is_empty() {
        let folders = h.servers.folders(&h.klage);
        let processed = folders
            .iter()
            .find(|f| f.ends_with("processed"))
            .expect("a processed folder");
        h.servers.messages(&h.klage, processed).remove(0)
    } else {
        original[0].clone()
    };
    let boundary = "fwd-boundary-8";
    let forward = format!(
        "{}\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n#open\r\n\r\n--{boundary}\r\n\
         Content-Type: message/rfc822\r\n\r\n{}\r\n--{boundary}--\r\n",
        staff_headers(
            &h,
            "Fwd: Klage over dobbelt gebyr",
            &format!("multipart/mixed; boundary=\"{boundary}\""),
        ),
        String::from_utf8_lossy(&original.bytes),
    );
    h.servers
        .send_raw(&h.handler.address, &[&h.klage.address], forward.as_bytes());
    h.wait_for_event(&case.reference, "command_rejected").await;
    assert_eq!(h.cases().await.len(), 1, "no second case");
    let told = h
        .settled_messages(&h.handler, 2)
        .into_iter()
        .find(|m| m.subject.starts_with("Kommandoen blev ikke udført"))
        .expect("the handler is told");
    assert!(told.full_text.contains(&case.reference.to_string()));
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "one acknowledgement"
    );
    h.stop().await;
}
