//! One IMAP mailbox: fetch new mail by UID without touching \Seen, settle it by
//! keyword (`watch`) or by moving it (`own`), and wait for new mail with IDLE.

mod auth;
mod connect;
mod folders;
mod setup;

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::time::Duration;

use async_imap::Session;
use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{MailboxDatum, Response};
use async_imap::types::UnsolicitedResponse;
use futures::TryStreamExt;

use super::error::Endpoint;
use super::tls::ImapStream;
use super::{Disposition, InboxError, MAX_BATCH_BYTES, RawMessage, SourceKey, Wakeup};
use crate::config::{Mailbox, MailboxMode};
use connect::{STEP_TIMEOUT, timed};
use setup::{
    Capabilities, capabilities, check_keyword, endpoint, prepare_own_mode, select,
    warn_if_keyword_not_kept,
};

/// Servers drop an IDLE after 30 minutes (RFC 2177); re-issue well before.
const MAX_IDLE: Duration = Duration::from_secs(25 * 60);
/// A large batch of bodies may take longer than one ordinary step.
const FETCH_TIMEOUT: Duration = Duration::from_secs(300);

/// A logged-in session with the configured folder selected.
pub struct ImapMailbox {
    /// `None` once an error broke the connection: every call then says "reconnect".
    session: Option<Session<ImapStream>>,
    server: Endpoint,
    mode: MailboxMode,
    folders: folders::Folders,
    /// `watch`: the keyword complaints get.
    keyword: String,
    /// `own`: the keyword of mail left in the inbox for a person.
    left_keyword: String,
    uidvalidity: u32,
    capabilities: Capabilities,
    poll: Duration,
    /// How to log in again, and the CA for it.
    credentials: auth::Credentials,
    ca_file: Option<std::path::PathBuf>,
    /// With OAuth2: when the session's token is due for renewal; the session is
    /// then replaced by one logged in with a fresh token.
    renew_at: Option<tokio::time::Instant>,
    /// UIDs the last look at the folder found, oldest first: later fetches take
    /// their batches from here, so a backlog is searched once, not once per batch.
    pending: VecDeque<u32>,
    /// How many at the front of `pending` the last fetch handed out.
    handed_out: usize,
}

impl fmt::Debug for ImapMailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapMailbox")
            .field("server", &self.server)
            .field("folder", &self.folders.inbox)
            .field("uidvalidity", &self.uidvalidity)
            .field("connected", &self.session.is_some())
            .finish()
    }
}

impl ImapMailbox {
    /// Connects, logs in, prepares the `own`-mode folders and selects the folder.
    pub async fn connect(cfg: &Mailbox) -> Result<ImapMailbox, InboxError> {
        let server = endpoint(cfg)?;
        let credentials = auth::credentials(cfg)?;
        check_keyword(&cfg.keyword)?;
        check_keyword(&cfg.not_complaint_keyword)?;
        let (mut session, renew_at) =
            auth::log_in(&server, cfg.ca_file.as_deref(), &credentials).await?;
        let capabilities = capabilities(&server, &mut session).await?;
        let folders = folders::Folders::resolve(&server, &mut session, cfg).await?;
        if cfg.mode == MailboxMode::Own {
            prepare_own_mode(&server, &mut session, &folders, capabilities, &cfg.name).await?;
        }
        let selected = select(&server, &mut session, &folders.inbox).await?;
        if cfg.mode == MailboxMode::Watch {
            warn_if_keyword_not_kept(cfg, &selected.permanent_flags);
        }
        Ok(ImapMailbox {
            session: Some(session),
            server,
            mode: cfg.mode,
            folders,
            keyword: cfg.keyword.clone(),
            left_keyword: cfg.not_complaint_keyword.clone(),
            uidvalidity: selected.uidvalidity,
            capabilities,
            poll: Duration::from_secs(cfg.poll_seconds.max(1)),
            credentials,
            ca_file: cfg.ca_file.clone(),
            renew_at,
            pending: VecDeque::new(),
            handed_out: 0,
        })
    }

