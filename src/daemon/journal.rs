//! The sent journal: a file beside the SQLite database where the sender notes
//! each mail the moment the server accepted it (one `write` of one line, no
//! fsync: a killed process's writes stay in the kernel's page cache). The
//! deliveries of a round are then written to the database together; should
//! the process die before that, the next start reads the journal and records
//! the deliveries it names that the database does not know yet, so that no
//! mail is sent twice after a crash (the one being answered by the server at
//! the moment of the kill aside). Emptied once the database has every delivery
//! it names.
//!
//! PostgreSQL needs none: there each delivery is marked sent at once (several
//! writers, and another instance may take over the outbox of a dead one).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use tracing::warn;

/// One line per delivery: the outbox id and when the server took it.
pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<File>>,
    /// Whether this process has read what an earlier one noted.
    read_back: AtomicBool,
}

impl Journal {
    /// The journal of the SQLite database at `database` (`klagebot.db` →
    /// `klagebot.db-sent`), opened for appending (created when missing).
    pub fn beside(database: &Path) -> anyhow::Result<Journal> {
        let mut name = database.as_os_str().to_owned();
        name.push("-sent");
        let path = PathBuf::from(name);
        let file = open(&path)?;
        Ok(Journal {
            path,
            file: Mutex::new(Some(file)),
            read_back: AtomicBool::new(false),
        })
    }

    /// Notes that the server accepted outbox mail `id` at `at`. A failure to
    /// write is logged and the delivery is still recorded in the database as
    /// usual; only a crash before that would send it again.
    pub fn note(&self, id: i64, at: DateTime<Utc>) {
        let line = format!("{id}\t{}\n", at.to_rfc3339());
        let mut file = self.lock();
        let written = match file.as_mut() {
            Some(f) => f.write_all(line.as_bytes()),
            None => Ok(()),
        };
        if let Err(err) = written {
            warn!(error = %err, path = %self.path.display(), "cannot note a delivery in the sent journal");
        }
    }

    /// The deliveries noted since the journal was last emptied, oldest first;
    /// lines that do not read (a write cut short by a crash) are skipped.
    pub fn noted(&self) -> anyhow::Result<Vec<(i64, DateTime<Utc>)>> {
        let file = File::open(&self.path)?;
        let mut noted = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line?;
            let Some((id, at)) = line.split_once('\t') else {
                continue;
            };
            if let (Ok(id), Ok(at)) = (id.parse(), DateTime::parse_from_rfc3339(at)) {
                noted.push((id, at.to_utc()));
            }
        }
        Ok(noted)
    }

    /// Whether what an earlier process noted was read back (and taken care of).
    pub fn is_read_back(&self) -> bool {
        self.read_back.load(Ordering::SeqCst)
    }

    pub fn set_read_back(&self) {
        self.read_back.store(true, Ordering::SeqCst);
    }

    /// Empties the journal: the database has every delivery it named.
    pub fn clear(&self) {
        let mut file = self.lock();
        if let Some(f) = file.as_mut()
            && let Err(err) = f.set_len(0)
        {
            warn!(error = %err, path = %self.path.display(), "cannot empty the sent journal");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<File>> {
        self.file.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    use anyhow::Context;
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("cannot open the sent journal {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noted_deliveries_are_read_back_until_cleared_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("klagebot.db");
        let journal = Journal::beside(&db).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .to_utc();
        journal.note(7, at);
        journal.note(9, at);
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("klagebot.db-sent"))
            .unwrap()
            .write_all(b"11\t2026-12")
            .unwrap();
        // Another process (the next start) reads what this one noted.
        let again = Journal::beside(&db).unwrap();
        assert_eq!(again.noted().unwrap(), vec![(7, at), (9, at)]);
        again.clear();
        journal.note(12, at);
        assert_eq!(journal.noted().unwrap(), vec![(12, at)]);
    }
}
