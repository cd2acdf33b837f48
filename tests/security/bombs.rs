//! Bounded work per mail: a resource bomb is handled (or quarantined) in
//! bounded time and memory, and the mailbox goes on with the next mail.

use crate::harness::Harness;
use crate::mails;

/// An HTML complaint whose text sits inside `depth` nested elements of `tag`.
fn nested_html(from: &str, to: &str, tag: &str, depth: usize) -> String {
    let open = format!("<{tag}>").repeat(depth);
    let close = format!("</{tag}>").repeat(depth);
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Klage over gebyr\r\nMessage-ID: <bomb-{depth}-{tag}@sender.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>Jeg er meget utilfreds og vil klage over det dobbelte gebyr.</p>{open}x{close}</body></html>\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_html_does_not_stop_the_mailbox() {
    let mut h = Harness::new().await;
    h.start();
    let attacker = h.customer("bombe");
    for tag in ["blockquote", "div"] {
        h.send(
            &attacker,
            &nested_html(&attacker.address, &h.klage.address, tag, 64_000),
        );
    }
    let customer = h.customer("kunde");
    let (subject, body) = mails::DA;
    h.send(
        &customer,
        &mails::complaint(&customer.address, &h.klage.address, subject, body),
    );
    h.wait_until_inbox_handled().await;
    let cases = h.cases().await;
    assert!(
        cases
            .iter()
            .any(|c| c.customer.as_str() == customer.address),
        "the mail after the bombs was handled"
    );
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "and acknowledged"
    );
    h.stop().await;
}
