//! `[security]`: the secret behind the per-case reply tokens, and whose
//! Authentication-Results klagebot trusts.

use std::path::PathBuf;

use serde::Deserialize;

use super::secret::SecretRef;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Security {
    /// The HMAC secret for per-case reply tokens.
    pub token_secret_env: Option<String>,
    pub token_secret_file: Option<PathBuf>,
    /// Require a passing Authentication-Results for staff domains before running commands.
    pub require_authentication_results: bool,
    /// The authserv-id whose Authentication-Results are trusted.
    pub authserv_id: Option<String>,
}

impl Security {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self.require_authentication_results && self.authserv_id.is_none() {
            anyhow::bail!(
                "security: require_authentication_results needs authserv_id, the id your own \
                 receiving mail server writes in its Authentication-Results headers"
            );
        }
        Ok(())
    }

    pub fn token_secret(&self) -> SecretRef {
        SecretRef::new(&self.token_secret_env, &self.token_secret_file)
    }
}
