//! Opening an IMAP session: TCP, implicit TLS or STARTTLS, the greeting, LOGIN.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use async_imap::{Client, Session};
use tokio::net::TcpStream;

use super::super::InboxError;
use super::super::error::Endpoint;
use super::super::tls::{self, ImapStream};
use crate::config::TlsMode;

/// How long any single step may take before the server counts as unresponsive.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs one IMAP command with [`STEP_TIMEOUT`] (or `limit`), naming it in errors.
pub async fn timed<T>(
    server: &Endpoint,
    command: &'static str,
    limit: Duration,
    fut: impl Future<Output = async_imap::error::Result<T>>,
) -> Result<T, InboxError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(InboxError::Imap {
            server: server.clone(),
            command,
            source,
        }),
        Err(_) => Err(InboxError::Timeout {
            server: server.clone(),
            command,
            seconds: limit.as_secs(),
        }),
    }
}

/// A client that has read the greeting and, unless `TlsMode::None`, speaks TLS.
pub async fn open_client(
    server: &Endpoint,
    ca_file: Option<&Path>,
) -> Result<Client<ImapStream>, InboxError> {
    if server.tls == TlsMode::None && !tls::is_loopback(&server.host) {
        return Err(InboxError::Config(format!(
            "{server}: tls = \"none\" is only allowed for loopback hosts; the password would cross the network in clear text"
        )));
    }
    let tcp = tcp_connect(server).await?;
    match server.tls {
        TlsMode::Implicit => {
            let stream = start_tls(server, ca_file, tcp).await?;
            greeted(server, Client::new(stream)).await
        }
        TlsMode::Starttls => {
            let mut plain = greeted(server, Client::new(ImapStream::Plain(tcp))).await?;
            starttls(server, &mut plain).await?;
            let ImapStream::Plain(tcp) = plain.into_inner() else {
                unreachable!("the client was built over a plain stream above")
            };
            // No second greeting follows STARTTLS (RFC 3501 6.2.1).
            Ok(Client::new(start_tls(server, ca_file, tcp).await?))
        }
        TlsMode::None => greeted(server, Client::new(ImapStream::Plain(tcp))).await,
    }
}

/// LOGIN; a refusal is permanent and names the user, a broken connection is not.
pub async fn login(
    server: &Endpoint,
    client: Client<ImapStream>,
    user: &str,
    password: &str,
) -> Result<Session<ImapStream>, InboxError> {
    let attempt = tokio::time::timeout(STEP_TIMEOUT, client.login(user, password)).await;
    match attempt {
        Ok(Ok(session)) => Ok(session),
        Ok(Err((async_imap::error::Error::No(reason), _client))) => Err(InboxError::Login {
            server: server.clone(),
            user: user.to_string(),
            reason,
        }),
        Ok(Err((source, _client))) => Err(InboxError::Imap {
            server: server.clone(),
            command: "LOGIN",
            source,
        }),
        Err(_) => Err(InboxError::Timeout {
            server: server.clone(),
            command: "LOGIN",
            seconds: STEP_TIMEOUT.as_secs(),
        }),
    }
}

async fn tcp_connect(server: &Endpoint) -> Result<TcpStream, InboxError> {
    let address = (server.host.as_str(), server.port);
    let connect_error = |source| InboxError::Connect {
        server: server.clone(),
        source,
    };
    let tcp = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| connect_error(std::io::ErrorKind::TimedOut.into()))?
        .map_err(connect_error)?;
    tcp.set_nodelay(true).map_err(connect_error)?;
    Ok(tcp)
}

async fn start_tls(
    server: &Endpoint,
    ca_file: Option<&Path>,
    tcp: TcpStream,
) -> Result<ImapStream, InboxError> {
    let connector = tls::connector(ca_file)?;
    let name = tls::server_name(&server.host)?;
    let handshake = tokio::time::timeout(STEP_TIMEOUT, connector.connect(name, tcp));
    let tls_error = |source| InboxError::Tls {
        server: server.clone(),
        source,
    };
    let stream = handshake
        .await
        .map_err(|_| tls_error(std::io::ErrorKind::TimedOut.into()))?
        .map_err(tls_error)?;
    Ok(ImapStream::Tls(Box::new(stream)))
}

/// `Client::new` does not read the greeting; a BYE there means "busy, come back".
async fn greeted(
    server: &Endpoint,
    mut client: Client<ImapStream>,
) -> Result<Client<ImapStream>, InboxError> {
    let greeting = tokio::time::timeout(STEP_TIMEOUT, client.read_response()).await;
    let lost = |source: async_imap::error::Error| InboxError::Imap {
        server: server.clone(),
        command: "greeting",
        source,
    };
    let response = match greeting {
        Err(_) => {
            return Err(InboxError::Timeout {
                server: server.clone(),
                command: "greeting",
                seconds: STEP_TIMEOUT.as_secs(),
            });
        }
        Ok(Err(io)) => return Err(lost(io.into())),
        Ok(Ok(None)) => return Err(lost(async_imap::error::Error::ConnectionLost)),
        Ok(Ok(Some(response))) => response,
    };
    match response.parsed() {
        Response::Data {
            status: Status::Ok, ..
        } => Ok(client),
        other => Err(lost(async_imap::error::Error::Bad(format!(
            "unexpected greeting {other:?}"
        )))),
    }
}

async fn starttls(server: &Endpoint, client: &mut Client<ImapStream>) -> Result<(), InboxError> {
    let result = timed(
        server,
        "STARTTLS",
        STEP_TIMEOUT,
        client.run_command_and_check_ok("STARTTLS", None),
    )
    .await;
    match result {
        Err(InboxError::Imap {
            source: async_imap::error::Error::Bad(_) | async_imap::error::Error::No(_),
            ..
        }) => Err(InboxError::NoStarttls {
            server: server.clone(),
        }),
        other => other,
    }
}
