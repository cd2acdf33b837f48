//! References, cases, the timeline and the Message-ID index.

use super::*;

pub async fn references_are_gapless_under_concurrent_writers(store: &Store) {
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..8 {
                let mut tx = store.begin().await.unwrap();
                let r = tx.allocate_reference("KL", 2026).await.unwrap();
                tx.insert_case(&sample_case(r.number(), t(10, 0)))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                got.push(r.number());
            }
            got
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    assert_eq!(
        all,
        (1..=48).collect::<Vec<u32>>(),
        "no gaps, no duplicates"
    );

    // A rolled-back transaction gives its number back; other years count apart.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.allocate_reference("KL", 2026).await.unwrap().number(),
        49
    );
    tx.rollback().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.allocate_reference("kl", 2026).await.unwrap().to_string(),
        "KL-2026-000049"
    );
    assert_eq!(
        tx.allocate_reference("KL", 2027).await.unwrap().to_string(),
        "KL-2027-000001"
    );
    tx.commit().await.unwrap();
}

pub async fn case_round_trips_and_filters(store: &Store) {
    let mut full = sample_case(1, t(9, 30));
    full.status = Status::Decided;
    full.tier = Tier::ComplaintsManager;
    full.category = Some(Category::Card);
    full.customer_name = Some("Åse Ødegård".into());
    full.subject = "Kort spærret – \"igen\", æøå".into();
    full.acknowledged_at = Some(t(9, 31));
    full.holding_reply_at = Some(t(11, 0));
    full.decided_at = Some(t(12, 0));
    full.outcome = Some(Outcome::PartiallyUpheld);
    full.escalated_at = Some(t(10, 0));
    full.referred = true;
    full.related = vec![reference(7), reference(8)];
    full.next_message_seq = 4;
    insert(store, &full).await;
    assert_eq!(store.case(&reference(1)).await.unwrap(), Some(full.clone()));

    let open = sample_case(2, t(8, 0));
    let mut overdue = sample_case(3, t(7, 0));
    overdue.answer_due = date(2026, 11, 1);
    overdue.contact = Some(addr("Mette@Bank.dk"));
    insert(store, &open).await;
    insert(store, &overdue).await;

    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.insert_case(&open).await.is_err(),
        "a reference is stored once"
    );
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.update_case(&sample_case(99, t(1, 0))).await.is_err(),
        "update needs a stored case"
    );
    drop(tx);

    let refs = |cases: Vec<Case>| {
        cases
            .into_iter()
            .map(|c| c.reference.number())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        refs(store.list_cases(&CaseFilter::default()).await.unwrap()),
        [3, 2, 1]
    );
    let open_only = CaseFilter {
        open_only: true,
        ..Default::default()
    };
    assert_eq!(refs(store.list_cases(&open_only).await.unwrap()), [3, 2]);
    let overdue_on = CaseFilter {
        overdue_on: Some(date(2026, 11, 20)),
        ..Default::default()
    };
    assert_eq!(refs(store.list_cases(&overdue_on).await.unwrap()), [3]);
    let due_by = CaseFilter {
        due_by: Some(date(2026, 12, 11)),
        ..Default::default()
    };
    assert_eq!(refs(store.list_cases(&due_by).await.unwrap()), [3, 2]);
    let per_contact = store.open_cases_per_contact().await.unwrap();
    assert_eq!(
        per_contact,
        HashMap::from([("mette@bank.dk".to_string(), 2)])
    );

    let mut closed = open.clone();
    closed.status = Status::Closed;
    closed.closed_at = Some(t(13, 0));
    let mut tx = store.begin().await.unwrap();
    tx.update_case(&closed).await.unwrap();
    assert_eq!(tx.case(&reference(2)).await.unwrap(), Some(closed.clone()));
    tx.commit().await.unwrap();
    assert_eq!(store.case(&reference(2)).await.unwrap(), Some(closed));
    assert_eq!(
        store
            .open_cases_per_contact()
            .await
            .unwrap()
            .get("mette@bank.dk"),
        Some(&1)
    );
    assert_eq!(store.case(&reference(42)).await.unwrap(), None);
}

pub async fn timeline_keeps_append_order(store: &Store) {
    insert(store, &sample_case(1, t(9, 0))).await;
    let events = vec![
        (
            t(9, 0),
            Event::Opened {
                message_id: "<m1@x>".into(),
                from: addr("a@x.dk"),
                subject: "Gebyr æøå".into(),
                by: None,
            },
        ),
        (
            t(9, 1),
            Event::AcknowledgementSent {
                message_id: "<case-KL-2026-000001.1@bank.dk>".into(),
            },
        ),
        // Appended later but stamped earlier (a clock step): the append order is the truth.
        (
            t(8, 59),
            Event::Note {
                by: addr("mette@bank.dk"),
                text: "Ringede til kunden".into(),
            },
        ),
        (
            t(10, 0),
            Event::HoldingReply {
                reason: "Afventer kortudsteder".into(),
                new_due: date(2027, 1, 12),
                by: None,
            },
        ),
        (
            t(11, 0),
            Event::Decided {
                outcome: Outcome::Rejected,
                by: addr("mette@bank.dk"),
                referred: true,
            },
        ),
    ];
    let mut tx = store.begin().await.unwrap();
    let mut ids = Vec::new();
    for (at, e) in &events {
        ids.push(tx.append_event(&reference(1), *at, e).await.unwrap());
    }
    tx.commit().await.unwrap();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow: {ids:?}");
    assert_eq!(store.timeline(&reference(1)).await.unwrap(), events);
    assert!(store.timeline(&reference(2)).await.unwrap().is_empty());

    let mut tx = store.begin().await.unwrap();
    let orphan = tx.append_event(&reference(2), t(9, 0), &events[1].1).await;
    assert!(orphan.is_err(), "events belong to a stored case");
}

