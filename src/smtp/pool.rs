//! SMTP over a small pool of logged-in connections of our own: lettre's
//! connection for the protocol, on a socket we open with `TCP_NODELAY` (lettre
//! writes a mail's body and its end-of-data line apart; with Nagle's algorithm
//! the second waited for the server's delayed ACK, ~40 ms a mail). The login is
//! a password (AUTH PLAIN or LOGIN), none, or an OAuth2 token with our own AUTH
//! (XOAUTH2 or OAUTHBEARER, which lettre lacks, with the server's error
//! challenge answered); a connection is retired when the token it logged in
//! with is due for renewal. A cached token the server refuses is handed back
//! and a fresh one tried at once.

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
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

pub struct Relay {
    /// `SMTP server host:port (tls)`, for messages.
    pub server: String,
    host: String,
    port: u16,
    tls: Tls,
    login: Login,
    idle: Mutex<Vec<Pooled>>,
}

/// How a connection logs in.
pub enum Login {
    /// XOAUTH2 or OAUTHBEARER as `user`, with a token from `source`.
    Token { user: String, source: TokenSource },
    /// AUTH PLAIN or LOGIN.
    Password(Credentials),
    /// No AUTH: a relay that takes our mail as it comes (loopback).
    None,
}

/// A connection logged in with a password (or none) is replaced after this long.
const PASSWORD_LOGIN_FOR: Duration = Duration::from_secs(3600);

struct Pooled {
    conn: AsyncSmtpConnection,
    renew_at: Instant,
    idle_since: Instant,
}

impl Relay {
    pub fn new(server: String, host: &str, port: u16, tls: Tls, login: Login) -> Relay {
        Relay {
            server,
            host: host.to_string(),
            port,
            tls,
            login,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Whether connections log in with an OAuth2 token.
    pub fn uses_oauth2(&self) -> bool {
        matches!(self.login, Login::Token { .. })
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

    /// `klagebot check`: (a token,) a connection, a login, QUIT; says what it
    /// found, and an error names the step that failed.
    pub async fn check(&self) -> anyhow::Result<String> {
        use anyhow::Context;
        let Login::Token { user, source } = &self.login else {
            let mut conn = self
                .connect()
                .await
                .context("connecting (TCP, TLS, EHLO)")?;
            self.log_in_plainly(&mut conn).await.context("logging in")?;
            let _ = self.step("QUIT", conn.quit()).await;
            return Ok(format!("{} accepted a connection", self.server));
        };
        let token = oauth::tokens()
            .token(source)
            .await
            .with_context(|| format!("step 1 of 3, the OAuth2 token from {}", source.token_url))?;
        let mut conn = self
            .connect()
            .await
            .context("step 2 of 3, connecting (TCP, TLS, EHLO)")?;
        let login = self
            .log_in(&mut conn, token.clone(), user, source)
            .await
            .context("step 3 of 3, logging in with the token")?;
        let _ = self.step("QUIT", conn.quit()).await;
        Ok(format!(
            "{}: OAuth2 token obtained (valid {} s), logged in with {}",
            self.server,
            login.lifetime().as_secs(),
            source.mechanism.name()
        ))
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
        let Login::Token { user, source } = &self.login else {
            let mut conn = self.connect().await?;
            self.log_in_plainly(&mut conn).await?;
            return Ok(Pooled {
                conn,
                renew_at: Instant::now() + PASSWORD_LOGIN_FOR,
                idle_since: Instant::now(),
            });
        };
        let token = self.token(source).await?;
        let mut conn = self.connect().await?;
        let token = self.log_in(&mut conn, token, user, source).await?;
        Ok(Pooled {
            conn,
            renew_at: token.refresh_at(),
            idle_since: Instant::now(),
        })
    }

    /// A token from `source` (cached while valid).
    async fn token(&self, source: &TokenSource) -> Result<AccessToken, SendError> {
        oauth::tokens()
            .token(source)
            .await
            .map_err(|source| SendError::Token {
                server: self.server.clone(),
                source,
            })
    }

    /// AUTH with the password (PLAIN, else LOGIN), or nothing without one.
    async fn log_in_plainly(&self, conn: &mut AsyncSmtpConnection) -> Result<(), SendError> {
        if let Login::Password(credentials) = &self.login {
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            self.step("AUTH", conn.auth(&mechanisms, credentials))
                .await?;
        }
        Ok(())
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let hello = ClientId::default();
        let implicit = match &self.tls {
            Tls::Wrapper(params) => Some(params.clone()),
            _ => None,
        };
        let mut conn = match implicit {
            // TLS from the first byte: lettre's own connect (its TLS wrapper).
            Some(params) => {
                let connect = AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(STEP_TIMEOUT),
                    &hello,
                    Some(params),
                    None,
                );
                self.step("connect", connect).await?
            }
            None => {
                let socket = self.socket().await?;
                let greet = AsyncSmtpConnection::connect_with_transport(Box::new(socket), &hello);
                self.step("EHLO", greet).await?
            }
        };
        if let Tls::Required(params) = &self.tls {
            let params: TlsParameters = params.clone();
            self.step("STARTTLS", conn.starttls(params, &hello)).await?;
        }
        Ok(conn)
    }

    /// The TCP connection, with `TCP_NODELAY`.
    async fn socket(&self) -> Result<tokio::net::TcpStream, SendError> {
        let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        let failed = |source| SendError::Connect {
            server: self.server.clone(),
            source,
        };
        let socket = match tokio::time::timeout(STEP_TIMEOUT, connect).await {
            Ok(connected) => connected.map_err(failed)?,
            Err(_) => {
                return Err(SendError::Timeout {
                    server: self.server.clone(),
                    step: "connect",
                    seconds: STEP_TIMEOUT.as_secs(),
                });
            }
        };
        socket.set_nodelay(true).map_err(failed)?;
        Ok(socket)
    }

    /// AUTH with `token`; when the server refuses a cached one, once more with a
    /// fresh one. Returns the token the connection is logged in with.
    async fn log_in(
        &self,
        conn: &mut AsyncSmtpConnection,
        token: AccessToken,
        user: &str,
        source: &TokenSource,
    ) -> Result<AccessToken, SendError> {
        let said = match self.authenticate(conn, &token, user, source).await? {
            None => return Ok(token),
            Some(said) => said,
        };
        oauth::tokens().reject(source, &token).await;
        if token.is_fresh() {
            return Err(self.refused(said, user, source));
        }
        info!(server = %self.server, "the server refused the cached OAuth2 token; trying a fresh one");
        let fresh = self.token(source).await?;
        match self.authenticate(conn, &fresh, user, source).await? {
            None => Ok(fresh),
            Some(said) => {
                oauth::tokens().reject(source, &fresh).await;
                Err(self.refused(said, user, source))
            }
        }
    }

    /// One AUTH exchange: `None` when logged in, `Some(what the server said)`
    /// when it refused the token; `Err` for anything else.
    async fn authenticate(
        &self,
        conn: &mut AsyncSmtpConnection,
        token: &AccessToken,
        user: &str,
        source: &TokenSource,
    ) -> Result<Option<String>, SendError> {
        let mechanism = source.mechanism;
        let message = sasl::initial_response(
            mechanism,
            user,
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

    fn refused(&self, reason: String, user: &str, source: &TokenSource) -> SendError {
        SendError::TokenRefused {
            server: self.server.clone(),
            user: user.to_string(),
            mechanism: source.mechanism.name(),
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

    /// Like [`Relay::step`], but hands back the SMTP error for a closer look.
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
