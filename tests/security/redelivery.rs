//! A mail is handled once, whatever its path: the same staff mail re-delivered
//! with one more Received line (forwarding, list expansion, a restored mailbox)
//! adds nothing and relays nothing a second time.

use klagebot::case::Event;

use crate::harness::{Harness, opened_case};
use crate::mails;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reply_delivered_twice_is_carried_out_once() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    let token = notice
        .header("reply-to")
        .and_then(|r| {
            r.rsplit_once('<')
                .map(|(_, a)| a.trim_end_matches('>').to_string())
        })
        .expect("the notice has a token Reply-To");
    let note = mails::reply_to(
        &h.handler.address,
        &token,
        &notice,
        "#note Ringet til kunden.",
    );
    let answer = mails::reply_to(
        &h.handler.address,
        &token,
        &notice,
        "Hej Ole\n\nVi har tilbageført gebyret i dag.\n\nMette",
    );
    for raw in [&note, &answer] {
        h.servers
            .send_raw(&h.handler.address, &[&token], raw.as_bytes());
        let again = format!(
            "Received: from relay.example.net (relay.example.net [192.0.2.7])\r\n\tby mx.nordvik.test; Fri, 20 Nov 2026 10:00:00 +0100\r\n{raw}"
        );
        h.servers
            .send_raw(&h.handler.address, &[&token], again.as_bytes());
    }
    h.wait_until_inbox_handled().await;
    let events = h.timeline(&case.reference).await;
    let notes = events
        .iter()
        .filter(|e| matches!(e, Event::Note { .. }))
        .count();
    let answers = events
        .iter()
        .filter(|e| matches!(e, Event::StaffAnswer { .. }))
        .count();
    assert_eq!((notes, answers), (1, 1), "{events:?}");
    let mail = h.settled_messages(&customer, 2);
    assert_eq!(mail.len(), 2, "the acknowledgement and the answer, once");
    h.stop().await;
}
