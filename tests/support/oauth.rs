//! The test OAuth2 provider (`scripts/oauth-test-server`, started with the mail
//! servers): each test registers clients of its own, then revokes tokens, makes
//! the provider fail, approves device logins and reads what was issued.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{MailServers, unique_local_part};

/// The provider's endpoints on loopback.
#[derive(Debug, Clone)]
pub struct Provider {
    base: String,
}

/// A registered client and the first refresh token issued for it.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub username: String,
    pub refresh_token: String,
}

/// How a test wants its client to behave.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub username: String,
    /// Seconds a token is good for at the introspection endpoint.
    pub lifetime: u64,
    /// What token answers claim (default: `lifetime`).
    pub expires_in: Option<u64>,
    /// A new refresh token at every refresh; the old one stops working.
    pub rotate: bool,
    pub client_credentials: bool,
    /// No secret: a public client (device flow).
    pub public: bool,
    /// A service account's public key (PEM): the client ID is its e-mail.
    pub public_key: Option<String>,
    pub client_id: Option<String>,
}

impl ClientSpec {
    pub fn new(username: &str) -> ClientSpec {
        ClientSpec {
            username: username.to_string(),
            lifetime: 60,
            expires_in: None,
            rotate: false,
            client_credentials: false,
            public: false,
            public_key: None,
            client_id: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Stats {
    /// Tokens issued per grant: `refresh_token`, `client_credentials`, …
    pub grants: HashMap<String, u64>,
    /// Every access token issued, oldest first.
    pub issued: Vec<String>,
    /// Every refresh token issued, oldest first.
    pub refresh_tokens: Vec<String>,
    pub introspections: Introspections,
    pub token_requests: u64,
    pub live_refresh_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Introspections {
    pub active: u64,
    pub inactive: u64,
}

impl Stats {
    pub fn grants(&self, grant: &str) -> u64 {
        self.grants.get(grant).copied().unwrap_or(0)
    }
}

impl MailServers {
    pub fn oauth(&self) -> Provider {
        Provider {
            base: format!("http://127.0.0.1:{}", self.oauth_port),
        }
    }
}

impl Provider {
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }

    pub fn device_url(&self) -> String {
        format!("{}/devicecode", self.base)
    }

    pub fn register(&self, spec: &ClientSpec) -> Client {
        let client_id = spec
            .client_id
            .clone()
            .unwrap_or_else(|| unique_local_part("app"));
        let secret = (!spec.public).then(|| format!("secret-{}", unique_local_part("s")));
        let body = serde_json::json!({
            "client_id": client_id,
            "client_secret": secret,
            "username": spec.username,
            "lifetime": spec.lifetime,
            "expires_in": spec.expires_in.unwrap_or(spec.lifetime),
            "rotate": spec.rotate,
            "client_credentials": spec.client_credentials,
            "public_key": spec.public_key,
        });
        let answer = self.admin("/admin/clients", body);
        Client {
            client_id,
            client_secret: secret,
            username: spec.username.clone(),
            refresh_token: answer["refresh_token"]
                .as_str()
                .expect("a refresh token")
                .to_string(),
        }
    }

    /// Makes issued refresh tokens and/or access tokens stop working.
    pub fn revoke(&self, client: &Client, refresh: bool, access: bool) {
        self.admin(
            "/admin/revoke",
            serde_json::json!({"client_id": client.client_id, "refresh": refresh, "access": access}),
        );
    }

    /// Every token request of `client` is answered with this error (None: stop).
    pub fn fail(&self, client: &Client, error: Option<(&str, &str)>) {
        let body = match error {
            Some((code, description)) => serde_json::json!({
                "client_id": client.client_id, "error": code, "error_description": description,
            }),
            None => serde_json::json!({"client_id": client.client_id, "error": null}),
        };
        self.admin("/admin/fail", body);
    }

    pub fn approve(&self, user_code: &str) {
        self.admin(
            "/admin/approve",
            serde_json::json!({"user_code": user_code}),
        );
    }

    pub fn stats(&self, client: &Client) -> Stats {
        let url = format!("{}/admin/stats?client_id={}", self.base, client.client_id);
        let mut answer = ureq::get(&url).call().unwrap_or_else(|e| {
            panic!("the test OAuth2 provider does not answer {url}: {e}; run `scripts/mail-servers start`")
        });
        let text = answer.body_mut().read_to_string().expect("stats");
        serde_json::from_str(&text).expect("stats are JSON")
    }

    fn admin(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}{path}", self.base);
        let mut answer = ureq::post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap_or_else(|e| {
                panic!("the test OAuth2 provider refused {url}: {e}; is it running? run `scripts/mail-servers start`")
            });
        let text = answer.body_mut().read_to_string().expect("an admin answer");
        serde_json::from_str(&text).expect("admin answers are JSON")
    }
}

impl Client {
    /// Writes the refresh token into `dir/NAME.refresh` (mode 0600) and returns the path.
    pub fn refresh_token_file(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("{}.refresh", self.client_id));
        std::fs::write(&path, format!("{}\n", self.refresh_token))
            .expect("write the refresh token");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        path
    }

    /// Writes the client secret into `dir/NAME.secret` and returns the path.
    pub fn secret_file(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("{}.secret", self.client_id));
        std::fs::write(&path, self.client_secret.as_deref().unwrap_or_default())
            .expect("write the client secret");
        path
    }
}

/// The TOML lines of an `oauth2` table for `client` at `provider` (generic).
pub fn oauth2_table(
    provider: &Provider,
    client: &Client,
    dir: &Path,
    mechanism: &str,
    scope: Option<&str>,
    delegated: bool,
) -> String {
    let mut lines = vec![
        "provider = \"generic\"".to_string(),
        format!("token_url = {:?}", provider.token_url()),
        format!("device_url = {:?}", provider.device_url()),
        format!("client_id = {:?}", client.client_id),
        format!("mechanism = {mechanism:?}"),
    ];
    if client.client_secret.is_some() {
        lines.push(format!(
            "client_secret_file = {:?}",
            client.secret_file(dir)
        ));
    }
    if delegated {
        lines.push(format!(
            "refresh_token_file = {:?}",
            client.refresh_token_file(dir)
        ));
    }
    if let Some(scope) = scope {
        lines.push(format!("scope = {scope:?}"));
    }
    lines.join("\n") + "\n"
}
