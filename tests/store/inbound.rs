//! Inbound mail stored once, mailbox sync state and mailbox leases.

use super::*;

pub async fn inbound_mail_is_stored_once(store: &Store) {
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

pub async fn mailbox_sync_state_round_trips(store: &Store) {
    assert_eq!(store.sync_state("klage").await.unwrap(), None);
    store.set_sync_state("klage", u32::MAX, 41).await.unwrap();
    store.set_sync_state("klage", u32::MAX, 42).await.unwrap();
    let state = store.sync_state("klage").await.unwrap().unwrap();
    assert_eq!((state.uidvalidity, state.last_uid), (u32::MAX, 42));
    assert_eq!(store.sync_state("helpdesk").await.unwrap(), None);
}
pub async fn mailbox_lease_has_one_holder(store: &Store) {
    let ttl = Duration::from_secs(60);
    for holder in ["a", "b"] {
        store.beat(&instance(holder), t(9, 0)).await.unwrap();
    }
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
    store.beat(&instance("a"), t(9, 2)).await.unwrap();
    store.beat(&instance("b"), t(9, 2)).await.unwrap();
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

/// An instance row as a test holder beats it (on no real host).
pub fn instance(holder: &str) -> klagebot::store::InstanceRow {
    klagebot::store::InstanceRow {
        holder: holder.into(),
        host: "test-host".into(),
        boot_id: "test-boot".into(),
        pid: 1,
        started: 1,
    }
}

/// A lease holder that stops beating, or is forgotten as dead, holds nothing:
/// another instance takes its mailbox at once, not when its lease runs out.
pub async fn a_dead_holder_loses_its_mailbox_at_once(store: &Store) {
    let ttl = Duration::from_secs(90);
    let at = |s: i64| t(9, 0) + chrono::Duration::seconds(s);
    store.beat(&instance("a"), at(0)).await.unwrap();
    store.beat(&instance("b"), at(0)).await.unwrap();
    assert!(
        store
            .try_lease_mailbox("klage", "a", at(0), ttl)
            .await
            .unwrap()
    );
    store.beat(&instance("a"), at(2)).await.unwrap();
    store.beat(&instance("b"), at(2)).await.unwrap();
    assert!(
        !store
            .try_lease_mailbox("klage", "b", at(4), ttl)
            .await
            .unwrap(),
        "a beat 2 s ago: it holds the mailbox"
    );
    assert!(store.instance_is_live("a", at(4)).await.unwrap());
    // a was killed after its beat at 2 s: from 5 s on its lease is free.
    store.beat(&instance("b"), at(5)).await.unwrap();
    assert!(!store.instance_is_live("a", at(6)).await.unwrap());
    assert!(
        store
            .try_lease_mailbox("klage", "b", at(6), ttl)
            .await
            .unwrap(),
        "a stopped beating: b takes over long before the 90 s lease runs out"
    );
    assert!(
        !store
            .renew_mailbox_lease("klage", "a", at(6), ttl)
            .await
            .unwrap()
    );

    // b's process is found gone (same host, restarted): forgotten, its lease is free at once.
    store.beat(&instance("c"), at(6)).await.unwrap();
    assert!(
        !store
            .try_lease_mailbox("klage", "c", at(6), ttl)
            .await
            .unwrap()
    );
    store.forget_instance("b").await.unwrap();
    assert!(
        store
            .try_lease_mailbox("klage", "c", at(6), ttl)
            .await
            .unwrap()
    );
    let on_host = store.instances_on_host("test-host").await.unwrap();
    let holders: BTreeSet<String> = on_host.into_iter().map(|i| i.holder).collect();
    assert_eq!(holders, BTreeSet::from(["a".to_string(), "c".to_string()]));
    assert_eq!(
        store.forget_instances_silent_since(at(3)).await.unwrap(),
        1,
        "a, silent since 2 s"
    );
}
