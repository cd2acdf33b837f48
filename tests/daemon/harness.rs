//! One running klagebot per test, against the real loopback Dovecot and Postfix:
//! its own complaint mailbox, staff and customer mailboxes, SQLite database and
//! clock. Customers and staff are played by real clients (swaks, imaplib).

#![allow(dead_code)] // the daemon and the security tests use different parts

use std::sync::Arc;
use std::time::{Duration, Instant};

use klagebot::case::{Case, Event};
use klagebot::config::Config;
use klagebot::daemon::{Daemon, RunOptions};
use klagebot::domain::CaseRef;
use klagebot::parse::{InboundMail, parse};
use klagebot::runtime::{self, Clock, Trigger};
use klagebot::store::CaseFilter;

use crate::mails::{self, complaint};
use crate::support::oauth::{Client, ClientSpec, Provider, oauth2_table};
use crate::support::{MailServers, TestUser, mail_servers};

pub const WAIT: Duration = Duration::from_secs(30);
/// The keyword of a person's mail klagebot left in the inbox (the default).
pub const LEFT_KEYWORD: &str = "klagebot_not_complaint";
/// How long a mail that should not come is given to show up anyway.
pub const SETTLE: Duration = Duration::from_millis(1000);

/// What a test changes in the default setup (a Danish bank, policy defaults).
#[derive(Debug, Clone)]
pub struct Setup {
    /// The complaint mailbox's jurisdiction code: "dk", "no" or "se".
    pub jurisdiction: &'static str,
    /// The mailbox's default language code.
    pub language: &'static str,
    /// `policy.auto_holding_reply`, with a configured Danish reason.
    pub auto_holding_reply: bool,
    /// The complaint mailbox's mode: "own" (move processed mail) or "watch".
    pub mode: &'static str,
    /// `security.authserv_id`: our MX's id, whose Authentication-Results vouch
    /// for colleagues.
    pub authserv_id: Option<&'static str>,
    /// `company.internal_domains` (default: none listed, so the complaint
    /// address's domain, which customers share in these tests).
    pub internal_domains: &'static [&'static str],
    /// Log in to the complaint mailbox (and the SMTP server) with OAuth2 tokens
    /// from the test provider instead of passwords.
    pub oauth2: Option<OAuth2Setup>,
    /// A second complaint mailbox, `helpdesk`, beside `klage`.
    pub helpdesk: bool,
    /// `database.url` (default: a SQLite file in the test's own folder).
    pub database_url: Option<String>,
}

/// How the test provider treats klagebot's client, and the alarm settings.
#[derive(Debug, Clone)]
pub struct OAuth2Setup {
    /// Seconds a token is good for.
    pub lifetime: u64,
    /// A new refresh token at every refresh.
    pub rotate: bool,
    /// `[alerts] after`.
    pub alarm_after: &'static str,
    /// The SMTP login uses a client (and refresh token) of its own; otherwise it
    /// shares the mailbox's refresh token file, with its own scope.
    pub smtp_own_client: bool,
}

impl Default for OAuth2Setup {
    fn default() -> OAuth2Setup {
        OAuth2Setup {
            lifetime: 60,
            rotate: false,
            alarm_after: "30m",
            smtp_own_client: false,
        }
    }
}

/// The provider and the clients of an OAuth2 harness.
pub struct OAuth2Parts {
    pub provider: Provider,
    /// The complaint mailbox's client (the SMTP server's too, unless it has its own).
    pub imap: Client,
    pub smtp: Client,
    /// The refresh token file of the mailbox's client.
    pub refresh_token_file: std::path::PathBuf,
    /// The `[http] listen` address serving /healthz.
    pub http: String,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            jurisdiction: "dk",
            language: "da",
            auto_holding_reply: false,
            mode: "own",
            authserv_id: None,
            internal_domains: &[],
            oauth2: None,
            helpdesk: false,
            database_url: None,
        }
    }
}

/// The reason the test config gives for automatic holding replies in Danish.
pub const AUTO_HOLDING_REASON: &str =
    "Vi venter på en redegørelse fra vores kortudsteder, før vi kan svare dig.";

