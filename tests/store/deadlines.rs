//! Deadlines: armed, moved, cancelled, and fired exactly once.

use super::*;

pub async fn deadlines_fire_once_under_concurrency(store: &Store) {
    let mut tx = store.begin().await.unwrap();
    for n in 1..=10 {
        tx.insert_case(&sample_case(n, t(8, 0))).await.unwrap();
        for key in ["ack_alarm", "reminder_5", "reminder_2"] {
            tx.upsert_deadline(&reference(n), key, t(9, n))
                .await
                .unwrap();
        }
    }
    tx.upsert_deadline(&reference(1), "breach", t(23, 0))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.next_deadline_at().await.unwrap(), Some(t(9, 1)));

    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut fired = Vec::new();
            loop {
                let mut tx = store.begin().await.unwrap();
                let due = tx.claim_due_deadlines(t(12, 0), 2).await.unwrap();
                if due.is_empty() {
                    return fired;
                }
                for d in due {
                    assert!(tx.mark_deadline_fired(d.id, t(12, 0)).await.unwrap());
                    let alarm = Event::Alarm {
                        reason: d.key.clone(),
                    };
                    tx.append_event(&d.case_ref, t(12, 0), &alarm)
                        .await
                        .unwrap();
                    fired.push((d.case_ref.number(), d.key));
                }
                tx.commit().await.unwrap();
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(
        all.len(),
        30,
        "every due deadline fired exactly once: {all:?}"
    );
    assert_eq!(distinct.len(), 30);
    assert_eq!(
        store.next_deadline_at().await.unwrap(),
        Some(t(23, 0)),
        "the future one is left"
    );
    for n in 1..=10 {
        assert_eq!(store.timeline(&reference(n)).await.unwrap().len(), 3);
    }
}

pub async fn deadlines_move_cancel_and_stay_fired(store: &Store) {
    insert(store, &sample_case(1, t(8, 0))).await;
    let mut tx = store.begin().await.unwrap();
    tx.upsert_deadline(&reference(1), "reminder_5", t(9, 0))
        .await
        .unwrap();
    tx.upsert_deadline(&reference(1), "reminder_5", t(10, 0))
        .await
        .unwrap();
    tx.upsert_deadline(&reference(1), "breach", t(11, 0))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.next_deadline_at().await.unwrap(),
        Some(t(10, 0)),
        "moved, not doubled"
    );

    // A claim rolled back (a crash mid-action) leaves the deadline due.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.claim_due_deadlines(t(10, 30), 10).await.unwrap().len(),
        1
    );
    tx.rollback().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let due = tx.claim_due_deadlines(t(10, 30), 10).await.unwrap();
    assert_eq!(
        (due.len(), due[0].key.as_str(), due[0].due_at),
        (1, "reminder_5", t(10, 0))
    );
    assert!(tx.mark_deadline_fired(due[0].id, t(10, 30)).await.unwrap());
    assert!(
        !tx.mark_deadline_fired(due[0].id, t(10, 31)).await.unwrap(),
        "fires once"
    );
    // Re-arming a fired key does nothing.
    tx.upsert_deadline(&reference(1), "reminder_5", t(10, 45))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.next_deadline_at().await.unwrap(), Some(t(11, 0)));

    let mut tx = store.begin().await.unwrap();
    tx.cancel_deadlines(&reference(1)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.next_deadline_at().await.unwrap(), None);
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.claim_due_deadlines(t(23, 0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A reopened case arms its deadline again.
    tx.upsert_deadline(&reference(1), "breach", t(12, 0))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let armed = store.deadlines_for_case(&reference(1)).await.unwrap();
    assert_eq!(armed, [("breach".to_string(), t(12, 0))]);
}
