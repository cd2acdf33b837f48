//! The refresh token on disk: read at every refresh (so that a new one from
//! `klagebot oauth login` is used without a restart), and written atomically —
//! a temporary file beside it, fsync, rename, fsync of the folder, mode 0600 —
//! so that a crash leaves the old token or the new one, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::Secret;
use super::error::TokenError;

/// The refresh token in `path`, trimmed; an empty or missing file says what to run.
pub fn read(path: &Path) -> Result<Secret, TokenError> {
    let text = fs::read_to_string(path).map_err(|e| {
        TokenError::Config(format!(
            "cannot read the refresh token file {}: {e} (run `klagebot oauth login` to create it)",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(TokenError::Config(format!(
            "the refresh token file {} is empty (run `klagebot oauth login`)",
            path.display()
        )));
    }
    Ok(Secret::new(token))
}

/// Replaces the file at `path` with `token`, readable by its owner only.
pub fn write_atomically(path: &Path, token: &Secret) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the refresh token path names no file"))?;
    let temporary = folder.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        // An existing temporary file keeps its mode through open(): set it.
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        file.write_all(token.expose().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        File::open(folder)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_rotated_token_replaces_the_file_with_owner_only_access() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("klage.refresh");
        fs::write(&path, "rt-old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomically(&path, &Secret::new("rt-new")).unwrap();
        assert_eq!(read(&path).unwrap().expose(), "rt-new");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file stays behind");
    }

    #[test]
    fn a_missing_or_empty_file_says_to_log_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none");
        assert!(read(&path).unwrap_err().to_string().contains("oauth login"));
        fs::write(&path, "\n").unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("empty"));
    }
}
