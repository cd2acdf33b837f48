//! Logins that keep failing: which mailbox (or the SMTP server) fails since when
//! and why, for `/healthz`; and the one alarm mail per failure to the complaints
//! managers and `[alerts] to`, once a token refresh or login has failed for
//! `[alerts] after` (30 minutes by default). The alarm is queued in the outbox in
//! the same transaction that marks it raised, so that restarts and several
//! instances send it once; the next comes only after the login worked again.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tracing::{error, info, warn};

use crate::config::{Config, StaffRole};
use crate::domain::EmailAddress;
use crate::inbox::InboxError;
use crate::oauth::{Advice, ProviderError, TokenError};
use crate::smtp::SendError;
use crate::store::{NewOutgoing, Store};

mod text;

/// The outbox kind of an alarm mail.
pub const ALARM_KIND: &str = "login_alarm";

/// A login klagebot depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Login {
    /// The IMAP login of the `[[mailbox]]` with this name.
    Mailbox(String),
    /// The `[outgoing]` SMTP server's.
    Outgoing,
}

impl Login {
    /// How the database and `/healthz` name it: `mailbox klage`, `outgoing`.
    pub fn key(&self) -> String {
        match self {
            Login::Mailbox(name) => format!("mailbox {name}"),
            Login::Outgoing => "outgoing".into(),
        }
    }

    /// The `klagebot oauth login` argument that renews its consent.
    pub fn login_argument(&self) -> String {
        match self {
            Login::Mailbox(name) => format!("--mailbox {name}"),
            Login::Outgoing => "--outgoing".into(),
        }
    }
}

/// What went wrong, as far as the alarm and `/healthz` tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The whole error chain, one line (no secrets: none are ever in errors).
    pub error: String,
    /// The provider's own error, when a token request was refused.
    pub provider: Option<ProviderError>,
    pub advice: Option<Advice>,
    /// A token or login failure (counts towards the alarm); otherwise the server
    /// is just unreachable, which `/healthz` shows but does not alarm about.
    pub login_failure: bool,
}

impl Problem {
    pub fn of(err: &(dyn std::error::Error + 'static)) -> Problem {
        let mut problem = Problem {
            error: chain_text(err),
            provider: None,
            advice: None,
            login_failure: false,
        };
        let causes = std::iter::successors(Some(err), |e| e.source());
        for cause in causes {
            if let Some(token) = cause.downcast_ref::<TokenError>() {
                problem.login_failure = true;
                problem.provider = token.provider_error().cloned();
                problem.advice = token.advice();
            } else if let Some(inbox) = cause.downcast_ref::<InboxError>() {
                match inbox {
                    InboxError::Login { .. } => problem.login_failure = true,
                    InboxError::TokenRefused { .. } => {
                        problem.login_failure = true;
                        problem.advice = Some(Advice::TokenRefused);
                    }
                    _ => {}
                }
            } else if let Some(send) = cause.downcast_ref::<SendError>() {
                match send {
                    SendError::Auth { .. } => problem.login_failure = true,
                    SendError::TokenRefused { .. } => {
                        problem.login_failure = true;
                        problem.advice = Some(Advice::TokenRefused);
                    }
                    _ => {}
                }
            }
        }
        problem
    }
}

/// The error and its causes in one line; a cause already quoted by its parent
/// (thiserror's `{source}`) is not repeated.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    for cause in std::iter::successors(err.source(), |e| e.source()) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// A login failing now, as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    pub login: Login,
    pub since: DateTime<Utc>,
    pub problem: Problem,
}

/// What this instance knows of each login's health.
#[derive(Debug, Default)]
pub struct Alarms {
    logins: Mutex<BTreeMap<Login, State>>,
}

#[derive(Debug, Clone)]
enum State {
    Working,
    Failing {
        since: DateTime<Utc>,
        problem: Problem,
    },
}