pub async fn message_ids_thread_to_their_case(store: &Store) {
    insert(store, &sample_case(1, t(9, 0))).await;
    insert(store, &sample_case(2, t(9, 0))).await;
    let mut tx = store.begin().await.unwrap();
    tx.record_message_id("<m1@example.dk>", &reference(1), Direction::In)
        .await
        .unwrap();
    tx.record_message_id(
        "<case-KL-2026-000001.1@bank.dk>",
        &reference(1),
        Direction::Out,
    )
    .await
    .unwrap();
    // A second claim on the same id does not move it to another case.
    tx.record_message_id("<m1@example.dk>", &reference(2), Direction::In)
        .await
        .unwrap();
    assert_eq!(
        tx.case_for_message_id("<m1@example.dk>").await.unwrap(),
        Some(reference(1))
    );
    tx.commit().await.unwrap();
    let out = store
        .case_for_message_id("<case-KL-2026-000001.1@bank.dk>")
        .await
        .unwrap();
    assert_eq!(out, Some(reference(1)));
    assert_eq!(
        store.case_for_message_id("<unknown@x>").await.unwrap(),
        None
    );
}

pub async fn writers_of_one_case_take_turns(store: &Store) {
    insert(store, &sample_case(1, t(9, 0))).await;
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let mut case = tx.case(&reference(1)).await.unwrap().unwrap();
            tokio::time::sleep(Duration::from_millis(150)).await;
            case.subject.push_str(" A");
            tx.update_case(&case).await.unwrap();
            tx.commit().await.unwrap();
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Begins while the first writer holds the case: must see its change, not overwrite it.
    let mut tx = store.begin().await.unwrap();
    let mut case = tx.case(&reference(1)).await.unwrap().unwrap();
    case.subject.push_str(" B");
    tx.update_case(&case).await.unwrap();
    tx.commit().await.unwrap();
    first.await.unwrap();
    assert_eq!(
        store.case(&reference(1)).await.unwrap().unwrap().subject,
        "Gebyr A B"
    );
}

/// Two writers that lock two cases in opposite order: PostgreSQL breaks the
/// deadlock by failing one (which `is_transient` says to run again), SQLite
/// queues them; either way, after the retry both changes are there.
pub async fn crossed_writers_are_told_to_retry(store: &Store) {
    insert(store, &sample_case(1, t(9, 0))).await;
    insert(store, &sample_case(2, t(9, 0))).await;
    let writer = |first: u32, second: u32, delay: u64| {
        let store = store.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let mut tx = store.begin().await?;
            let mut a = tx.case(&reference(first)).await?.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut b = tx.case(&reference(second)).await?.unwrap();
            a.subject.push_str(&format!(" {first}{second}"));
            b.subject.push_str(&format!(" {first}{second}"));
            tx.update_case(&a).await?;
            tx.update_case(&b).await?;
            tx.commit().await
        }
    };
    let (one, two) = tokio::join!(writer(1, 2, 0), writer(2, 1, 20));
    let mut retried = 0;
    for (result, (first, second)) in [(one, (1, 2)), (two, (2, 1))] {
        if let Err(err) = result {
            assert!(
                klagebot::store::is_transient(&err),
                "not retryable: {err:#}"
            );
            writer(first, second, 0).await.expect("the retry succeeds");
            retried += 1;
        }
    }
    let expected = if store.backend() == "postgres" { 1 } else { 0 };
    assert_eq!(
        retried, expected,
        "PostgreSQL fails one writer, SQLite queues them"
    );
    for n in [1, 2] {
        let subject = store.case(&reference(n)).await.unwrap().unwrap().subject;
        assert!(
            subject.contains(" 12") && subject.contains(" 21"),
            "{subject}"
        );
    }
}

pub async fn corrections_keep_labels_and_features(store: &Store) {
    use klagebot::classify::training::Correction;
    insert(store, &sample_case(1, t(9, 0))).await;
    let raw =
        b"Message-ID: <m1@example.dk>\r\nSubject: Gebyr\r\n\r\nI har trukket gebyret to gange.\r\n";
    let mut tx = store.begin().await.unwrap();
    tx.insert_inbound(&inbound("klage", "1", "m1@example.dk", "aa", raw))
        .await
        .unwrap();
    assert_eq!(
        tx.inbound_raw_by_message_id("m1@example.dk")
            .await
            .unwrap()
            .as_deref(),
        Some(&raw[..])
    );
    assert_eq!(
        tx.inbound_raw_by_message_id("m2@example.dk").await.unwrap(),
        None
    );
    let features = vec!["w:gebyret".to_string(), "b:to gange".to_string()];
    tx.record_correction(
        &reference(1),
        Correction::Category(Category::Fees),
        &features,
        "v",
        t(9, 5),
    )
    .await
    .unwrap();
    tx.record_correction(
        &reference(1),
        Correction::NotComplaint,
        &features,
        "v",
        t(9, 6),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let stored = store.corrections().await.unwrap();
    let labels: Vec<Correction> = stored.iter().map(|c| c.correction).collect();
    assert_eq!(
        labels,
        [
            Correction::Category(Category::Fees),
            Correction::NotComplaint
        ]
    );
    assert!(
        stored
            .iter()
            .all(|c| c.features == features && c.feature_set == "v")
    );
    assert_eq!(stored[1].at, t(9, 6));
    assert_eq!(stored[0].case_ref, reference(1));
}
