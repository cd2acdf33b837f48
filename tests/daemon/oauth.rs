//! `klagebot run` logging in with OAuth2 tokens from the test provider: mail in
//! over IMAP and out over SMTP while short-lived tokens are renewed again and
//! again, one alarm when the refresh token is revoked, and no secret in a log
//! written at trace level.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::harness::{Harness, OAuth2Setup, SETTLE, Setup, WAIT};
use crate::mails::{self, complaint};
use crate::staff::parsed;
use crate::support::TestUser;
use crate::support::oauth::Stats;

fn oauth2(setup: OAuth2Setup) -> Setup {
    Setup {
        oauth2: Some(setup),
        ..Setup::default()
    }
}

/// Waits until `done` holds for the provider's stats of the mailbox's client.
fn wait_for_stats(h: &Harness, what: &str, done: impl Fn(&Stats) -> bool) -> Stats {
    let parts = h.oauth2.as_ref().expect("an OAuth2 harness");
    let start = Instant::now();
    loop {
        let stats = parts.provider.stats(&parts.imap);
        if done(&stats) {
            return stats;
        }
        assert!(start.elapsed() < WAIT, "{what} within {WAIT:?}: {stats:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn healthz(h: &Harness) -> (u16, String) {
    let parts = h.oauth2.as_ref().expect("an OAuth2 harness");
    let url = format!("http://{}/healthz", parts.http);
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut answer = agent.get(&url).call().expect("/healthz answers");
    let status = answer.status().as_u16();
    (
        status,
        answer.body_mut().read_to_string().unwrap_or_default(),
    )
}

fn send_complaint(h: &Harness, customer: &TestUser, n: usize) {
    let (subject, body) = mails::DA;
    let subject = format!("{subject} ({n})");
    h.send(
        customer,
        &complaint(&customer.address, &h.klage.address, &subject, body),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_in_and_acknowledgements_out_while_tokens_are_renewed_again_and_again() {
    let mut h = Harness::with(oauth2(OAuth2Setup {
        lifetime: 4,
        rotate: true,
        ..OAuth2Setup::default()
    }))
    .await;
    h.start();
    let customers: Vec<TestUser> = (0..3)
        .map(|n| h.customer(&format!("oauth-kunde{n}")))
        .collect();
    for (n, customer) in customers.iter().enumerate() {
        send_complaint(&h, customer, n);
        // Longer than a token's renewal point: every mail meets a new session.
        tokio::time::sleep(Duration::from_millis(3500)).await;
    }
    let cases = h.wait_for_cases(customers.len()).await;
    assert_eq!(cases.len(), customers.len());
    for customer in &customers {
        let ack = &parsed(&h, customer, 1)[0];
        assert!(
            ack.subject.starts_with("Vi har modtaget din klage"),
            "{:?}",
            ack.subject
        );
    }
    let notices = parsed(&h, &h.handler, customers.len());
    assert_eq!(
        notices.len(),
        customers.len(),
        "one notice per case, none lost"
    );
    h.stop().await;

    let parts = h.oauth2.as_ref().unwrap();
    let stats = parts.provider.stats(&parts.imap);
    assert!(
        stats.grants("refresh_token") >= 5,
        "IMAP and SMTP tokens renewed several times: {stats:?}"
    );
    assert!(
        stats.introspections.active >= 4,
        "IMAP logged in again and again: {stats:?}"
    );
    let saved = std::fs::read_to_string(&parts.refresh_token_file).unwrap();
    assert_eq!(
        Some(saved.trim()),
        stats.live_refresh_token.as_deref(),
        "each rotated refresh token was saved; the last one is in the file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_gives_exactly_one_alarm_and_healthz_reports_it() {
    let mut h = Harness::with(oauth2(OAuth2Setup {
        lifetime: 3,
        alarm_after: "2s",
        smtp_own_client: true,
        ..OAuth2Setup::default()
    }))
    .await;
    h.start();
    wait_for_stats(&h, "the mailbox logs in", |s| s.introspections.active >= 1);
    assert_eq!(healthz(&h).0, 200);
    let parts = h.oauth2.as_ref().unwrap();
    parts.provider.revoke(&parts.imap, true, true);

    let alarms = h.settled_messages(&h.manager, 1);
    assert_eq!(alarms.len(), 1, "one alarm for the complaints manager");
    let alarm = &alarms[0];
    assert!(
        alarm.subject.contains("postkassen «klage»"),
        "{:?}",
        alarm.subject
    );
    assert!(
        alarm.subject.contains("invalid_grant"),
        "{:?}",
        alarm.subject
    );
    for expected in [
        "Login:          mailbox klage",
        "Provider said:  invalid_grant",
        "klagebot oauth login --mailbox klage",
    ] {
        assert!(
            alarm.full_text.contains(expected),
            "{expected:?} in:\n{}",
            alarm.full_text
        );
    }
    assert_eq!(
        h.settled_messages(&h.handler, 1).len(),
        1,
        "and one for [alerts] to"
    );
    let (status, body) = healthz(&h);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("failing: mailbox klage since"), "{body}");
    assert!(body.contains("(invalid_grant)"), "{body}");

    // It keeps failing (and trying): still one alarm.
    let tried = parts.provider.stats(&parts.imap).token_requests;
    wait_for_stats(&h, "two more refresh attempts", |s| {
        s.token_requests >= tried + 2
    });
    std::thread::sleep(SETTLE);
    assert_eq!(h.servers.messages(&h.manager, "INBOX").len(), 1);
    assert_eq!(h.servers.messages(&h.handler, "INBOX").len(), 1);
    h.stop().await;
}

/// Every way a secret could be written: as is, base64 (a SASL message or the
/// value alone), in an XOAUTH2 or OAUTHBEARER message.
fn secret_forms(secret: &str, user: &str) -> Vec<String> {
    let xoauth2 = format!("user={user}\x01auth=Bearer {secret}\x01\x01");
    let mut forms = vec![
        secret.to_string(),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        STANDARD.encode(&xoauth2),
    ];
    forms.retain(|f| f.len() >= 8);
    forms
}

/// Each run of base64 characters in `log`, decoded where it decodes.
fn decoded_runs(log: &str) -> Vec<String> {
    log.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
        .filter(|run| run.len() >= 16)
        .filter_map(|run| {
            STANDARD
                .decode(run)
                .or_else(|_| URL_SAFE_NO_PAD.decode(run.trim_end_matches('=')))
                .ok()
        })
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_secret_reaches_the_log_even_at_trace_level() {
    let h = Harness::with(oauth2(OAuth2Setup {
        lifetime: 4,
        rotate: true,
        ..OAuth2Setup::default()
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("klagebot.toml");
    std::fs::write(&config, &h.config_text).unwrap();
    let log_path = dir.path().join("trace.log");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .current_dir(dir.path())
        .env("RUST_LOG", "trace")
        .args(["--config", config.to_str().unwrap(), "run"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("run the klagebot binary");
    let customers = [h.customer("oauth-trace"), h.customer("oauth-trace2")];
    send_complaint(&h, &customers[0], 0);
    parsed(&h, &customers[0], 1);
    // The provider forgets its tokens; the next logins get new ones.
    let parts = h.oauth2.as_ref().unwrap();
    parts.provider.revoke(&parts.imap, false, true);
    tokio::time::sleep(Duration::from_secs(4)).await;
    send_complaint(&h, &customers[1], 1);
    parsed(&h, &customers[1], 1);
    Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(
        daemon.wait().unwrap().success(),
        "klagebot stops cleanly on SIGTERM"
    );

    let mut log = String::new();
    std::fs::File::open(&log_path)
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("DEBUG"),
        "the log was written below info (RUST_LOG=trace)"
    );
    assert!(
        log.matches("OAuth2 access token obtained").count() >= 3,
        "tokens were renewed during the run"
    );
    let stats = parts.provider.stats(&parts.imap);
    let mut secrets: Vec<String> = stats.issued.clone();
    secrets.extend(stats.refresh_tokens.clone());
    secrets.extend(parts.imap.client_secret.clone());
    assert!(secrets.len() >= 6, "{stats:?}");
    let decoded = decoded_runs(&log);
    for secret in &secrets {
        for form in secret_forms(secret, &h.klage.address) {
            assert!(!log.contains(&form), "a secret in the log: {form}");
        }
        assert!(
            !decoded.iter().any(|d| d.contains(secret.as_str())),
            "a secret inside base64 in the log"
        );
    }
    // ureq-proto dumps each request as rows of 16 bytes: `7472 6f6c 3a20 … trol:.no-`.
    let hex_rows = log
        .lines()
        .filter(|l| {
            let after_level = l.split_once(" TRACE ").map_or("", |(_, rest)| rest);
            let groups: Vec<&str> = after_level.split(' ').take(8).collect();
            groups.len() == 8
                && groups
                    .iter()
                    .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        })
        .count();
    assert_eq!(hex_rows, 0, "no hex dump of what crossed the wire");
}
