//! Deadlines count from when the mail arrived, not from when klagebot read it:
//! a backlog delivered while klagebot was down keeps its receipt dates, and one
//! alarm tells the complaints manager which acknowledgements came too late.

use chrono::Utc;
use klagebot::domain::Jurisdiction;

use crate::harness::{Harness, WAIT};
use crate::mails::{self, complaint};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_counts_from_delivery_and_one_alarm_lists_the_late_acknowledgements() {
    let mut h = Harness::new().await;
    let mut customers = Vec::new();
    let delivered = Utc::now();
    for (i, (subject, body)) in [mails::DA, mails::NB, mails::SV].into_iter().enumerate() {
        let customer = h.customer(&format!("backlog{i}"));
        h.send(
            &customer,
            &complaint(&customer.address, &h.klage.address, subject, body),
        );
        customers.push(customer);
    }
    h.servers
        .wait_for_messages(&h.klage, "INBOX", customers.len(), WAIT);
    // klagebot starts a week later.
    h.clock.set(delivered + chrono::Duration::days(7));
    h.start();
    let cases = h.wait_for_cases(customers.len()).await;
    let cal = h.daemon.rules.calendar(Jurisdiction::Dk).clone();
    for case in &cases {
        let arrived = case.received_at;
        assert!(
            arrived >= delivered - chrono::Duration::minutes(1)
                && arrived <= delivered + chrono::Duration::minutes(2),
            "{}: received {arrived}, delivered {delivered}",
            case.reference
        );
        let receipt_day = cal.receipt_day(arrived);
        assert_eq!(
            case.acknowledge_due,
            cal.add_working_days(receipt_day, 3),
            "{}: the acknowledgement is due three working days after delivery",
            case.reference
        );
    }
    for customer in &customers {
        assert_eq!(
            h.settled_messages(customer, 1).len(),
            1,
            "acknowledged at once"
        );
    }
    let alarms: Vec<_> = h
        .settled_messages(&h.manager, 1)
        .into_iter()
        .filter(|m| {
            cases
                .iter()
                .all(|c| m.full_text.contains(&c.reference.to_string()))
        })
        .collect();
    assert_eq!(
        alarms.len(),
        1,
        "one alarm lists every late acknowledgement"
    );
    // A restart reads nothing new and alarms no more.
    h.restart().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after: Vec<_> = h
        .settled_messages(&h.manager, 1)
        .into_iter()
        .filter(|m| m.full_text.contains(&cases[0].reference.to_string()))
        .filter(|m| !m.subject.contains(&cases[0].reference.to_string()))
        .collect();
    assert_eq!(after.len(), 1, "the alarm is sent once per backlog");
    h.stop().await;
}
