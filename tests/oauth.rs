//! OAuth2 logins against the real loopback servers: Dovecot's oauth2 passdb asks
//! the test provider (`scripts/oauth-test-server`) whether a token is good, for
//! IMAP and for Postfix submission through Dovecot SASL. Both SASL mechanisms,
//! every grant, shared, refused and rotated tokens, the provider's errors with
//! their advice, and the commands `klagebot oauth login` and `klagebot check`.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use klagebot::config::{Mailbox, Outgoing};
use klagebot::domain::EmailAddress;
use klagebot::inbox::{ImapMailbox, InboxError, Source, Wakeup};
use klagebot::oauth::{Advice, TokenError};
use klagebot::smtp::{SendError, Transport};
use support::oauth::{ClientSpec, Provider, oauth2_table};
use support::{MailServers, TestUser, closed_port, mail_servers, simple_mail};

const WAIT: Duration = Duration::from_secs(15);

fn oauth_mailbox(servers: &MailServers, user: &TestUser, table: &str) -> Mailbox {
    let toml = format!(
        "name = \"klage\"\nkind = \"imap\"\nmode = \"watch\"\nhost = \"localhost\"\nport = {}\n\
         tls = \"starttls\"\nca_file = {:?}\nusername = {:?}\nauth = \"oauth2\"\npoll_seconds = 1\n\
         [oauth2]\n{table}",
        servers.imap_port, servers.ca_file, user.username
    );
    toml::from_str(&toml).unwrap_or_else(|e| panic!("test mailbox config: {e}\n{toml}"))
}

fn oauth_outgoing(servers: &MailServers, user: &TestUser, table: &str) -> Outgoing {
    let toml = format!(
        "kind = \"smtp\"\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nca_file = {:?}\n\
         username = {:?}\nauth = \"oauth2\"\n[oauth2]\n{table}",
        servers.submission_port, servers.ca_file, user.username
    );
    toml::from_str(&toml).unwrap_or_else(|e| panic!("test outgoing config: {e}\n{toml}"))
}

async fn send(transport: &Transport, from: &TestUser, to: &TestUser, subject: &str) {
    let raw = simple_mail(&from.address, &to.address, subject, "Hej fra klagebot.");
    let from_address = EmailAddress::parse(&from.address).unwrap();
    let to_address = EmailAddress::parse(&to.address).unwrap();
    transport
        .send(&from_address, &[to_address], raw.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("sending {subject:?} failed: {e}"));
}

async fn fetch_count(cfg: &Mailbox) -> usize {
    let mut source = Source::open(cfg)
        .await
        .unwrap_or_else(|e| panic!("OAuth2 IMAP login failed: {e}"));
    let count = source.fetch(0, 10).await.expect("fetch").len();
    source.close().await;
    count
}

fn setup() -> (MailServers, Provider, tempfile::TempDir) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let servers = mail_servers();
    let provider = servers.oauth();
    (
        servers,
        provider,
        tempfile::tempdir().expect("a temporary folder"),
    )
}

#[tokio::test]
async fn imap_logs_in_with_xoauth2_and_oauthbearer_sharing_one_token() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-imap");
    servers.send_mail("kunde@customer.test", &user.address, "Gebyr", "Jeg klager.");
    servers.wait_for_messages(&user, "INBOX", 1, WAIT);
    let client = provider.register(&ClientSpec::new(&user.address));
    for mechanism in ["xoauth2", "oauthbearer"] {
        let table = oauth2_table(&provider, &client, dir.path(), mechanism, None, true);
        let cfg = oauth_mailbox(&servers, &user, &table);
        assert_eq!(fetch_count(&cfg).await, 1, "{mechanism}");
    }
    let stats = provider.stats(&client);
    assert_eq!(
        stats.grants("refresh_token"),
        1,
        "both logins used one token"
    );
    assert_eq!(stats.introspections.active, 2, "Dovecot checked each login");
}

