//! The Maildir source of the embedded default: what it reads, where settled mail
//! goes in `own` and `watch` mode, and that waiting notices a new file.

use std::future::pending;
use std::time::Duration;

use klagebot::config::MailboxMode;
use klagebot::inbox::{Disposition, MaildirMailbox, Wakeup};

#[tokio::test]
async fn maildir_source_round_trip_in_own_and_watch_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("maildir");
    let mut own = MaildirMailbox::open_path(&root, MailboxMode::Own).expect("create maildir");
    std::fs::write(
        root.join("new/1700000001.A.host"),
        "Subject: one\r\n\r\nén\r\n",
    )
    .expect("w");
    std::fs::write(
        root.join("cur/1700000002.B.host:2,S"),
        "Subject: two\r\n\r\nto\r\n",
    )
    .expect("w");
    std::fs::write(root.join("tmp/1700000003.C.host"), "being written").expect("w");

    let pending = own.fetch_pending(10).expect("fetch");
    let keys: Vec<String> = pending.iter().map(|m| m.key.as_string()).collect();
    assert_eq!(keys.len(), 2, "tmp/ is never read: {keys:?}");
    assert!(
        keys.contains(&"maildir:1700000001.A.host".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"maildir:1700000002.B.host".to_string()),
        "{keys:?}"
    );

    own.settle(
        "1700000001.A.host",
        Disposition::Handled { complaint: true },
    )
    .expect("move");
    own.settle("1700000002.B.host", Disposition::Quarantined)
        .expect("quarantine");
    own.settle("1700000002.B.host", Disposition::Quarantined)
        .expect("settling twice is harmless");
    assert!(own.fetch_pending(10).expect("fetch").is_empty());
    let processed = root.join(".klagebot.processed/cur/1700000001.A.host:2,");
    assert_eq!(
        std::fs::read(processed).expect("moved, not deleted"),
        b"Subject: one\r\n\r\n\xc3\xa9n\r\n"
    );
    assert!(
        root.join(".klagebot.quarantine/cur/1700000002.B.host:2,S")
            .exists()
    );

    let watched_root = dir.path().join("watched");
    let mut watch = MaildirMailbox::open_path(&watched_root, MailboxMode::Watch).expect("create");
    std::fs::write(
        watched_root.join("new/1700000004.D.host"),
        "Subject: four\r\n\r\n",
    )
    .expect("w");
    let first = watch.fetch_pending(10).expect("fetch");
    watch
        .settle(
            "1700000004.D.host",
            Disposition::Handled { complaint: true },
        )
        .expect("settle");
    assert!(
        watch.fetch_pending(10).expect("fetch").is_empty(),
        "settled once is enough"
    );
    assert!(
        watched_root.join("new/1700000004.D.host").exists(),
        "watch mode leaves the file"
    );
    assert_eq!(first.len(), 1);
}

#[tokio::test]
async fn maildir_wait_notices_a_new_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let mailbox = MaildirMailbox::open_path(&root, MailboxMode::Own).expect("create");
    let writer = {
        let new = root.join("new/1700000005.E.host");
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            std::fs::write(new, "Subject: five\r\n\r\n").expect("write");
        })
    };
    let wakeup = mailbox
        .wait_for_new_mail(Duration::from_secs(30), pending())
        .await;
    writer.await.expect("writer");
    assert_eq!(wakeup, Wakeup::NewMail);
    let quiet = mailbox
        .wait_for_new_mail(Duration::from_millis(300), pending())
        .await;
    assert_eq!(quiet, Wakeup::Timeout);
}
