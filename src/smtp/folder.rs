//! The folder transport: each mail becomes `<timestamp>-<message-id>.eml`, written
//! to a hidden temporary file first and renamed, so readers never see half a mail.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::SendError;

/// Writes `raw` into `dir` and returns the file's path.
pub fn write(dir: &Path, raw: &[u8]) -> Result<PathBuf, SendError> {
    let fail = |path: &Path, source| SendError::Folder {
        path: path.display().to_string(),
        source,
    };
    fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let name = format!("{stamp}-{}", file_stem(raw));
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut file = fs::File::create(&temporary).map_err(|e| fail(&temporary, e))?;
    file.write_all(raw)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail(&temporary, e))?;
    let target = publish(dir, &name, &temporary).map_err(|e| fail(dir, e))?;
    fs::remove_file(&temporary).map_err(|e| fail(&temporary, e))?;
    Ok(target)
}

/// Links the finished file under its final name; a hard link, unlike a rename,
/// fails instead of replacing a mail that already has that name.
fn publish(dir: &Path, name: &str, temporary: &Path) -> std::io::Result<PathBuf> {
    for n in 0..1000 {
        let file = match n {
            0 => format!("{name}.eml"),
            _ => format!("{name}-{n}.eml"),
        };
        let target = dir.join(file);
        match fs::hard_link(temporary, &target) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "1000 mails named {name} already"
    )))
}

/// The folder exists (or can be made) and takes a file.
pub fn check(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create outgoing folder {}", dir.display()))?;
    let probe = dir.join(".klagebot-check");
    fs::write(&probe, b"")
        .with_context(|| format!("outgoing folder {} is not writable", dir.display()))?;
    fs::remove_file(&probe).with_context(|| format!("while cleaning up {}", probe.display()))?;
    Ok(())
}

/// The Message-ID made safe for a file name, or a content hash when there is none.
fn file_stem(raw: &[u8]) -> String {
    match message_id(raw) {
        Some(id) => {
            let safe: String = id
                .chars()
                .filter(|c| !matches!(c, '<' | '>'))
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' | '@' | '+' => c,
                    _ => '_',
                })
                .take(120)
                .collect();
            if safe.is_empty() { hash(raw) } else { safe }
        }
        None => hash(raw),
    }
}

fn hash(raw: &[u8]) -> String {
    let digest = Sha256::digest(raw);
    format!("no-message-id-{}", hex::encode(&digest[..8]))
}

/// The Message-ID header of the header block (unfolded), if any.
fn message_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut lines = text.lines().take_while(|l| !l.is_empty()).peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("message-id") {
            continue;
        }
        let mut value = value.trim().to_string();
        while let Some(next) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
            value.push_str(next.trim());
        }
        return Some(value);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_message_id_made_safe() {
        let raw =
            b"From: a@b.test\r\nMessage-ID:\r\n <case-KL-2026-000001.1@bank.test>\r\n\r\nbody\r\n";
        assert_eq!(file_stem(raw), "case-KL-2026-000001.1@bank.test");
        let odd = b"Message-Id: <a/b c?@x>\r\n\r\n";
        assert_eq!(file_stem(odd), "a_b_c_@x");
    }

    #[test]
    fn a_mail_without_message_id_is_named_by_its_content() {
        let stem = file_stem(b"Subject: hi\r\n\r\nMessage-ID: <not-a-header@x>\r\n");
        assert!(stem.starts_with("no-message-id-"), "{stem}");
    }

    #[test]
    fn mails_are_written_whole_and_never_overwrite_each_other() {
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = b"Message-ID: <same@x>\r\n\r\nhello\r\n";
        let first = write(dir.path(), raw).expect("first");
        let second = write(dir.path(), raw).expect("second");
        assert_ne!(first, second);
        assert_eq!(fs::read(&first).expect("read"), raw);
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| n.contains("-same@x")), "{names:?}");
    }
}
