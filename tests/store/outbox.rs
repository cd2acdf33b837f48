//! The outbox: claims, leases, retries, failures and the rate-limit count.

use super::*;

fn mail(case: Option<CaseRef>, to: &str, not_before: DateTime<Utc>) -> NewOutgoing {
    NewOutgoing {
        case_ref: case,
        kind: "acknowledgement".into(),
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

    let claimed = store.claim_outgoing(t(10, 0), 10, lease).await.unwrap();
    assert_eq!(
        claimed.iter().map(|m| m.id).collect::<Vec<_>>(),
        [a, b],
        "due ones, oldest first"
    );
    assert_eq!(claimed[0].recipients, ["Ole@Example.dk"]);
    assert_eq!(claimed[0].attempts, 1);
    assert!(
        store
            .claim_outgoing(t(10, 1), 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );

    // The sender died: once the lease runs out the mail is claimed again.
    let again = store.claim_outgoing(t(10, 6), 10, lease).await.unwrap();
    assert_eq!(
        again.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(),
        [(a, 2), (b, 2)]
    );

    store.mark_sent(a, t(10, 7)).await.unwrap();
    store
        .mark_retry(b, "451 try later", t(11, 0))
        .await
        .unwrap();
    assert!(
        store
            .claim_outgoing(t(10, 30), 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "retry not yet due"
    );
    let retried = store.claim_outgoing(t(11, 0), 10, lease).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0].id, retried[0].last_error.as_deref()),
        (b, Some("451 try later"))
    );
    store
        .mark_failed(b, "550 no such user", t(11, 1))
        .await
        .unwrap();
    assert!(
        store.mark_retry(b, "x", t(12, 0)).await.is_err(),
        "a failed mail stays failed"
    );

    assert_eq!(
        store
            .sent_count_to("ole@example.dk", t(9, 0))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .sent_count_to("OLE@EXAMPLE.DK", t(10, 8))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.sent_count_to("mette@bank.dk", t(9, 0)).await.unwrap(),
        0
    );

    let for_case = store.outgoing_for_case(&reference(1)).await.unwrap();
    let states: Vec<_> = for_case.iter().map(|m| (m.id, m.state)).collect();
    assert_eq!(
        states,
        [(a, OutgoingState::Sent), (b, OutgoingState::Failed)]
    );
    assert_eq!(for_case[0].sent_at, Some(t(10, 7)));
    assert_eq!(store.queued_outgoing_count().await.unwrap(), 1);
    let last = store.claim_outgoing(t(12, 0), 10, lease).await.unwrap();
    assert_eq!(last.iter().map(|m| m.id).collect::<Vec<_>>(), [later]);
}

pub async fn outbox_claims_never_overlap(store: &Store) {
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
                    .claim_outgoing(t(10, 0), 3, Duration::from_secs(60))
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
