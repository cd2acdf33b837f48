//! Mail in and out against the real loopback servers (`scripts/mail-servers`):
//! Postfix → Dovecot delivery, the IMAP source in both modes and over both kinds
//! of TLS, IDLE, and the SMTP transport through submission.

mod support;

use std::future::pending;
use std::time::Duration;

use klagebot::config::Mailbox;
use klagebot::domain::EmailAddress;
use klagebot::inbox::{
    Disposition, ImapMailbox, InboxError, RawMessage, Source, SourceKey, Wakeup,
};
use klagebot::smtp::Transport;
use support::{TestUser, closed_port, mail_servers, simple_mail};

const WAIT: Duration = Duration::from_secs(15);

fn uid(message: &RawMessage) -> u32 {
    match message.key {
        SourceKey::Imap { uid, .. } => uid,
        SourceKey::Maildir { .. } => panic!("an IMAP source gave a Maildir key"),
    }
}

fn text(message: &RawMessage) -> String {
    String::from_utf8_lossy(&message.bytes).into_owned()
}

/// A user with `count` mails already delivered, subjects "mail 1", "mail 2", ….
fn user_with_mail(prefix: &str, count: usize) -> TestUser {
    let servers = mail_servers();
    let user = servers.new_user(prefix);
    for n in 1..=count {
        let body = format!("Dette er brev nummer {n}. Venlig hilsen Åse Ødegård");
        servers.send_mail(
            "kunde@customer.test",
            &user.address,
            &format!("mail {n}"),
            &body,
        );
    }
    servers.wait_for_messages(&user, "INBOX", count, WAIT);
    user
}

#[test]
fn postfix_delivers_mail_for_any_test_address_into_dovecot() {
    let servers = mail_servers();
    let user = servers.new_user("delivery");
    let plus = user.address.replacen('@', "+KL-2026-000001.token@", 1);
    servers.send_mail(
        "kunde@customer.test",
        &user.address,
        "Klage over gebyr",
        "Hej",
    );
    servers.send_mail(
        "kunde@customer.test",
        &plus,
        "Svar via plusadresse",
        "Hej igen",
    );
    let messages = servers.wait_for_messages(&user, "INBOX", 2, WAIT);
    let subjects: Vec<String> = messages.iter().map(|m| m.text()).collect();
    assert!(
        subjects[0].contains("Subject: Klage over gebyr"),
        "{}",
        subjects[0]
    );
    assert!(
        subjects[1].contains("Subject: Svar via plusadresse"),
        "{}",
        subjects[1]
    );
}

#[tokio::test]
async fn watch_mode_over_starttls_fetches_after_a_uid_and_never_marks_mail_read() {
    let servers = mail_servers();
    let user = user_with_mail("watch", 2);
    let cfg = servers.imap_mailbox(&user, "starttls", "watch");
    let mut mailbox = ImapMailbox::connect(&cfg)
        .await
        .expect("connect over STARTTLS");
    assert_ne!(mailbox.uidvalidity(), 0);

    let all = mailbox.fetch_after(0, 10).await.expect("fetch all");
    assert_eq!(all.len(), 2);
    assert!(text(&all[0]).contains("Subject: mail 1"));
    assert!(
        text(&all[1]).contains("Ødegård"),
        "raw 8-bit bytes come back unchanged"
    );
    let after_first = mailbox
        .fetch_after(uid(&all[0]), 10)
        .await
        .expect("fetch rest");
    assert_eq!(after_first, vec![all[1].clone()]);
    assert!(
        mailbox
            .fetch_after(uid(&all[1]), 10)
            .await
            .expect("fetch none")
            .is_empty()
    );

    mailbox
        .settle(uid(&all[0]), Disposition::Handled { complaint: true })
        .await
        .expect("tag");
    mailbox
        .settle(uid(&all[1]), Disposition::Handled { complaint: false })
        .await
        .expect("no tag");
    mailbox
        .settle(uid(&all[1]), Disposition::Quarantined)
        .await
        .expect("watch never moves");

    let seen_by_people = servers.messages(&user, "INBOX");
    assert_eq!(seen_by_people.len(), 2, "watch mode moves nothing");
    assert!(
        seen_by_people.iter().all(|m| !m.has_flag("\\Seen")),
        "{seen_by_people:?}"
    );
    assert!(seen_by_people[0].has_flag("klagebot_complaint"));
    assert!(!seen_by_people[1].has_flag("klagebot_complaint"));
}

