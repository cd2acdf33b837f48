//! A shared helpdesk mailbox that people also read (`mode = "watch"`): klagebot
//! reads without touching \Seen, moves nothing, tags complaints with its keyword,
//! and never handles a message twice, also across a restart.

use std::time::Duration;

use crate::harness::{Harness, Setup, WAIT};
use crate::mails::{self, complaint};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_mailbox_is_tagged_not_read_or_moved() {
    let mut h = Harness::with(Setup {
        mode: "watch",
        ..Setup::default()
    })
    .await;
    h.start();
    let customer = h.customer("kunde");
    let (subject, body) = mails::DA;
    h.send(
        &customer,
        &complaint(&customer.address, &h.klage.address, subject, body),
    );
    let question = "Hej\n\nHvornår har I åbent i jeres filial i Aarhus mellem jul og nytår?\n\nVenlig hilsen\nPer";
    h.send(
        &customer,
        &complaint(
            &customer.address,
            &h.klage.address,
            "Åbningstider i julen",
            question,
        ),
    );
    h.wait_for_cases(1).await;
    h.servers.wait_for_messages(&customer, "INBOX", 1, WAIT);

    // Both mails stay in the inbox, unread; only the complaint carries the keyword.
    let start = std::time::Instant::now();
    let inbox = loop {
        let inbox = h.servers.messages(&h.klage, "INBOX");
        if inbox.iter().any(|m| m.has_flag("klagebot_complaint")) || start.elapsed() > WAIT {
            break inbox;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(inbox.len(), 2, "nothing was moved out of the shared inbox");
    assert!(
        inbox.iter().all(|m| !m.has_flag("\\Seen")),
        "nothing was marked read"
    );
    let tagged: Vec<_> = inbox
        .iter()
        .filter(|m| m.has_flag("klagebot_complaint"))
        .collect();
    assert_eq!(tagged.len(), 1, "only the complaint is tagged");
    assert!(tagged[0].text().contains("Klage over dobbelt gebyr"));

    // A restart reads the mailbox again from where it was: nothing twice.
    h.restart().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(h.cases().await.len(), 1);
    assert_eq!(
        h.servers.messages(&customer, "INBOX").len(),
        1,
        "one acknowledgement only"
    );
    h.stop().await;
}
