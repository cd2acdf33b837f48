//! What can go wrong getting a token, whether trying again can help, and what an
//! operator should do about the errors the providers send most.

use std::fmt;

/// The provider's RFC 6749 5.2 error answer (`error`, `error_description`),
/// scrubbed of anything we sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub code: String,
    pub description: Option<String>,
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.description {
            Some(text) => write!(f, "{}: {text}", self.code),
            None => f.write_str(&self.code),
        }
    }
}

/// The kinds of failure an operator can fix, each with its own plain-language line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// An administrator has not granted (or withdrew) the app's permissions.
    ConsentRequired,
    /// The refresh token was revoked or expired: a person must approve again.
    InvalidGrant,
    /// Wrong or expired client secret, or wrong client_id.
    InvalidClient,
    /// The app may not use this grant (device flow not enabled, no delegation).
    UnauthorizedClient,
    /// A scope the app has not been given, or that the provider does not know.
    InvalidScope,
    /// The mail server refused a token the provider had just issued.
    TokenRefused,
}

impl Advice {
    /// The code as operators search for it.
    pub fn code(self) -> &'static str {
        match self {
            Advice::ConsentRequired => "consent_required",
            Advice::InvalidGrant => "invalid_grant",
            Advice::InvalidClient => "invalid_client",
            Advice::UnauthorizedClient => "unauthorized_client",
            Advice::InvalidScope => "invalid_scope",
            Advice::TokenRefused => "token_refused",
        }
    }

    /// One line saying what happened and what to do; `login` is the
    /// `klagebot oauth login` argument for this login (`--mailbox klage`).
    pub fn line(self, login: &str) -> String {
        match self {
            Advice::ConsentRequired => format!(
                "Consent required: an administrator has not granted the app its permissions, or has withdrawn them. In Microsoft Entra open the app registration, API permissions, and choose \"Grant admin consent\" (in Google Workspace: Security, API controls, domain-wide delegation); if the app uses delegated access, run `klagebot oauth login {login}` afterwards."
            ),
            Advice::InvalidGrant => format!(
                "The refresh token was revoked or has expired (a password change, revoked sign-in sessions, or months without use). A person with access to the mailbox must approve klagebot again: run `klagebot oauth login {login}` on the server."
            ),
            Advice::InvalidClient => "The client secret is wrong or has expired, or the client_id is wrong. Create a new client secret in the app registration (Microsoft Entra: Certificates & secrets) and put it where client_secret_env or client_secret_file points; klagebot picks it up at its next attempt.".to_string(),
            Advice::UnauthorizedClient => "The app is not allowed to get tokens this way: for `klagebot oauth login` enable \"Allow public client flows\" in the app registration; for app-only access check the application permissions (IMAP.AccessAsApp, SMTP.SendAsApp) or Google's domain-wide delegation for this client ID.".to_string(),
            Advice::InvalidScope => "The provider does not accept the scope: check `scope` in the oauth2 table (or remove it to use klagebot's default for the provider) and the permissions the app registration has.".to_string(),
            Advice::TokenRefused => "The mail server refused a token the provider had just issued: the app lacks access to this mailbox. Microsoft 365: register the app's service principal in Exchange (New-ServicePrincipal) and give it the mailbox (Add-MailboxPermission, Add-RecipientPermission for SMTP), and make sure IMAP/SMTP AUTH is enabled for the mailbox. Google: the service account's domain-wide delegation needs the scope https://mail.google.com/.".to_string(),
        }
    }

    /// The advice for a provider's error answer, when there is one.
    pub fn for_provider(error: &ProviderError) -> Option<Advice> {
        let description = error.description.as_deref().unwrap_or_default();
        // Microsoft reports missing consent as invalid_grant with AADSTS65001.
        let consent = description.contains("AADSTS65001")
            || description.contains("AADSTS65004")
            || description.to_ascii_lowercase().contains("consent");
        match error.code.as_str() {
            "consent_required" => Some(Advice::ConsentRequired),
            "invalid_grant" | "interaction_required" if consent => Some(Advice::ConsentRequired),
            "invalid_grant" | "interaction_required" => Some(Advice::InvalidGrant),
            "invalid_client" => Some(Advice::InvalidClient),
            "unauthorized_client" | "access_denied" => Some(Advice::UnauthorizedClient),
            "invalid_scope" => Some(Advice::InvalidScope),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The setup cannot work as it stands (unreadable secret or refresh token file, bad key).
    #[error("{0}")]
    Config(String),
    /// No answer: network, DNS, TLS, timeout. Worth trying again.
    #[error("token request failed: {0}")]
    Unreachable(String),
    /// The provider said no (RFC 6749 5.2).
    #[error("{url} refused the token request (HTTP {status}): {error}")]
    Refused {
        url: String,
        status: u16,
        error: ProviderError,
    },
    /// An answer that is not a token: a proxy's page, a 5xx, broken JSON.
    #[error("{url} answered HTTP {status} without a usable token: {reason}")]
    BadAnswer {
        url: String,
        status: u16,
        reason: String,
    },
}

impl TokenError {
    /// Trying again soon may work: no answer, a busy or broken server.
    pub fn is_transient(&self) -> bool {
        match self {
            TokenError::Unreachable(_) => true,
            TokenError::BadAnswer { status, .. } => *status >= 500 || *status == 429,
            TokenError::Refused { status, error, .. } => {
                *status >= 500
                    || *status == 429
                    || matches!(
                        error.code.as_str(),
                        "temporarily_unavailable" | "server_error" | "slow_down"
                    )
            }
            TokenError::Config(_) => false,
        }
    }

    /// What the provider said, when it answered with an OAuth2 error.
    pub fn provider_error(&self) -> Option<&ProviderError> {
        match self {
            TokenError::Refused { error, .. } => Some(error),
            _ => None,
        }
    }

    pub fn advice(&self) -> Option<Advice> {
        self.provider_error().and_then(Advice::for_provider)
    }
}

/// `text` with every one of `secrets` (at least 4 characters long) replaced by `***`.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(code: &str, description: &str) -> ProviderError {
        ProviderError {
            code: code.into(),
            description: Some(description.into()),
        }
    }

    #[test]
    fn the_three_common_failures_get_their_own_advice() {
        let revoked = said(
            "invalid_grant",
            "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.",
        );
        assert_eq!(Advice::for_provider(&revoked), Some(Advice::InvalidGrant));
        let consent = said(
            "invalid_grant",
            "AADSTS65001: The user or administrator has not consented to use the application with ID 'x'.",
        );
        assert_eq!(
            Advice::for_provider(&consent),
            Some(Advice::ConsentRequired)
        );
        assert_eq!(
            Advice::for_provider(&said("consent_required", "")),
            Some(Advice::ConsentRequired)
        );
        let secret = said(
            "invalid_client",
            "AADSTS7000222: The provided client secret keys are expired.",
        );
        assert_eq!(Advice::for_provider(&secret), Some(Advice::InvalidClient));
        assert_eq!(Advice::for_provider(&said("server_error", "x")), None);
        let line = Advice::InvalidGrant.line("--mailbox klage");
        assert!(
            line.contains("klagebot oauth login --mailbox klage"),
            "{line}"
        );
    }

    #[test]
    fn busy_providers_are_transient_refusals_are_not() {
        let refused = TokenError::Refused {
            url: "https://login.example/token".into(),
            status: 400,
            error: said("invalid_grant", "revoked"),
        };
        assert!(!refused.is_transient());
        let busy = TokenError::Refused {
            url: "https://login.example/token".into(),
            status: 503,
            error: said("temporarily_unavailable", "try later"),
        };
        assert!(busy.is_transient());
        assert!(TokenError::Unreachable("x".into()).is_transient());
    }

    #[test]
    fn scrubbing_removes_what_we_sent() {
        assert_eq!(
            scrub(
                "bad token rt-abcdef and secret s3cr3t!",
                &["rt-abcdef", "s3cr3t!", ""]
            ),
            "bad token *** and secret ***"
        );
    }
}
