//! Mail sources: IMAP mailboxes and a local Maildir, yielding raw bytes and told
//! afterwards (once the daemon committed) what became of each message.
//!
//! A source never deletes mail. It hands out [`RawMessage`]s keyed by a
//! [`SourceKey`] that stays the same across restarts (IMAP UIDVALIDITY + UID, or a
//! Maildir file's unique name), so the store can remember what it has seen. After
//! the daemon's transaction committed, it calls `settle` with a [`Disposition`]:
//! in `watch` mode a complaint gets a keyword; in `own` mode the message moves to
//! the processed or quarantine folder.
//!
//! The daemon's loop per mailbox: [`Source::open`]; compare
//! [`Source::uidvalidity`] with the stored one (on a change, start again from
//! UID 0: the store's content hash catches what it has seen); then repeatedly
//! [`Source::fetch`] after the last stored UID, process and commit each message,
//! [`Source::settle`] it, and [`Source::wait_for_new_mail`]. On an error,
//! [`InboxError::is_transient`] says whether to reconnect with backoff or to stop
//! and tell the operator; either way the message says which server and why.

mod error;
mod imap;
mod maildir;
mod tls;

use std::fmt;
use std::future::Future;
use std::time::Duration;

pub use error::InboxError;
pub use imap::ImapMailbox;
pub use maildir::MaildirMailbox;
pub(crate) use tls::is_loopback;

use chrono::{DateTime, Utc};

use crate::config::{Mailbox, MailboxKind};

/// At most this many bytes of raw mail in one fetch (a batch holds at least one
/// message whatever its size), so that a backlog of large mails never sits in
/// memory at once.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Where a message sits in its source; stable across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceKey {
    Imap {
        uidvalidity: u32,
        uid: u32,
    },
    /// The Maildir unique name: the file name up to its `:2,` flag suffix.
    Maildir {
        file: String,
    },
}

impl SourceKey {
    /// `imap:UIDVALIDITY:UID` or `maildir:NAME`, as stored in the database.
    pub fn as_string(&self) -> String {
        self.to_string()
    }

    /// Reads back what [`SourceKey::as_string`] wrote.
    pub fn parse(text: &str) -> Option<SourceKey> {
        if let Some(file) = text.strip_prefix("maildir:") {
            return (!file.is_empty()).then(|| SourceKey::Maildir { file: file.into() });
        }
        let rest = text.strip_prefix("imap:")?;
        let (validity, uid) = rest.split_once(':')?;
        Some(SourceKey::Imap {
            uidvalidity: validity.parse().ok()?,
            uid: uid.parse().ok()?,
        })
    }
}

impl fmt::Display for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceKey::Imap { uidvalidity, uid } => write!(f, "imap:{uidvalidity}:{uid}"),
            SourceKey::Maildir { file } => write!(f, "maildir:{file}"),
        }
    }
}

/// One message exactly as the source holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    pub key: SourceKey,
    pub bytes: Vec<u8>,
    /// When the message arrived in the mailbox: IMAP INTERNALDATE, or the Maildir
    /// delivery time (the file name's timestamp, else its modification time).
    /// Deadlines count from here, not from when klagebot read it.
    pub arrived_at: Option<DateTime<Utc>>,
}

/// What the daemon did with a message, told to the source after its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Acted on: it opened or joined a case (`complaint`), or caused mail.
    Handled { complaint: bool },
    /// A person's mail klagebot did not act on (a question, thanks, a complaint the
    /// classifier missed): in `own` mode it stays in the inbox, unread and tagged,
    /// where people read it; the daily digest lists it.
    LeftForPerson,
    /// Could not be handled (unparseable, …); kept aside for a person to look at.
    Quarantined,
    /// Automated mail: never answered; in `own` mode moved out of the way.
    Ignored,
}

/// Why [`Source::wait_for_new_mail`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wakeup {
    /// The server (or the folder) reports new mail: fetch now.
    NewMail,
    /// Nothing happened within the timeout; fetching anyway is cheap and safe.
    Timeout,
    /// The shutdown future completed.
    Shutdown,
}

/// A configured mailbox of either kind, so the daemon runs one loop for both.
#[derive(Debug)]
pub enum Source {
    Imap(Box<ImapMailbox>),
    Maildir(Box<MaildirMailbox>),
}

