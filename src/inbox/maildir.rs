//! A local Maildir as a mail source: the embedded default, and any Maildir an
//! operator points `path` at. Mail is read from `new/` and `cur/`, never deleted.
//!
//! A scan lists the two folders once, oldest first, into a queue that later
//! fetches take from, and an index of the files (unique name → path) kept up to
//! date on every move, so that neither fetching nor settling lists or stats the
//! folders again: a backlog of n mails costs one listing, not one per batch or
//! per message. The folders are listed again only when the queue is empty.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::{Disposition, InboxError, MAX_BATCH_BYTES, RawMessage, SourceKey, Wakeup};
use crate::config::{Mailbox, MailboxMode};

/// How often the folder is looked at while waiting; a stat of two directories.
const LOOK_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub struct MaildirMailbox {
    root: PathBuf,
    mode: MailboxMode,
    processed: PathBuf,
    quarantine: PathBuf,
    /// Files left in place (`watch` mode, and mail left for a person in `own`
    /// mode) that were settled in this process (across restarts the store's
    /// source keys say the same).
    settled: HashSet<String>,
    /// Where each message file of `new/` and `cur/` was at the last listing,
    /// kept up to date as files are moved.
    index: HashMap<String, PathBuf>,
    /// Files of the last listing not yet handed out, oldest first (where each
    /// is, the index says: a backlog of 100,000 keeps each path once).
    queue: VecDeque<Queued>,
    /// Folders whose `new/ cur/ tmp/` exist already (made once, not per move).
    prepared: HashSet<PathBuf>,
}

impl MaildirMailbox {
    /// Opens the Maildir at `cfg.path`, creating `new/ cur/ tmp/` when missing.
    pub fn open(cfg: &Mailbox) -> Result<MaildirMailbox, InboxError> {
        let path = cfg.path.as_deref().ok_or_else(|| {
            InboxError::Config(format!(
                "mailbox {}: kind = \"maildir\" needs path",
                cfg.name
            ))
        })?;
        let mut mailbox = MaildirMailbox::open_path(path, cfg.mode)?;
        mailbox.processed = path.join(maildir_plus_plus(&cfg.processed_folder));
        mailbox.quarantine = path.join(maildir_plus_plus(&cfg.quarantine_folder));
        Ok(mailbox)
    }

