//! A local Maildir as a mail source: the embedded default, and any Maildir an
//! operator points `path` at. Mail is read from `new/` and `cur/`, never deleted.

use std::collections::HashSet;
use std::fs;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{Disposition, InboxError, RawMessage, SourceKey, Wakeup};
use crate::config::{Mailbox, MailboxMode};

/// How often the folder is looked at while waiting; a stat of two directories.
const LOOK_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub struct MaildirMailbox {
    root: PathBuf,
    mode: MailboxMode,
    processed: PathBuf,
    quarantine: PathBuf,
    /// `watch` mode leaves files in place; these were settled in this process
    /// (across restarts the store's source keys say the same).
    settled: HashSet<String>,
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
        })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Up to `limit` messages from `new/` and `cur/` not yet settled, oldest first.
    pub fn fetch_pending(&mut self, limit: usize) -> Result<Vec<RawMessage>, InboxError> {
        let mut files = self.list()?;
        files.sort();
        let mut messages = Vec::new();
        for (_, unique, path) in files {
            if messages.len() >= limit {
                break;
            }
            if self.settled.contains(&unique) {
                continue;
            }
            match fs::read(&path) {
                Ok(bytes) => messages.push(RawMessage {
                    key: SourceKey::Maildir { file: unique },
                    bytes,
                }),
                // A mail client moved it meanwhile; the next look finds it again.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error(&path, e)),
            }
        }
        Ok(messages)
    }

    /// `own`: moves the file into the processed or quarantine folder (its `cur/`).
    /// `watch`: leaves it where it is and remembers it was settled.
    pub fn settle(&mut self, unique: &str, disposition: Disposition) -> Result<(), InboxError> {
        if unique.is_empty() || unique.contains('/') || unique.starts_with('.') {
            return Err(InboxError::Config(format!(
                "{unique:?} is not a Maildir file name"
            )));
        }
        if self.mode == MailboxMode::Watch {
            self.settled.insert(unique.to_string());
            return Ok(());
        }
        let target = match disposition {
            Disposition::Quarantined => self.quarantine.clone(),
            Disposition::Handled { .. } | Disposition::Ignored => self.processed.clone(),
        };
        let Some(current) = self.find(unique)? else {
            // Already moved (a settle repeated after a crash): nothing left to do.
            return Ok(());
        };
        move_into(&current, &target)
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

    /// `(modified, unique name, path)` of every message file in `new/` and `cur/`.
    fn list(&self) -> Result<Vec<(SystemTime, String, PathBuf)>, InboxError> {
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
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                files.push((modified, unique_name(&name).to_string(), entry.path()));
            }
        }
        Ok(files)
    }

    fn find(&self, unique: &str) -> Result<Option<PathBuf>, InboxError> {
        let files = self.list()?;
        Ok(files
            .into_iter()
            .find(|(_, name, _)| name == unique)
            .map(|(_, _, path)| path))
    }
}

/// The part of a Maildir file name that never changes: everything before `:2,FLAGS`.
fn unique_name(file_name: &str) -> &str {
    file_name.split(':').next().unwrap_or(file_name)
}

/// `klagebot/processed` → `.klagebot.processed` (Maildir++ folder naming).
fn maildir_plus_plus(folder: &str) -> String {
    format!(".{}", folder.trim_matches('/').replace('/', "."))
}

/// Moves a message file into `folder/cur/` (creating the folder), keeping its
/// flags; a file from `new/` gets the `:2,` info part a `cur/` file must have.
fn move_into(current: &Path, folder: &Path) -> Result<(), InboxError> {
    for sub in ["new", "cur", "tmp"] {
        let dir = folder.join(sub);
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    }
    let marker = folder.join("maildirfolder");
    if !marker.exists() {
        fs::write(&marker, b"").map_err(|e| io_error(&marker, e))?;
    }
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
    fs::rename(current, &target).map_err(|e| io_error(current, e))
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
}
