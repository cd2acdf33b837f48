//! Lenient in, strict out: a complaint whose Message-ID uses the obsolete quoted
//! syntax, or is far too long to write back, is still acknowledged, and every
//! header line klagebot sends stays within RFC 5322's 998 octets.

use crate::harness::Harness;
use crate::mails;

fn with_message_id(raw: &str, id: &str) -> String {
    raw.lines()
        .map(
            |line| match line.to_ascii_lowercase().starts_with("message-id:") {
                true => format!("Message-ID: {id}\r"),
                false => line.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_message_ids_are_acknowledged_with_headers_within_the_limits() {
    let mut h = Harness::new().await;
    h.start();
    let (subject, body) = mails::DA;
    let quoted = h.customer("citeret");
    let long = h.customer("lang");
    let quoted_id = r#"<"ole hansen\"x"@old.example.net>"#;
    let long_id = format!("<{}@example.net>", "a".repeat(2_500));
    for (user, id) in [(&quoted, quoted_id.to_string()), (&long, long_id)] {
        let mail = mails::complaint(&user.address, &h.klage.address, subject, body);
        h.send(user, &with_message_id(&mail, &id));
    }
    h.wait_until_inbox_handled().await;
    for user in [&quoted, &long] {
        h.servers
            .wait_for_messages(user, "INBOX", 1, std::time::Duration::from_secs(30));
        let sent = h.servers.messages(user, "INBOX");
        assert_eq!(sent.len(), 1, "one acknowledgement");
        let text = String::from_utf8_lossy(&sent[0].bytes).to_string();
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        for line in head.split("\r\n") {
            assert!(line.len() <= 998, "a header line of {} octets", line.len());
        }
        if user.address == quoted.address {
            assert!(
                head.contains(&format!("In-Reply-To: {quoted_id}")),
                "the acknowledgement answers the quoted id in its thread:\n{head}"
            );
        } else {
            assert!(!head.contains("aaaaaaaaaa"), "the over-long id is left out");
        }
    }
    h.stop().await;
}

/// A From no mail can be sent to (a 70-octet local part, two dots in a row,
/// which Postfix passes on quoted) is never quarantined: the mail is left for a
/// person or its case opens with the acknowledgement held, and the mailbox goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_from_an_address_we_cannot_answer_is_never_quarantined() {
    let mut h = Harness::new().await;
    h.start();
    let (subject, body) = mails::DA;
    let sender = h.customer("afsender");
    for from in [
        format!("{}@example.net", "o".repeat(70)),
        "ole..hansen@example.net".to_string(),
    ] {
        h.send(
            &sender,
            &mails::complaint(&from, &h.klage.address, subject, body),
        );
    }
    let customer = h.customer("kunde");
    h.send(
        &customer,
        &mails::complaint(&customer.address, &h.klage.address, subject, body),
    );
    h.wait_until_inbox_handled().await;
    let quarantined: usize = h
        .servers
        .folders(&h.klage)
        .iter()
        .filter(|f| f.ends_with("quarantine"))
        .map(|f| h.servers.messages(&h.klage, f).len())
        .sum();
    assert_eq!(quarantined, 0, "nothing quarantined");
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "the next complaint is acknowledged"
    );
    for case in h.cases().await {
        if case.customer.as_str() == customer.address {
            continue;
        }
        let events = h.timeline(&case.reference).await;
        assert!(
            events.iter().any(|e| e.kind() == "withheld"),
            "the acknowledgement to an unusable address is held: {events:?}"
        );
    }
    h.stop().await;
}
