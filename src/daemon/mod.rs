//! `klagebot run`: the stages wired together.
//!
//! One task per mailbox ([`mailbox`]) fetches mail and hands each message to
//! [`ingest`], which parses and classifies it, asks [`route`] where it belongs
//! and the [`handle`]r of that route what it causes, and records the answer in
//! one transaction. The [`sender`] task drains the outbox through the configured
//! transport; the [`Scheduler`] fires the deadlines stored in the database; the
//! optional [`http`] listener serves `/healthz` and `/metrics`; the
//! [`heartbeat`] tells the database every second that this instance lives (what
//! its mailbox leases and outbox claims stand on). They share a [`Daemon`] and
//! stop together on [`Shutdown`].
//!
//! Imports run one way: `mod` → `mailbox` → `ingest` → `route`, `handle/*` →
//! `inbound` (the shared types). No handler imports another.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tracing::{info, warn};

use crate::alarm::{Alarms, Login};
use crate::case::Rules;
use crate::classify::Classifier;
use crate::config::Config;
use crate::outbox::{Referrals, Templates};
use crate::record::Recorder;
use crate::runtime::{Clock, Health, Instance, Metrics, Shutdown, Wakeups};
use crate::scheduler::Scheduler;
use crate::smtp::Transport;
use crate::store::Store;
use supervise::supervise;

mod handle;
mod heartbeat;
mod http;
mod inbound;
mod ingest;
mod journal;
mod mailbox;
mod route;
pub mod sender;
mod supervise;

/// Everything the daemon's tasks share.
pub struct Daemon {
    pub config: Arc<Config>,
    pub store: Store,
    /// Shared with the thread that classifies a batch ahead of its transaction.
    pub classifier: Arc<Classifier>,
    /// Calendars, policy and staff for the pure case logic.
    pub rules: Arc<Rules>,
    /// Writes case changes with the mail they cause.
    pub recorder: Arc<Recorder>,
    /// Fires the deadlines stored in the database.
    pub scheduler: Scheduler,
    pub transport: Transport,
    pub clock: Clock,
    /// This instance as its mailbox leases and outbox claims name it: host, boot
    /// id, process id and start time; and when it last beat.
    pub instance: Arc<Instance>,
    /// Deliveries the server accepted that the database could not take yet.
    pub unrecorded: sender::Unrecorded,
    /// On SQLite: where the sender notes each delivery before the database has it.
    journal: Option<journal::Journal>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// How tasks wake each other when work is waiting.
    pub wake: Arc<Wakeups>,
    /// The tasks' state for `/healthz`.
    pub health: Arc<Health>,
    /// Which logins fail (for `/healthz`), and their alarm mail.
    pub alarms: Alarms,
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
    /// Connects to the database (running migrations), loads rules and templates,
    /// and records the configured staff so the register keeps their names.
    pub async fn new(config: Config, clock: Clock) -> anyhow::Result<Arc<Daemon>> {
        let url = config.database_url()?;
        let store = Store::connect(&url).await.with_context(|| {
            format!(
                "while opening the database {}",
                crate::store::redact_url(&url)
            )
        })?;
        store
            .sync_staff(&config.staff)
            .await
            .context("while recording the configured staff")?;
        let classifier = Arc::new(
            Classifier::from_config(&config).context("while loading the classification rules")?,
        );
        let templates = Templates::load(config.templates.dir.as_deref())
            .context("while loading the templates")?;
        let referrals = Referrals::load(config.templates.referrals_file.as_deref())
            .context("while loading the referral bodies")?;
        let transport =
            Transport::from_config(&config.outgoing).context("while setting up outgoing mail")?;
        let token_secret = read_token_secret(&config)?;
        let readiness = crate::service_manager::Readiness::new(
            config.mailboxes.iter().map(|m| m.name.as_str()),
        );
        let rules = Arc::new(Rules::from_config(&config));
        let journal = store
            .sqlite_file()
            .map(|db| journal::Journal::beside(&db))
            .transpose()?;
        let config = Arc::new(config);
        let recorder = Arc::new(Recorder::new(
            config.clone(),
            rules.clone(),
            templates,
            referrals,
            token_secret,
        ));
        let (metrics, wake) = (Arc::new(Metrics::default()), Arc::new(Wakeups::default()));
        let scheduler = Scheduler::new(
            store.clone(),
            recorder.clone(),
            clock.clone(),
            wake.clone(),
            metrics.clone(),
        );
        Ok(Arc::new(Daemon {
            config,
            store,
            classifier,
            rules,
            recorder,
            scheduler,
            transport,
            clock,
            instance: Arc::new(Instance::current()),
            unrecorded: sender::Unrecorded::default(),
            journal,
            metrics,
            wake,
            health: Arc::new(Health::default()),
            alarms: Alarms::default(),
            readiness,
        }))
    }