#[tokio::test]
async fn mail_delivered_while_connected_is_found_by_polling() {
    let servers = mail_servers();
    let user = servers.new_user("poll");
    let cfg = servers.imap_mailbox(&user, "starttls", "watch");
    let mut mailbox = ImapMailbox::connect(&cfg).await.expect("connect");
    assert!(mailbox.fetch_after(0, 10).await.expect("empty").is_empty());
    servers.send_mail("kunde@customer.test", &user.address, "arrived later", "Hej");
    servers.wait_for_messages(&user, "INBOX", 1, WAIT);
    let fetched = mailbox
        .fetch_after(0, 10)
        .await
        .expect("fetch without IDLE");
    assert_eq!(
        fetched.len(),
        1,
        "a poll must see mail that arrived after SELECT"
    );
    assert!(text(&fetched[0]).contains("Subject: arrived later"));
}

#[tokio::test]
async fn implicit_tls_with_the_test_ca_fetches_oldest_first_within_the_limit() {
    let servers = mail_servers();
    let user = user_with_mail("imaps", 3);
    let cfg = servers.imap_mailbox(&user, "implicit", "watch");
    let mut source = Source::open(&cfg).await.expect("connect with implicit TLS");
    let validity = source.uidvalidity().expect("IMAP has a UIDVALIDITY");
    let batch = source.fetch(0, 2).await.expect("fetch");
    assert_eq!(batch.len(), 2);
    assert!(text(&batch[0]).contains("Subject: mail 1"));
    assert!(text(&batch[1]).contains("Subject: mail 2"));
    assert!(matches!(batch[0].key, SourceKey::Imap { uidvalidity, .. } if uidvalidity == validity));
    let rest = source.fetch(uid(&batch[1]), 2).await.expect("fetch rest");
    assert_eq!(rest.len(), 1);
    assert!(text(&rest[0]).contains("Subject: mail 3"));

    let stale = SourceKey::Imap {
        uidvalidity: validity.wrapping_add(1),
        uid: uid(&rest[0]),
    };
    let err = source
        .settle(&stale, Disposition::Ignored)
        .await
        .expect_err("stale key");
    assert!(
        matches!(err, InboxError::UidValidityChanged { .. }),
        "{err}"
    );
    source.close().await;
}

#[tokio::test]
async fn own_mode_moves_mail_into_folders_it_creates() {
    let servers = mail_servers();
    let user = user_with_mail("own", 3);
    let cfg = servers.imap_mailbox(&user, "starttls", "own");
    let mut mailbox = ImapMailbox::connect(&cfg).await.expect("connect");
    let folders = servers.folders(&user);
    assert!(
        folders.contains(&"klagebot.processed".to_string()),
        "{folders:?}"
    );
    assert!(
        folders.contains(&"klagebot.quarantine".to_string()),
        "{folders:?}"
    );

    let mail = mailbox.fetch_after(0, 10).await.expect("fetch");
    mailbox
        .settle(uid(&mail[0]), Disposition::Handled { complaint: true })
        .await
        .expect("move");
    mailbox
        .settle(uid(&mail[1]), Disposition::Ignored)
        .await
        .expect("move");
    mailbox
        .settle(uid(&mail[2]), Disposition::Quarantined)
        .await
        .expect("quarantine");

    assert!(servers.messages(&user, "INBOX").is_empty());
    let processed = servers.messages(&user, "klagebot.processed");
    let quarantined = servers.messages(&user, "klagebot.quarantine");
    assert_eq!(processed.len(), 2);
    assert_eq!(quarantined.len(), 1);
    assert_eq!(processed[0].bytes, mail[0].bytes, "moved, not altered");
    assert!(quarantined[0].text().contains("Subject: mail 3"));

    // A second connection finds the folders and does not trip over them.
    ImapMailbox::connect(&cfg)
        .await
        .expect("reconnect with existing folders");
}