/// `[policy.auto_holding_reason.*]` for every category and language (an automatic
/// holding reply needs them all); Danish gives [`AUTO_HOLDING_REASON`].
fn auto_holding_reasons() -> String {
    let others = [
        (
            "nb",
            "Vi venter på en redegjørelse fra kortutstederen vår før vi kan svare deg.",
        ),
        (
            "nn",
            "Vi ventar på ei utgreiing frå kortutferdaren vår før vi kan svare deg.",
        ),
        (
            "sv",
            "Vi väntar på en redogörelse från vår kortutgivare innan vi kan svara dig.",
        ),
        (
            "en",
            "We are waiting for an account from our card issuer before we can answer you.",
        ),
    ];
    let categories = klagebot::domain::Category::ALL.map(|c| c.code());
    let mut text = String::new();
    for key in categories.into_iter().chain(["uncategorised"]) {
        text.push_str(&format!(
            "\n[policy.auto_holding_reason.{key}]\nda = {AUTO_HOLDING_REASON:?}\n"
        ));
        for (lang, reason) in others {
            text.push_str(&format!("{lang} = {reason:?}\n"));
        }
    }
    text
}

pub struct Harness {
    pub servers: MailServers,
    /// The complaint mailbox klagebot owns; its address is the company's.
    pub klage: TestUser,
    pub handler: TestUser,
    /// The complaints manager, who gets escalations.
    pub manager: TestUser,
    /// The second complaint mailbox, when [`Setup::helpdesk`] asked for one.
    pub helpdesk: Option<TestUser>,
    pub config: Config,
    /// The config as a file would hold it (for running the binary).
    pub config_text: String,
    pub oauth2: Option<OAuth2Parts>,
    pub daemon: Arc<Daemon>,
    pub clock: Clock,
    _dir: tempfile::TempDir,
    running: Option<(Trigger, tokio::task::JoinHandle<anyhow::Result<()>>)>,
    crashed: Vec<Trigger>,
}

impl Harness {
    /// A fresh klagebot, not yet running.
    pub async fn new() -> Harness {
        Harness::with(Setup::default()).await
    }

    /// A fresh klagebot with `setup`'s changes, not yet running.
    pub async fn with(setup: Setup) -> Harness {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let servers = mail_servers();
        let klage = servers.new_user("klage");
        let handler = servers.new_user("handler");
        let manager = servers.new_user("manager");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let users = Users {
            klage: &klage,
            handler: &handler,
            manager: &manager,
        };
        let oauth2 = setup
            .oauth2
            .as_ref()
            .map(|o| oauth2_parts(&servers, &klage, o, dir.path()));
        let mut config_text = config(&servers, &users, &setup, dir.path());
        if let (Some(o), Some(parts)) = (&setup.oauth2, &oauth2) {
            config_text = with_oauth2(&config_text, o, parts, &users, dir.path());
        }
        let helpdesk = setup.helpdesk.then(|| servers.new_user("helpdesk"));
        if let Some(helpdesk) = &helpdesk {
            config_text.push('\n');
            config_text.push_str(&imap_mailbox(
                &servers, "helpdesk", helpdesk, "own", "dk", "da",
            ));
        }
        let config = Config::from_toml(&config_text).expect("the test config is valid");
        let clock = Clock::system();
        let daemon = Daemon::new(config.clone(), clock.clone())
            .await
            .expect("klagebot starts");
        Harness {
            servers,
            klage,
            handler,
            manager,
            helpdesk,
            config,
            config_text,
            oauth2,
            daemon,
            clock,
            _dir: dir,
            running: None,
            crashed: Vec::new(),
        }
    }

    /// Starts `klagebot run` in this process.
    pub fn start(&mut self) {
        let (trigger, shutdown) = runtime::channel();
        let daemon = self.daemon.clone();
        let task = tokio::spawn(async move { daemon.run(RunOptions::default(), shutdown).await });
        self.running = Some((trigger, task));
    }