    /// Replaces the session by one logged in with a fresh token, the folder
    /// selected again; the old one is logged out. A changed UIDVALIDITY is an error
    /// (the daemon then re-syncs as after any reconnect).
    async fn renew_session(&mut self) -> Result<(), InboxError> {
        let (mut session, renew_at) =
            auth::log_in(&self.server, self.ca_file.as_deref(), &self.credentials).await?;
        let selected = select(&self.server, &mut session, &self.folders.inbox).await?;
        let old = self.session.replace(session);
        self.renew_at = renew_at;
        if let Some(mut old) = old {
            let _ = tokio::time::timeout(STEP_TIMEOUT, old.logout()).await;
        }
        if selected.uidvalidity != self.uidvalidity {
            self.session = None;
            return Err(InboxError::UidValidityChanged {
                folder: self.folders.inbox.clone(),
                expected: self.uidvalidity,
                actual: selected.uidvalidity,
            });
        }
        tracing::debug!(server = %self.server, "IMAP session renewed with a fresh OAuth2 token");
        Ok(())
    }

    /// The selected folder's UIDVALIDITY. When it differs from the one stored with
    /// the last UID, old UIDs mean nothing: fetch from 0 and let the store dedupe.
    pub fn uidvalidity(&self) -> u32 {
        self.uidvalidity
    }

    /// UIDs of the last search not yet handed out.
    pub fn waiting(&self) -> usize {
        self.pending.len().saturating_sub(self.handed_out)
    }

    /// Whether the server pushes new mail (IDLE) or must be polled.
    pub fn has_idle(&self) -> bool {
        self.capabilities.idle
    }

    pub(super) fn check_uidvalidity(&self, expected: u32) -> Result<(), InboxError> {
        if expected == self.uidvalidity {
            return Ok(());
        }
        Err(InboxError::UidValidityChanged {
            folder: self.folders.inbox.clone(),
            expected,
            actual: self.uidvalidity,
        })
    }

    /// Up to `limit` messages with a UID above `last_uid`, oldest first, read with
    /// BODY.PEEK so that nobody sees them marked as read, and no more than
    /// [`MAX_BATCH_BYTES`] of them (at least one). The folder is searched only
    /// when the UIDs of the last search are used up.
    pub async fn fetch_after(
        &mut self,
        last_uid: u32,
        limit: usize,
    ) -> Result<Vec<RawMessage>, InboxError> {
        while self.pending.front().is_some_and(|&uid| uid <= last_uid) {
            self.pending.pop_front();
        }
        if self.pending.is_empty() {
            self.look(last_uid).await?;
        }
        self.handed_out = 0;
        let wanted: Vec<u32> = self.pending.iter().take(limit).copied().collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let uids = self.within_byte_bound(wanted).await?;
        let fetched = self.fetch_bodies(&uid_set(&uids)).await;
        let mut messages = self.keep_if_usable(fetched)?;
        messages.sort_by_key(|m| match m.key {
            SourceKey::Imap { uid, .. } => uid,
            SourceKey::Maildir { .. } => 0,
        });
        // A UID the server no longer has (a person moved the mail) is not asked for again.
        let got: HashSet<u32> = messages
            .iter()
            .filter_map(|m| match m.key {
                SourceKey::Imap { uid, .. } => Some(uid),
                SourceKey::Maildir { .. } => None,
            })
            .collect();
        // `uids` are the front of `pending`.
        let kept: Vec<u32> = self
            .pending
            .drain(..uids.len().min(self.pending.len()))
            .filter(|uid| got.contains(uid))
            .collect();
        self.handed_out = kept.len();
        for uid in kept.into_iter().rev() {
            self.pending.push_front(uid);
        }
        Ok(messages)
    }

    /// Searches the folder for every UID above `last_uid`, into `pending`.
    async fn look(&mut self, last_uid: u32) -> Result<(), InboxError> {
        let Some(first) = last_uid.checked_add(1) else {
            return Ok(());
        };
        let session = live(&mut self.session, &self.server)?;
        // SEARCH runs on the client's current view of the folder, which grows only
        // when the server announces new mail; NOOP lets it announce what arrived.
        let noop = timed(&self.server, "NOOP", STEP_TIMEOUT, session.noop()).await;
        self.keep_if_usable(noop)?;
        let session = live(&mut self.session, &self.server)?;
        drain_unsolicited(session);
        let search = session.uid_search(format!("UID {first}:*"));
        let found = timed(&self.server, "UID SEARCH", STEP_TIMEOUT, search).await;
        let found = self.keep_if_usable(found)?;
        self.pending = oldest_after(found, last_uid, usize::MAX).into();
        Ok(())
    }

