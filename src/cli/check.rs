//! `klagebot check`: everything that can be known before the daemon runs. The
//! config (already parsed and validated when this runs), every template in every
//! language, the rules, the secrets, the database and every configured server;
//! for an OAuth2 login, the token first and then the login with it, each a line
//! of its own, so that the failing step is plain.
//! One line per check; exit non-zero when any failed.

use std::process::ExitCode;

use anyhow::Context;

use crate::alarm::Login;
use crate::classify::Classifier;
use crate::config::{AuthMethod, Config, Grant, MailboxKind, OutgoingKind, TokenSource};
use crate::domain::Language;
use crate::inbox::ImapMailbox;
use crate::outbox::{Referrals, Templates};
use crate::smtp::Transport;
use crate::store::Store;

pub fn run(config: &Config, args: &super::CheckArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    report.line(
        "config",
        Ok(format!(
            "{} mailbox(es), {} staff, jurisdiction {}, kind {}{}",
            config.mailboxes.len(),
            config.staff.len(),
            config.company.jurisdiction,
            config.company.kind,
            if config.company.is_finkn_member() {
                ", member of Finansklagenemnda"
            } else {
                ""
            }
        )),
    );
    report.line("templates", check_templates(config));
    report.line(
        "rules",
        Classifier::from_config(config).map(|_| "classification rules loaded".into()),
    );
    report.line("token secret", check_token_secret(config));
    match &config.security.authserv_id {
        Some(id) if id.eq_ignore_ascii_case(crate::parse::auth::EXCHANGE_ONLINE) => report.line(
            "sender verification",
            Ok(
                "colleagues' mail counts only when Exchange Online authenticated the sender \
                (X-MS-Exchange-Organization-AuthAs: Internal)"
                    .into(),
            ),
        ),
        Some(id) => report.line(
            "sender verification",
            Ok(format!(
                "colleagues' mail counts only with a pass in the top-most \
                 Authentication-Results of {id}"
            )),
        ),
        None => report.warn(
            "sender verification",
            "security.authserv_id is not set: a colleague's forward is taken on its From \
             line alone, and an answer copied to us is kept unverified until its contact \
             person confirms it; set it to your MX's authserv-id (see the README, \
             \"Verifying colleagues' mail\")",
        ),
    }
    for mailbox in &config.mailboxes {
        if mailbox.kind != MailboxKind::Imap {
            continue;
        }
        if let Some(source) = mailbox.token_source() {
            check_oauth2_secrets(&mut report, &format!("mailbox {}", mailbox.name), &source);
        } else {
            let name = format!("mailbox {} password", mailbox.name);
            report.line(
                &name,
                mailbox.password().read(&name).map(|_| "readable".into()),
            );
        }
    }
    if let Some(source) = config.outgoing.token_source() {
        check_oauth2_secrets(&mut report, "outgoing", &source);
    } else if config.outgoing.kind == OutgoingKind::Smtp && config.outgoing.password().is_set() {
        report.line(
            "smtp password",
            config
                .outgoing
                .password()
                .read("outgoing")
                .map(|_| "readable".into()),
        );
    }
    if !args.offline {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("while starting the async runtime")?;
        runtime.block_on(check_servers(config, &mut report));
    }
    Ok(report.finish())
}

async fn check_servers(config: &Config, report: &mut Report) {
    let database = async {
        let url = config.database_url()?;
        let store = Store::connect(&url).await?;
        Ok::<_, anyhow::Error>(store)
    };
    let store = database.await;
    let retention = match &store {
        Ok(store) => Some(next_anonymisation(config, store).await),
        Err(_) => None,
    };
    report.line(
        "database",
        store.map(|s| format!("{} reachable, migrations applied", s.backend())),
    );
    if let Some(retention) = retention {
        report.line("retention", retention);
    }
    for mailbox in &config.mailboxes {
        let name = format!("mailbox {}", mailbox.name);
        if let Some(source) = mailbox.token_source()
            && !check_token(report, &Login::Mailbox(mailbox.name.clone()), &source).await
        {
            report.skip(&name, "the login needs the token above");
            continue;
        }
        let outcome = match mailbox.kind {
            MailboxKind::Imap => match ImapMailbox::connect(mailbox).await {
                Ok(session) => {
                    let detail = format!(
                        "logged in{}, folder {} selected (UIDVALIDITY {}, IDLE {})",
                        match (mailbox.auth(), mailbox.token_source()) {
                            (AuthMethod::Oauth2, Some(source)) =>
                                format!(" with the token ({})", source.mechanism.name()),
                            _ => String::new(),
                        },
                        mailbox.folder,
                        session.uidvalidity(),
                        if session.has_idle() {
                            "yes"
                        } else {
                            "no: polling"
                        }
                    );
                    session.logout().await;
                    Ok(detail)
                }
                Err(err) => Err(anyhow::Error::new(err)),
            },
            MailboxKind::Maildir => crate::inbox::MaildirMailbox::open(mailbox)
                .map(|m| format!("Maildir {}", m.path().display()))
                .map_err(anyhow::Error::new),
        };
        report.line(&name, outcome);
    }
    if let Some(source) = config.outgoing.token_source()
        && !check_token(report, &Login::Outgoing, &source).await
    {
        report.skip("outgoing", "the login needs the token above");
        return;
    }
    let outgoing = async {
        let transport = Transport::from_config(&config.outgoing)?;
        transport.check().await
    };
    report.line("outgoing", outgoing.await);
}

