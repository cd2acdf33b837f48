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
    /// The authserv-id of our own receiving mail server: only the top-most
    /// Authentication-Results carrying it is trusted, and only a pass there
    /// makes a colleague's mail without a case token count as theirs.
    /// `"exchange-online"` for Microsoft 365 (which writes no authserv-id):
    /// then `X-MS-Exchange-Organization-AuthAs: Internal` is what counts.
    pub authserv_id: Option<String>,
}

impl Security {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self
            .authserv_id
            .as_deref()
            .is_some_and(|id| id.trim().is_empty() || id.contains([';', ' ']))
        {
            anyhow::bail!(
                "security.authserv_id must be one name such as mx.bank.dk (the first word of \
                 your MX's Authentication-Results), or \"exchange-online\""
            );
        }
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