#[tokio::test]
async fn smtp_sends_with_both_mechanisms_and_either_client_authentication() {
    let (servers, provider, dir) = setup();
    let company = servers.new_user("oauth-smtp");
    let customer = servers.new_user("oauth-customer");
    for (mechanism, client_auth) in [("xoauth2", "basic"), ("oauthbearer", "body")] {
        let client = provider.register(&ClientSpec::new(&company.address));
        let table = format!(
            "{}client_auth = \"{client_auth}\"\n",
            oauth2_table(
                &provider,
                &client,
                dir.path(),
                mechanism,
                Some("smtp"),
                true
            )
        );
        let transport = Transport::from_config(&oauth_outgoing(&servers, &company, &table))
            .expect("an OAuth2 SMTP transport");
        let checked = transport.check().await.expect("token, connect, AUTH");
        assert!(
            checked.contains(&format!("logged in with {}", mechanism.to_uppercase())),
            "{checked}"
        );
        send(&transport, &company, &customer, &format!("via {mechanism}")).await;
        assert_eq!(provider.stats(&client).grants("refresh_token"), 1);
    }
    let got = servers.wait_for_messages(&customer, "INBOX", 2, WAIT);
    assert_eq!(got.len(), 2);
}

#[tokio::test]
async fn a_refused_cached_token_is_replaced_at_once_for_imap_and_smtp() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-refused");
    let customer = servers.new_user("oauth-refused-to");
    let client = provider.register(&ClientSpec::new(&user.address));
    let table = oauth2_table(&provider, &client, dir.path(), "xoauth2", None, true);
    let mailbox = oauth_mailbox(&servers, &user, &table);
    fetch_count(&mailbox).await;
    // The provider forgets its tokens (a revocation, a restart): the cache does not know.
    provider.revoke(&client, false, true);
    fetch_count(&mailbox).await;
    let stats = provider.stats(&client);
    assert_eq!(
        stats.grants("refresh_token"),
        2,
        "one fresh token after the refusal"
    );
    assert!(stats.introspections.inactive >= 1, "{stats:?}");

    provider.revoke(&client, false, true);
    let transport = Transport::from_config(&oauth_outgoing(&servers, &user, &table)).unwrap();
    send(&transport, &user, &customer, "after a refused token").await;
    assert_eq!(provider.stats(&client).grants("refresh_token"), 3);
    servers.wait_for_messages(&customer, "INBOX", 1, WAIT);
}

#[tokio::test]
async fn a_long_wait_renews_the_session_and_a_rotated_refresh_token_is_saved() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-rotate");
    let spec = ClientSpec {
        lifetime: 3,
        rotate: true,
        ..ClientSpec::new(&user.address)
    };
    let client = provider.register(&spec);
    let table = oauth2_table(&provider, &client, dir.path(), "xoauth2", None, true);
    let cfg = oauth_mailbox(&servers, &user, &table);
    let file = dir.path().join(format!("{}.refresh", client.client_id));
    let mut mailbox = ImapMailbox::connect(&cfg).await.expect("login");
    assert!(mailbox.has_idle());
    // IDLE would last 20 s; the token is due for renewal after 2.4 s.
    let started = Instant::now();
    let woke = mailbox
        .wait_for_new_mail(Duration::from_secs(20), std::future::pending())
        .await
        .expect("the session is renewed, not broken");
    assert_eq!(woke, Wakeup::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    servers.send_mail(
        "kunde@customer.test",
        &user.address,
        "Efter fornyelse",
        "Hej.",
    );
    servers.wait_for_messages(&user, "INBOX", 1, WAIT);
    let fetched = mailbox
        .fetch_after(0, 10)
        .await
        .expect("the renewed session reads");
    assert_eq!(fetched.len(), 1);
    mailbox.logout().await;

    let stats = provider.stats(&client);
    assert_eq!(stats.grants("refresh_token"), 2, "{stats:?}");
    assert_eq!(stats.refresh_tokens.len(), 3, "the first and two rotations");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert_eq!(Some(saved.trim()), stats.live_refresh_token.as_deref());
    assert_ne!(saved.trim(), client.refresh_token);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn app_only_access_shares_one_client_credentials_token_for_imap_and_smtp() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-apponly");
    let spec = ClientSpec {
        client_credentials: true,
        ..ClientSpec::new(&user.address)
    };
    let client = provider.register(&spec);
    let table = oauth2_table(
        &provider,
        &client,
        dir.path(),
        "xoauth2",
        Some("mail"),
        false,
    );
    fetch_count(&oauth_mailbox(&servers, &user, &table)).await;
    let transport = Transport::from_config(&oauth_outgoing(&servers, &user, &table)).unwrap();
    send(&transport, &user, &user, "app-only").await;
    let stats = provider.stats(&client);
    assert_eq!(stats.grants("client_credentials"), 1, "{stats:?}");
    assert_eq!(stats.grants("refresh_token"), 0);
    servers.wait_for_messages(&user, "INBOX", 1, WAIT);
}

