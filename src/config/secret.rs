//! Where a secret comes from: an environment variable (`*_env`) or a file
//! (`*_file`), never the config file itself. A `*_file` given as a bare name
//! (`klagebot.token_secret`, no `/`) names a systemd credential: under a unit with
//! `LoadCredential=klagebot.token_secret` (systemd reads it from `/etc/credstore/`)
//! it is read from `$CREDENTIALS_DIRECTORY`, where only the service's user can
//! read it. Outside systemd, `CREDENTIALS_DIRECTORY=/etc/credstore` does the same.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The variable systemd sets for a unit with `LoadCredential=`.
pub const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";

/// A secret named by the config: read when needed, never printed.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub file: Option<PathBuf>,
}

impl SecretRef {
    pub fn new(env: &Option<String>, file: &Option<PathBuf>) -> SecretRef {
        SecretRef {
            env: env.clone(),
            file: file.clone(),
        }
    }

    pub fn is_set(&self) -> bool {
        self.env.is_some() || self.file.is_some()
    }

    /// Reads the secret; the error names the variable or file, never the value.
    pub fn read(&self, what: &str) -> anyhow::Result<String> {
        if let Some(var) = &self.env {
            return std::env::var(var)
                .with_context(|| format!("{what}: environment variable {var} is not set"));
        }
        if let Some(file) = &self.file {
            let credentials = std::env::var_os(CREDENTIALS_DIRECTORY).map(PathBuf::from);
            return read_file(what, file, credentials.as_deref());
        }
        bail!("{what}: no secret configured (set *_env or *_file)")
    }
}

/// Reads a `*_file` secret, looking bare names up in `credentials` when given.
fn read_file(what: &str, file: &Path, credentials: Option<&Path>) -> anyhow::Result<String> {
    let path = resolve(file, credentials);
    let text = std::fs::read_to_string(&path).with_context(|| {
        let mut message = format!("{what}: cannot read secret file {}", path.display());
        if is_credential_name(file) && credentials.is_none() {
            message.push_str(&format!(
                " ({} is a bare name, read from ${CREDENTIALS_DIRECTORY} under systemd's \
                 LoadCredential=; that variable is not set, so it was looked for in the current directory)",
                file.display()
            ));
        }
        message
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// A bare file name (`token_secret`), as opposed to a path (`/run/secrets/x`, `./x`).
fn is_credential_name(file: &Path) -> bool {
    let mut parts = file.components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    )
}

/// The file a `*_file` setting names: a bare name inside the credentials
/// directory when there is one, any other path as it stands.
fn resolve(file: &Path, credentials: Option<&Path>) -> PathBuf {
    match credentials {
        Some(dir) if is_credential_name(file) => dir.join(file),
        _ => file.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_are_systemd_credentials() {
        let creds = Path::new("/run/credentials/klagebot.service");
        assert_eq!(
            resolve(Path::new("token_secret"), Some(creds)),
            creds.join("token_secret")
        );
        // Paths stay paths, under systemd or not.
        for path in ["/run/secrets/klage-imap", "./token_secret", "secrets/x"] {
            assert_eq!(resolve(Path::new(path), Some(creds)), Path::new(path));
        }
        assert_eq!(
            resolve(Path::new("token_secret"), None),
            Path::new("token_secret")
        );
    }

    #[test]
    fn credentials_are_read_from_the_credentials_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token_secret"), "s3cret-from-systemd\n").unwrap();
        let read = read_file(
            "security.token_secret",
            Path::new("token_secret"),
            Some(dir.path()),
        );
        assert_eq!(read.unwrap(), "s3cret-from-systemd");
        let err = read_file(
            "security.token_secret",
            Path::new("other"),
            Some(dir.path()),
        );
        let err = format!("{:#}", err.unwrap_err());
        assert!(
            err.contains(&dir.path().join("other").display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_missing_credential_outside_systemd_says_why() {
        let err = read_file(
            "security.token_secret",
            Path::new("klagebot-test-no-such-credential"),
            None,
        );
        let err = format!("{:#}", err.unwrap_err());
        assert!(
            err.starts_with("security.token_secret: cannot read"),
            "{err}"
        );
        assert!(err.contains("LoadCredential="), "{err}");
        let err = read_file("x", Path::new("/nonexistent/klagebot/secret"), None);
        assert!(!format!("{:#}", err.unwrap_err()).contains("LoadCredential"));
    }
}
