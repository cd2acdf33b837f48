//! `klagebot oauth login`: the device authorization grant (RFC 8628). klagebot
//! asks for a code, a person approves it in a browser with an account that may
//! read the mailbox, klagebot polls the token endpoint and keeps the refresh
//! token it gets in the configured file.

use std::time::Duration;

use serde::Deserialize;

use super::error::TokenError;
use super::grant::{self, Issued};
use super::http;
use super::{Secret, refresh_file};
use crate::config::{Grant, TokenSource};

/// What the person needs, to be printed.
#[derive(Debug)]
pub struct DeviceAuthorization {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    /// The provider's own instruction (Microsoft sends one), when given.
    pub message: Option<String>,
    pub expires_in: Duration,
    interval: Duration,
    device_code: Secret,
}

#[derive(Deserialize)]
struct Answer {
    device_code: String,
    user_code: String,
    /// Google spells it `verification_url`.
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

/// Where the refresh token goes; only delegated access has one.
pub fn refresh_token_file(source: &TokenSource) -> Result<&std::path::Path, TokenError> {
    match &source.grant {
        Grant::RefreshToken { file } => Ok(file),
        _ => Err(TokenError::Config(
            "this login has no refresh_token_file: it uses app-only access, which needs no `oauth login`; to log in as a person, set refresh_token_file in its oauth2 table".into(),
        )),
    }
}

/// Step 1 (RFC 8628 3.1): a device code and the code the person types in.
pub async fn start(source: &TokenSource) -> Result<DeviceAuthorization, TokenError> {
    let url = source.device_url.as_deref().ok_or_else(|| {
        TokenError::Config("provider = \"generic\" needs device_url in the oauth2 table for `klagebot oauth login`".into())
    })?;
    let mut form = Vec::new();
    if let Some(scope) = &source.scope {
        form.push(("scope", scope.clone()));
    }
    let secret = grant::client_secret(source)?;
    let (form, basic) = grant::with_client_auth(source, form, secret.as_ref());
    let answer = http::post_form(url, form, basic)
        .await
        .map_err(|e| TokenError::Unreachable(e.0))?;
    if !(200..300).contains(&answer.status) {
        let sent = [secret.as_ref().map_or("", |s| s.expose())];
        return Err(match grant::read_answer(url, answer, &sent) {
            Err(err) => err,
            Ok(_) => TokenError::BadAnswer {
                url: url.to_string(),
                status: 0,
                reason: "a token instead of a device code".into(),
            },
        });
    }
    let parsed: Answer = serde_json::from_str(&answer.body).map_err(|_| TokenError::BadAnswer {
        url: url.to_string(),
        status: answer.status,
        reason: "not a device authorization answer (device_code, user_code, verification_uri)"
            .into(),
    })?;
    Ok(DeviceAuthorization {
        verification_uri: parsed.verification_uri,
        verification_uri_complete: parsed.verification_uri_complete,
        user_code: parsed.user_code,
        message: parsed.message,
        expires_in: Duration::from_secs(parsed.expires_in.unwrap_or(900)),
        interval: Duration::from_secs(parsed.interval.unwrap_or(5).max(1)),
        device_code: Secret::new(parsed.device_code),
    })
}

/// Step 2 (RFC 8628 3.4, 3.5): polls until the person approved, refused, or the
/// code expired; then saves the refresh token. Returns the issued token's lifetime.
pub async fn finish(
    source: &TokenSource,
    authorization: &DeviceAuthorization,
) -> Result<Duration, TokenError> {
    let file = refresh_token_file(source)?;
    let issued = poll(source, authorization).await?;
    let refresh_token = issued.refresh_token.ok_or_else(|| {
        TokenError::Config(
            "the provider issued no refresh token: the scope must allow offline access (Microsoft: offline_access)".into(),
        )
    })?;
    refresh_file::write_atomically(file, &refresh_token).map_err(|e| {
        TokenError::Config(format!(
            "cannot write the refresh token file {}: {e}",
            file.display()
        ))
    })?;
    Ok(issued.lifetime)
}

async fn poll(
    source: &TokenSource,
    authorization: &DeviceAuthorization,
) -> Result<Issued, TokenError> {
    let deadline = tokio::time::Instant::now() + authorization.expires_in;
    let mut interval = authorization.interval;
    loop {
        tokio::time::sleep(interval).await;
        match grant::device_code(source, &authorization.device_code).await {
            Ok(issued) => return Ok(issued),
            Err(err) => match err.provider_error().map(|e| e.code.as_str()) {
                Some("authorization_pending") => {}
                // RFC 8628 3.5: five seconds more from now on.
                Some("slow_down") => interval += Duration::from_secs(5),
                _ if err.is_transient() => {}
                _ => return Err(err),
            },
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(TokenError::Config(
                "nobody approved the code in time; run `klagebot oauth login` again".into(),
            ));
        }
    }
}
