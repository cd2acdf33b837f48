//! Staff identity is proven, never assumed: a command needs the case's token,
//! and a colleague's copy or forward counts only when our own MX vouches for it
//! in its top-most Authentication-Results.

use crate::harness::{Harness, LEFT_KEYWORD, Setup, opened_case};
use crate::support::unique_local_part;

/// Our MX's id, and the domain the customers of these tests write from is not
/// the company's (so that they are customers, not colleagues).
fn vouching() -> Setup {
    Setup {
        authserv_id: Some("mx.nordvik.test"),
        internal_domains: &["nordvik.test"],
        ..Setup::default()
    }
}

/// A mail that claims to be from the handler, with `extra` headers on top.
fn as_handler(h: &Harness, extra: &str, to: &str, cc: &str, subject: &str, body: &str) -> String {
    format!(
        "{extra}From: Mette Jensen <{handler}>\r\nTo: {to}\r\nCc: {cc}\r\nSubject: {subject}\r\n\
         Message-ID: <{id}@forged.test>\r\nDate: Fri, 20 Nov 2026 09:30:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        handler = h.handler.address,
        id = unique_local_part("forged"),
        body = body.replace('\n', "\r\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_staff_answer_in_cc_changes_no_case() {
    let mut h = Harness::with(vouching()).await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    let subject = format!("Re: Klage over dobbelt gebyr [{}]", case.reference);
    let body = "Hej Ole\n\nSagen er afsluttet, du får ingen penge tilbage.\n\nMette";
    // No Authentication-Results, and a sender-written pass below our fail.
    let forged_pass = "Authentication-Results: mx.nordvik.test; dmarc=fail header.from=klagebot.test\r\n\
                       Authentication-Results: mx.nordvik.test; dmarc=pass header.from=klagebot.test\r\n";
    for extra in ["", forged_pass] {
        let raw = as_handler(
            &h,
            extra,
            &customer.address,
            &h.klage.address,
            &subject,
            body,
        );
        h.servers
            .send_raw(&h.handler.address, &[&h.klage.address], raw.as_bytes());
    }
    h.wait_until_inbox_handled().await;
    let events = h.timeline(&case.reference).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind()).collect();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind(), "staff_answer" | "unverified_answer")),
        "nothing recorded as staff's: {kinds:?}"
    );
    let inbox = h.servers.messages(&h.klage, "INBOX");
    assert_eq!(inbox.len(), 2, "both stay for a person");
    assert!(inbox.iter().all(|m| m.has_flag(LEFT_KEYWORD)));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_open_forward_writes_to_no_one() {
    let mut h = Harness::with(vouching()).await;
    h.start();
    let victim = h.customer("offer");
    let body = format!(
        "#open\n\n---------- Forwarded message ---------\nFrom: Offer <{victim}>\n\
         Date: Thu, 19 Nov 2026 at 10:00\nSubject: Klage\nTo: <{handler}>\n\n\
         Jeg er meget utilfreds og vil klage over jeres gebyr.\n",
        victim = victim.address,
        handler = h.handler.address,
    );
    let raw = as_handler(
        &h,
        "",
        &h.klage.address,
        &h.manager.address,
        "Fwd: Klage",
        &body,
    );
    h.servers
        .send_raw(&h.handler.address, &[&h.klage.address], raw.as_bytes());
    h.wait_until_inbox_handled().await;
    tokio::time::sleep(crate::harness::SETTLE).await;
    assert!(h.cases().await.is_empty(), "no case");
    assert!(
        h.servers.messages(&victim, "INBOX").is_empty(),
        "nothing to the third party"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_from_a_staff_address_without_the_case_token_runs_nothing() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, _) = opened_case(&h).await;
    let subject = format!("Re: [{}]", case.reference);
    let raw = as_handler(
        &h,
        "",
        &h.klage.address,
        &h.manager.address,
        &subject,
        "#decision rejected\n\nDu får ikke medhold.",
    );
    h.servers
        .send_raw(&h.handler.address, &[&h.klage.address], raw.as_bytes());
    h.wait_until_inbox_handled().await;
    let events = h.timeline(&case.reference).await;
    assert!(
        !events.iter().any(|e| e.kind() == "decided"),
        "no decision: {events:?}"
    );
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "only the acknowledgement"
    );
    h.stop().await;
}