    /// The first of `uids` whose sizes add up to no more than [`MAX_BATCH_BYTES`]
    /// (at least one): one `UID FETCH (RFC822.SIZE)` of the set.
    async fn within_byte_bound(&mut self, uids: Vec<u32>) -> Result<Vec<u32>, InboxError> {
        if uids.len() < 2 {
            return Ok(uids);
        }
        let session = live(&mut self.session, &self.server)?;
        let set = uid_set(&uids);
        let sizes = async {
            let stream = session.uid_fetch(&set, "(UID RFC822.SIZE)").await?;
            stream
                .try_fold(Vec::new(), |mut sizes, f| {
                    if let (Some(uid), Some(size)) = (f.uid, f.size) {
                        sizes.push((uid, size as usize));
                    }
                    futures::future::ready(Ok(sizes))
                })
                .await
        };
        let sizes = timed(&self.server, "UID FETCH", STEP_TIMEOUT, sizes).await;
        let mut sizes = self.keep_if_usable(sizes)?;
        sizes.sort_unstable();
        Ok(first_within(&uids, &sizes, MAX_BATCH_BYTES))
    }

    async fn fetch_bodies(&mut self, set: &str) -> Result<Vec<RawMessage>, InboxError> {
        let session = live(&mut self.session, &self.server)?;
        let uidvalidity = self.uidvalidity;
        // The stream borrows the session: collect it before the next command.
        let fetch = async {
            let stream = session
                .uid_fetch(set, "(UID INTERNALDATE BODY.PEEK[])")
                .await?;
            stream.try_collect::<Vec<_>>().await
        };
        let fetches = timed(&self.server, "UID FETCH", FETCH_TIMEOUT, fetch).await?;
        // Unsolicited FETCH responses (flag changes) carry no body: skip them.
        let messages = fetches
            .iter()
            .filter_map(|f| Some((f.uid?, f.body()?, f.internal_date())))
            .map(|(uid, body, arrived)| RawMessage {
                key: SourceKey::Imap { uidvalidity, uid },
                bytes: body.to_vec(),
                arrived_at: arrived.map(|t| t.to_utc()),
            })
            .collect();
        Ok(messages)
    }

    /// Tells the server what became of message `uid`, after the daemon committed.
    /// `watch`: complaints get the keyword, nothing else changes. `own`: handled
    /// and automated mail moves to the processed folder, quarantined mail to the
    /// quarantine folder, and mail left for a person stays, unread, with the
    /// not-a-complaint keyword.
    pub async fn settle(&mut self, uid: u32, disposition: Disposition) -> Result<(), InboxError> {
        self.settle_many(&[(uid, disposition)]).await
    }

    /// [`ImapMailbox::settle`] for many messages, one command per kind of outcome
    /// (a UID set), so that a backlog is not slowed by a round trip per message.
    pub async fn settle_many(&mut self, settled: &[(u32, Disposition)]) -> Result<(), InboxError> {
        let uids = |wanted: fn(Disposition) -> bool| -> String {
            let set: Vec<String> = settled
                .iter()
                .filter(|(_, d)| wanted(*d))
                .map(|(uid, _)| uid.to_string())
                .collect();
            set.join(",")
        };
        let result = match self.mode {
            MailboxMode::Watch => {
                let complaints = uids(|d| d == Disposition::Handled { complaint: true });
                let keyword = self.keyword.clone();
                self.add_keyword(&complaints, &keyword).await
            }
            MailboxMode::Own => {
                let quarantined = uids(|d| d == Disposition::Quarantined);
                let left = uids(|d| d == Disposition::LeftForPerson);
                let processed =
                    uids(|d| !matches!(d, Disposition::Quarantined | Disposition::LeftForPerson));
                let (quarantine, done) = (
                    self.folders.quarantine.clone(),
                    self.folders.processed.clone(),
                );
                let keyword = self.left_keyword.clone();
                match self.move_to(&quarantined, &quarantine).await {
                    Ok(()) => match self.add_keyword(&left, &keyword).await {
                        Ok(()) => self.move_to(&processed, &done).await,
                        Err(err) => Err(err),
                    },
                    Err(err) => Err(err),
                }
            }
        };
        self.keep_if_usable(result)
    }

