//! The Maildir source of the embedded default: what it reads, where settled mail
//! goes in `own` and `watch` mode, and that waiting notices a new file.

use std::future::pending;
use std::time::Duration;

use klagebot::config::{Config, EMBEDDED_DEFAULT, MailboxMode};
use klagebot::daemon::{Daemon, RunOptions};
use klagebot::inbox::{Disposition, MaildirMailbox, Wakeup};
use klagebot::runtime::{Clock, channel};

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

#[tokio::test]
async fn a_persons_mail_stays_in_the_inbox_unread_and_arrival_is_the_delivery_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("maildir");
    let mut own = MaildirMailbox::open_path(&root, MailboxMode::Own).expect("create maildir");
    std::fs::write(
        root.join("new/1795000000.Q.host"),
        "Subject: q\r\n\r\nhow?\r\n",
    )
    .expect("w");
    let fetched = own.fetch_pending(10).expect("fetch");
    assert_eq!(
        fetched[0].arrived_at.map(|t| t.timestamp()),
        Some(1_795_000_000),
        "the delivery time in the file name"
    );
    own.settle("1795000000.Q.host", Disposition::LeftForPerson)
        .expect("left");
    assert!(
        root.join("cur/1795000000.Q.host:2,").exists(),
        "still in the inbox, in cur/, without the seen flag"
    );
    assert!(
        own.fetch_pending(10).expect("fetch").is_empty(),
        "settled once"
    );
}

/// The embedded default end to end (`klagebot run --once` on a Maildir): a
/// complaint delivered days ago counts from its delivery, a question stays in
/// the inbox for a person, and a restart handles neither again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_default_counts_from_delivery_and_leaves_questions_in_the_inbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("maildir");
    let config = embedded_config(dir.path());
    std::fs::create_dir_all(root.join("new")).expect("maildir");
    let delivered = chrono::Utc::now() - chrono::Duration::days(4);
    let name = |tag: &str| format!("{}.{tag}.host", delivered.timestamp());
    std::fs::write(
        root.join("new").join(name("C")),
        "From: Ole <ole@kunde.example>\r\nSubject: Klage over gebyr\r\nMessage-ID: <c1@kunde.example>\r\n\r\n\
         Jeg er meget utilfreds. I har trukket et gebyr to gange, og ingen svarer. Jeg vil have pengene tilbage.\r\n",
    )
    .expect("complaint");
    std::fs::write(
        root.join("new").join(name("Q")),
        "From: Ida <ida@kunde.example>\r\nSubject: Adgangskode\r\nMessage-ID: <q1@kunde.example>\r\n\r\n\
         Hej, hvordan faar jeg en ny adgangskode til netbanken?\r\n",
    )
    .expect("question");
    for _ in 0..2 {
        let daemon = Daemon::new(config.clone(), Clock::system())
            .await
            .expect("daemon");
        let (_trigger, shutdown) = channel();
        daemon
            .clone()
            .run(RunOptions { once: true }, shutdown)
            .await
            .expect("run --once");
        let cases = daemon
            .store
            .list_cases(&Default::default())
            .await
            .expect("cases");
        assert_eq!(cases.len(), 1, "one case, also after a second run");
        assert_eq!(cases[0].received_at.timestamp(), delivered.timestamp());
    }
    assert!(
        root.join("cur").join(format!("{}:2,", name("Q"))).exists(),
        "the question stays in the inbox"
    );
    assert!(
        !root.join("new").join(name("C")).exists()
            && !root.join("cur").join(format!("{}:2,", name("C"))).exists(),
        "the complaint moved on"
    );
}