    /// Stops it as SIGTERM would: the message in hand is finished.
    pub async fn stop(&mut self) {
        if let Some((trigger, task)) = self.running.take() {
            trigger.fire();
            let ended = tokio::time::timeout(WAIT, task)
                .await
                .expect("klagebot stops within 30 s");
            ended
                .expect("the daemon task ends")
                .expect("klagebot stops cleanly");
        }
    }

    /// A new klagebot on the same database and mailboxes (a restart).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.daemon = Daemon::new(self.config.clone(), self.clock.clone())
            .await
            .expect("klagebot starts again");
        self.start();
    }

    /// Another klagebot on the same config (database, mailboxes), not running:
    /// a second instance.
    pub async fn another_instance(&self) -> Arc<Daemon> {
        Daemon::new(self.config.clone(), self.clock.clone())
            .await
            .expect("a second klagebot starts")
    }

    /// Stops it as a crash would: every task ends where it is, nothing is
    /// given back (its heartbeat stops).
    pub fn crash(&mut self) {
        if let Some((trigger, task)) = self.running.take() {
            task.abort();
            // Kept, not dropped: a dropped trigger reads as a shutdown request.
            self.crashed.push(trigger);
        }
    }

    pub fn customer(&self, prefix: &str) -> TestUser {
        self.servers.new_user(prefix)
    }

    /// Sends a mail as `from` to the complaint address.
    pub fn send(&self, from: &TestUser, raw: &str) {
        self.servers
            .send_raw(&from.address, &[&self.klage.address], raw.as_bytes());
    }

    pub async fn cases(&self) -> Vec<Case> {
        self.daemon
            .store
            .list_cases(&CaseFilter::default())
            .await
            .expect("cases can be listed")
    }

    /// Waits until `count` cases exist.
    pub async fn wait_for_cases(&self, count: usize) -> Vec<Case> {
        let start = Instant::now();
        loop {
            let cases = self.cases().await;
            if cases.len() >= count {
                return cases;
            }
            assert!(
                start.elapsed() < WAIT,
                "{} of {count} cases after {WAIT:?}",
                cases.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn timeline(&self, reference: &CaseRef) -> Vec<Event> {
        self.daemon
            .store
            .timeline(reference)
            .await
            .expect("timeline")
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }

    /// Waits until the case's timeline holds an event of `kind`.
    pub async fn wait_for_event(&self, reference: &CaseRef, kind: &str) -> Vec<Event> {
        let start = Instant::now();
        loop {
            let events = self.timeline(reference).await;
            if events.iter().any(|e| e.kind() == kind) {
                return events;
            }
            let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
            assert!(
                start.elapsed() < WAIT,
                "no {kind} in {reference} after {WAIT:?}: {kinds:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Moves the clock to `at` and runs the scheduler and the sender there as the
    /// running daemon would, twice over: a deadline must fire once however often
    /// the scheduler looks.
    pub async fn fire_deadlines_at(&self, at: chrono::DateTime<chrono::Utc>) {
        self.clock.set(at);
        for _ in 0..2 {
            self.daemon
                .scheduler
                .fire_due()
                .await
                .expect("deadlines fire");
            while klagebot::daemon::sender::deliver_due(&self.daemon)
                .await
                .expect("mail is delivered")
                > 0
            {}
        }
    }

    /// Moves the clock to `at` and runs the scheduler's jobs (the digest) and
    /// deadlines and the sender there, as the running daemon would.
    pub async fn run_jobs_at(&self, at: chrono::DateTime<chrono::Utc>) {
        self.clock.set(at);
        self.daemon
            .scheduler
            .send_digest_if_due()
            .await
            .expect("the digest job runs");
        self.fire_deadlines_at(at).await;
    }

    /// The messages `user` has once delivery has settled: waits for `at_least`,
    /// then a moment longer so that a wrongly sent extra mail shows up too.
    pub fn settled_messages(&self, user: &TestUser, at_least: usize) -> Vec<InboundMail> {
        self.servers
            .wait_for_messages(user, "INBOX", at_least, WAIT);
        std::thread::sleep(SETTLE);
        self.servers
            .messages(user, "INBOX")
            .iter()
            .map(|m| parse(&m.bytes))
            .collect()
    }

    /// Waits until klagebot's outbox holds nothing unsent, then a moment more
    /// for the mail server to deliver what went last.
    pub async fn wait_until_sent(&self) {
        let start = Instant::now();
        while self
            .daemon
            .store
            .queued_outgoing_count()
            .await
            .expect("the outbox can be counted")
            > 0
        {
            assert!(start.elapsed() < WAIT, "mail still queued after {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(SETTLE).await;
    }

    /// Waits until the complaint mailbox holds no unhandled mail: everything in it
    /// was moved to the processed (or quarantine) folder, or left for a person
    /// with the not-a-complaint keyword.
    pub async fn wait_until_inbox_handled(&self) {
        let start = Instant::now();
        loop {
            let handled = std::iter::once(&self.klage)
                .chain(&self.helpdesk)
                .all(|mailbox| {
                    let inbox = self.servers.messages(mailbox, "INBOX");
                    inbox.iter().all(|m| m.has_flag(LEFT_KEYWORD))
                });
            if handled {
                // One more round for the sender to deliver what the last message queued.
                tokio::time::sleep(Duration::from_millis(500)).await;
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "the complaint mailbox was not handled within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

struct Users<'a> {
    klage: &'a TestUser,
    handler: &'a TestUser,
    manager: &'a TestUser,
}

fn oauth2_parts(
    servers: &MailServers,
    klage: &TestUser,
    setup: &OAuth2Setup,
    dir: &std::path::Path,
) -> OAuth2Parts {
    let provider = servers.oauth();
    let spec = ClientSpec {
        lifetime: setup.lifetime,
        rotate: setup.rotate,
        ..ClientSpec::new(&klage.address)
    };
    let imap = provider.register(&spec);
    let smtp = if setup.smtp_own_client {
        provider.register(&spec)
    } else {
        imap.clone()
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let http = listener.local_addr().expect("its address").to_string();
    OAuth2Parts {
        refresh_token_file: dir.join(format!("{}.refresh", imap.client_id)),
        provider,
        imap,
        smtp,
        http,
    }
}

/// `text` with both logins on OAuth2 (XOAUTH2 for IMAP, OAUTHBEARER for SMTP),
/// alarms after `setup.alarm_after` to the managers and the handler, and /healthz.
fn with_oauth2(
    text: &str,
    setup: &OAuth2Setup,
    parts: &OAuth2Parts,
    users: &Users<'_>,
    dir: &std::path::Path,
) -> String {
    let password = format!("password_file = {:?}\n", users.klage.password_file);
    let imap = oauth2_table(
        &parts.provider,
        &parts.imap,
        dir,
        "xoauth2",
        Some("imap"),
        true,
    );
    let smtp = oauth2_table(
        &parts.provider,
        &parts.smtp,
        dir,
        "oauthbearer",
        Some("smtp"),
        true,
    );
    let text = text
        .replacen(
            &format!("{password}poll_seconds = 5\n"),
            &format!("auth = \"oauth2\"\npoll_seconds = 5\n[mailbox.oauth2]\n{imap}"),
            1,
        )
        .replacen(
            &format!("{password}\n[[staff]]"),
            &format!("auth = \"oauth2\"\n[outgoing.oauth2]\n{smtp}\n[[staff]]"),
            1,
        );
    assert!(
        !text.contains("password_file"),
        "both logins use OAuth2:\n{text}"
    );
    format!(
        "{text}\n[alerts]\nto = [\"{}\"]\nafter = \"{}\"\n\n[http]\nlisten = \"{}\"\n",
        users.handler.address, setup.alarm_after, parts.http
    )
}

/// A `[[mailbox]]` on the test Dovecot that `user` logs in to.
fn imap_mailbox(
    servers: &MailServers,
    name: &str,
    user: &TestUser,
    mode: &str,
    jurisdiction: &str,
    language: &str,
) -> String {
    format!(
        r#"[[mailbox]]
name = "{name}"
kind = "imap"
mode = "{mode}"
address = "{address}"
jurisdiction = "{jurisdiction}"
default_language = "{language}"
host = "localhost"
port = {imap}
tls = "starttls"
ca_file = {ca:?}
username = "{address}"
password_file = {password:?}
poll_seconds = 5
"#,
        address = user.address,
        imap = servers.imap_port,
        ca = servers.ca_file,
        password = user.password_file,
    )
}

fn config(
    servers: &MailServers,
    users: &Users<'_>,
    setup: &Setup,
    dir: &std::path::Path,
) -> String {
    let secret = dir.join("token-secret");
    std::fs::write(&secret, "a test secret that is long enough").expect("write the token secret");
    let text = format!(
        r#"
[company]
name = "Nordvik Bank A/S"
domain = "nordvik.test"
complaint_address = "{klage}"
phone = "+45 70 20 30 40"
jurisdiction = "dk"
default_language = "da"
internal_domains = {internal:?}

[database]
url = "{db}"

{klage_mailbox}
[outgoing]
kind = "smtp"
host = "localhost"
port = {submission}
tls = "starttls"
ca_file = {ca:?}
username = "{klage}"
password_file = {klage_pw:?}

[[staff]]
name = "Mette Jensen"
email = "{handler}"
role = "handler"
phone = "+45 70 20 30 41"

[[staff]]
name = "Lars Holm"
email = "{manager}"
role = "complaints_manager"
phone = "+45 70 20 30 42"

[policy]
auto_holding_reply = {auto_holding}
{auto_reasons}

[security]
token_secret_file = {secret:?}
{authserv}
"#,
        klage = users.klage.address,
        handler = users.handler.address,
        manager = users.manager.address,
        klage_mailbox = imap_mailbox(
            servers,
            "klage",
            users.klage,
            setup.mode,
            setup.jurisdiction,
            setup.language,
        ),
        auto_holding = setup.auto_holding_reply,
        auto_reasons = auto_holding_reasons(),
        db = setup
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", dir.join("klagebot.db").display())),
        submission = servers.submission_port,
        ca = servers.ca_file,
        klage_pw = users.klage.password_file,
        secret = secret,
        internal = setup.internal_domains,
        authserv = setup
            .authserv_id
            .map(|id| format!("authserv_id = \"{id}\""))
            .unwrap_or_default(),
    );
    text
}

/// Opens a Danish complaint and returns the case, the customer and the handler's
/// notification.
pub async fn opened_case(h: &Harness) -> (Case, TestUser, InboundMail) {
    opened_case_with(h, mails::DA).await
}

/// Opens a complaint with `(subject, body)`; as [`opened_case`].
pub async fn opened_case_with(
    h: &Harness,
    (subject, body): (&str, &str),
) -> (Case, TestUser, InboundMail) {
    let customer = h.customer("kunde");
    h.send(
        &customer,
        &complaint(&customer.address, &h.klage.address, subject, body),
    );
    let case = h.wait_for_cases(1).await.remove(0);
    h.servers.wait_for_messages(&customer, "INBOX", 1, WAIT);
    let notice = h
        .servers
        .wait_for_messages(&h.handler, "INBOX", 1, WAIT)
        .remove(0);
    (case, customer, parse(&notice.bytes))
}

/// The handler answers the notification from their mail client: to its Reply-To.
pub fn staff_reply(h: &Harness, notice: &InboundMail, text: &str) {
    let reply_to = notice
        .header("reply-to")
        .expect("the notification has a Reply-To");
    let token_address = reply_to
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>'))
        .unwrap_or(reply_to)
        .to_string();
    let raw = mails::reply_to(&h.handler.address, &token_address, notice, text);
    h.servers
        .send_raw(&h.handler.address, &[&token_address], raw.as_bytes());
}

pub fn parsed(h: &Harness, user: &TestUser, count: usize) -> Vec<InboundMail> {
    h.servers
        .wait_for_messages(user, "INBOX", count, WAIT)
        .iter()
        .map(|m| parse(&m.bytes))
        .collect()
}
