//! The store suite: every test runs twice, on SQLite (a fresh file) and on
//! PostgreSQL (a fresh database on `KLAGEBOT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`). PostgreSQL not answering is a
//! failure that says how to start it, never a silent skip.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use klagebot::case::{Case, Event, Outcome, Status, Tier};
use klagebot::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};
use klagebot::report::{self, RegisterRules};
use klagebot::store::{
    CaseFilter, Direction, InboundInsert, InboundStatus, NewInbound, NewOutgoing, OutgoingState,
    Store,
};

/// Runs `$test(&Store)` once per backend, each on a database of its own.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("klagebot.db").display());
                let store = klagebot::store::Store::connect(&url).await.expect("open SQLite");
                super::$test(&store).await;
                store.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let scratch = match klagebot::store::scratch::ScratchPostgres::create().await {
                    Ok(s) => s,
                    Err(e) => panic!("PostgreSQL is needed for this test: {e:#}"),
                };
                let store = klagebot::store::Store::connect(&scratch.url).await.expect("open PostgreSQL");
                super::$test(&store).await;
                scratch.drop_database(store).await.expect("drop the test database");
            }
        }
    )*};
}

on_both_backends!(
    inbound_mail_is_stored_once,
    mailbox_sync_state_round_trips,
    references_are_gapless_under_concurrent_writers,
    case_round_trips_and_filters,
    timeline_keeps_append_order,
    message_ids_thread_to_their_case,
    outbox_claims_lease_retries_and_fails,
    outbox_claims_never_overlap,
    deadlines_fire_once_under_concurrency,
    deadlines_move_cancel_and_stay_fired,
    mailbox_lease_has_one_holder,
    report_csv_opens_cleanly_in_a_spreadsheet,
);

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn reference(n: u32) -> CaseRef {
    CaseRef::new("KL", 2026, n).unwrap()
}

fn sample_case(n: u32, received_at: DateTime<Utc>) -> Case {
    Case {
        reference: reference(n),
        status: Status::Received,
        tier: Tier::ComplaintsDepartment,
        mailbox: "klage".into(),
        jurisdiction: Jurisdiction::Dk,
        language: Language::Da,
        category: None,
        customer: addr("Ole.Hansen@Example.dk"),
        customer_name: None,
        subject: "Gebyr".into(),
        contact: Some(addr("mette@bank.dk")),
        received_at,
        acknowledge_due: date(2026, 11, 25),
        answer_due: date(2026, 12, 11),
        final_due: date(2027, 1, 12),
        acknowledged_at: None,
        holding_reply_at: None,
        decided_at: None,
        outcome: None,
        closed_at: None,
        escalated_at: None,
        referred: false,
        related: vec![],
        customer_message_id: format!("<m{n}@example.dk>"),
        last_customer_message_id: format!("<m{n}@example.dk>"),
        next_message_seq: 1,
    }
}

async fn insert(store: &Store, case: &Case) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_case(case).await.unwrap();
    tx.commit().await.unwrap();
}

fn inbound<'a>(mailbox: &'a str, key: &str, mid: &str, sha: &str, raw: &'a [u8]) -> NewInbound<'a> {
    NewInbound {
        mailbox,
        source_key: key.into(),
        message_id: mid.into(),
        sha256: sha.into(),
        raw,
        received_at: t(9, 0),
    }
}

async fn inbound_mail_is_stored_once(store: &Store) {
    let raw = b"From: a@example.dk\r\nSubject: Klage\r\n\r\nHej".as_slice();
    let first = store
        .insert_inbound(&inbound("klage", "imap:7:1", "<a@x>", "aa", raw))
        .await
        .unwrap();
    let InboundInsert::New(id) = first else {
        panic!("first insert must store: {first:?}")
    };
    // The same UID again (a re-fetch after a crash) and the same mail in another mailbox.
    let again = store
        .insert_inbound(&inbound("klage", "imap:7:1", "<a@x>", "aa", raw))
        .await
        .unwrap();
    let elsewhere = store
        .insert_inbound(&inbound("helpdesk", "imap:3:9", "<a@x>", "aa", raw))
        .await
        .unwrap();
    assert_eq!(again, InboundInsert::Duplicate(id, InboundStatus::Pending));
    assert_eq!(
        elsewhere,
        InboundInsert::Duplicate(id, InboundStatus::Pending)
    );
    // Same Message-ID with other content is another mail; so is other content without one.
    let other = store
        .insert_inbound(&inbound("klage", "imap:7:2", "<a@x>", "bb", b"x"))
        .await
        .unwrap();
    let no_mid = store
        .insert_inbound(&inbound("klage", "maildir:123.abc", "", "cc", b"y"))
        .await
        .unwrap();
    assert!(matches!(other, InboundInsert::New(o) if o != id));
    assert!(matches!(no_mid, InboundInsert::New(_)));

    let pending: Vec<i64> = store
        .pending_inbound()
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(pending.len(), 3);
    store
        .set_inbound_status(id, InboundStatus::Processed, None, None)
        .await
        .unwrap();
    let InboundInsert::New(other_id) = other else {
        unreachable!()
    };
    store
        .set_inbound_status(other_id, InboundStatus::Quarantined, Some("no From"), None)
        .await
        .unwrap();
    let again = store
        .insert_inbound(&inbound("klage", "imap:7:1", "<a@x>", "aa", raw))
        .await
        .unwrap();
    assert_eq!(
        again,
        InboundInsert::Duplicate(id, InboundStatus::Processed)
    );
    let pending = store.pending_inbound().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].source_key, "maildir:123.abc");
    assert_eq!(store.inbound_raw(id).await.unwrap().as_deref(), Some(raw));
    assert_eq!(store.inbound_raw(999_999).await.unwrap(), None);
    assert!(
        store
            .set_inbound_status(999_999, InboundStatus::Ignored, None, None)
            .await
            .is_err()
    );
}

