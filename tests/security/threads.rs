//! Our Message-IDs are unguessable and threading joins a case only from its own
//! customer; a bounce counts only through the signed envelope sender it came to.

use klagebot::case::Event;

use crate::harness::{Harness, opened_case, parsed};
use crate::mails;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_replying_to_our_mail_opens_a_case_of_their_own() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    let ack = parsed(&h, &customer, 1).remove(0);
    assert!(
        ack.message_id.len() > format!("case-{}.1@nordvik.test", case.reference).len(),
        "our Message-ID carries a tag: {}",
        ack.message_id
    );
    // A stranger who got hold of the acknowledgement, and one who guessed the
    // old, plain form of our ids.
    let stranger = h.customer("fremmed");
    let escalate = "Jeg vil have sagen behandlet af jeres klageansvarlige med det samme. Jeg er meget utilfreds.";
    h.send(
        &stranger,
        &mails::reply_to(&stranger.address, &h.klage.address, &ack, escalate),
    );
    let guessed = mails::complaint(&stranger.address, &h.klage.address, "Re: Klage", escalate)
        .replacen(
            "MIME-Version",
            &format!(
                "In-Reply-To: <case-{}.1@nordvik.test>\r\nMIME-Version",
                case.reference
            ),
            1,
        );
    h.send(&stranger, &guessed);
    h.wait_until_inbox_handled().await;
    let events = h.timeline(&case.reference).await;
    assert!(
        !events.iter().any(|e| matches!(
            e.kind(),
            "customer_mail" | "escalation_requested" | "escalated"
        )),
        "nothing entered the customer's case: {events:?}"
    );
    let cases = h.cases().await;
    let theirs: Vec<_> = cases
        .iter()
        .filter(|c| c.customer.as_str() == stranger.address)
        .collect();
    assert!(
        !theirs.is_empty(),
        "the stranger's mail opened their own case"
    );
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "the customer heard of no escalation"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_bounce_naming_our_mail_changes_nothing() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    let ack = parsed(&h, &customer, 1).remove(0);
    // To the plain complaint address, not the signed envelope sender.
    let dsn = mails::bounce(
        "MAILER-DAEMON@mail.klagebot.test",
        &h.klage.address,
        &format!("<{}>", ack.message_id),
    );
    h.servers
        .send_raw("<>", &[&h.klage.address], dsn.as_bytes());
    h.wait_until_inbox_handled().await;
    let events = h.timeline(&case.reference).await;
    assert!(
        !events.iter().any(|e| matches!(e, Event::Bounced { .. })),
        "no bounce recorded: {events:?}"
    );
    let notices = h.settled_messages(&h.handler, 1);
    assert_eq!(
        notices.len(),
        1,
        "only the new-case notice, no bounce alarm"
    );
    h.stop().await;
}
