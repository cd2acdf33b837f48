//! A panic never stops a mailbox: handling one message runs isolated, so a
//! panic in any stage after classification quarantines that message alone, the
//! next one is handled, and a restart does not fetch it again; a task that ends
//! by a panic outside a message is restarted and `/healthz` says so.

use klagebot::runtime::faults::{Stage, panic_at};

use crate::harness::{Harness, WAIT};
use crate::mails::{self, complaint};
use crate::staff::{opened_case, staff_reply};
use crate::support::unique_local_part;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_any_stage_quarantines_only_that_mail() {
    let mut h = Harness::new().await;
    h.start();
    let (case, _customer, notice) = opened_case(&h).await;
    let (subject, body) = mails::DA;
    let mut poisoned = Vec::new();
    for stage in [Stage::Route, Stage::Handle, Stage::Render] {
        let marker = unique_local_part("POISON");
        panic_at(stage, &marker, usize::MAX);
        let sender = h.customer("gift");
        h.send(
            &sender,
            &complaint(
                &sender.address,
                &h.klage.address,
                &format!("{subject} {marker}"),
                body,
            ),
        );
        poisoned.push(marker);
    }
    // A staff reply whose commands panic while being read.
    let marker = unique_local_part("POISON");
    panic_at(Stage::Commands, &marker, usize::MAX);
    let mut poisoned_notice = notice.clone();
    poisoned_notice.subject = format!("{} {marker}", notice.subject);
    staff_reply(&h, &poisoned_notice, "#note en note");
    poisoned.push(marker);
    // And a healthy complaint after them all.
    let next = h.customer("kunde");
    h.send(
        &next,
        &complaint(&next.address, &h.klage.address, subject, body),
    );
    let cases = h.wait_for_cases(2).await;
    assert!(
        cases.iter().any(|c| c.customer.as_str() == next.address),
        "the next mail was handled"
    );
    let folders = h.servers.folders(&h.klage);
    let quarantine = folders
        .iter()
        .find(|f| f.ends_with("quarantine"))
        .unwrap_or_else(|| panic!("no quarantine folder in {folders:?}"))
        .clone();
    let held = h
        .servers
        .wait_for_messages(&h.klage, &quarantine, poisoned.len(), WAIT);
    for marker in &poisoned {
        assert!(
            held.iter().any(|m| m.text().contains(marker.as_str())),
            "{marker} quarantined"
        );
    }
    assert!(
        !h.timeline(&case.reference)
            .await
            .iter()
            .any(|e| e.kind() == "note"),
        "the poisoned command changed nothing"
    );
    // After a restart nothing quarantined comes back.
    h.restart().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(h.cases().await.len(), 2, "no case from a quarantined mail");
    assert_eq!(
        h.servers.messages(&h.klage, &quarantine).len(),
        poisoned.len(),
        "each stays where it is"
    );
    assert!(h.daemon.health.problems().is_empty(), "no task died");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_task_that_panics_is_restarted_and_health_says_so() {
    let mut h = Harness::new().await;
    h.start();
    let marker = unique_local_part("SETTLE");
    panic_at(Stage::Settle, &marker, 1);
    let (subject, body) = mails::DA;
    let customer = h.customer("kunde");
    h.send(
        &customer,
        &complaint(
            &customer.address,
            &h.klage.address,
            &format!("{subject} {marker}"),
            body,
        ),
    );
    h.wait_for_cases(1).await;
    // The task died after the commit; its successor settles the mail.
    h.wait_until_inbox_handled().await;
    let problems = h.daemon.health.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("mailbox klage") && p.contains("panicked")),
        "{problems:?}"
    );
    assert_eq!(
        h.settled_messages(&customer, 1).len(),
        1,
        "one acknowledgement"
    );
    assert_eq!(h.cases().await.len(), 1, "handled once");
    h.stop().await;
}
