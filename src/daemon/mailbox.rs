//! One task per configured mailbox: connect, fetch what is new, hand each message
//! to `ingest`, tell the mailbox what happened (after the commit), wait
//! for more. Reconnects with backoff and says why in the log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{Instrument, debug, error, info, info_span, warn};

use super::Daemon;
use super::ingest::{Group, Prepared, context_for, ingest};
use crate::alarm::Login;
use crate::classify::{self, Classifier};
use crate::config::Mailbox;
use crate::inbox::{Disposition, InboxError, RawMessage, Source, SourceKey};
use crate::runtime::Shutdown;
use crate::runtime::faults::{self, Stage};

/// How many messages one fetch takes before the next round (and at most
/// `inbox::MAX_BATCH_BYTES` of them): the raw mail in memory at once.
const BATCH: usize = 200;
/// The smallest batch handled in groups of messages sharing a transaction.
const GROUP_FROM: usize = 20;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A server that does not take connections (restarting, down) is tried at least
/// this often, so mail flows within seconds of its return; a refused login or a
/// bad setting backs off up to [`MAX_BACKOFF`].
const UNREACHABLE_MAX_BACKOFF: Duration = Duration::from_secs(4);
/// How often an instance standing by tries to take a mailbox another one reads.
const STANDBY_POLL: Duration = Duration::from_secs(1);
/// How long a mailbox waiting for the database sleeps between two looks.
const STORE_RECHECK: Duration = Duration::from_secs(5);

/// The UID to fetch after: the stored one, unless the folder's UIDVALIDITY changed.
async fn last_uid(daemon: &Daemon, cfg: &Mailbox, source: &Source) -> anyhow::Result<u32> {
    let Some(uidvalidity) = source.uidvalidity() else {
        return Ok(0);
    };
    Ok(match daemon.store.sync_state(&cfg.name).await? {
        Some(state) if state.uidvalidity == uidvalidity => state.last_uid,
        Some(state) => {
            warn!(
                old = state.uidvalidity,
                new = uidvalidity,
                "UIDVALIDITY changed: reading the whole folder again; mail already handled is recognised by its content"
            );
            0
        }
        None => 0,
    })
}

async fn wait(source: &mut Source, cfg: &Mailbox, shutdown: &Shutdown) -> Result<(), InboxError> {
    let poll = Duration::from_secs(cfg.poll_seconds.max(1));
    let mut stop = shutdown.clone();
    let woke = source
        .wait_for_new_mail(poll, async move { stop.requested().await })
        .await?;
    debug!(?woke, "mailbox wait over");
    Ok(())
}