impl Source {
    /// Connects to (or opens) the mailbox `cfg` describes.
    pub async fn open(cfg: &Mailbox) -> Result<Source, InboxError> {
        match cfg.kind {
            MailboxKind::Imap => Ok(Source::Imap(Box::new(ImapMailbox::connect(cfg).await?))),
            MailboxKind::Maildir => Ok(Source::Maildir(Box::new(MaildirMailbox::open(cfg)?))),
        }
    }

    /// The IMAP UIDVALIDITY of the selected folder; `None` for a Maildir.
    pub fn uidvalidity(&self) -> Option<u32> {
        match self {
            Source::Imap(m) => Some(m.uidvalidity()),
            Source::Maildir(_) => None,
        }
    }

    /// Up to `limit` messages not yet handed out: IMAP UIDs above `last_uid`, or
    /// Maildir files not yet settled (`last_uid` is then unused).
    pub async fn fetch(
        &mut self,
        last_uid: u32,
        limit: usize,
    ) -> Result<Vec<RawMessage>, InboxError> {
        match self {
            Source::Imap(m) => m.fetch_after(last_uid, limit).await,
            Source::Maildir(m) => m.fetch_pending(limit),
        }
    }

    /// How many messages the source knows to be waiting beyond what it handed
    /// out (from its last look at the folder): for the progress of a backlog.
    pub fn waiting(&self) -> usize {
        match self {
            Source::Imap(m) => m.waiting(),
            Source::Maildir(m) => m.waiting(),
        }
    }

    /// Tells the source what became of a message (after the daemon committed).
    pub async fn settle(
        &mut self,
        key: &SourceKey,
        disposition: Disposition,
    ) -> Result<(), InboxError> {
        match (self, key) {
            (Source::Imap(m), SourceKey::Imap { uidvalidity, uid }) => {
                m.check_uidvalidity(*uidvalidity)?;
                m.settle(*uid, disposition).await
            }
            (Source::Maildir(m), SourceKey::Maildir { file }) => m.settle(file, disposition),
            (_, key) => Err(InboxError::Config(format!(
                "source key {key} does not belong to this kind of mailbox"
            ))),
        }
    }

    /// [`Source::settle`] for a batch: one command per outcome on IMAP.
    pub async fn settle_many(
        &mut self,
        settled: &[(SourceKey, Disposition)],
    ) -> Result<(), InboxError> {
        match self {
            Source::Imap(m) => {
                let mut uids = Vec::with_capacity(settled.len());
                for (key, disposition) in settled {
                    let SourceKey::Imap { uidvalidity, uid } = key else {
                        return Err(InboxError::Config(format!(
                            "source key {key} does not belong to this kind of mailbox"
                        )));
                    };
                    m.check_uidvalidity(*uidvalidity)?;
                    uids.push((*uid, *disposition));
                }
                m.settle_many(&uids).await
            }
            Source::Maildir(_) => {
                for (key, disposition) in settled {
                    self.settle(key, *disposition).await?;
                }
                Ok(())
            }
        }
    }

    /// Waits for new mail, at most `timeout`, returning early when `shutdown` completes.
    pub async fn wait_for_new_mail(
        &mut self,
        timeout: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Wakeup, InboxError> {
        match self {
            Source::Imap(m) => m.wait_for_new_mail(timeout, shutdown).await,
            Source::Maildir(m) => Ok(m.wait_for_new_mail(timeout, shutdown).await),
        }
    }

    /// Ends the session politely (IMAP LOGOUT); errors are of no interest then.
    pub async fn close(self) {
        if let Source::Imap(m) = self {
            m.logout().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_keys_round_trip_through_their_stored_form() {
        let keys = [
            SourceKey::Imap {
                uidvalidity: 1_795_319_948,
                uid: 42,
            },
            SourceKey::Maildir {
                file: "1795319948.M101567P18881.vm,S=643".into(),
            },
        ];
        for key in keys {
            assert_eq!(SourceKey::parse(&key.as_string()), Some(key.clone()));
        }
        assert_eq!(
            SourceKey::Imap {
                uidvalidity: 7,
                uid: 9
            }
            .as_string(),
            "imap:7:9"
        );
    }

    #[test]
    fn malformed_source_keys_are_rejected() {
        for text in ["", "imap:", "imap:1", "imap:x:2", "maildir:", "pop:1"] {
            assert_eq!(SourceKey::parse(text), None, "{text}");
        }
    }
}