    /// What routing and handling read: the config, the rules and the token secret.
    fn env(&self) -> inbound::Env<'_> {
        inbound::Env {
            config: &self.config,
            rules: &self.rules,
            token_secret: self.recorder.token_secret(),
        }
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
        // Before any lease is tried: a restarted instance takes over at once from
        // its dead predecessor on this host.
        heartbeat::beat(&self, true).await;
        if options.once {
            let done = self.clone().run_once().await;
            heartbeat::farewell(&self).await;
            return done;
        }
        let mut tasks = tokio::task::JoinSet::new();
        let (daemon, stop) = (self.clone(), shutdown.clone());
        tasks.spawn(supervise(
            "heartbeat".into(),
            self.health.clone(),
            shutdown.clone(),
            move || heartbeat::run(daemon.clone(), stop.clone()),
        ));
        for index in 0..self.config.mailboxes.len() {
            let name = format!("mailbox {}", self.config.mailboxes[index].name);
            let (daemon, stop) = (self.clone(), shutdown.clone());
            tasks.spawn(supervise(
                name,
                self.health.clone(),
                shutdown.clone(),
                move || mailbox::watch(daemon.clone(), index, stop.clone()),
            ));
        }
        let (daemon, stop) = (self.clone(), shutdown.clone());
        tasks.spawn(supervise(
            "sender".into(),
            self.health.clone(),
            shutdown.clone(),
            move || sender::run(daemon.clone(), stop.clone()),
        ));
        let (daemon, stop) = (self.clone(), shutdown.clone());
        tasks.spawn(supervise(
            "scheduler".into(),
            self.health.clone(),
            shutdown.clone(),
            move || {
                let (daemon, stop) = (daemon.clone(), stop.clone());
                async move { daemon.scheduler.run(stop).await }
            },
        ));
        if let Some(listen) = self.config.http.listen.clone() {
            let (daemon, stop) = (self.clone(), shutdown.clone());
            tasks.spawn(async move {
                if let Err(err) = http::serve(daemon, listen, stop).await {
                    warn!(error = format!("{err:#}"), "the HTTP listener stopped");
                }
            });
        }
        self.readiness.started();
        let health = self.health.clone();
        crate::service_manager::watch_tasks(&mut tasks, &shutdown, move || health.all_running())
            .await;
        heartbeat::farewell(&self).await;
        info!("klagebot stopped");
        Ok(())
    }

    /// A login failed: `/healthz` reports it, and once it has failed for
    /// `[alerts] after`, one alarm mail is queued.
    pub async fn login_failed(
        &self,
        login: &Login,
        err: &(dyn std::error::Error + Send + Sync + 'static),
    ) {
        let now = self.clock.now();
        match self
            .alarms
            .failed(&self.store, &self.config, login, err, now)
            .await
        {
            Ok(true) => self.wake.outbox.notify_one(),
            Ok(false) => {}
            Err(e) => {
                warn!(error = format!("{e:#}"), login = %login.key(), "cannot record the failed login")
            }
        }
    }

    /// A login worked: it is healthy again, and a later failure alarms anew.
    pub async fn login_works(&self, login: &Login) {
        if let Err(e) = self.alarms.recovered(&self.store, login).await {
            warn!(error = format!("{e:#}"), login = %login.key(), "cannot record the working login");
        }
    }

    /// Reads every mailbox through once: each waiting message handled and
    /// committed, then settled; nothing is sent. `run --once` starts with it, and
    /// the ingest benchmark measures it.
    pub async fn ingest_waiting(self: &Arc<Self>) -> anyhow::Result<()> {
        for index in 0..self.config.mailboxes.len() {
            mailbox::drain_once(self.clone(), index).await?;
        }
        Ok(())
    }

    async fn run_once(self: Arc<Self>) -> anyhow::Result<()> {
        self.ingest_waiting().await?;
        self.scheduler.send_digest_if_due().await?;
        self.scheduler.summarize_floods().await?;
        self.scheduler.fire_due().await?;
        while sender::deliver_due(&self).await? > 0 {}
        info!("klagebot finished (--once)");
        Ok(())
    }
}

/// The shortest token secret klagebot accepts: anyone who knows the secret
/// (or can guess a short one) can write staff commands into any case.
pub const MIN_TOKEN_SECRET_LEN: usize = 16;

/// The token secret from the config; the embedded default keeps a random one in
/// `./klagebot.secret` so that a newcomer needs to set nothing. An empty or short
/// secret is refused: it would make every case's reply address computable.
pub fn read_token_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    let secret = config.security.token_secret();
    let value = match secret.is_set() {
        true => match secret.read("security.token_secret") {
            Ok(value) => value.into_bytes(),
            Err(_) if config.is_embedded_default() => local_secret(Path::new("klagebot.secret"))?,
            Err(err) => return Err(err),
        },
        false if config.is_embedded_default() => local_secret(Path::new("klagebot.secret"))?,
        false => secret.read("security.token_secret")?.into_bytes(),
    };
    if value.trim_ascii().len() < MIN_TOKEN_SECRET_LEN {
        anyhow::bail!(
            "security.token_secret is shorter than {MIN_TOKEN_SECRET_LEN} characters; \
             make one with: head -c 32 /dev/urandom | base64"
        );
    }
    Ok(value)
}

/// The embedded default's secret: read, or made once (random, readable by this
/// user only, written whole or not at all).
fn local_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read(path) {
        return Ok(existing);
    }
    let mut bytes = [0u8; 32];
    let mut urandom = std::fs::File::open("/dev/urandom").context("while reading /dev/urandom")?;
    std::io::Read::read_exact(&mut urandom, &mut bytes).context("while reading /dev/urandom")?;
    let secret = hex::encode(bytes).into_bytes();
    let partial = path.with_extension("secret.partial");
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)?;
        file.write_all(&secret)?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    };
    write().with_context(|| format!("while writing {}", path.display()))?;
    Ok(secret)
}