#[tokio::test]
async fn a_google_service_account_impersonates_the_mailbox_with_a_signed_assertion() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-google");
    let email = format!(
        "{}@klagebot-test.iam.gserviceaccount.com",
        support::unique_local_part("sa")
    );
    let spec = ClientSpec {
        public: true,
        public_key: Some(include_str!("fixtures/oauth/service-account-key.pub.pem").into()),
        client_id: Some(email.clone()),
        ..ClientSpec::new(&user.address)
    };
    let client = provider.register(&spec);
    let key = serde_json::json!({
        "type": "service_account",
        "client_email": email,
        "private_key": include_str!("fixtures/oauth/service-account-key.pem"),
        "private_key_id": "test",
    });
    let key_file = dir.path().join("service-account.json");
    std::fs::write(&key_file, key.to_string()).unwrap();
    let table = format!(
        "provider = \"google\"\ntoken_url = {:?}\nclient_id = \"102345678901234567890\"\nclient_secret_file = {key_file:?}\n",
        provider.token_url()
    );
    assert_eq!(
        fetch_count(&oauth_mailbox(&servers, &user, &table)).await,
        0
    );
    assert_eq!(provider.stats(&client).grants("jwt_bearer"), 1);
}

fn token_error(err: InboxError) -> TokenError {
    match err {
        InboxError::Token { source, .. } => source,
        other => panic!("expected a token error, got {other}"),
    }
}

#[tokio::test]
async fn the_providers_errors_come_with_advice_and_without_secrets() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-errors");
    let client = provider.register(&ClientSpec::new(&user.address));
    let table = oauth2_table(&provider, &client, dir.path(), "xoauth2", None, true);
    let cfg = oauth_mailbox(&servers, &user, &table);
    let secret_file = client.secret_file(dir.path());

    std::fs::write(&secret_file, "wrong-secret-123").unwrap();
    let err = token_error(ImapMailbox::connect(&cfg).await.unwrap_err());
    assert_eq!(err.advice(), Some(Advice::InvalidClient), "{err}");
    assert!(!err.is_transient());
    let text = err.to_string();
    assert!(text.contains("invalid_client"), "{text}");
    for secret in ["wrong-secret-123", client.refresh_token.as_str()] {
        assert!(!text.contains(secret), "{text}");
    }
    std::fs::write(&secret_file, client.client_secret.as_deref().unwrap()).unwrap();

    provider.fail(
        &client,
        Some((
            "invalid_grant",
            "AADSTS65001: The user or administrator has not consented to use the application.",
        )),
    );
    let err = token_error(ImapMailbox::connect(&cfg).await.unwrap_err());
    assert_eq!(err.advice(), Some(Advice::ConsentRequired), "{err}");
    provider.fail(&client, None);

    provider.revoke(&client, true, true);
    let err = token_error(ImapMailbox::connect(&cfg).await.unwrap_err());
    assert_eq!(err.advice(), Some(Advice::InvalidGrant), "{err}");
    assert!(err.to_string().contains("AADSTS70008"), "{err}");
}

#[tokio::test]
async fn a_token_the_server_refuses_when_fresh_is_a_login_failure_not_a_loop() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-wronguser");
    // The provider issues tokens for someone else: Dovecot refuses them for this user.
    let client = provider.register(&ClientSpec::new("someone.else@klagebot.test"));
    let table = oauth2_table(&provider, &client, dir.path(), "oauthbearer", None, true);
    let err = ImapMailbox::connect(&oauth_mailbox(&servers, &user, &table))
        .await
        .unwrap_err();
    assert!(matches!(err, InboxError::TokenRefused { .. }), "{err}");
    assert!(err.is_permanent());
    assert!(err.to_string().contains("OAUTHBEARER"), "{err}");
    assert_eq!(provider.stats(&client).grants("refresh_token"), 1);

    let transport = Transport::from_config(&oauth_outgoing(&servers, &user, &table)).unwrap();
    let raw = simple_mail(&user.address, &user.address, "x", "y");
    let address = EmailAddress::parse(&user.address).unwrap();
    let err = transport
        .send(&address, std::slice::from_ref(&address), raw.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::TokenRefused { .. }), "{err}");
    assert!(err.is_transient() && err.is_login_failure(), "{err}");
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_tried_again_then_transient() {
    let (servers, _provider, dir) = setup();
    let user = servers.new_user("oauth-unreachable");
    let refresh = dir.path().join("r");
    std::fs::write(&refresh, "rt-x").unwrap();
    let table = format!(
        "provider = \"generic\"\ntoken_url = \"http://127.0.0.1:{}/token\"\nclient_id = \"c\"\nrefresh_token_file = {refresh:?}\n",
        closed_port()
    );
    let started = Instant::now();
    let err = token_error(
        ImapMailbox::connect(&oauth_mailbox(&servers, &user, &table))
            .await
            .unwrap_err(),
    );
    assert!(err.is_transient(), "{err}");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "two retries, 1 s and 2 s apart"
    );
}