#[tokio::test]
async fn idle_wakes_on_delivery_and_shutdown_interrupts_it() {
    let servers = mail_servers();
    let user = servers.new_user("idle");
    let cfg = servers.imap_mailbox(&user, "implicit", "watch");
    let mut mailbox = ImapMailbox::connect(&cfg).await.expect("connect");
    assert!(mailbox.has_idle(), "Dovecot offers IDLE");
    assert!(mailbox.fetch_after(0, 10).await.expect("empty").is_empty());

    let sender = {
        let (servers, address) = (servers.clone(), user.address.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            servers.send_mail("kunde@customer.test", &address, "pushed", "Hej");
        })
    };
    let wakeup = mailbox
        .wait_for_new_mail(Duration::from_secs(60), pending())
        .await;
    sender.join().expect("sender thread");
    assert_eq!(wakeup.expect("idle"), Wakeup::NewMail);
    let fetched = mailbox.fetch_after(0, 10).await.expect("fetch after IDLE");
    assert_eq!(fetched.len(), 1);

    let stop = tokio::time::sleep(Duration::from_millis(200));
    let wakeup = mailbox
        .wait_for_new_mail(Duration::from_secs(60), stop)
        .await;
    assert_eq!(wakeup.expect("idle"), Wakeup::Shutdown);
    let again = mailbox
        .fetch_after(uid(&fetched[0]), 10)
        .await
        .expect("usable after DONE");
    assert!(again.is_empty());
}

#[tokio::test]
async fn idle_sleeps_through_people_reading_the_shared_box() {
    let servers = mail_servers();
    let user = user_with_mail("reader", 1);
    let cfg = servers.imap_mailbox(&user, "implicit", "watch");
    let mut mailbox = ImapMailbox::connect(&cfg).await.expect("connect");
    mailbox.fetch_after(0, 10).await.expect("fetch");
    let reader = {
        let (servers, user) = (servers.clone(), user.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            servers.mark_all_seen(&user, "INBOX");
        })
    };
    let wakeup = mailbox
        .wait_for_new_mail(Duration::from_secs(3), pending())
        .await;
    reader.join().expect("reader thread");
    assert_eq!(
        wakeup.expect("idle"),
        Wakeup::Timeout,
        "a flag change is not new mail"
    );
    assert!(
        servers.messages(&user, "INBOX")[0].has_flag("\\Seen"),
        "the reader did read it"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_permanent_error_naming_the_user() {
    let servers = mail_servers();
    let user = servers.new_user("wrongpw");
    let mut cfg: Mailbox = servers.imap_mailbox(&user, "starttls", "watch");
    let wrong = user.password_file.with_extension("wrong");
    std::fs::write(&wrong, "not-the-password").expect("write");
    cfg.password_file = Some(wrong);
    let err = ImapMailbox::connect(&cfg)
        .await
        .expect_err("login must fail");
    assert!(err.is_permanent(), "{err}");
    let message = err.to_string();
    assert!(message.contains(&user.username), "{message}");
    assert!(message.contains("STARTTLS"), "{message}");
}

#[tokio::test]
async fn a_missing_folder_is_a_permanent_error_naming_it() {
    let servers = mail_servers();
    let user = servers.new_user("nofolder");
    let mut cfg = servers.imap_mailbox(&user, "starttls", "watch");
    cfg.folder = "Klager".into();
    let err = ImapMailbox::connect(&cfg)
        .await
        .expect_err("no such folder");
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("\"Klager\""), "{err}");
}

#[tokio::test]
async fn a_server_certificate_from_an_unknown_ca_is_refused() {
    let servers = mail_servers();
    let user = servers.new_user("untrusted");
    let mut cfg = servers.imap_mailbox(&user, "implicit", "watch");
    cfg.ca_file = None;
    let err = ImapMailbox::connect(&cfg).await.expect_err("untrusted CA");
    assert!(matches!(err, InboxError::Tls { .. }), "{err}");
    assert!(err.is_permanent(), "{err}");
}

#[tokio::test]
async fn smtp_transport_delivers_through_submission_with_starttls_and_auth() {
    let servers = mail_servers();
    let company = servers.new_user("company");
    let customer = servers.new_user("customer");
    let transport = Transport::from_config(&servers.submission(&company)).expect("transport");
    transport.check().await.expect("connect, STARTTLS, AUTH");

    let raw = simple_mail(
        &company.address,
        &customer.address,
        "[KL-2026-000001] Kvittering",
        "Tak",
    );
    let from = EmailAddress::parse(&company.address).expect("address");
    let to = EmailAddress::parse(&customer.address).expect("address");
    transport
        .send(&from, std::slice::from_ref(&to), raw.as_bytes())
        .await
        .expect("send");
    transport
        .send(&from, &[to], raw.as_bytes())
        .await
        .expect("send on the pooled connection");

    let received = servers.wait_for_messages(&customer, "INBOX", 2, WAIT);
    assert!(
        received[0]
            .text()
            .contains("Subject: [KL-2026-000001] Kvittering")
    );
}

