//! Access tokens in memory: one per app registration and grant (token URL,
//! client, scope, grant), shared by every mailbox and the SMTP server that use
//! it; fetched on first use, refreshed at 80% of its lifetime, dropped when a
//! server refuses it. One request at a time per registration: the others wait
//! for its answer instead of asking too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use tracing::{error, info, warn};

use super::error::TokenError;
use super::grant::{self, Issued};
use super::{Secret, refresh_file};
use crate::config::{Grant, TokenSource};

/// Token requests per `token()` call before the error is the caller's.
const ATTEMPTS: u32 = 3;
/// Waited before the second attempt; doubled before each further one.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// The process's token cache: every login of every daemon task uses this one,
/// so that logins sharing a registration share its token.
pub fn tokens() -> &'static TokenCache {
    static CACHE: OnceLock<TokenCache> = OnceLock::new();
    CACHE.get_or_init(TokenCache::default)
}

/// A token handed out for one login.
#[derive(Debug, Clone)]
pub struct AccessToken {
    token: Secret,
    generation: u64,
    obtained: Instant,
    lifetime: Duration,
    fresh: bool,
}

impl AccessToken {
    pub fn secret(&self) -> &Secret {
        &self.token
    }

    /// Fetched for this very call (so a refusal is not cured by fetching again).
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// When the cache stops handing it out and fetches the next one.
    pub fn refresh_at(&self) -> Instant {
        self.obtained + self.lifetime.mul_f64(0.8)
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    token_url: String,
    client_id: String,
    scope: Option<String>,
    grant: Grant,
}

impl Key {
    fn of(source: &TokenSource) -> Key {
        Key {
            token_url: source.token_url.clone(),
            client_id: source.client_id.clone(),
            scope: source.scope.clone(),
            grant: source.grant.clone(),
        }
    }
}

#[derive(Default)]
struct Slot {
    held: Option<AccessToken>,
}

/// What is known of one refresh token file.
#[derive(Default)]
struct RefreshState {
    /// The file's content when last read or written by us.
    on_disk: Option<Secret>,
    /// The refresh token to use: newer than the file when saving it failed.
    current: Option<Secret>,
}

#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Slot>>>>,
    /// Several registrations (IMAP and SMTP scopes) may share one refresh token
    /// file; a rotation by one must be seen by the other.
    refresh_files: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<RefreshState>>>>,
    generation: AtomicU64,
}

impl TokenCache {
    /// A token for `source`: the cached one until 80% of its lifetime, else a new one.
    pub async fn token(&self, source: &TokenSource) -> Result<AccessToken, TokenError> {
        let slot = self.slot(source);
        let mut slot = slot.lock().await;
        if let Some(held) = &slot.held
            && Instant::now() < held.refresh_at()
        {
            return Ok(AccessToken {
                fresh: false,
                ..held.clone()
            });
        }
        slot.held = None;
        let obtained = Instant::now();
        let issued = self.fetch(source).await?;
        let token = AccessToken {
            token: issued.access_token,
            generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
            obtained,
            lifetime: issued.lifetime,
            fresh: true,
        };
        info!(
            token_url = %source.token_url,
            client_id = %source.client_id,
            grant = source.grant.name(),
            expires_in_s = token.lifetime.as_secs(),
            "OAuth2 access token obtained"
        );
        slot.held = Some(token.clone());
        Ok(token)
    }

    /// A server refused `token`: the next caller gets a new one. A token already
    /// replaced (by another caller's rejection) is left alone.
    pub async fn reject(&self, source: &TokenSource, token: &AccessToken) {
        let slot = self.slot(source);
        let mut slot = slot.lock().await;
        if slot
            .held
            .as_ref()
            .is_some_and(|held| held.generation == token.generation)
        {
            slot.held = None;
        }
    }

    fn slot(&self, source: &TokenSource) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(Key::of(source)).or_default().clone()
    }

    /// One token request, tried again with backoff while the failure is transient.
    async fn fetch(&self, source: &TokenSource) -> Result<Issued, TokenError> {
        let mut wait = FIRST_RETRY;
        let mut attempt = 1;
        loop {
            match self.request(source).await {
                Ok(issued) => return Ok(issued),
                Err(err) if err.is_transient() && attempt < ATTEMPTS => {
                    warn!(
                        token_url = %source.token_url,
                        error = %err,
                        attempt,
                        retry_in_ms = wait.as_millis() as u64,
                        "OAuth2 token request failed; trying again"
                    );
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn request(&self, source: &TokenSource) -> Result<Issued, TokenError> {
        match &source.grant {
            Grant::RefreshToken { file } => self.refresh(source, file).await,
            Grant::ClientCredentials => grant::client_credentials(source).await,
            Grant::ServiceAccount { subject } => grant::service_account(source, subject).await,
        }
    }

    /// The refresh-token grant; a rotated refresh token is saved to `file` at once.
    async fn refresh(&self, source: &TokenSource, file: &Path) -> Result<Issued, TokenError> {
        let state = {
            let mut files = self.refresh_files.lock().unwrap_or_else(|e| e.into_inner());
            files.entry(file.to_path_buf()).or_default().clone()
        };
        let mut state = state.lock().await;
        let on_disk = refresh_file::read(file)?;
        let refresh_token = match (&state.on_disk, &state.current) {
            // The file is as we left it: our token is at least as new.
            (Some(seen), Some(current)) if *seen == on_disk => current.clone(),
            // First use, or someone (`klagebot oauth login`) wrote a new one.
            _ => on_disk.clone(),
        };
        state.on_disk = Some(on_disk);
        state.current = Some(refresh_token.clone());
        let issued = grant::refresh(source, &refresh_token).await?;
        if let Some(rotated) = issued
            .refresh_token
            .as_ref()
            .filter(|t| **t != refresh_token)
        {
            state.current = Some(rotated.clone());
            match refresh_file::write_atomically(file, rotated) {
                Ok(()) => {
                    state.on_disk = Some(rotated.clone());
                    info!(file = %file.display(), "the provider rotated the refresh token; the new one is saved");
                }
                Err(err) => error!(
                    file = %file.display(),
                    error = %err,
                    "the provider rotated the refresh token but it cannot be saved; klagebot uses it until it stops, then `klagebot oauth login` is needed"
                ),
            }
        }
        Ok(issued)
    }
}