    /// Adds `keyword` to the messages of a UID set (nothing when it is empty).
    async fn add_keyword(&mut self, uids: &str, keyword: &str) -> Result<(), InboxError> {
        if uids.is_empty() {
            return Ok(());
        }
        let session = live(&mut self.session, &self.server)?;
        let flags = format!("+FLAGS.SILENT ({keyword})");
        let store = async {
            let stream = session.uid_store(uids, &flags).await?;
            stream.try_collect::<Vec<_>>().await
        };
        timed(&self.server, "UID STORE", STEP_TIMEOUT, store).await?;
        Ok(())
    }

    /// Moves the messages of a UID set to `folder` (nothing when it is empty).
    async fn move_to(&mut self, uids: &str, folder: &str) -> Result<(), InboxError> {
        if uids.is_empty() {
            return Ok(());
        }
        let session = live(&mut self.session, &self.server)?;
        let uid = uids.to_string();
        if self.capabilities.r#move {
            let mv = session.uid_mv(&uid, folder);
            return timed(&self.server, "UID MOVE", STEP_TIMEOUT, mv).await;
        }
        // Without MOVE (checked at connect: UIDPLUS is there), expunge only these UIDs.
        timed(
            &self.server,
            "UID COPY",
            STEP_TIMEOUT,
            session.uid_copy(&uid, folder),
        )
        .await?;
        let flag = async {
            let stream = session.uid_store(&uid, "+FLAGS.SILENT (\\Deleted)").await?;
            stream.try_collect::<Vec<_>>().await
        };
        timed(&self.server, "UID STORE", STEP_TIMEOUT, flag).await?;
        let expunge = async {
            let stream = session.uid_expunge(&uid).await?;
            stream.try_collect::<Vec<_>>().await
        };
        timed(&self.server, "UID EXPUNGE", STEP_TIMEOUT, expunge).await?;
        Ok(())
    }

    /// Returns when the server reports a change in the folder (IDLE), after
    /// `timeout` (or the poll interval without IDLE), or when `shutdown` completes.
    pub async fn wait_for_new_mail(
        &mut self,
        timeout: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Wakeup, InboxError> {
        let session = live(&mut self.session, &self.server)?;
        if drain_unsolicited(session) {
            return Ok(Wakeup::NewMail);
        }
        // An OAuth2 session is renewed when its token is; waiting ends for that.
        let timeout = match self.renew_at {
            Some(at) => timeout.min(at.saturating_duration_since(tokio::time::Instant::now())),
            None => timeout,
        };
        let woke = if self.capabilities.idle {
            self.idle(timeout.min(MAX_IDLE), shutdown).await?
        } else {
            let pause = timeout.min(self.poll);
            tokio::select! {
                () = tokio::time::sleep(pause) => Wakeup::Timeout,
                () = shutdown => Wakeup::Shutdown,
            }
        };
        if woke != Wakeup::Shutdown
            && self
                .renew_at
                .is_some_and(|at| tokio::time::Instant::now() >= at)
        {
            self.renew_session().await?;
        }
        Ok(woke)
    }

    async fn idle(
        &mut self,
        wait: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Wakeup, InboxError> {
        let session = self.session.take().ok_or_else(|| self.disconnected())?;
        let mut handle = session.idle();
        timed(&self.server, "IDLE", STEP_TIMEOUT, handle.init()).await?;
        let deadline = tokio::time::Instant::now() + wait;
        tokio::pin!(shutdown);
        let outcome = loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (response, _interrupt) = handle.wait_with_timeout(remaining);
            tokio::select! {
                r = response => match r {
                    // People reading a shared box change flags all day: not new mail.
                    Ok(IdleResponse::NewData(data)) if !announces_new_mail(data.parsed()) => continue,
                    other => break Some(other),
                },
                () = &mut shutdown => break None,
            }
        };
        let session = timed(&self.server, "DONE", STEP_TIMEOUT, handle.done()).await?;
        self.session = Some(session);
        match outcome {
            None => Ok(Wakeup::Shutdown),
            Some(Ok(IdleResponse::NewData(_))) => Ok(Wakeup::NewMail),
            Some(Ok(IdleResponse::Timeout | IdleResponse::ManualInterrupt)) => Ok(Wakeup::Timeout),
            Some(Err(source)) => {
                self.session = None;
                Err(InboxError::Imap {
                    server: self.server.clone(),
                    command: "IDLE",
                    source,
                })
            }
        }
    }

    /// LOGOUT, best effort: the daemon is leaving either way.
    pub async fn logout(mut self) {
        if let Some(mut session) = self.session.take() {
            let _ = tokio::time::timeout(STEP_TIMEOUT, session.logout()).await;
        }
    }

    /// A transient error means the connection is in an unknown state: drop it so the
    /// next call asks for a reconnect instead of talking into a broken stream.
    fn keep_if_usable<T>(&mut self, result: Result<T, InboxError>) -> Result<T, InboxError> {
        if result.as_ref().is_err_and(InboxError::is_transient) {
            self.session = None;
        }
        result
    }

    fn disconnected(&self) -> InboxError {
        InboxError::Disconnected {
            server: self.server.clone(),
        }
    }
}