#[tokio::test]
async fn smtp_rejections_say_whether_to_retry() {
    let servers = mail_servers();
    let company = servers.new_user("company");
    let transport = Transport::from_config(&servers.submission(&company)).expect("transport");
    let from = EmailAddress::parse(&company.address).expect("address");
    let raw = simple_mail(&company.address, "someone@klagebot.test", "x", "y");

    let rejected = EmailAddress::parse(&format!("reject-me@{}", servers.domain)).expect("address");
    let err = transport
        .send(&from, &[rejected], raw.as_bytes())
        .await
        .expect_err("550");
    assert!(err.is_permanent(), "{err}");
    assert_eq!(err.smtp_code(), Some(550), "{err}");

    let busy = EmailAddress::parse(&format!("tempfail-me@{}", servers.domain)).expect("address");
    let err = transport
        .send(&from, &[busy], raw.as_bytes())
        .await
        .expect_err("450");
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.smtp_code(), Some(450), "{err}");
}

#[tokio::test]
async fn mail_to_a_bouncing_mailbox_comes_back_as_a_delivery_status_notification() {
    let servers = mail_servers();
    let company = servers.new_user("company");
    let transport = Transport::from_config(&servers.submission(&company)).expect("transport");
    let from = EmailAddress::parse(&company.address).expect("address");
    let gone = EmailAddress::parse(&format!("bounce-gone@{}", servers.domain)).expect("address");
    let raw = simple_mail(
        &company.address,
        gone.as_str(),
        "[KL-2026-000002] Kvittering",
        "Tak",
    );
    transport
        .send(&from, &[gone], raw.as_bytes())
        .await
        .expect("accepted first");

    let dsn = &servers.wait_for_messages(&company, "INBOX", 1, WAIT)[0];
    let text = dsn.text();
    assert!(text.contains("report-type=delivery-status"), "{text}");
    assert!(
        text.contains("[KL-2026-000002] Kvittering"),
        "the DSN quotes our mail: {text}"
    );
}

#[tokio::test]
async fn smtp_with_wrong_credentials_keeps_the_mail_for_a_retry() {
    let servers = mail_servers();
    let company = servers.new_user("company");
    let mut outgoing = servers.submission(&company);
    let wrong = company.password_file.with_extension("wrong");
    std::fs::write(&wrong, "not-the-password").expect("write");
    outgoing.password_file = Some(wrong);
    let transport = Transport::from_config(&outgoing).expect("transport");
    let from = EmailAddress::parse(&company.address).expect("address");
    let raw = simple_mail(&company.address, &company.address, "x", "y");
    let err = transport
        .send(&from, std::slice::from_ref(&from), raw.as_bytes())
        .await
        .expect_err("535");
    assert!(
        err.is_transient(),
        "bad credentials are the setup's fault, not the mail's: {err}"
    );
    assert!(transport.check().await.is_err());
}

#[tokio::test]
async fn plain_imap_is_accepted_on_loopback_only() {
    let servers = mail_servers();
    let user = user_with_mail("plain", 1);
    let mut cfg = servers.imap_mailbox(&user, "none", "watch");
    cfg.ca_file = None;
    let mut mailbox = ImapMailbox::connect(&cfg)
        .await
        .expect("plain IMAP on loopback");
    assert_eq!(mailbox.fetch_after(0, 10).await.expect("fetch").len(), 1);

    cfg.host = Some("imap.example.com".into());
    let err = ImapMailbox::connect(&cfg)
        .await
        .expect_err("clear text over the network");
    assert!(matches!(err, InboxError::Config(_)), "{err}");
    assert!(err.to_string().contains("loopback"), "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_transient_error() {
    let servers = mail_servers();
    let user = servers.new_user("closed");
    let mut cfg = servers.imap_mailbox(&user, "implicit", "watch");
    cfg.port = Some(closed_port());
    let err = ImapMailbox::connect(&cfg)
        .await
        .expect_err("nothing listens");
    assert!(err.is_transient(), "{err}");
    assert!(
        err.to_string().contains(&format!(":{}", closed_port())),
        "{err}"
    );

    let mut outgoing = servers.submission(&user);
    outgoing.port = Some(closed_port());
    let transport = Transport::from_config(&outgoing).expect("transport");
    let from = EmailAddress::parse(&user.address).expect("address");
    let raw = simple_mail(&user.address, &user.address, "x", "y");
    let err = transport
        .send(&from, std::slice::from_ref(&from), raw.as_bytes())
        .await
        .expect_err("nothing listens");
    assert!(err.is_transient(), "{err}");
}
