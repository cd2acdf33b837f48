//! The outbox: claims, leases, retries, failures and the per-address counts.

use super::*;
use crate::inbound::instance;

fn mail(case: Option<CaseRef>, to: &str, not_before: DateTime<Utc>) -> NewOutgoing {
    NewOutgoing {
        case_ref: case,
        kind: "customer_acknowledgement".into(),
        message_id: format!("<case-{to}@bank.dk>"),
        envelope_from: "klage@bank.dk".into(),
        recipients: vec![to.into()],
        raw: format!("To: {to}\r\n\r\nTak").into_bytes(),
        not_before,
    }
}

pub async fn outbox_claims_lease_retries_and_fails(store: &Store) {
    insert(store, &sample_case(1, t(9, 0))).await;
    let lease = Duration::from_secs(300);
    // The sender beats until 10:00 (then it dies, below); b is another instance.
    store.beat(&instance("a"), t(10, 0)).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let a = tx
        .enqueue(&mail(Some(reference(1)), "Ole@Example.dk", t(9, 0)))
        .await
        .unwrap();
    let b = tx
        .enqueue(&mail(Some(reference(1)), "mette@bank.dk", t(9, 1)))
        .await
        .unwrap();
    let later = tx
        .enqueue(&mail(None, "x@example.dk", t(12, 0)))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A case's mail is filed under the case, so that a reply to it threads back.
    let filed = store
        .case_for_message_id("<case-mette@bank.dk@bank.dk>")
        .await
        .unwrap();
    assert_eq!(filed, Some(reference(1)));

    let claimed = store
        .claim_outgoing(t(10, 0), 10, "a", lease)
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|m| m.id).collect::<Vec<_>>(),
        [a, b],
        "due ones, oldest first"
    );
    assert_eq!(claimed[0].recipients, ["Ole@Example.dk"]);
    assert_eq!(
        claimed[0].attempts, 0,
        "an attempt counts once it has an outcome"
    );
    assert!(
        store
            .claim_outgoing(t(10, 0) + chrono::Duration::seconds(2), 10, "b", lease)
            .await
            .unwrap()
            .is_empty(),
        "held: a beat 2 s ago"
    );

    // The sender died: once it stops beating its mail is claimed again, long
    // before its lease runs out, with no attempt counted for the lost one.
    let again = store
        .claim_outgoing(t(10, 1), 10, "b", lease)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(),
        [(a, 0), (b, 0)]
    );
    // b beats and renews its claims: a third instance waits.
    store.beat(&instance("b"), t(10, 6)).await.unwrap();
    assert_eq!(
        store
            .renew_claims("b", t(10, 6) + chrono::Duration::seconds(30))
            .await
            .unwrap(),
        2
    );
    assert!(
        store
            .claim_outgoing(t(10, 6), 10, "c", lease)
            .await
            .unwrap()
            .is_empty(),
        "b lives"
    );
    // Given back untried: claimable at once, still no attempt counted.
    store.release_outgoing(b).await.unwrap();
    let released = store
        .claim_outgoing(t(10, 6), 10, "b", lease)
        .await
        .unwrap();
    assert_eq!(
        released
            .iter()
            .map(|m| (m.id, m.attempts))
            .collect::<Vec<_>>(),
        [(b, 0)]
    );

    store.mark_sent(a, t(10, 7)).await.unwrap();
    store
        .mark_retry(b, "451 try later", t(11, 0))
        .await
        .unwrap();
    store.beat(&instance("b"), t(10, 30)).await.unwrap();
    assert!(
        store
            .claim_outgoing(t(10, 30), 10, "b", lease)
            .await
            .unwrap()
            .is_empty(),
        "retry not yet due"
    );
    let retried = store
        .claim_outgoing(t(11, 0), 10, "b", lease)
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (
            retried[0].id,
            retried[0].attempts,
            retried[0].last_error.as_deref()
        ),
        (b, 1, Some("451 try later"))
    );
    store
        .mark_failed(b, "550 no such user", t(11, 1))
        .await
        .unwrap();
    assert!(
        store.mark_retry(b, "x", t(12, 0)).await.is_err(),
        "a failed mail stays failed"
    );

    // The per-address caps count customer mail queued since an instant,
    // whatever became of it, by the address's key.
    let mut tx = store.begin().await.unwrap();
    tx.lock_address("Ole@Example.dk").await.unwrap();
    assert_eq!(
        tx.customer_mail_count("ole@example.dk", t(9, 0))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        tx.customer_mail_count("OLE@EXAMPLE.DK", t(9, 1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        tx.customer_mail_count("mette@bank.dk", t(9, 0))
            .await
            .unwrap(),
        1,
        "a failed mail counts too"
    );
    assert_eq!(
        tx.mail_to_times("x@example.dk", t(9, 0)).await.unwrap(),
        vec![t(12, 0)]
    );
    tx.rollback().await.unwrap();

    let for_case = store.outgoing_for_case(&reference(1)).await.unwrap();
    let states: Vec<_> = for_case.iter().map(|m| (m.id, m.state)).collect();
    assert_eq!(
        states,
        [(a, OutgoingState::Sent), (b, OutgoingState::Failed)]
    );
    assert_eq!(for_case[0].sent_at, Some(t(10, 7)));
    assert_eq!(
        (for_case[0].attempts, for_case[1].attempts),
        (1, 2),
        "each attempt counted once"
    );
    assert_eq!(store.queued_outgoing_count().await.unwrap(), 1);
    let last = store
        .claim_outgoing(t(12, 0), 10, "b", lease)
        .await
        .unwrap();
    assert_eq!(last.iter().map(|m| m.id).collect::<Vec<_>>(), [later]);
}

pub async fn outbox_claims_never_overlap(store: &Store) {
    store.beat(&instance("sender"), t(10, 0)).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for i in 0..40 {
        tx.enqueue(&mail(None, &format!("c{i}@example.dk"), t(9, 0)))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_outgoing(t(10, 0), 3, "sender", Duration::from_secs(60))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 40, "each mail claimed exactly once");
    assert_eq!(distinct.len(), 40);
}

/// What the flood guard reads and writes: mail from an address (with the
/// fingerprint's 64 bits intact), the withheld mail of an address summarised
/// once, and not again within the hour.
pub async fn floods_are_counted_and_summarised_once_an_hour(store: &Store) {
    insert(store, &sample_case(1, t(9, 0))).await;
    insert(store, &sample_case(2, t(9, 0))).await;
    let mut tx = store.begin().await.unwrap();
    let raw = b"From: ole@example.dk\r\n\r\nHej";
    let first = match tx
        .insert_inbound(&inbound("klage", "k1", "a@x", "s1", raw))
        .await
        .unwrap()
    {
        InboundInsert::New(id) => id,
        other => panic!("{other:?}"),
    };
    tx.insert_inbound(&inbound("klage", "k2", "b@x", "s2", raw))
        .await
        .unwrap();
    assert_eq!(
        tx.mail_count_from("OLE@example.dk", t(8, 0)).await.unwrap(),
        2
    );
    let others = tx
        .mail_from("ole@example.dk", t(8, 0), first)
        .await
        .unwrap();
    assert_eq!(others, vec![(t(9, 0), Some(u64::MAX - 1))]);
    assert_eq!(
        tx.mail_count_from("ole@example.dk", t(9, 1)).await.unwrap(),
        0
    );

    for n in [1, 2] {
        tx.record_withheld(
            &reference(n),
            "Ole@Example.dk",
            "customer_acknowledgement",
            "cap",
            t(9, n),
        )
        .await
        .unwrap();
    }
    assert!(
        tx.was_withheld(&reference(1), "customer_acknowledgement")
            .await
            .unwrap()
    );
    assert!(
        !tx.was_withheld(&reference(1), "staff_new_case")
            .await
            .unwrap()
    );
    assert_eq!(
        tx.floods_due(t(8, 0)).await.unwrap(),
        vec!["ole@example.dk".to_string()]
    );
    let pending = tx.unsummarized_withheld("ole@example.dk").await.unwrap();
    let cases: Vec<_> = pending.iter().map(|w| w.case_ref.clone()).collect();
    assert_eq!(cases, vec![reference(1), reference(2)]);
    tx.mark_flood_summarized("ole@example.dk", t(9, 5))
        .await
        .unwrap();
    assert!(
        tx.floods_due(t(8, 5)).await.unwrap().is_empty(),
        "nothing new"
    );
    tx.record_withheld(
        &reference(2),
        "ole@example.dk",
        "staff_new_case",
        "flood",
        t(9, 30),
    )
    .await
    .unwrap();
    assert!(
        tx.floods_due(t(8, 30)).await.unwrap().is_empty(),
        "the last summary is not an hour old"
    );
    assert_eq!(
        tx.floods_due(t(9, 5)).await.unwrap().len(),
        1,
        "an hour later"
    );
    assert_eq!(
        tx.unsummarized_withheld("ole@example.dk")
            .await
            .unwrap()
            .len(),
        1
    );
    tx.commit().await.unwrap();
}

/// The SMTP server is back: mail waiting for its own retry is due at once, mail
/// held by a sender is not touched.
pub async fn a_returning_server_makes_waiting_mail_due(store: &Store) {
    let lease = Duration::from_secs(30);
    store.beat(&instance("a"), t(10, 0)).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let waiting = tx
        .enqueue(&mail(None, "w@example.dk", t(9, 0)))
        .await
        .unwrap();
    let held = tx
        .enqueue(&mail(None, "h@example.dk", t(9, 1)))
        .await
        .unwrap();
    let fresh = tx
        .enqueue(&mail(None, "f@example.dk", t(11, 0)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let claimed = store.claim_outgoing(t(10, 0), 1, "a", lease).await.unwrap();
    assert_eq!(claimed[0].id, waiting);
    store
        .mark_retry(waiting, "connection refused", t(11, 0))
        .await
        .unwrap();
    let claimed = store.claim_outgoing(t(10, 0), 1, "a", lease).await.unwrap();
    assert_eq!(claimed[0].id, held);
    assert_eq!(store.retry_waiting_now(t(10, 0)).await.unwrap(), 1);
    let due = store
        .claim_outgoing(t(10, 0), 10, "a", lease)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(),
        [(waiting, 1)],
        "due at once; the held one stays held, the new one is not due yet"
    );
    let _ = fresh;
}