    /// Opens a Maildir with the default folder names `.klagebot.processed` and
    /// `.klagebot.quarantine` (Maildir++: the folders a Dovecot on it would show).
    pub fn open_path(path: &Path, mode: MailboxMode) -> Result<MaildirMailbox, InboxError> {
        for sub in ["new", "cur", "tmp"] {
            let dir = path.join(sub);
            fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        Ok(MaildirMailbox {
            root: path.to_path_buf(),
            mode,
            processed: path.join(".klagebot.processed"),
            quarantine: path.join(".klagebot.quarantine"),
            settled: HashSet::new(),
            index: HashMap::new(),
            queue: VecDeque::new(),
            prepared: HashSet::new(),
        })
    }

    /// Files of the last listing not yet handed out.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Up to `limit` messages from `new/` and `cur/` not yet settled, oldest
    /// first, and no more than [`MAX_BATCH_BYTES`] of them (at least one). They
    /// come from the queue of the last listing; the folders are listed again only
    /// when it is empty, so a message handed out but never settled comes back
    /// after the queue ran dry.
    pub fn fetch_pending(&mut self, limit: usize) -> Result<Vec<RawMessage>, InboxError> {
        if self.queue.is_empty() {
            self.scan()?;
        }
        let mut messages = Vec::new();
        let mut bytes = 0;
        while messages.len() < limit && (messages.is_empty() || bytes < MAX_BATCH_BYTES) {
            let Some(file) = self.queue.pop_front() else {
                break;
            };
            if self.settled.contains(&file.unique) {
                continue;
            }
            // Gone from the index: settled or moved meanwhile; the next listing
            // finds it again if it is still there.
            let Some(path) = self.index.get(&file.unique) else {
                continue;
            };
            match fs::read(path) {
                Ok(raw) => {
                    bytes += raw.len();
                    messages.push(RawMessage {
                        arrived_at: delivered_at(&file.unique, file.modified),
                        key: SourceKey::Maildir { file: file.unique },
                        bytes: raw,
                    });
                }
                // A mail client moved it meanwhile; the next listing finds it again.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error(path, e)),
            }
        }
        Ok(messages)
    }

    /// Lists `new/` and `cur/` once: the queue of files not yet settled, oldest
    /// first, and the index of every file.
    fn scan(&mut self) -> Result<(), InboxError> {
        let mut files = self.list()?;
        files.sort();
        self.index = HashMap::with_capacity(files.len());
        self.queue = VecDeque::with_capacity(files.len());
        for file in files {
            if !self.settled.contains(&file.unique) {
                self.queue.push_back(Queued {
                    modified: file.modified,
                    unique: file.unique.clone(),
                });
            }
            self.index.insert(file.unique, file.path);
        }
        Ok(())
    }

    /// `own`: moves the file into the processed or quarantine folder (its `cur/`);
    /// a person's mail klagebot left alone stays in the inbox (moved from `new/`
    /// to `cur/`, still unread). `watch`: leaves it where it is. Either way a file
    /// left in place is remembered as settled.
    pub fn settle(&mut self, unique: &str, disposition: Disposition) -> Result<(), InboxError> {
        if unique.is_empty() || unique.contains('/') || unique.starts_with('.') {
            return Err(InboxError::Config(format!(
                "{unique:?} is not a Maildir file name"
            )));
        }
        let target = match (self.mode, disposition) {
            (MailboxMode::Watch, _) => None,
            (MailboxMode::Own, Disposition::LeftForPerson) => Some(self.root.clone()),
            (MailboxMode::Own, Disposition::Quarantined) => Some(self.quarantine.clone()),
            (MailboxMode::Own, Disposition::Handled { .. } | Disposition::Ignored) => {
                Some(self.processed.clone())
            }
        };
        let Some(target) = target else {
            self.settled.insert(unique.to_string());
            return Ok(());
        };
        let Some(current) = self.index.get(unique).cloned() else {
            return self.settle_unindexed(unique, &target);
        };
        self.prepare(&target)?;
        let moved = match move_into(&current, &target) {
            Ok(moved) => moved,
            // Moved by a mail client since the listing: look for it once more.
            Err(InboxError::Maildir { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                self.index.remove(unique);
                return self.settle_unindexed(unique, &target);
            }
            Err(err) => return Err(err),
        };
        self.remember_move(unique, &target, moved);
        Ok(())
    }

    /// Settles a file the index does not know where it is: from a fresh listing
    /// (a mail client may have moved it); one that is gone was settled already
    /// (a settle repeated after a crash): nothing left to do.
    fn settle_unindexed(&mut self, unique: &str, target: &Path) -> Result<(), InboxError> {
        let Some(current) = self.find(unique)? else {
            return Ok(());
        };
        self.prepare(target)?;
        let moved = move_into(&current, target)?;
        self.remember_move(unique, target, moved);
        Ok(())
    }

    fn remember_move(&mut self, unique: &str, target: &Path, moved: PathBuf) {
        if target == self.root {
            self.settled.insert(unique.to_string());
            self.index.insert(unique.to_string(), moved);
        } else {
            self.index.remove(unique);
        }
    }

    /// Makes `folder` a Maildir (++ subfolder) once per process.
    fn prepare(&mut self, folder: &Path) -> Result<(), InboxError> {
        if self.prepared.contains(folder) {
            return Ok(());
        }
        for sub in ["new", "cur", "tmp"] {
            let dir = folder.join(sub);
            fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        let marker = folder.join("maildirfolder");
        if !is_root(folder) && !marker.exists() {
            fs::write(&marker, b"").map_err(|e| io_error(&marker, e))?;
        }
        self.prepared.insert(folder.to_path_buf());
        Ok(())
    }

    /// Returns when a file appears in (or leaves) `new/` or `cur/`, after `timeout`,
    /// or when `shutdown` completes.
    pub async fn wait_for_new_mail(
        &self,
        timeout: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> Wakeup {
        let watch = async {
            let before = self.snapshot();
            loop {
                tokio::time::sleep(LOOK_EVERY).await;
                if self.snapshot() != before {
                    return Wakeup::NewMail;
                }
            }
        };
        tokio::select! {
            wakeup = watch => wakeup,
            () = tokio::time::sleep(timeout) => Wakeup::Timeout,
            () = shutdown => Wakeup::Shutdown,
        }
    }

    fn snapshot(&self) -> [Option<SystemTime>; 2] {
        let mtime = |sub: &str| {
            fs::metadata(self.root.join(sub))
                .and_then(|m| m.modified())
                .ok()
        };
        [mtime("new"), mtime("cur")]
    }

    /// Every message file in `new/` and `cur/`.
    fn list(&self) -> Result<Vec<MessageFile>, InboxError> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.root.join(sub);
            for entry in fs::read_dir(&dir).map_err(|e| io_error(&dir, e))? {
                let entry = entry.map_err(|e| io_error(&dir, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let Ok(meta) = entry.metadata() else { continue };
                if name.starts_with('.') || !meta.is_file() {
                    continue;
                }
                files.push(MessageFile {
                    modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    unique: unique_name(&name).to_string(),
                    path: entry.path(),
                });
            }
        }
        Ok(files)
    }

    /// Where a message file is now, from a fresh listing.
    fn find(&self, unique: &str) -> Result<Option<PathBuf>, InboxError> {
        let found = self
            .list()?
            .into_iter()
            .find(|f| f.unique == unique)
            .map(|f| f.path);
        Ok(found)
    }
}

/// A file of the last listing waiting to be handed out.
#[derive(Debug)]
struct Queued {
    modified: SystemTime,
    unique: String,
}

/// One message file as listed, ordered oldest first.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct MessageFile {
    modified: SystemTime,
    unique: String,
    path: PathBuf,
}

/// When a message was delivered into the Maildir: the time in its unique name
/// (`SECONDS.…`, written by the delivering agent), unless that is missing or
/// later than the file itself; then the file's modification time.
fn delivered_at(unique: &str, modified: SystemTime) -> Option<DateTime<Utc>> {
    let modified = DateTime::<Utc>::from(modified);
    let named = unique
        .split('.')
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .filter(|t| t.timestamp() > 946_684_800 && *t <= modified + chrono::Duration::days(1));
    Some(named.unwrap_or(modified)).filter(|t| t.timestamp() > 0)
}

/// The part of a Maildir file name that never changes: everything before `:2,FLAGS`.
fn unique_name(file_name: &str) -> &str {
    file_name.split(':').next().unwrap_or(file_name)
}

/// `klagebot/processed` → `.klagebot.processed` (Maildir++ folder naming).
fn maildir_plus_plus(folder: &str) -> String {
    format!(".{}", folder.trim_matches('/').replace('/', "."))
}

/// Moves a message file into `folder/cur/` (a Maildir already), keeping its
/// flags; a file from `new/` gets the `:2,` info part a `cur/` file must have.
/// Returns where it is now.
fn move_into(current: &Path, folder: &Path) -> Result<PathBuf, InboxError> {
    let name = current
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = if name.contains(":2,") {
        name
    } else {
        format!("{name}:2,")
    };
    let target = folder.join("cur").join(name);
    if target != current {
        fs::rename(current, &target).map_err(|e| io_error(current, e))?;
    }
    Ok(target)
}

/// The Maildir's own root (its inbox) is not a Maildir++ subfolder.
fn is_root(folder: &Path) -> bool {
    folder
        .file_name()
        .is_none_or(|name| !name.to_string_lossy().starts_with('.'))
}

fn io_error(path: &Path, source: io::Error) -> InboxError {
    InboxError::Maildir {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_drop_the_flag_suffix() {
        assert_eq!(
            unique_name("1700000000.M1P2.host:2,S"),
            "1700000000.M1P2.host"
        );
        assert_eq!(unique_name("1700000000.M1P2.host"), "1700000000.M1P2.host");
    }

    #[test]
    fn folders_are_named_the_maildir_plus_plus_way() {
        assert_eq!(
            maildir_plus_plus("klagebot/processed"),
            ".klagebot.processed"
        );
        assert_eq!(maildir_plus_plus("Processed"), ".Processed");
    }

    #[test]
    fn delivery_time_comes_from_the_name_unless_it_is_implausible() {
        let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_400_000);
        let named = delivered_at("1795319948.M1P2.host", modified).unwrap();
        assert_eq!(named.timestamp(), 1_795_319_948);
        let later_than_file = delivered_at("1895319948.M1P2.host", modified).unwrap();
        assert_eq!(later_than_file.timestamp(), 1_795_400_000);
        let no_time = delivered_at("mail-from-a-script.eml", modified).unwrap();
        assert_eq!(no_time.timestamp(), 1_795_400_000);
    }
}