/// Watches one mailbox until shutdown. Several instances may share one database:
/// a lease in it makes sure only one of them reads a mailbox at a time; one
/// standing by tries every second, and takes the mailbox as soon as its holder
/// stops beating. After a connection that worked, the next reconnect waits 1 s
/// again: the backoff only grows while connecting keeps failing.
pub(super) async fn watch(daemon: Arc<Daemon>, index: usize, mut shutdown: Shutdown) {
    let cfg = daemon.config.mailboxes[index].clone();
    let span = info_span!("mailbox", mailbox = %cfg.name);
    async {
        let lease = Lease::new(&daemon, &cfg);
        let mut backoff = FIRST_BACKOFF;
        let mut told_busy = false;
        while !shutdown.is_requested() {
            match lease.take(&daemon).await {
                Ok(true) => told_busy = false,
                Ok(false) => {
                    if !told_busy {
                        info!("another instance reads this mailbox; standing by");
                        told_busy = true;
                        daemon.readiness.mailbox_up(&cfg.name);
                    }
                    shutdown.sleep(STANDBY_POLL).await;
                    continue;
                }
                Err(err) if daemon.health.store_failing() => {
                    debug!(
                        error = format!("{err:#}"),
                        "cannot take the mailbox lease yet"
                    )
                }
                Err(err) => warn!(error = format!("{err:#}"), "cannot take the mailbox lease"),
            }
            let mut connected = false;
            match session(&daemon, &cfg, &lease, &mut shutdown, &mut connected).await {
                Ok(()) => break,
                Err(err) if crate::store::is_transient(&err) => {
                    // The database, not the mailbox: logged once; this task tries
                    // again within seconds, or at once when the sender sees
                    // commits work.
                    daemon.health.store_failed(&format!("{err:#}"));
                    tokio::select! {
                        _ = daemon.health.store_recovered(STORE_RECHECK) => {}
                        _ = shutdown.requested() => break,
                    }
                }
                Err(err) => {
                    if connected {
                        backoff = FIRST_BACKOFF;
                    }
                    warn!(
                        error = format!("{err:#}"),
                        retry_in_s = backoff.as_secs(),
                        "mailbox unavailable; will reconnect"
                    );
                    daemon
                        .login_failed(&Login::Mailbox(cfg.name.clone()), err.as_ref())
                        .await;
                    if !shutdown.sleep(backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(max_backoff(&err));
                }
            }
        }
        if let Err(err) = daemon
            .store
            .release_mailbox_lease(&cfg.name, &lease.holder)
            .await
        {
            warn!(
                error = format!("{err:#}"),
                "could not give the mailbox lease back; it expires by itself"
            );
        }
        info!("mailbox task stopped");
    }
    .instrument(span)
    .await
}

fn max_backoff(err: &anyhow::Error) -> Duration {
    match err.downcast_ref::<InboxError>() {
        Some(InboxError::Connect { .. } | InboxError::Timeout { .. }) => UNREACHABLE_MAX_BACKOFF,
        _ => MAX_BACKOFF,
    }
}

/// This instance's right to read one mailbox, kept in the database.
struct Lease {
    holder: String,
    mailbox: String,
    ttl: Duration,
}

impl Lease {
    fn new(daemon: &Daemon, cfg: &Mailbox) -> Lease {
        // Longer than the longest wait between two renewals.
        let ttl = Duration::from_secs((cfg.poll_seconds.max(1) * 2 + 30).max(90));
        Lease {
            holder: daemon.instance.holder.clone(),
            mailbox: cfg.name.clone(),
            ttl,
        }
    }

    async fn take(&self, daemon: &Daemon) -> anyhow::Result<bool> {
        let now = daemon.clock.now();
        daemon
            .store
            .try_lease_mailbox(&self.mailbox, &self.holder, now, self.ttl)
            .await
    }

    async fn renew(&self, daemon: &Daemon) -> anyhow::Result<()> {
        let now = daemon.clock.now();
        if daemon
            .store
            .renew_mailbox_lease(&self.mailbox, &self.holder, now, self.ttl)
            .await?
        {
            Ok(())
        } else {
            anyhow::bail!("the mailbox lease was lost to another instance")
        }
    }
}

/// One connection's life: returns Ok on shutdown, Err when it must reconnect.
async fn session(
    daemon: &Daemon,
    cfg: &Mailbox,
    lease: &Lease,
    shutdown: &mut Shutdown,
    connected: &mut bool,
) -> anyhow::Result<()> {
    let mut source = Source::open(cfg).await?;
    *connected = true;
    info!("mailbox connected");
    daemon.login_works(&Login::Mailbox(cfg.name.clone())).await;
    daemon.readiness.mailbox_up(&cfg.name);
    let mut progress = Progress::new();
    loop {
        lease.renew(daemon).await?;
        let handled = drain(daemon, cfg, &mut source, shutdown, &mut progress).await?;
        if handled > 0 {
            daemon.health.store_works();
        }
        if shutdown.is_requested() {
            source.close().await;
            return Ok(());
        }
        // A batch cut short by its bytes is no sign that the mailbox is read through.
        if handled < BATCH && source.waiting() == 0 {
            progress.done();
            alarm_late_acknowledgements(daemon).await;
            wait(&mut source, cfg, shutdown).await?;
        }
    }
}

/// Handles everything waiting in one mailbox once (`klagebot run --once`).
pub(super) async fn drain_once(daemon: Arc<Daemon>, index: usize) -> anyhow::Result<()> {
    let cfg = daemon.config.mailboxes[index].clone();
    let (_trigger, mut shutdown) = crate::runtime::channel();
    let mut source = Source::open(&cfg).await?;
    let mut progress = Progress::new();
    loop {
        let handled = drain(&daemon, &cfg, &mut source, &mut shutdown, &mut progress).await?;
        if handled < BATCH && source.waiting() == 0 {
            break;
        }
    }
    progress.done();
    alarm_late_acknowledgements(&daemon).await;
    Ok(())
}

/// Once a backlog is read through: one alarm over the cases whose
/// acknowledgement was due before klagebot read them.
async fn alarm_late_acknowledgements(daemon: &Daemon) {
    if let Err(err) = daemon.scheduler.alarm_late_acknowledgements().await {
        error!(
            error = format!("{err:#}"),
            "the alarm over late acknowledgements failed; the next round tries again"
        );
    }
}

/// Fetches one batch and runs its messages through the pipeline, a group of them
/// per transaction, then tells the mailbox what became of them all at once and
/// records the last UID; returns how many messages it saw. Stops between
/// messages when shutdown is requested (the group in hand is committed).
/// Whatever was committed is settled even when a later message fails; a crash
/// before settling only means those messages are recognised as handled and
/// settled on the next round.
async fn drain(
    daemon: &Daemon,
    cfg: &Mailbox,
    source: &mut Source,
    shutdown: &mut Shutdown,
    progress: &mut Progress,
) -> anyhow::Result<usize> {
    let after = last_uid(daemon, cfg, source).await?;
    let batch = Arc::new(source.fetch(after, BATCH).await?);
    let count = batch.len();
    let mut settled = Vec::with_capacity(count);
    let mut prepared = Preparer::start(daemon, cfg, batch.clone());
    let handled = handle_batch(daemon, cfg, &batch, &mut prepared, shutdown, &mut settled).await;
    drop((prepared, batch));
    settle(daemon, cfg, source, &settled).await?;
    progress.add(settled.len(), source.waiting());
    handled.map(|()| count)
}

/// Runs the messages of a batch through the pipeline in groups (one transaction
/// each), adding what each committed message should be settled as to `settled`.
/// A group that fails as a whole (not for a passing reason) is handled again one
/// message per transaction, so one bad message still only quarantines itself.
async fn handle_batch(
    daemon: &Daemon,
    cfg: &Mailbox,
    batch: &[RawMessage],
    prepared: &mut Preparer,
    shutdown: &Shutdown,
    settled: &mut Vec<(SourceKey, Disposition)>,
) -> anyhow::Result<()> {
    // Group commit is for backlogs: a few new mails take a transaction each. (With
    // groups of two, an echoing auto-responder got a third answer in
    // tests/security/floods.rs; not yet understood: docs/performance.md.)
    if batch.len() < GROUP_FROM {
        return handle_one_by_one(daemon, cfg, batch, prepared, settled).await;
    }
    let mut rest = batch;
    while !rest.is_empty() && !shutdown.is_requested() {
        let (taken, outcome) = handle_group(daemon, cfg, rest, prepared, shutdown).await?;
        let (group, later) = rest.split_at(taken);
        match outcome {
            Ok(dispositions) => {
                for (message, disposition) in group.iter().zip(dispositions) {
                    faults::check_raw(Stage::Settle, &message.bytes);
                    settled.push((message.key.clone(), disposition));
                }
            }
            Err(err) if crate::store::is_transient(&err) => return Err(err),
            Err(err) => {
                warn!(
                    error = format!("{err:#}"),
                    messages = group.len(),
                    "a group of messages could not be committed together; handling them one by one"
                );
                // Their preparation went with the group: done again here.
                let mut again = Preparer::inline(daemon, cfg);
                handle_one_by_one(daemon, cfg, group, &mut again, settled).await?;
            }
        }
        rest = later;
    }
    Ok(())
}

/// One group: messages from the front of `messages` until the group is full
/// (by count or time) or shutdown is requested, then the commit. Returns how
/// many messages it took, and what each became or why the group failed
/// (nothing of it is committed then). An error: no transaction could be begun.
async fn handle_group(
    daemon: &Daemon,
    cfg: &Mailbox,
    messages: &[RawMessage],
    prepared: &mut Preparer,
    shutdown: &Shutdown,
) -> anyhow::Result<(usize, anyhow::Result<Vec<Disposition>>)> {
    let mut group = Group::begin(daemon).await?;
    let mut dispositions = Vec::new();
    for message in messages {
        if group.len() > 0 && (group.is_full() || shutdown.is_requested()) {
            break;
        }
        let ready = prepared.next(message).await;
        match group
            .add(cfg, message, ready)
            .instrument(message_span(cfg, message))
            .await
        {
            Ok(disposition) => dispositions.push(disposition),
            Err(err) => return Ok((dispositions.len() + 1, Err(err))),
        }
    }
    let taken = dispositions.len();
    Ok((taken, group.commit().await.map(|()| dispositions)))
}

/// The way back for a group that failed: each message in a transaction of its own.
async fn handle_one_by_one(
    daemon: &Daemon,
    cfg: &Mailbox,
    messages: &[RawMessage],
    prepared: &mut Preparer,
    settled: &mut Vec<(SourceKey, Disposition)>,
) -> anyhow::Result<()> {
    for message in messages {
        let ready = prepared.next(message).await;
        let disposition = ingest(daemon, cfg, message, ready)
            .instrument(message_span(cfg, message))
            .await?;
        faults::check_raw(Stage::Settle, &message.bytes);
        settled.push((message.key.clone(), disposition));
    }
    Ok(())
}

/// Parses and classifies the messages of a batch, in order, on a blocking
/// thread ahead of the transactions that write them: the classifier's work on
/// one core while the other writes the messages before them. At most
/// [`PREPARED_AHEAD`] wait; the thread stops when the batch is dropped.
struct Preparer {
    ready: Option<tokio::sync::mpsc::Receiver<Prepared>>,
    classifier: Arc<Classifier>,
    ctx: classify::Context,
}

const PREPARED_AHEAD: usize = 32;

impl Preparer {
    fn start(daemon: &Daemon, cfg: &Mailbox, batch: Arc<Vec<RawMessage>>) -> Preparer {
        let mut preparer = Preparer::inline(daemon, cfg);
        let (sender, ready) = tokio::sync::mpsc::channel(PREPARED_AHEAD);
        let (classifier, ctx) = (preparer.classifier.clone(), preparer.ctx.clone());
        tokio::task::spawn_blocking(move || {
            for message in batch.iter() {
                if sender
                    .blocking_send(Prepared::new(&classifier, &ctx, message))
                    .is_err()
                {
                    break;
                }
            }
        });
        preparer.ready = Some(ready);
        preparer
    }

    /// One that prepares each message when it is asked for.
    fn inline(daemon: &Daemon, cfg: &Mailbox) -> Preparer {
        Preparer {
            ready: None,
            classifier: daemon.classifier.clone(),
            ctx: context_for(daemon, cfg),
        }
    }

    /// `message` prepared: the next the thread sent (they come in the batch's
    /// order, one per call), or done here when there is no thread (any more).
    async fn next(&mut self, message: &RawMessage) -> Prepared {
        if let Some(ready) = &mut self.ready {
            if let Some(prepared) = ready.recv().await {
                return prepared;
            }
            self.ready = None;
        }
        Prepared::new(&self.classifier, &self.ctx, message)
    }
}

fn message_span(cfg: &Mailbox, message: &RawMessage) -> tracing::Span {
    info_span!("message", mailbox = %cfg.name, key = %message.key, message_id = tracing::field::Empty)
}

/// While a backlog is read: one line every [`PROGRESS_EVERY`] with how many
/// messages were handled, how fast, and how many the mailbox still holds.
pub(super) struct Progress {
    started: Instant,
    last_told: Instant,
    handled: usize,
}

const PROGRESS_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub(super) fn new() -> Progress {
        let now = Instant::now();
        Progress {
            started: now,
            last_told: now,
            handled: 0,
        }
    }

    fn add(&mut self, handled: usize, waiting: usize) {
        if self.handled == 0 {
            self.started = Instant::now();
            self.last_told = self.started;
        }
        self.handled += handled;
        if self.last_told.elapsed() >= PROGRESS_EVERY {
            self.last_told = Instant::now();
            info!(
                handled = self.handled,
                per_s = self.rate(),
                left = waiting,
                "reading a backlog"
            );
        }
    }

    /// A fetch came back short: the backlog (if there was one) is read.
    fn done(&mut self) {
        if self.last_told > self.started {
            info!(
                handled = self.handled,
                per_s = self.rate(),
                seconds = self.started.elapsed().as_secs(),
                "backlog read"
            );
        }
        *self = Progress::new();
    }

    fn rate(&self) -> u64 {
        let secs = self.started.elapsed().as_secs_f64();
        if secs > 0.0 {
            (self.handled as f64 / secs) as u64
        } else {
            0
        }
    }
}

async fn settle(
    daemon: &Daemon,
    cfg: &Mailbox,
    source: &mut Source,
    settled: &[(SourceKey, Disposition)],
) -> anyhow::Result<()> {
    if settled.is_empty() {
        return Ok(());
    }
    if let Err(err) = source.settle_many(settled).await {
        // The messages are committed; the next round recognises and settles them.
        error!(error = %err, messages = settled.len(), "could not mark handled messages in the mailbox");
        return Err(err.into());
    }
    let last = settled.iter().rev().find_map(|(key, _)| match key {
        SourceKey::Imap { uidvalidity, uid } => Some((*uidvalidity, *uid)),
        SourceKey::Maildir { .. } => None,
    });
    if let Some((uidvalidity, uid)) = last {
        daemon
            .store
            .set_sync_state(&cfg.name, uidvalidity, uid)
            .await?;
    }
    Ok(())
}
