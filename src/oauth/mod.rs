//! OAuth2 access tokens for IMAP and SMTP logins (Microsoft 365, Google
//! Workspace, any RFC 6749 provider). The alarm when logging in keeps failing is
//! [`crate::alarm`]'s.
//!
//! - [`TokenCache`] ([`tokens`] is the process's one): a token per app
//!   registration and grant, fetched on first use, handed out until 80% of its
//!   lifetime, then refreshed; a login the server refuses hands it back with
//!   [`TokenCache::reject`] and the next caller gets a fresh one. Requests time
//!   out and are retried with backoff; callers of one registration wait for one
//!   request instead of sending many.
//! - `grant`: the RFC 6749 token requests (refresh token, client credentials,
//!   Google's RFC 7523 service-account assertion, RFC 8628 device code) and
//!   reading their answers; [`TokenError`] says what the provider said, with a
//!   plain-language [`Advice`] for the errors an operator can act on.
//! - `refresh_file`: the refresh token on disk, rewritten atomically when the
//!   provider rotates it.
//! - [`sasl`]: the XOAUTH2 and OAUTHBEARER client messages.
//! - [`device`]: `klagebot oauth login`.
//!
//! Invariant: no token, refresh token, client secret or key ever reaches a log
//! line or an error message. They travel as [`Secret`], whose `Debug` and
//! `Display` print `***`, and provider messages are scrubbed of what we sent.

mod cache;
pub mod device;
mod error;
mod grant;
mod http;
mod jwt;
mod refresh_file;
pub mod sasl;

pub use cache::{AccessToken, TokenCache, tokens};
pub use error::{Advice, ProviderError, TokenError};
pub use refresh_file::write_atomically as write_refresh_token;

use std::fmt;

/// A token, refresh token or client secret: printable only as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn a_secret_never_prints_itself() {
        let s = Secret::new("at-very-secret");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(s.expose(), "at-very-secret");
    }
}