async fn mailbox_sync_state_round_trips(store: &Store) {
    assert_eq!(store.sync_state("klage").await.unwrap(), None);
    store.set_sync_state("klage", u32::MAX, 41).await.unwrap();
    store.set_sync_state("klage", u32::MAX, 42).await.unwrap();
    let state = store.sync_state("klage").await.unwrap().unwrap();
    assert_eq!((state.uidvalidity, state.last_uid), (u32::MAX, 42));
    assert_eq!(store.sync_state("helpdesk").await.unwrap(), None);
}

async fn references_are_gapless_under_concurrent_writers(store: &Store) {
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

async fn case_round_trips_and_filters(store: &Store) {
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

async fn timeline_keeps_append_order(store: &Store) {
    insert(store, &sample_case(1, t(9, 0))).await;
    let events = vec![
        (
            t(9, 0),
            Event::Opened {
                message_id: "<m1@x>".into(),
                from: addr("a@x.dk"),
                subject: "Gebyr æøå".into(),
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

async fn message_ids_thread_to_their_case(store: &Store) {
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

async fn outbox_claims_lease_retries_and_fails(store: &Store) {
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

async fn outbox_claims_never_overlap(store: &Store) {
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

async fn deadlines_fire_once_under_concurrency(store: &Store) {
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

async fn deadlines_move_cancel_and_stay_fired(store: &Store) {
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

async fn mailbox_lease_has_one_holder(store: &Store) {
    let ttl = Duration::from_secs(60);
    assert!(
        store
            .try_lease_mailbox("klage", "a", t(9, 0), ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease_mailbox("klage", "b", t(9, 0), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_lease_mailbox("helpdesk", "b", t(9, 0), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .renew_mailbox_lease("klage", "a", t(9, 0), ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease_mailbox("klage", "b", t(9, 0), ttl)
            .await
            .unwrap()
    );
    // a stopped renewing: after its lease ran out, b takes over and a learns it lost it.
    assert!(
        store
            .try_lease_mailbox("klage", "b", t(9, 2), ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .renew_mailbox_lease("klage", "a", t(9, 2), ttl)
            .await
            .unwrap()
    );
    store.release_mailbox_lease("klage", "b").await.unwrap();
    assert!(
        store
            .try_lease_mailbox("klage", "a", t(9, 2), ttl)
            .await
            .unwrap()
    );
}

async fn report_csv_opens_cleanly_in_a_spreadsheet(store: &Store) {
    let mut tricky = sample_case(1, t(9, 0));
    tricky.subject = "Gebyr på kort, \"ekstra\"; æøå ÆØÅ\nanden linje".into();
    tricky.customer_name = Some("Søren Ærø".into());
    tricky.category = Some(Category::Fees);
    insert(store, &tricky).await;
    let mut formula = sample_case(2, t(9, 5));
    formula.subject = "=HYPERLINK(\"http://x\")".into();
    insert(store, &formula).await;

    let cases = store
        .cases_received_between(t(0, 0), t(23, 59))
        .await
        .unwrap();
    let names = HashMap::from([("mette@bank.dk".to_string(), "Mette Jensen".to_string())]);
    let rules = RegisterRules {
        answer_within_days: 15,
        final_answer_within_days: 35,
        today: date(2026, 11, 20),
        days_between: &|_, a: NaiveDate, b: NaiveDate| (b - a).num_days(),
        staff_names: &names,
    };
    let register = report::build_register(&cases, date(2026, 11, 1), date(2026, 11, 30), &rules);
    let mut out = Vec::new();
    report::csv::write_register(&register, &mut out).unwrap();
    let text = String::from_utf8(out).expect("UTF-8");
    let body = text
        .strip_prefix('\u{feff}')
        .expect("a byte order mark for Excel");
    let records = parse_csv(body);
    assert_eq!(records.len(), 3, "one header row and two cases: {body}");
    assert_eq!(records[0], report::csv::HEADER.map(String::from).to_vec());
    assert!(records.iter().all(|r| r.len() == report::csv::HEADER.len()));
    let column = |name: &str| report::csv::HEADER.iter().position(|h| *h == name).unwrap();
    assert_eq!(records[1][column("subject")], tricky.subject);
    assert_eq!(
        records[1][column("customer")],
        "Søren Ærø <Ole.Hansen@example.dk>"
    );
    assert_eq!(
        records[1][column("received")],
        "2026-11-20 10:00",
        "Copenhagen time"
    );
    assert_eq!(
        records[1][column("contact_person")],
        "Mette Jensen <mette@bank.dk>"
    );
    assert_eq!(records[2][column("subject")], "'=HYPERLINK(\"http://x\")");
    assert!(body.contains("\"Gebyr på kort, \"\"ekstra\"\"; æøå ÆØÅ\nanden linje\""));
    assert!(body.ends_with("\r\n"));
}

/// A strict RFC 4180 reader, to check what a spreadsheet will see.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => {
                assert!(
                    c != '"' && c != '\n' && c != '\r',
                    "bare {c:?} outside quotes"
                );
                field.push(c);
            }
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "unterminated record"
    );
    records
}
