//! Recovery from faults (issue 14), against a running klagebot and the real
//! loopback Dovecot, Postfix and PostgreSQL: the SMTP server killed and started
//! again, Dovecot restarted, a full disk under SQLite, klagebot killed with
//! SIGKILL and started again, and two instances on PostgreSQL of which one dies.
//! These tests stop shared servers, so they live in a test binary of their own
//! (cargo runs test binaries one after another) and take turns inside it.

#[path = "../support/mod.rs"]
mod support;

#[path = "../daemon/harness.rs"]
mod harness;

#[path = "../daemon/mails.rs"]
mod mails;

#[path = "../support/postgres.rs"]
mod scratch;

mod crash;
mod disk;
mod servers;

use std::time::{Duration, Instant};

use harness::Harness;
use support::TestUser;

/// One test at a time: each stops servers the others use.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The subject an acknowledgement in Danish starts with.
const ACK: &str = "Vi har modtaget din klage";

/// Sends a Danish complaint from `customer`.
fn complain(h: &Harness, customer: &TestUser) {
    let (subject, body) = mails::DA;
    h.send(
        customer,
        &mails::complaint(&customer.address, &h.klage.address, subject, body),
    );
}

/// How many acknowledgements `customer` has in their inbox.
fn acknowledgements(h: &Harness, customer: &TestUser) -> usize {
    h.servers
        .messages(customer, "INBOX")
        .iter()
        .filter(|m| klagebot::parse::parse(&m.bytes).subject.starts_with(ACK))
        .count()
}

/// Waits until every customer has at least one acknowledgement; returns how
/// long that took.
async fn wait_for_acknowledgements(
    h: &Harness,
    customers: &[TestUser],
    within: Duration,
) -> Duration {
    let start = Instant::now();
    loop {
        let missing = customers
            .iter()
            .filter(|c| acknowledgements(h, c) == 0)
            .count();
        if missing == 0 {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{missing} of {} customers have no acknowledgement after {within:?}",
            customers.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every case shows its acknowledgement as sent, and no customer got two.
async fn each_acknowledged_once(h: &Harness, customers: &[TestUser]) {
    // Time for a duplicate to arrive, if one was sent.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for customer in customers {
        assert_eq!(
            acknowledgements(h, customer),
            1,
            "{} got exactly one acknowledgement",
            customer.address
        );
    }
    let cases = h.cases().await;
    assert_eq!(cases.len(), customers.len(), "one case per complaint");
    for case in &cases {
        let mail = h
            .daemon
            .store
            .outgoing_for_case(&case.reference)
            .await
            .expect("the case's mail");
        let ack = mail
            .iter()
            .find(|m| m.kind == "customer_acknowledgement")
            .expect("an acknowledgement was queued");
        assert!(
            ack.sent_at.is_some(),
            "{}: the acknowledgement the customer got is recorded as sent",
            case.reference
        );
        let timeline = h.timeline(&case.reference).await;
        assert!(
            timeline
                .iter()
                .any(|e| matches!(e, klagebot::case::Event::AcknowledgementSent { .. })),
            "{}: the case shows its acknowledgement",
            case.reference
        );
    }
}
