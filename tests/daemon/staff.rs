//! Staff work a case from their own mail client: replies relayed to the customer,
//! `#commands`, forged mail refused, and deadlines firing once as time moves on.

use std::time::Duration;

use klagebot::case::{self, DeadlineKind, Status};
use klagebot::parse::parse;

use crate::harness::{Harness, WAIT};
use crate::mails::{self, complaint};

pub use crate::harness::{opened_case, opened_case_with, parsed, staff_reply};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reply_reaches_the_customer_threaded_and_in_the_case() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    staff_reply(
        &h,
        &notice,
        "Hej Ole\n\nVi har tilbageført det ene gebyr på 250 kr. til din konto i dag.\n\nMed venlig hilsen\nMette",
    );
    h.wait_for_event(&case.reference, "staff_answer").await;
    let mail = parsed(&h, &customer, 2);
    let answer = mail
        .iter()
        .find(|m| m.full_text.contains("tilbageført det ene gebyr"))
        .expect("the answer reached the customer");
    assert!(answer.subject.contains(&case.reference.to_string()));
    assert!(
        answer
            .from
            .as_ref()
            .is_some_and(|f| f.email.as_str() == h.klage.address),
        "sent from the company address"
    );
    assert!(
        !answer.full_text.contains("HVAD DIT SVAR SENDER"),
        "our notification is not quoted back"
    );
    assert!(
        answer.references.contains(&case.customer_message_id),
        "threaded to the customer's mail"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_sends_the_reasoned_answer_with_the_danish_bodies() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    let text = "#decision rejected\n\nVi har gennemgået sagen. Gebyret blev kun trukket én gang; den anden postering er en reservation, som frigives automatisk.";
    staff_reply(&h, &notice, text);
    h.wait_for_event(&case.reference, "decided").await;
    let mail = parsed(&h, &customer, 2);
    let decision = mail
        .iter()
        .find(|m| m.subject.starts_with("Svar på din klage"))
        .expect("a decision mail");
    assert!(
        decision
            .full_text
            .contains("reservation, som frigives automatisk"),
        "the reasoned answer"
    );
    assert!(
        decision.full_text.contains("Det Finansielle Ankenævn"),
        "the board for fees in Denmark"
    );
    assert!(
        !decision.full_text.contains("ODR"),
        "never the closed EU ODR platform"
    );
    let decided = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(decided.status, Status::Decided);
    assert!(decided.referred);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_staff_mail_without_the_token_changes_nothing() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    let forged = complaint(
        &h.handler.address,
        &h.klage.address,
        &format!("Re: [{}]", case.reference),
        "#close\n\nLukket.",
    );
    h.servers
        .send_raw(&h.handler.address, &[&h.klage.address], forged.as_bytes());
    h.wait_until_inbox_handled().await;
    let after = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(after.status, Status::Acknowledged, "still open");
    assert!(
        !h.timeline(&case.reference)
            .await
            .iter()
            .any(|e| e.kind() == "closed")
    );
    assert_eq!(
        h.servers.messages(&customer, "INBOX").len(),
        1,
        "nothing more went to the customer"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_command_changes_nothing_and_the_sender_is_told_why() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    staff_reply(&h, &notice, "#decison rejected\n\nBegrundelse.");
    h.wait_for_event(&case.reference, "command_rejected").await;
    let replies = parsed(&h, &h.handler, 2);
    let told = replies
        .iter()
        .find(|m| m.full_text.contains("#decison"))
        .expect("a reply quoting the command");
    assert!(
        told.full_text.contains("#decision"),
        "it suggests the right command"
    );
    let after = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(after.status, Status::Acknowledged);
    assert_eq!(h.servers.messages(&customer, "INBOX").len(), 1);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_fire_once_on_the_right_working_day() {
    let mut h = Harness::new().await;
    h.start();
    let (case, _, _) = opened_case(&h).await;
    h.stop().await;
    let reminders: Vec<_> = case::deadlines(&case, &h.daemon.rules)
        .into_iter()
        .filter(|d| matches!(d.kind, DeadlineKind::Reminder { .. }))
        .collect();
    assert_eq!(
        reminders.len(),
        2,
        "5 and 2 working days before the answer is due"
    );
    for (i, reminder) in reminders.iter().enumerate() {
        h.clock.set(reminder.due_at + chrono::Duration::minutes(1));
        for _ in 0..2 {
            h.daemon.scheduler.fire_due().await.expect("deadlines fire");
            while klagebot::daemon::sender::deliver_due(&h.daemon)
                .await
                .expect("mail is delivered")
                > 0
            {}
        }
        // The new-case notice, the reminders so far and, three working days
        // before the answer is due, the prompt to send a holding reply.
        let prompted = usize::from(i > 0);
        let notices = h
            .servers
            .wait_for_messages(&h.handler, "INBOX", 2 + i + prompted, WAIT);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let notices_now = h.servers.messages(&h.handler, "INBOX");
        assert_eq!(
            notices_now.len(),
            notices.len(),
            "exactly one reminder for {:?}",
            reminder.kind
        );
        let subjects: Vec<String> = notices_now
            .iter()
            .map(|m| parse(&m.bytes).subject)
            .collect();
        let reminded = subjects
            .iter()
            .filter(|s| s.starts_with("Påmindelse"))
            .count();
        assert_eq!(reminded, i + 1, "Danish reminders: {subjects:?}");
        let prompts = subjects
            .iter()
            .filter(|s| s.starts_with("Kan du svare senest"))
            .count();
        assert_eq!(prompts, prompted, "the holding-reply prompt: {subjects:?}");
    }
    let events = h.timeline(&case.reference).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind() == "reminder_sent")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_asks_for_the_complaints_manager_is_escalated() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    let ack = parsed(&h, &customer, 1).remove(0);
    let text = "Jeg er ikke tilfreds med jeres håndtering. Jeg ønsker, at min klage bliver behandlet af jeres klageansvarlige.";
    h.send(
        &customer,
        &mails::reply_to(&customer.address, &h.klage.address, &ack, text),
    );
    h.wait_for_event(&case.reference, "escalation_requested")
        .await;
    let mail = parsed(&h, &customer, 2);
    assert!(
        mail.iter().any(|m| m
            .subject
            .starts_with("Din klage behandles nu af vores klageansvarlige")
            && m.full_text.contains("Lars Holm")),
        "the customer is told who handles the case now"
    );
    let notices = parsed(&h, &h.manager, 1);
    assert!(
        notices[0].subject.contains(&case.reference.to_string()),
        "the manager is notified"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outlook_reply_is_relayed_without_our_notification_below_it() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    let reply_to = notice.header("reply-to").expect("a Reply-To");
    let token_address = reply_to
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>'))
        .unwrap_or(reply_to)
        .to_string();
    // Outlook top-posts and puts the notification below a header block, unquoted.
    let raw = format!(
        "From: Mette Jensen <{handler}>\r\nTo: {token_address}\r\nSubject: SV: {subject}\r\n\
         Message-ID: <{id}@staff.test>\r\nIn-Reply-To: <{notice_id}>\r\nDate: Fri, 20 Nov 2026 09:30:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Hej Ole\r\n\r\nVi har tilbageført det ene gebyr på 250 kr. i dag.\r\n\r\nVenlig hilsen\r\nMette\r\n\r\n\
         ________________________________\r\nFra: Nordvik Bank A/S <{token_address}>\r\nSendt: 19. november 2026 10:05\r\n\
         Til: Mette Jensen <{handler}>\r\nEmne: {subject}\r\n\r\n{notification}\r\n",
        handler = h.handler.address,
        subject = notice.subject,
        id = crate::support::unique_local_part("outlook"),
        notice_id = notice.message_id,
        notification = notice.full_text.replace('\n', "\r\n"),
    );
    h.servers
        .send_raw(&h.handler.address, &[&token_address], raw.as_bytes());
    h.wait_for_event(&case.reference, "staff_answer").await;
    let mail = parsed(&h, &customer, 2);
    let answer = mail
        .iter()
        .find(|m| m.full_text.contains("tilbageført det ene gebyr"))
        .expect("the answer reached the customer");
    assert!(
        !answer.full_text.contains(&token_address) && !answer.full_text.contains("Sendt:"),
        "our notification is not passed on to the customer: {}",
        answer.full_text
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_decision_a_dissatisfied_reply_reopens_the_case_with_the_manager() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    staff_reply(
        &h,
        &notice,
        "#decision rejected\n\nKære Ole\n\nGebyret følger af prislisten.",
    );
    h.wait_for_event(&case.reference, "decided").await;
    let decision = parsed(&h, &customer, 2).pop().expect("the decision");
    // A neutral reply is attached; the contact person is told; the customer gets nothing.
    h.send(
        &customer,
        &mails::reply_to(
            &customer.address,
            &h.klage.address,
            &decision,
            "Tak for svaret.",
        ),
    );
    h.wait_for_event(&case.reference, "customer_mail").await;
    let decided = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(decided.status, Status::Decided, "thanks reopen nothing");
    // A dissatisfied reply reopens it with the complaints manager.
    h.send(
        &customer,
        &mails::reply_to(
            &customer.address,
            &h.klage.address,
            &decision,
            "Jeg er slet ikke enig i jeres afgørelse. Det er urimeligt, og jeg vil klage over den til jeres klagechef.",
        ),
    );
    h.wait_for_event(&case.reference, "reconsideration").await;
    let reopened = h.daemon.store.case(&case.reference).await.unwrap().unwrap();
    assert!(reopened.status.is_open(), "reopened: {:?}", reopened.status);
    assert_eq!(reopened.tier, case::Tier::ComplaintsManager);
    let cal = h.daemon.rules.calendar(reopened.jurisdiction);
    let receipt = cal.receipt_day(chrono::Utc::now());
    assert_eq!(
        reopened.answer_due,
        cal.add_working_days(receipt, 15),
        "answered anew within 15 business days of the reply"
    );
    assert!(reopened.answer_due >= decided.answer_due);
    assert_eq!(reopened.outcome, None);
    let mail = h.settled_messages(&customer, 3);
    assert_eq!(
        mail.len(),
        3,
        "acknowledgement, decision, and who handles it now"
    );
    assert!(
        mail[2].full_text.contains("Lars Holm"),
        "{}",
        mail[2].full_text
    );
    assert!(
        parsed(&h, &h.manager, 1)
            .iter()
            .any(|m| m.subject.contains(&case.reference.to_string())),
        "the complaints manager hears of it"
    );
    h.stop().await;
}
