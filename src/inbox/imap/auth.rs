//! Logging in: LOGIN with a password, or AUTHENTICATE XOAUTH2/OAUTHBEARER with a
//! token from the shared cache. A cached token the server refuses is handed back
//! and a fresh one tried at once on the same connection; a fresh token refused is
//! a login failure that needs an operator.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_imap::{Client, Session};
use tokio::time::Instant;
use tracing::info;

use super::super::InboxError;
use super::super::error::Endpoint;
use super::super::tls::ImapStream;
use super::connect::{self, STEP_TIMEOUT};
use crate::config::{Mailbox, TokenSource};
use crate::oauth::{self, AccessToken, sasl};

/// How a mailbox logs in, read from its config.
#[derive(Debug, Clone)]
pub enum Credentials {
    Password {
        user: String,
        password: oauth::Secret,
    },
    OAuth2 {
        mailbox: String,
        user: String,
        source: Box<TokenSource>,
    },
}

pub fn credentials(cfg: &Mailbox) -> Result<Credentials, InboxError> {
    let user = cfg.username.clone().ok_or_else(|| {
        InboxError::Config(format!("mailbox {}: no username configured", cfg.name))
    })?;
    if let Some(source) = cfg.token_source() {
        return Ok(Credentials::OAuth2 {
            mailbox: cfg.name.clone(),
            user,
            source: Box::new(source),
        });
    }
    let password = cfg
        .password()
        .read(&format!("mailbox {}", cfg.name))
        .map_err(|e| InboxError::Config(format!("{e:#}")))?;
    Ok(Credentials::Password {
        user,
        password: oauth::Secret::new(password),
    })
}

/// A logged-in session and, with OAuth2, when to log in again with a fresh token
/// (servers such as Exchange Online end a session when its token expires).
pub async fn log_in(
    server: &Endpoint,
    ca_file: Option<&Path>,
    credentials: &Credentials,
) -> Result<(Session<ImapStream>, Option<Instant>), InboxError> {
    match credentials {
        Credentials::Password { user, password } => {
            let client = connect::open_client(server, ca_file).await?;
            let session = connect::login(server, client, user, password.expose()).await?;
            Ok((session, None))
        }
        Credentials::OAuth2 {
            mailbox,
            user,
            source,
        } => {
            let token = token(mailbox, source).await?;
            let client = connect::open_client(server, ca_file).await?;
            let (session, token) = with_token(server, client, mailbox, user, source, token).await?;
            Ok((session, Some(token.refresh_at())))
        }
    }
}

async fn token(mailbox: &str, source: &TokenSource) -> Result<AccessToken, InboxError> {
    oauth::tokens()
        .token(source)
        .await
        .map_err(|source| InboxError::Token {
            mailbox: mailbox.to_string(),
            source,
        })
}

/// AUTHENTICATE with `token`; when the server refuses a cached one, once more with
/// a fresh one. Returns the token the session was opened with.
async fn with_token(
    server: &Endpoint,
    client: Client<ImapStream>,
    mailbox: &str,
    user: &str,
    source: &TokenSource,
    token: AccessToken,
) -> Result<(Session<ImapStream>, AccessToken), InboxError> {
    match authenticate(server, client, user, source, &token).await? {
        Ok(session) => Ok((session, token)),
        Err((client, said)) => {
            oauth::tokens().reject(source, &token).await;
            if token.is_fresh() {
                return Err(refused(server, user, source, said));
            }
            info!(%server, "the server refused the cached OAuth2 token; trying a fresh one");
            let fresh = self::token(mailbox, source).await?;
            match authenticate(server, client, user, source, &fresh).await? {
                Ok(session) => Ok((session, fresh)),
                Err((_, said)) => {
                    oauth::tokens().reject(source, &fresh).await;
                    Err(refused(server, user, source, said))
                }
            }
        }
    }
}

fn refused(server: &Endpoint, user: &str, source: &TokenSource, said: String) -> InboxError {
    InboxError::TokenRefused {
        server: server.clone(),
        user: user.to_string(),
        mechanism: source.mechanism.name(),
        reason: said,
    }
}

/// The outcome of one AUTHENTICATE: a session, or the server's refusal (with the
/// still unauthenticated client, and what the server said). Other errors are `Err`.
type Attempt = Result<Session<ImapStream>, (Client<ImapStream>, String)>;

async fn authenticate(
    server: &Endpoint,
    client: Client<ImapStream>,
    user: &str,
    source: &TokenSource,
    token: &AccessToken,
) -> Result<Attempt, InboxError> {
    let challenge = Arc::new(Mutex::new(None));
    let authenticator = TokenAuthenticator {
        first: Some(sasl::initial_response(
            source.mechanism,
            user,
            token.secret().expose(),
            &server.host,
            server.port,
        )),
        mechanism: source.mechanism,
        error_challenge: challenge.clone(),
    };
    let mechanism = source.mechanism.name();
    let attempt =
        tokio::time::timeout(STEP_TIMEOUT, client.authenticate(mechanism, authenticator)).await;
    match attempt {
        Ok(Ok(session)) => Ok(Ok(session)),
        Ok(Err((async_imap::error::Error::No(reason), client))) => {
            let said = challenge
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .map(|c| format!("{reason} ({})", sasl::describe_error_challenge(&c)))
                .unwrap_or(reason);
            Ok(Err((client, said)))
        }
        Ok(Err((source, _client))) => Err(InboxError::Imap {
            server: server.clone(),
            command: "AUTHENTICATE",
            source,
        }),
        Err(_) => Err(InboxError::Timeout {
            server: server.clone(),
            command: "AUTHENTICATE",
            seconds: STEP_TIMEOUT.as_secs(),
        }),
    }
}

/// Sends the token at the first continuation; answers an error challenge so that
/// the server can finish with NO, and keeps the challenge for the message.
struct TokenAuthenticator {
    first: Option<Vec<u8>>,
    mechanism: crate::config::SaslMechanism,
    error_challenge: Arc<Mutex<Option<Vec<u8>>>>,
}

impl async_imap::Authenticator for TokenAuthenticator {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        if let Some(first) = self.first.take() {
            return first;
        }
        *self
            .error_challenge
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(challenge.to_vec());
        sasl::answer_to_error(self.mechanism).to_vec()
    }
}
