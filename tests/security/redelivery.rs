//! A mail is handled once, whatever its path: the same staff mail re-delivered
//! with one more Received line (forwarding, list expansion, a restored mailbox)
//! adds nothing and relays nothing a second time.

use klagebot::case::Event;

use crate::harness::{Harness, Setup, opened_case};
use crate::mails;

/// The case's token address from the staff notice's Reply-To.
fn reply_address(notice: &klagebot::parse::InboundMail) -> String {
    notice
        .header("reply-to")
        .and_then(|r| {
            r.rsplit_once('<')
                .map(|(_, a)| a.trim_end_matches('>').to_string())
        })
        .expect("the notice has a token Reply-To")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reply_delivered_twice_is_carried_out_once() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    let token = reply_address(&notice);
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

/// A staff reply copied to a second complaint mailbox (or an alias that delivers
/// twice) arrives with other trace lines in another mailbox: still carried out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reply_copied_to_a_second_mailbox_is_carried_out_once() {
    let mut h = Harness::with(Setup {
        helpdesk: true,
        ..Setup::default()
    })
    .await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    let token = reply_address(&notice);
    let helpdesk = h.helpdesk.clone().expect("a helpdesk mailbox");
    let answer = mails::reply_to(
        &h.handler.address,
        &token,
        &notice,
        "Hej Ole\n\nVi har tilbageført gebyret i dag.\n\nMette",
    );
    let answer = answer.replacen(
        "\r\n\r\n",
        &format!("\r\nCc: {}\r\n\r\n", helpdesk.address),
        1,
    );
    h.servers.send_raw(
        &h.handler.address,
        &[&token, &helpdesk.address],
        answer.as_bytes(),
    );
    // Both copies handled: the helpdesk's moved out of its INBOX.
    let start = std::time::Instant::now();
    loop {
        let folders = h.servers.folders(&helpdesk);
        let placed: Vec<(String, usize)> = folders
            .iter()
            .map(|f| (f.clone(), h.servers.messages(&helpdesk, f).len()))
            .collect();
        if placed.iter().any(|(f, n)| f != "INBOX" && *n > 0) {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 30,
            "the helpdesk copy was not handled: {placed:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    h.wait_until_inbox_handled().await;
    let events = h.timeline(&case.reference).await;
    let answers = events
        .iter()
        .filter(|e| matches!(e, Event::StaffAnswer { .. }))
        .count();
    assert_eq!(answers, 1, "{events:?}");
    let mail = h.settled_messages(&customer, 2);
    assert_eq!(mail.len(), 2, "the acknowledgement and the answer, once");
    h.stop().await;
}
