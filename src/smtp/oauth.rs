//! SMTP with an OAuth2 token: lettre's connection for the protocol, our own AUTH
//! (XOAUTH2 or OAUTHBEARER, which lettre lacks, with the server's error challenge
//! answered), and a small pool of logged-in connections, each retired when the
//! token it logged in with is due for renewal. A cached token the server refuses
//! is handed back and a fresh one tried at once.

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::address::Envelope;
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::time::Instant;
use tracing::{debug, info};

use super::SendError;
use crate::config::TokenSource;
use crate::oauth::{self, AccessToken, sasl};

/// One SMTP step (connect, a command, the message) may take this long.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// Logged-in connections kept for the next mail.
const POOL_SIZE: usize = 8;
/// A connection unused this long is checked with NOOP before it is used again.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(10);

pub struct OAuthRelay {
    /// `SMTP server host:port (tls)`, for messages.
    pub server: String,
    host: String,
    port: u16,
    tls: Tls,
    user: String,
    source: TokenSource,
    idle: Mutex<Vec<Pooled>>,
}

struct Pooled {
    conn: AsyncSmtpConnection,
    renew_at: Instant,
    idle_since: Instant,
}

/// What the login steps of `klagebot check` found.
pub struct Checked {
    pub token_lifetime: Duration,
    pub mechanism: &'static str,
}

impl OAuthRelay {
    pub fn new(
        server: String,
        host: &str,
        port: u16,
        tls: Tls,
        user: String,
        source: TokenSource,
    ) -> OAuthRelay {
        OAuthRelay {
            server,
            host: host.to_string(),
            port,
            tls,
            user,
            source,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one mail over a logged-in connection (pooled or new).
    pub async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        let mut pooled = match self.take_idle().await {
            Some(pooled) => pooled,
            None => self.open().await?,
        };
        match self.step("DATA", pooled.conn.send(envelope, raw)).await {
            Ok(_) => {
                pooled.idle_since = Instant::now();
                self.give_back(pooled);
                Ok(())
            }
            // lettre closes the connection after any failed command.
            Err(err) => Err(err),
        }
    }

    /// `klagebot check`: a token, a connection, a login, QUIT; the error names the step.
    pub async fn check(&self) -> anyhow::Result<Checked> {
        use anyhow::Context;
        let token = oauth::tokens().token(&self.source).await.with_context(|| {
            format!(
                "step 1 of 3, the OAuth2 token from {}",
                self.source.token_url
            )
        })?;
        let mut conn = self
            .connect()
            .await
            .context("step 2 of 3, connecting (TCP, TLS, EHLO)")?;
        let login = self
            .log_in(&mut conn, token.clone())
            .await
            .context("step 3 of 3, logging in with the token")?;
        let _ = self.step("QUIT", conn.quit()).await;
        Ok(Checked {
            token_lifetime: login.lifetime(),
            mechanism: self.source.mechanism.name(),
        })
    }

    async fn take_idle(&self) -> Option<Pooled> {
        loop {
            let candidate = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
            let Pooled {
                mut conn,
                renew_at,
                idle_since,
            } = candidate;
            if Instant::now() >= renew_at || conn.has_broken() {
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.quit()).await;
                continue;
            }
            if idle_since.elapsed() >= CHECK_AFTER_IDLE
                && !matches!(
                    tokio::time::timeout(Duration::from_secs(10), conn.test_connected()).await,
                    Ok(true)
                )
            {
                continue;
            }
            return Some(Pooled {
                conn,
                renew_at,
                idle_since,
            });
        }
    }

