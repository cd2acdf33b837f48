//! Group commit: several mails in one transaction, each behind a savepoint, so
//! that one rolled back leaves the others to commit.

use super::*;

pub async fn a_rolled_back_mail_leaves_the_others_of_its_transaction(store: &Store) {
    let raw = b"From: a@example.dk\r\nSubject: Klage\r\n\r\nHej".as_slice();
    let mut tx = store.begin().await.unwrap();
    tx.savepoint().await.unwrap();
    let first = tx
        .insert_inbound(&inbound("klage", "maildir:1.a", "<a@x>", "aa", raw))
        .await
        .unwrap();
    tx.release_savepoint().await.unwrap();
    tx.savepoint().await.unwrap();
    tx.insert_inbound(&inbound("klage", "maildir:2.b", "<b@x>", "bb", raw))
        .await
        .unwrap();
    tx.rollback_to_savepoint().await.unwrap();
    tx.release_savepoint().await.unwrap();
    // The rolled-back mail is not there: the same mail again is new.
    tx.savepoint().await.unwrap();
    let again = tx
        .insert_inbound(&inbound("klage", "maildir:2.b", "<b@x>", "bb", raw))
        .await
        .unwrap();
    tx.release_savepoint().await.unwrap();
    assert!(matches!(again, InboundInsert::New(_)), "{again:?}");
    // A mail twice in one group is stored once.
    tx.savepoint().await.unwrap();
    let twice = tx
        .insert_inbound(&inbound("klage", "maildir:1.a", "<a@x>", "aa", raw))
        .await
        .unwrap();
    tx.release_savepoint().await.unwrap();
    let InboundInsert::New(first_id) = first else {
        panic!("first insert must store: {first:?}")
    };
    assert_eq!(
        twice,
        InboundInsert::Duplicate(first_id, InboundStatus::Pending)
    );
    tx.commit().await.unwrap();
    let mut keys: Vec<String> = store
        .pending_inbound()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.source_key)
        .collect();
    keys.sort();
    assert_eq!(keys, vec!["maildir:1.a", "maildir:2.b"]);
}

pub async fn an_uncommitted_group_leaves_nothing(store: &Store) {
    let raw = b"From: a@example.dk\r\nSubject: Klage\r\n\r\nHej".as_slice();
    let mut tx = store.begin().await.unwrap();
    for n in 0..3 {
        tx.savepoint().await.unwrap();
        let key = format!("maildir:{n}.a");
        let mid = format!("<{n}@x>");
        let sha = format!("{n:02}");
        tx.insert_inbound(&inbound("klage", &key, &mid, &sha, raw))
            .await
            .unwrap();
        tx.release_savepoint().await.unwrap();
    }
    drop(tx);
    assert!(store.pending_inbound().await.unwrap().is_empty());
}