impl Alarms {
    /// The logins failing now, for `/healthz`.
    pub fn failing(&self) -> Vec<Failing> {
        let logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        logins
            .iter()
            .filter_map(|(login, state)| match state {
                State::Failing { since, problem } => Some(Failing {
                    login: login.clone(),
                    since: *since,
                    problem: problem.clone(),
                }),
                State::Working => None,
            })
            .collect()
    }

    /// `login` failed with `err` at `now`. Returns true when this queued the alarm
    /// mail (the caller wakes the sender).
    pub async fn failed(
        &self,
        store: &Store,
        config: &Config,
        login: &Login,
        err: &(dyn std::error::Error + Send + Sync + 'static),
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let problem = Problem::of(err);
        self.note_failure(login, &problem, now);
        if !problem.login_failure {
            return Ok(false);
        }
        let failure = store.login_failed(&login.key(), now).await?;
        let after = chrono::Duration::from_std(config.alerts.after)?;
        if failure.alarmed || now - failure.since < after {
            return Ok(false);
        }
        self.raise(store, config, login, &problem, failure.since, now)
            .await
    }

    /// `login` works: forgets its failure, so that a new one alarms again.
    pub async fn recovered(&self, store: &Store, login: &Login) -> anyhow::Result<()> {
        let previous = {
            let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
            logins.insert(login.clone(), State::Working)
        };
        match previous {
            Some(State::Working) => Ok(()),
            // Failing here, or not yet known (a failure from before a restart).
            Some(State::Failing { .. }) | None => {
                if store.login_recovered(&login.key()).await? {
                    info!(login = %login.key(), "the login works again");
                }
                Ok(())
            }
        }
    }

    /// Remembers the failure; logs the plain-language advice when it is new.
    fn note_failure(&self, login: &Login, problem: &Problem, now: DateTime<Utc>) {
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        let (since, news) = match logins.get(login) {
            Some(State::Failing {
                since,
                problem: old,
            }) => (*since, old.advice != problem.advice),
            _ => (now, true),
        };
        logins.insert(
            login.clone(),
            State::Failing {
                since,
                problem: problem.clone(),
            },
        );
        if let (true, Some(advice)) = (news, problem.advice) {
            warn!(
                login = %login.key(),
                code = advice.code(),
                provider_error = problem.provider.as_ref().map(|p| p.code.as_str()),
                "{}",
                advice.line(&login.login_argument())
            );
        }
    }

    async fn raise(
        &self,
        store: &Store,
        config: &Config,
        login: &Login,
        problem: &Problem,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let recipients = recipients(config);
        let mut tx = store.begin().await?;
        if !tx.claim_login_alarm(&login.key(), now).await? {
            return Ok(false);
        }
        if recipients.is_empty() {
            tx.commit().await?;
            error!(
                login = %login.key(),
                "a login has failed for too long, but nobody gets alarms: add staff with role complaints_manager or [alerts] to"
            );
            return Ok(false);
        }
        let raw = text::compose(config, login, problem, since, now, &recipients)?;
        tx.enqueue(&NewOutgoing {
            case_ref: None,
            kind: ALARM_KIND.into(),
            message_id: raw.message_id,
            envelope_from: config.company.complaint_address.to_string(),
            recipients: recipients.iter().map(|a| a.to_string()).collect(),
            raw: raw.bytes,
            not_before: now,
        })
        .await?;
        tx.commit().await?;
        error!(
            login = %login.key(),
            failing_since = %since,
            recipients = recipients.len(),
            error = %problem.error,
            "login failing for too long: alarm queued"
        );
        Ok(true)
    }
}

/// The complaints managers and `[alerts] to`, each once.
fn recipients(config: &Config) -> Vec<EmailAddress> {
    let mut out: Vec<EmailAddress> = Vec::new();
    let managers = config
        .staff
        .iter()
        .filter(|s| s.role == StaffRole::ComplaintsManager)
        .map(|s| &s.email);
    for address in managers.chain(&config.alerts.to) {
        if !out.iter().any(|a| a.key() == address.key()) {
            out.push(address.clone());
        }
    }
    out
}