/// The embedded default with its files (database, Maildir `maildir`, outgoing
/// folder `out`, token secret) in `dir`.
fn embedded_config(dir: &std::path::Path) -> Config {
    let text = EMBEDDED_DEFAULT
        .replace(
            "sqlite://klagebot.db",
            &format!("sqlite://{}", dir.join("k.db").display()),
        )
        .replace(
            "path = \"maildir\"",
            &format!("path = {:?}", dir.join("maildir").display().to_string()),
        )
        .replace(
            "path = \"outgoing\"",
            &format!("path = {:?}", dir.join("out").display().to_string()),
        )
        .replace(
            "token_secret_env = \"KLAGEBOT_TOKEN_SECRET\"",
            &format!(
                "token_secret_file = {:?}",
                dir.join("secret").display().to_string()
            ),
        );
    std::fs::write(dir.join("secret"), "a secret for the test").expect("secret");
    Config::from_toml(&text).expect("config")
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// A backlog is handled in groups of messages sharing a transaction: a mail
/// whose handling panics in the middle of a group is rolled back alone and
/// quarantined, every other mail of its group becomes a case, a mail delivered
/// twice opens one case, and a second run handles nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_commits_in_groups_and_a_failing_mail_is_quarantined_alone() {
    use klagebot::runtime::faults::{Stage, panic_at};

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("maildir");
    let config = embedded_config(dir.path());
    std::fs::create_dir_all(root.join("new")).expect("maildir");
    let marker = format!("POISON{}", std::process::id());
    // Rendering comes after the case is written: only a rollback undoes it.
    panic_at(Stage::Render, &marker, usize::MAX);
    let count = 250;
    let poisoned = [7, 130];
    for n in 0..count {
        let subject = match poisoned.contains(&n) {
            true => format!("Klage over gebyr {marker}"),
            false => "Klage over gebyr".to_string(),
        };
        let mail = format!(
            "From: Kunde {n} <kunde{n}@kunde.example>\r\nSubject: {subject}\r\nMessage-ID: <b{n}@kunde.example>\r\n\r\n\
             Jeg er meget utilfreds. I har trukket et gebyr to gange, og ingen svarer. Jeg vil have pengene tilbage.\r\n"
        );
        let file = root.join("new").join(format!("1795000{n:03}.B{n}.host"));
        std::fs::write(file, &mail).expect("mail");
        if n == 42 {
            // The same mail delivered a second time.
            let again = root.join("new").join(format!("1795000{n:03}.B{n}x.host"));
            std::fs::write(again, &mail).expect("mail again");
        }
    }
    for _ in 0..2 {
        let daemon = Daemon::new(config.clone(), Clock::system())
            .await
            .expect("daemon");
        let (_trigger, shutdown) = channel();
        daemon
            .clone()
            .run(RunOptions { once: true }, shutdown)
            .await
            .expect("run --once");
        let cases = daemon
            .store
            .list_cases(&Default::default())
            .await
            .expect("cases");
        assert_eq!(
            cases.len(),
            count - poisoned.len(),
            "one case per good mail"
        );
    }
    assert_eq!(files_in(&root.join(".klagebot.quarantine/cur")), 2);
    assert_eq!(
        files_in(&root.join(".klagebot.processed/cur")),
        count - poisoned.len() + 1,
        "the second copy is settled as handled"
    );
    assert_eq!(files_in(&root.join("new")) + files_in(&root.join("cur")), 0);
}

/// A fetch holds no more than `MAX_BATCH_BYTES` of mail (at least one message),
/// and says that more is waiting, so a backlog of large mail is read in several
/// bounded batches instead of all at once or not at all.
#[tokio::test]
async fn a_fetch_is_bounded_by_bytes_and_says_what_is_left() {
    use klagebot::inbox::MAX_BATCH_BYTES;

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("maildir");
    let mut own = MaildirMailbox::open_path(&root, MailboxMode::Own).expect("create maildir");
    let big = vec![b'x'; MAX_BATCH_BYTES * 3 / 5];
    for n in 0..3 {
        let mut mail = format!("Subject: big {n}\r\n\r\n").into_bytes();
        mail.extend_from_slice(&big);
        std::fs::write(root.join(format!("new/170000000{n}.B{n}.host")), mail).expect("w");
    }
    let first = own.fetch_pending(200).expect("fetch");
    assert_eq!(
        first.len(),
        2,
        "the second passes the bound and ends the batch"
    );
    assert_eq!(own.waiting(), 1);
    for message in &first {
        let klagebot::inbox::SourceKey::Maildir { file } = &message.key else {
            panic!("a Maildir key")
        };
        own.settle(file, Disposition::Handled { complaint: false })
            .expect("settle");
    }
    let second = own.fetch_pending(200).expect("fetch");
    assert_eq!(second.len(), 1);
    assert_eq!(own.waiting(), 0);
}
