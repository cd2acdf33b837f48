//! Time moved years forward: the scheduler's daily job anonymises a closed case
//! once its retention period has passed, never before, never while on legal hold,
//! once per local day however often it looks; the register row stays.

use chrono::{Duration, Months};
use klagebot::case::privacy::ANONYMISED;
use klagebot::case::{Event, Status};

use crate::harness::Harness;
use crate::staff::{opened_case, staff_reply};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_case_is_anonymised_by_the_daily_job_after_its_period_unless_held() {
    let mut h = Harness::new().await;
    h.start();
    let (case, customer, notice) = opened_case(&h).await;
    staff_reply(&h, &notice, "#hold the customer threatens to sue\n#close\n");
    h.wait_for_event(&case.reference, "closed").await;
    h.stop().await;
    let store = &h.daemon.store;
    let closed = store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(closed.status, Status::Closed);
    let ended = closed.closed_at.unwrap();
    let expires = ended + Months::new(60);
    let scheduler = &h.daemon.scheduler;
    // Noon (UTC) of a day: after the daily job's local time, whenever the test runs.
    let noon = |at: chrono::DateTime<chrono::Utc>| {
        at.date_naive()
            .and_hms_opt(12, 0, 0)
            .expect("noon")
            .and_utc()
    };

    // The day before the five years end: nothing, and the day is claimed.
    h.clock.set(noon(expires - Duration::days(1)));
    let day_before = scheduler.anonymise_expired_if_due().await.unwrap();
    assert!(day_before.is_none_or(|done| done.cases.is_empty()));
    // Past the period, but on legal hold: kept.
    h.clock.set(noon(expires + Duration::days(1)));
    let held = scheduler.anonymise_expired_if_due().await.unwrap();
    assert!(held.is_none_or(|done| done.cases.is_empty()));
    assert_eq!(store.case(&case.reference).await.unwrap().unwrap(), closed);

    // Released: the next day's run takes it, and only one run a day happens.
    let mut tx = store.begin().await.unwrap();
    let release = Event::LegalHoldReleased {
        by: h.handler.address.parse().unwrap(),
    };
    tx.append_event(&case.reference, expires, &release)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        scheduler
            .anonymise_expired_if_due()
            .await
            .unwrap()
            .is_none(),
        "today's run was done"
    );
    h.clock.set(noon(expires + Duration::days(2)));
    let done = scheduler.anonymise_expired_if_due().await.unwrap();
    assert_eq!(done.map(|d| d.cases), Some(vec![case.reference.clone()]));
    assert!(
        scheduler
            .anonymise_expired_if_due()
            .await
            .unwrap()
            .is_none()
    );

    let after = store.case(&case.reference).await.unwrap().unwrap();
    assert_eq!(after.subject, ANONYMISED);
    assert_ne!(after.customer.as_str(), customer.address);
    assert_eq!(
        (
            after.status,
            after.received_at,
            after.acknowledged_at,
            after.closed_at,
            after.category
        ),
        (
            closed.status,
            closed.received_at,
            closed.acknowledged_at,
            closed.closed_at,
            closed.category
        )
    );
    let timeline = serde_json::to_string(&store.timeline(&case.reference).await.unwrap()).unwrap();
    assert!(!timeline.contains(customer.address.as_str()), "{timeline}");
    assert!(!timeline.contains("threatens to sue"), "{timeline}");
    for mail in store.outgoing_for_case(&case.reference).await.unwrap() {
        assert!(
            mail.raw.is_empty() && mail.recipients.is_empty(),
            "{}",
            mail.kind
        );
    }
}
