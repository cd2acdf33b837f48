//! `klagebot run`: the stages wired together.
//!
//! One task per mailbox feeds the [`pipeline`] (store raw → parse → classify →
//! case → outbox, one transaction per message); one [`sender`] task drains the
//! outbox through the configured transport; one [`crate::scheduler`] task fires the
//! deadlines stored in the database. They share a [`Daemon`] and stop together on
//! [`Shutdown`].

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;
use tracing::{info, warn};

use crate::case::Rules;
use crate::classify::Classifier;
use crate::config::Config;
use crate::outbox::{Referrals, Templates};
use crate::smtp::Transport;
use crate::store::Store;

pub mod changes;
pub mod clock;
pub mod letters;
mod mailbox;
pub mod metrics;
pub mod pipeline;
pub mod route;
pub mod sender;
pub mod shutdown;
mod staff;
mod undelivered;

pub use clock::Clock;
pub use shutdown::{Shutdown, Trigger};

/// Everything the daemon's tasks share.
pub struct Daemon {
    pub config: Config,
    pub store: Store,
    pub classifier: Classifier,
    pub templates: Templates,
    pub referrals: Referrals,
    /// Calendars, policy and staff for the pure case logic.
    pub rules: Rules,
    pub transport: Transport,
    pub clock: Clock,
    /// The HMAC secret of the staff reply tokens.
    pub token_secret: Vec<u8>,
    /// This instance's name in mailbox leases: host, process and start time.
    pub instance: String,
    /// Counters for `/metrics`.
    pub metrics: metrics::Metrics,
    /// Woken after a transaction queued mail.
    pub(crate) outbox_ready: Notify,
    /// Woken after a transaction changed a deadline.
    pub(crate) deadlines_changed: Notify,
    /// Which mailboxes have yet to connect before systemd hears `READY=1`.
    pub(crate) readiness: crate::service_manager::Readiness,
}

/// How `run` behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Handle what is waiting once, deliver the outbox, fire due deadlines, and return.
    pub once: bool,
}

impl Daemon {
    /// Connects to the database (running migrations) and loads rules and templates.
    pub async fn new(config: Config, clock: Clock) -> anyhow::Result<Arc<Daemon>> {
        let url = config.database_url()?;
        let store = Store::connect(&url)
            .await
            .with_context(|| format!("while opening the database {}", redact_url(&url)))?;
        let classifier =
            Classifier::from_config(&config).context("while loading the classification rules")?;
        let templates = Templates::load(config.templates.dir.as_deref())
            .context("while loading the templates")?;
        let referrals = Referrals::load(config.templates.referrals_file.as_deref())
            .context("while loading the referral bodies")?;
        let rules = Rules::from_config(&config);
        let transport =
            Transport::from_config(&config.outgoing).context("while setting up outgoing mail")?;
        let token_secret = read_token_secret(&config)?;
        let readiness = crate::service_manager::Readiness::new(
            config.mailboxes.iter().map(|m| m.name.as_str()),
        );
        Ok(Arc::new(Daemon {
            config,
            store,
            classifier,
            templates,
            referrals,
            rules,
            transport,
            clock,
            token_secret,
            instance: instance_name(),
            metrics: metrics::Metrics::default(),
            outbox_ready: Notify::new(),
            deadlines_changed: Notify::new(),
            readiness,
        }))
    }

    /// Runs every task until `shutdown` (or, with `once`, until the work in hand is done).
    pub async fn run(
        self: Arc<Self>,
        options: RunOptions,
        shutdown: Shutdown,
    ) -> anyhow::Result<()> {
        info!(
            mailboxes = self.config.mailboxes.len(),
            once = options.once,
            "klagebot started"
        );
        if options.once {
            return self.run_once().await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..self.config.mailboxes.len() {
            let (daemon, stop) = (self.clone(), shutdown.clone());
            tasks.spawn(async move { mailbox::watch(daemon, index, stop).await });
        }
        let (daemon, stop) = (self.clone(), shutdown.clone());
        tasks.spawn(async move { sender::run(daemon, stop).await });
        let (daemon, stop) = (self.clone(), shutdown.clone());
        tasks.spawn(async move { crate::scheduler::run(daemon, stop).await });
        if let Some(listen) = self.config.http.listen.clone() {
            let (daemon, stop) = (self.clone(), shutdown.clone());
            tasks.spawn(async move {
                if let Err(err) = metrics::serve(daemon, listen, stop).await {
                    warn!(error = format!("{err:#}"), "the HTTP listener stopped");
                }
            });
        }
        self.readiness.started();
        crate::service_manager::supervise(&mut tasks, &shutdown).await;
        info!("klagebot stopped");
        Ok(())
    }

    async fn run_once(self: Arc<Self>) -> anyhow::Result<()> {
        for index in 0..self.config.mailboxes.len() {
            mailbox::drain_once(self.clone(), index).await?;
        }
        crate::scheduler::fire_due(&self).await?;
        while sender::deliver_due(&self).await? > 0 {}
        info!("klagebot finished (--once)");
        Ok(())
    }
}

/// The token secret from the config; the embedded default keeps a random one in
/// `./klagebot.secret` so that a newcomer needs to set nothing.
pub fn read_token_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    let secret = config.security.token_secret();
    if secret.is_set()
        && let Ok(value) = secret.read("security.token_secret")
    {
        return Ok(value.into_bytes());
    }
    if config.is_embedded_default() {
        return local_secret(std::path::Path::new("klagebot.secret"));
    }
    Ok(secret.read("security.token_secret")?.into_bytes())
}

fn local_secret(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read(path) {
        return Ok(existing);
    }
    let mut bytes = [0u8; 32];
    let mut urandom = std::fs::File::open("/dev/urandom").context("while reading /dev/urandom")?;
    std::io::Read::read_exact(&mut urandom, &mut bytes).context("while reading /dev/urandom")?;
    let secret = hex::encode(bytes).into_bytes();
    std::fs::write(path, &secret).with_context(|| format!("while writing {}", path.display()))?;
    Ok(secret)
}

fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "klagebot".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{host}-{}-{started}", std::process::id())
}

/// A database URL fit for a log line: any password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_url("postgres://kb:s3cret@db/klage"),
            "postgres://kb:***@db/klage"
        );
        assert_eq!(
            redact_url("postgres://kb@db/klage"),
            "postgres://kb@db/klage"
        );
        assert_eq!(redact_url("sqlite://klagebot.db"), "sqlite://klagebot.db");
    }
}
