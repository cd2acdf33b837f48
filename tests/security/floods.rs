//! No loops, no floods, no backscatter: nothing goes to our own addresses or to
//! a colleague as a customer, an echoing auto-responder gets two answers at
//! most, and automatic mail to one address stops at its cap while cases still
//! open and the complaints manager gets one summary instead of a notice each.

use crate::harness::{Harness, LEFT_KEYWORD, Setup, WAIT};
use crate::mails;

const COMPLAINT: &str = "Jeg er meget utilfreds. I har trukket et gebyr på 250 kr. to gange, og jeg vil have det ene betalt tilbage.";

/// The texts of the flood summaries the complaints manager got.
fn summaries(h: &Harness) -> Vec<String> {
    h.servers
        .messages(&h.manager, "INBOX")
        .iter()
        .map(|m| klagebot::parse::parse(&m.bytes).full_text)
        .filter(|text| text.contains("#acknowledged"))
        .collect()
}

/// A complaint of its own for each `i`: the same words in another order, so
/// that no two read alike (a flood, not an echo).
fn varied(i: usize) -> String {
    let mut words: Vec<&str> = COMPLAINT.split_whitespace().collect();
    let len = words.len();
    words.rotate_left((i * 7) % len);
    words.swap(i % len, (i * 3 + 1) % len);
    format!("{} {i}", words.join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_stops_at_the_cap_and_staff_get_one_summary() {
    let mut h = Harness::new().await;
    h.start();
    let cap = h.config.outgoing.max_per_address_per_hour as usize;
    let flooder = h.customer("flod");
    let first = cap + 4;
    let send = |range: std::ops::Range<usize>| {
        for i in range {
            h.send(
                &flooder,
                &mails::complaint(
                    &flooder.address,
                    &h.klage.address,
                    &format!("Klage nummer {i}"),
                    &varied(i),
                ),
            );
        }
    };
    send(0..first);
    let cases = h.wait_for_cases(first).await;
    assert_eq!(cases.len(), first, "every mail still opens its case");
    h.wait_until_inbox_handled().await;
    let acknowledgements = h.settled_messages(&flooder, cap);
    assert_eq!(acknowledgements.len(), cap, "exactly the cap, no more");
    // One summary at once; what is withheld after it waits for the next one,
    // an hour later at the soonest.
    h.servers.wait_for_messages(&h.manager, "INBOX", 1, WAIT);
    h.wait_until_sent().await;
    assert_eq!(summaries(&h).len(), 1, "one summary for the address");
    let total = first + 2;
    send(first..total);
    h.wait_for_cases(total).await;
    h.wait_until_inbox_handled().await;
    h.wait_until_sent().await;
    assert_eq!(summaries(&h).len(), 1, "no second summary within the hour");
    h.clock
        .set(chrono::Utc::now() + chrono::Duration::minutes(61));
    h.daemon
        .scheduler
        .summarize_floods()
        .await
        .expect("the summary job runs");
    h.wait_until_sent().await;
    let listed = summaries(&h);
    assert_eq!(listed.len(), 2, "the next summary after the hour");
    let text = listed.join("\n");
    let unacknowledged: Vec<_> = h
        .cases()
        .await
        .into_iter()
        .filter(|c| c.acknowledged_at.is_none())
        .collect();
    assert_eq!(unacknowledged.len(), total - cap);
    for case in &unacknowledged {
        assert!(
            text.contains(&case.reference.to_string()),
            "{} is listed:\n{text}",
            case.reference
        );
    }
    let notices = h.settled_messages(&h.handler, cap);
    assert_eq!(notices.len(), cap, "no notice per mail beyond the cap");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_to_our_own_addresses_or_to_a_colleague_as_a_customer() {
    let mut h = Harness::with(Setup {
        internal_domains: &["klagebot.test"],
        ..Setup::default()
    })
    .await;
    h.start();
    let (local, domain) = h.klage.address.split_once('@').expect("an address");
    let plus = format!("{local}+sag@{domain}");
    let colleague = h.customer("kollega");
    for from in [
        h.klage.address.as_str(),
        plus.as_str(),
        colleague.address.as_str(),
    ] {
        let raw = mails::complaint(from, &h.klage.address, "Klage over gebyr", COMPLAINT);
        h.servers
            .send_raw(from, &[&h.klage.address], raw.as_bytes());
    }
    h.wait_until_inbox_handled().await;
    tokio::time::sleep(crate::harness::SETTLE).await;
    assert!(
        h.cases().await.is_empty(),
        "no case for our own or a colleague's mail"
    );
    let inbox = h.servers.messages(&h.klage, "INBOX");
    assert_eq!(
        inbox.len(),
        3,
        "only the three mails, no answer to ourselves"
    );
    assert!(
        inbox.iter().all(|m| m.has_flag(LEFT_KEYWORD)),
        "left for a person"
    );
    assert!(h.servers.messages(&colleague, "INBOX").is_empty());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_responder_that_echoes_our_mail_gets_two_answers_at_most() {
    let mut h = Harness::new().await;
    h.start();
    let echo = h.customer("ekko");
    h.send(
        &echo,
        &mails::complaint(
            &echo.address,
            &h.klage.address,
            "Klage over gebyr",
            COMPLAINT,
        ),
    );
    // Each mail of ours is echoed back at once, with no Auto-Submitted, a
    // subject without our reference and a text that repeats itself.
    let mut seen = 0;
    for _round in 0..4 {
        let ours = h.servers.wait_for_messages(&echo, "INBOX", seen + 1, WAIT);
        seen = ours.len();
        let last = klagebot::parse::parse(&ours[seen - 1].bytes);
        let text = format!("{COMPLAINT}\n\n{}", last.full_text);
        h.send(
            &echo,
            &mails::complaint(&echo.address, &h.klage.address, "Klage", &text),
        );
        h.wait_until_inbox_handled().await;
        h.wait_until_sent().await;
        if h.servers.messages(&echo, "INBOX").len() == seen {
            break;
        }
    }
    // The first echo looks like a new complaint and is answered; the second,
    // the same text again within minutes of our mail, is not.
    let answers = h.servers.messages(&echo, "INBOX").len();
    assert_eq!(answers, 2, "answers to an echoing auto-responder");
    h.stop().await;
}