    fn give_back(&self, pooled: Pooled) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_SIZE && !pooled.conn.has_broken() {
            idle.push(pooled);
        }
    }

    /// A new connection, logged in.
    async fn open(&self) -> Result<Pooled, SendError> {
        let token = oauth::tokens()
            .token(&self.source)
            .await
            .map_err(|source| SendError::Token {
                server: self.server.clone(),
                source,
            })?;
        let mut conn = self.connect().await?;
        let token = self.log_in(&mut conn, token).await?;
        Ok(Pooled {
            conn,
            renew_at: token.refresh_at(),
            idle_since: Instant::now(),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let hello = ClientId::default();
        let implicit = match &self.tls {
            Tls::Wrapper(params) => Some(params.clone()),
            _ => None,
        };
        let connect = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(STEP_TIMEOUT),
            &hello,
            implicit,
            None,
        );
        let mut conn = self.step("connect", connect).await?;
        if let Tls::Required(params) = &self.tls {
            let params: TlsParameters = params.clone();
            self.step("STARTTLS", conn.starttls(params, &hello)).await?;
        }
        Ok(conn)
    }

    /// AUTH with `token`; when the server refuses a cached one, once more with a
    /// fresh one. Returns the token the connection is logged in with.
    async fn log_in(
        &self,
        conn: &mut AsyncSmtpConnection,
        token: AccessToken,
    ) -> Result<AccessToken, SendError> {
        let said = match self.authenticate(conn, &token).await? {
            None => return Ok(token),
            Some(said) => said,
        };
        oauth::tokens().reject(&self.source, &token).await;
        if token.is_fresh() {
            return Err(self.refused(said));
        }
        info!(server = %self.server, "the server refused the cached OAuth2 token; trying a fresh one");
        let fresh = oauth::tokens()
            .token(&self.source)
            .await
            .map_err(|source| SendError::Token {
                server: self.server.clone(),
                source,
            })?;
        match self.authenticate(conn, &fresh).await? {
            None => Ok(fresh),
            Some(said) => {
                oauth::tokens().reject(&self.source, &fresh).await;
                Err(self.refused(said))
            }
        }
    }

    /// One AUTH exchange: `None` when logged in, `Some(what the server said)`
    /// when it refused the token; `Err` for anything else.
    async fn authenticate(
        &self,
        conn: &mut AsyncSmtpConnection,
        token: &AccessToken,
    ) -> Result<Option<String>, SendError> {
        let mechanism = self.source.mechanism;
        let message = sasl::initial_response(
            mechanism,
            &self.user,
            token.secret().expose(),
            &self.host,
            self.port,
        );
        let line = SaslLine(format!(
            "AUTH {} {}",
            mechanism.name(),
            BASE64.encode(message)
        ));
        let mut challenge = None;
        let mut reply = self.step_raw(conn.command(line)).await?;
        if let Ok(response) = &reply
            && response.has_code(334)
        {
            // The error challenge (RFC 7628 3.2.2): answer it, the refusal follows.
            let text: String = response.message().collect();
            challenge = BASE64.decode(text.trim()).ok();
            let answer = SaslLine(BASE64.encode(sasl::answer_to_error(mechanism)));
            reply = self.step_raw(conn.command(answer)).await?;
        }
        match reply {
            Ok(response) if response.has_code(235) => {
                debug!(server = %self.server, "logged in with an OAuth2 token");
                Ok(None)
            }
            Ok(response) => Ok(Some(format!(
                "unexpected reply {} to AUTH",
                response.code()
            ))),
            // 535 and its kin; also 504 (the server does not know the mechanism).
            Err(err) if err.status().is_some_and(|c| c.to_string().starts_with('5')) => {
                let mut said = err.to_string();
                if let Some(c) = challenge {
                    said = format!("{said} ({})", sasl::describe_error_challenge(&c));
                }
                Ok(Some(said))
            }
            Err(source) => Err(super::relay::classify(&self.server, source)),
        }
    }

    fn refused(&self, reason: String) -> SendError {
        SendError::TokenRefused {
            server: self.server.clone(),
            user: self.user.clone(),
            mechanism: self.source.mechanism.name(),
            reason,
        }
    }

    /// Runs one step with [`STEP_TIMEOUT`], sorting its error.
    async fn step<T>(
        &self,
        what: &'static str,
        fut: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<T, SendError> {
        match tokio::time::timeout(STEP_TIMEOUT, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(source)) => Err(super::relay::classify(&self.server, source)),
            Err(_) => Err(SendError::Timeout {
                server: self.server.clone(),
                step: what,
                seconds: STEP_TIMEOUT.as_secs(),
            }),
        }
    }

    /// Like [`OAuthRelay::step`], but hands back the SMTP error for a closer look.
    async fn step_raw<T>(
        &self,
        fut: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<Result<T, lettre::transport::smtp::Error>, SendError> {
        tokio::time::timeout(STEP_TIMEOUT, fut)
            .await
            .map_err(|_| SendError::Timeout {
                server: self.server.clone(),
                step: "AUTH",
                seconds: STEP_TIMEOUT.as_secs(),
            })
    }
}

/// One line of the SASL exchange, as lettre's `command` writes it.
struct SaslLine(String);

impl std::fmt::Display for SaslLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}