fn live<'a>(
    session: &'a mut Option<Session<ImapStream>>,
    server: &Endpoint,
) -> Result<&'a mut Session<ImapStream>, InboxError> {
    session.as_mut().ok_or_else(|| InboxError::Disconnected {
        server: server.clone(),
    })
}

fn announces_new_mail(response: &Response<'_>) -> bool {
    matches!(
        response,
        Response::MailboxData(MailboxDatum::Exists(_) | MailboxDatum::Recent(_))
    )
}

/// Empties the unsolicited-response channel (it holds 100 and then drops), and
/// says whether new mail was announced there since the last look.
fn drain_unsolicited(session: &mut Session<ImapStream>) -> bool {
    let mut new_mail = false;
    while let Ok(response) = session.unsolicited_responses.try_recv() {
        new_mail |= matches!(
            response,
            UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
        );
    }
    new_mail
}

/// The `limit` smallest UIDs above `last_uid` (`N:*` also matches the highest UID
/// when N is above it, so the filter is needed).
fn oldest_after(found: HashSet<u32>, last_uid: u32, limit: usize) -> Vec<u32> {
    let mut uids: Vec<u32> = found.into_iter().filter(|&uid| uid > last_uid).collect();
    uids.sort_unstable();
    uids.truncate(limit);
    uids
}

/// The leading `uids` whose sizes (sorted by UID; a UID without one counts as
/// nothing: the server no longer has it) add up to at most `max_bytes`, and at
/// least the first.
fn first_within(uids: &[u32], sizes: &[(u32, usize)], max_bytes: usize) -> Vec<u32> {
    let mut total = 0;
    let mut taken = Vec::with_capacity(uids.len());
    for &uid in uids {
        let size = sizes
            .binary_search_by_key(&uid, |(u, _)| *u)
            .map_or(0, |i| sizes[i].1);
        if !taken.is_empty() && total + size > max_bytes {
            break;
        }
        total += size;
        taken.push(uid);
    }
    taken
}

/// `1:3,7,9:10` for sorted UIDs.
fn uid_set(sorted: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
    }

    #[test]
    fn a_batch_stops_before_its_bytes_pass_the_bound_but_holds_one_mail() {
        let sizes = [(1, 600), (2, 300), (3, 200), (5, 50)];
        assert_eq!(first_within(&[1, 2, 3, 5], &sizes, 1000), vec![1, 2]);
        assert_eq!(
            first_within(&[1, 2, 3, 5], &sizes, 100),
            vec![1],
            "one at least"
        );
        assert_eq!(first_within(&[2, 3, 4, 5], &sizes, 550), vec![2, 3, 4, 5]);
    }

    #[test]
    fn only_uids_above_the_last_one_are_fetched_oldest_first() {
        let found: HashSet<u32> = [12, 10, 11, 3].into_iter().collect();
        assert_eq!(oldest_after(found.clone(), 3, 2), vec![10, 11]);
        // `UID 13:*` answers with the highest UID when nothing is new.
        assert_eq!(
            oldest_after([12].into_iter().collect(), 12, 10),
            Vec::<u32>::new()
        );
    }
}