/// The client secret and refresh token file of an OAuth2 login can be read.
fn check_oauth2_secrets(report: &mut Report, login: &str, source: &TokenSource) {
    if source.client_secret.is_set() {
        let what = format!("{login} oauth2 client secret");
        report.line(
            &what,
            source.client_secret.read(&what).map(|_| "readable".into()),
        );
    }
    if let Grant::RefreshToken { file } = &source.grant {
        let readable = std::fs::read_to_string(file)
            .map_err(anyhow::Error::from)
            .and_then(|text| match text.trim().is_empty() {
                true => anyhow::bail!("empty"),
                false => Ok(format!("{} readable", file.display())),
            })
            .with_context(|| {
                format!(
                    "refresh token file {} (`klagebot oauth login` writes it)",
                    file.display()
                )
            });
        report.line(&format!("{login} oauth2 refresh token"), readable);
    }
}

/// Step one of an OAuth2 login: a token from the provider. False when it failed.
async fn check_token(report: &mut Report, login: &Login, source: &TokenSource) -> bool {
    let outcome = crate::oauth::tokens().token(source).await;
    let ok = outcome.is_ok();
    let line = outcome
        .map(|token| {
            format!(
                "obtained from {} ({} grant, valid {} s)",
                source.token_url,
                source.grant.name(),
                token.lifetime().as_secs()
            )
        })
        .map_err(|err| {
            let advice = err
                .advice()
                .map(|a| format!(" — {}", a.line(&login.login_argument())))
                .unwrap_or_default();
            anyhow::anyhow!("{err}{advice}")
        });
    report.line(&format!("{} oauth2 token", login.key()), line);
    ok
}

/// What the next daily anonymisation will anonymise, if nothing changes meanwhile.
async fn next_anonymisation(config: &Config, store: &Store) -> anyhow::Result<String> {
    let rules = crate::case::Rules::from_config(config);
    let cal = rules.calendar(config.company.jurisdiction);
    let now = chrono::Utc::now();
    let today = cal.local_date(now);
    let mut at = cal.at_local(today, config.retention.at);
    if at <= now || store.retention_ran(today).await? {
        at = cal.at_local(today.succ_opt().unwrap_or(today), config.retention.at);
    }
    let next = store
        .retention_preview(&config.retention.cutoffs(at))
        .await?;
    let r = &config.retention;
    Ok(format!(
        "the next anonymisation ({}) will anonymise {} case(s) ended over {} year(s) ago,          {} mail(s) of no case over {} days old and {} quarantined mail(s) over {} days old;          {} expired case(s) kept on legal hold",
        at.with_timezone(&config.company.jurisdiction.time_zone())
            .format("%Y-%m-%d %H:%M %Z"),
        next.cases,
        r.case_years,
        next.mails,
        r.mail_days,
        next.quarantined,
        r.quarantine_days,
        next.held
    ))
}

fn check_templates(config: &Config) -> anyhow::Result<String> {
    let templates = Templates::load(config.templates.dir.as_deref())?;
    templates.check_all()?;
    Referrals::load(config.templates.referrals_file.as_deref())?;
    Ok(format!(
        "{} kinds rendered in {} languages, referral bodies loaded",
        crate::outbox::TemplateKind::ALL.len(),
        Language::ALL.len()
    ))
}

fn check_token_secret(config: &Config) -> anyhow::Result<String> {
    crate::daemon::read_token_secret(config)?;
    Ok("readable".into())
}

/// The lines printed so far and whether any failed.
#[derive(Default)]
struct Report {
    failed: usize,
}

impl Report {
    fn line(&mut self, what: &str, outcome: anyhow::Result<String>) {
        match outcome {
            Ok(detail) => println!("ok    {what}: {detail}"),
            Err(err) => {
                self.failed += 1;
                println!("FAIL  {what}: {err:#}");
            }
        }
    }

    fn skip(&mut self, what: &str, why: &str) {
        println!("skip  {what}: {why}");
    }

    /// Works, but not as safely as it could: said, not counted as a failure.
    fn warn(&mut self, what: &str, why: &str) {
        println!("WARN  {what}: {why}");
    }

    fn finish(self) -> ExitCode {
        if self.failed == 0 {
            println!("all checks passed");
            ExitCode::SUCCESS
        } else {
            println!("{} check(s) failed", self.failed);
            ExitCode::FAILURE
        }
    }
}