/// A config file for the CLI: the embedded default with one OAuth2 IMAP mailbox.
fn cli_config(
    servers: &MailServers,
    provider: &Provider,
    dir: &Path,
    client_id: &str,
    user: &str,
) -> std::path::PathBuf {
    let text = format!(
        "{}\n[[mailbox]]\nname = \"klage\"\nkind = \"imap\"\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\n\
         ca_file = {:?}\nusername = {user:?}\nauth = \"oauth2\"\n[mailbox.oauth2]\nprovider = \"generic\"\n\
         token_url = {:?}\ndevice_url = {:?}\nclient_id = {client_id:?}\nrefresh_token_file = {:?}\n",
        klagebot::config::EMBEDDED_DEFAULT.replace(
            "url = \"sqlite://klagebot.db\"",
            &format!("url = \"sqlite://{}\"", dir.join("klagebot.db").display())
        ),
        servers.imap_port,
        servers.ca_file,
        provider.token_url(),
        provider.device_url(),
        dir.join("klage.refresh"),
    );
    let path = dir.join("klagebot.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn klagebot(dir: &Path, config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_klagebot"));
    command
        .current_dir(dir)
        .env(
            "KLAGEBOT_TOKEN_SECRET",
            "a token secret long enough for check",
        )
        .arg("--config")
        .arg(config);
    command
}

#[tokio::test]
async fn oauth_login_saves_the_approved_refresh_token_and_check_logs_in_with_it() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-device");
    let spec = ClientSpec {
        public: true,
        ..ClientSpec::new(&user.address)
    };
    let client = provider.register(&spec);
    let config = cli_config(
        &servers,
        &provider,
        dir.path(),
        &client.client_id,
        &user.address,
    );
    let mut child = klagebot(dir.path(), &config)
        .args(["oauth", "login", "--mailbox", "klage"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run klagebot oauth login");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let code = loop {
        let line = lines.next().expect("the code is printed").unwrap();
        printed.push(line.clone());
        if printed.len() >= 2 && printed[printed.len() - 2].contains("enter the code") {
            break line.trim().to_string();
        }
    };
    assert!(
        printed
            .iter()
            .any(|l| l.contains(&provider.device_url().replace("/devicecode", "/device"))),
        "{printed:?}"
    );
    provider.approve(&code);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{printed:?} {rest:?}");
    assert!(rest.iter().any(|l| l.starts_with("Approved.")), "{rest:?}");
    let file = dir.path().join("klage.refresh");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        Some(saved.trim()),
        provider.stats(&client).live_refresh_token.as_deref()
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let check = klagebot(dir.path(), &config).arg("check").output().unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{out}");
    assert!(
        out.contains("ok    mailbox klage oauth2 token: obtained from"),
        "{out}"
    );
    assert!(
        out.contains("ok    mailbox klage: logged in with the token (XOAUTH2)"),
        "{out}"
    );
}

#[tokio::test]
async fn check_says_which_step_failed_and_what_to_do() {
    let (servers, provider, dir) = setup();
    let user = servers.new_user("oauth-check");
    let client = provider.register(&ClientSpec {
        public: true,
        ..ClientSpec::new(&user.address)
    });
    let config = cli_config(
        &servers,
        &provider,
        dir.path(),
        &client.client_id,
        &user.address,
    );
    client.refresh_token_file(dir.path());
    std::fs::rename(
        dir.path().join(format!("{}.refresh", client.client_id)),
        dir.path().join("klage.refresh"),
    )
    .unwrap();
    provider.revoke(&client, true, true);
    let check = klagebot(dir.path(), &config).arg("check").output().unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success(), "{out}");
    assert!(out.contains("FAIL  mailbox klage oauth2 token:"), "{out}");
    assert!(out.contains("invalid_grant"), "{out}");
    assert!(
        out.contains("klagebot oauth login --mailbox klage"),
        "{out}"
    );
    assert!(
        out.contains("skip  mailbox klage: the login needs the token above"),
        "{out}"
    );
    assert!(!out.contains(&client.refresh_token), "{out}");
}
