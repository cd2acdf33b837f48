//! `auth = "oauth2"` with `[mailbox.oauth2]` / `[outgoing.oauth2]`: how klagebot
//! gets an OAuth2 access token for an IMAP or SMTP login from Microsoft 365,
//! Google Workspace or any RFC 6749 provider. Each provider's endpoints and default
//! scopes are written once here; [`OAuth2::token_source`] resolves a section into
//! everything a token request needs.

use std::path::PathBuf;

use anyhow::bail;
use serde::Deserialize;

use super::secret::SecretRef;

/// How a mailbox or the SMTP server is logged in to.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// LOGIN / AUTH PLAIN with `password_env` or `password_file`.
    #[default]
    Password,
    /// XOAUTH2 or OAUTHBEARER with a token from `[….oauth2]`.
    Oauth2,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Microsoft,
    Google,
    Generic,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Microsoft => "microsoft",
            Provider::Google => "google",
            Provider::Generic => "generic",
        }
    }
}

/// The SASL mechanism the token is presented with.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "lowercase")]
pub enum SaslMechanism {
    /// Google's and Microsoft's `user=…^Aauth=Bearer …^A^A`.
    #[default]
    #[serde(alias = "XOAUTH2")]
    Xoauth2,
    /// RFC 7628.
    #[serde(alias = "OAUTHBEARER")]
    Oauthbearer,
}

impl SaslMechanism {
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Xoauth2 => "XOAUTH2",
            SaslMechanism::Oauthbearer => "OAUTHBEARER",
        }
    }
}

/// Where the client secret goes in a token request (RFC 6749 2.3.1).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` as form fields: what Microsoft and Google
    /// document, and what nearly every server takes (the default).
    Body,
    /// HTTP Basic, which every RFC 6749 server must accept.
    Basic,
}

/// Which login a token is for: the providers' default scopes differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Imap,
    Smtp,
}

/// The `[….oauth2]` table as written.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub provider: Provider,
    /// Microsoft only: the directory (tenant) ID or domain, e.g. `nordkort.onmicrosoft.com`.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Required for `generic`; overrides the provider's.
    #[serde(default)]
    pub token_url: Option<String>,
    /// The RFC 8628 device authorization endpoint for `klagebot oauth login`;
    /// Microsoft's and Google's are known.
    #[serde(default)]
    pub device_url: Option<String>,
    pub client_id: String,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// `body` (the default) or `basic`.
    #[serde(default)]
    pub client_auth: Option<ClientAuth>,
    /// Delegated access: the refresh token lives here (written by `klagebot oauth
    /// login`, rewritten when the provider rotates it). Without it, app-only access.
    #[serde(default)]
    pub refresh_token_file: Option<PathBuf>,
    /// Space-separated; the provider's IMAP or SMTP scopes by default.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub mechanism: SaslMechanism,
}

/// How the access token is obtained.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grant {
    /// RFC 6749 6: the refresh token in this file, from a person's consent.
    RefreshToken { file: PathBuf },
    /// RFC 6749 4.4: app-only (Microsoft 365 with IMAP.AccessAsApp / SMTP.SendAsApp).
    ClientCredentials,
    /// Google's domain-wide delegation: a JWT (RFC 7523) signed with the service
    /// account's key (the client secret, its JSON key file) impersonating `subject`.
    ServiceAccount { subject: String },
}

impl Grant {
    pub fn name(&self) -> &'static str {
        match self {
            Grant::RefreshToken { .. } => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
            Grant::ServiceAccount { .. } => "jwt-bearer",
        }
    }
}

/// Everything a token request and a login need, with the provider's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSource {
    pub provider: Provider,
    pub token_url: String,
    pub device_url: Option<String>,
    pub client_id: String,
    pub client_secret: SecretRef,
    pub client_auth: ClientAuth,
    /// `None`: no scope parameter (a generic provider's default).
    pub scope: Option<String>,
    pub grant: Grant,
    pub mechanism: SaslMechanism,
}

const MICROSOFT_LOGIN: &str = "https://login.microsoftonline.com";
const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const GOOGLE_DEVICE_URL: &str = "https://oauth2.googleapis.com/device/code";
const GOOGLE_MAIL_SCOPE: &str = "https://mail.google.com/";

impl OAuth2 {
    pub fn client_secret(&self) -> SecretRef {
        SecretRef::new(&self.client_secret_env, &self.client_secret_file)
    }

    /// Resolves this section for a login to `protocol` as `username`.
    pub fn token_source(&self, protocol: Protocol, username: &str) -> TokenSource {
        let grant = match (&self.refresh_token_file, self.provider) {
            (Some(file), _) => Grant::RefreshToken { file: file.clone() },
            (None, Provider::Google) => Grant::ServiceAccount {
                subject: username.to_string(),
            },
            (None, _) => Grant::ClientCredentials,
        };
        let client_auth = self.client_auth.unwrap_or(ClientAuth::Body);
        TokenSource {
            provider: self.provider,
            token_url: self.token_url(),
            device_url: self.device_url(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret(),
            client_auth,
            scope: self
                .scope
                .clone()
                .or_else(|| default_scope(self.provider, protocol, &grant)),
            grant,
            mechanism: self.mechanism,
        }
    }

    fn token_url(&self) -> String {
        if let Some(url) = &self.token_url {
            return url.clone();
        }
        match self.provider {
            Provider::Microsoft => format!(
                "{MICROSOFT_LOGIN}/{}/oauth2/v2.0/token",
                self.tenant.as_deref().unwrap_or("organizations")
            ),
            Provider::Google => GOOGLE_TOKEN_URL.into(),
            // Checked by `validate`: generic always names its token_url.
            Provider::Generic => String::new(),
        }
    }

    fn device_url(&self) -> Option<String> {
        if let Some(url) = &self.device_url {
            return Some(url.clone());
        }
        match self.provider {
            Provider::Microsoft => Some(match &self.token_url {
                Some(url) => url
                    .strip_suffix("/token")
                    .map(|base| format!("{base}/devicecode"))?,
                None => format!(
                    "{MICROSOFT_LOGIN}/{}/oauth2/v2.0/devicecode",
                    self.tenant.as_deref().unwrap_or("organizations")
                ),
            }),
            Provider::Google => Some(GOOGLE_DEVICE_URL.into()),
            Provider::Generic => None,
        }
    }

    /// The checks of one section; `at` names it in messages (`mailbox klage`).
    pub(super) fn validate(&self, at: &str) -> anyhow::Result<()> {
        if self.client_id.trim().is_empty() {
            bail!("{at}: oauth2.client_id is empty");
        }
        match (self.provider, &self.tenant, &self.token_url) {
            (Provider::Generic, _, None) => {
                bail!("{at}: oauth2 provider = \"generic\" needs token_url")
            }
            (Provider::Microsoft, None, None) => bail!(
                "{at}: oauth2 provider = \"microsoft\" needs tenant (the directory ID or a domain such as nordkort.onmicrosoft.com)"
            ),
            (Provider::Microsoft, Some(tenant), _) if !valid_tenant(tenant) => {
                bail!("{at}: oauth2.tenant {tenant:?} is not a directory ID or domain")
            }
            (Provider::Google | Provider::Generic, Some(_), _) => {
                bail!("{at}: oauth2.tenant is for provider = \"microsoft\" only")
            }
            _ => {}
        }
        for (key, url) in [
            ("token_url", &self.token_url),
            ("device_url", &self.device_url),
        ] {
            if let Some(url) = url {
                check_endpoint(url).map_err(|why| anyhow::anyhow!("{at}: oauth2.{key}: {why}"))?;
            }
        }
        let app_only = self.refresh_token_file.is_none();
        if app_only && !self.client_secret().is_set() {
            bail!(
                "{at}: oauth2 without refresh_token_file is app-only access and needs client_secret_env or client_secret_file{}",
                if self.provider == Provider::Google {
                    " (the service account's JSON key)"
                } else {
                    ""
                }
            );
        }
        Ok(())
    }
}

/// The provider's scopes for `protocol`: delegated scopes with `offline_access`
/// (so that a refresh token comes back), or the app-only `.default`.
fn default_scope(provider: Provider, protocol: Protocol, grant: &Grant) -> Option<String> {
    match (provider, grant, protocol) {
        (Provider::Microsoft, Grant::RefreshToken { .. }, Protocol::Imap) => {
            Some("https://outlook.office.com/IMAP.AccessAsUser.All offline_access".into())
        }
        (Provider::Microsoft, Grant::RefreshToken { .. }, Protocol::Smtp) => {
            Some("https://outlook.office.com/SMTP.Send offline_access".into())
        }
        (Provider::Microsoft, _, _) => Some("https://outlook.office365.com/.default".into()),
        (Provider::Google, _, _) => Some(GOOGLE_MAIL_SCOPE.into()),
        (Provider::Generic, _, _) => None,
    }
}

fn valid_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// An endpoint takes tokens and secrets: HTTPS, or plain HTTP to this machine only.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not a URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if crate::inbox::is_loopback(host) => Ok(()),
        "http" => Err(format!(
            "{url:?}: plain http is only allowed for loopback hosts; secrets and tokens would cross the network in clear text"
        )),
        _ => Err(format!("{url:?}: use an https:// URL")),
    }
}

/// The checks shared by `[[mailbox]]` and `[outgoing]`: a password or an
/// `oauth2` table, matching `auth`, never both.
pub(super) fn validate_auth(
    at: &str,
    auth: AuthMethod,
    password: &SecretRef,
    oauth2: Option<&OAuth2>,
) -> anyhow::Result<()> {
    match (auth, oauth2) {
        (AuthMethod::Password, Some(_)) => bail!(
            "{at}: an oauth2 table is set but auth = \"password\"; write auth = \"oauth2\" to log in with a token"
        ),
        (AuthMethod::Password, None) if !password.is_set() => {
            bail!("{at}: set password_env or password_file (or auth = \"oauth2\")")
        }
        (AuthMethod::Oauth2, None) => {
            bail!("{at}: auth = \"oauth2\" needs an oauth2 table (provider, client_id, …)")
        }
        (AuthMethod::Oauth2, Some(_)) if password.is_set() => {
            bail!("{at}: auth = \"oauth2\" logs in with a token; remove password_env/password_file")
        }
        (AuthMethod::Oauth2, Some(section)) => section.validate(at),
        (AuthMethod::Password, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(toml_text: &str) -> OAuth2 {
        toml::from_str(toml_text).expect("an oauth2 table")
    }

    #[test]
    fn microsoft_defaults_follow_the_grant_and_the_protocol() {
        let delegated = section(
            "provider = \"microsoft\"\ntenant = \"nordkort.onmicrosoft.com\"\nclient_id = \"c\"\nrefresh_token_file = \"/var/lib/klagebot/klage.refresh\"\n",
        );
        let imap = delegated.token_source(Protocol::Imap, "klage@nordkort.dk");
        assert_eq!(
            imap.token_url,
            "https://login.microsoftonline.com/nordkort.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            imap.device_url.as_deref(),
            Some(
                "https://login.microsoftonline.com/nordkort.onmicrosoft.com/oauth2/v2.0/devicecode"
            )
        );
        assert_eq!(
            imap.scope.as_deref(),
            Some("https://outlook.office.com/IMAP.AccessAsUser.All offline_access")
        );
        assert_eq!(imap.client_auth, ClientAuth::Body);
        assert_eq!(imap.mechanism, SaslMechanism::Xoauth2);
        let smtp = delegated.token_source(Protocol::Smtp, "klage@nordkort.dk");
        assert!(smtp.scope.unwrap().contains("SMTP.Send"));

        let app_only = section(
            "provider = \"microsoft\"\ntenant = \"nordkort.onmicrosoft.com\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n",
        );
        let source = app_only.token_source(Protocol::Imap, "klage@nordkort.dk");
        assert_eq!(source.grant, Grant::ClientCredentials);
        assert_eq!(
            source.scope.as_deref(),
            Some("https://outlook.office365.com/.default")
        );
    }

    #[test]
    fn google_without_a_refresh_token_impersonates_the_mailbox() {
        let s = section(
            "provider = \"google\"\nclient_id = \"1234\"\nclient_secret_file = \"/etc/klagebot/sa.json\"\n",
        );
        let source = s.token_source(Protocol::Smtp, "klage@nordkort.no");
        assert_eq!(
            source.grant,
            Grant::ServiceAccount {
                subject: "klage@nordkort.no".into()
            }
        );
        assert_eq!(source.scope.as_deref(), Some("https://mail.google.com/"));
        assert_eq!(source.token_url, "https://oauth2.googleapis.com/token");
    }

    #[test]
    fn generic_needs_its_token_url_and_sends_no_scope_by_default() {
        let missing =
            section("provider = \"generic\"\nclient_id = \"c\"\nrefresh_token_file = \"/x\"\n");
        let err = missing.validate("mailbox hd").unwrap_err().to_string();
        assert!(err.contains("token_url"), "{err}");
        let s = section(
            "provider = \"generic\"\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"c\"\nrefresh_token_file = \"/x\"\nmechanism = \"OAUTHBEARER\"\n",
        );
        s.validate("mailbox hd").unwrap();
        let source = s.token_source(Protocol::Imap, "u");
        assert_eq!(source.client_auth, ClientAuth::Body);
        assert_eq!(source.scope, None);
        assert_eq!(source.device_url, None);
        assert_eq!(source.mechanism, SaslMechanism::Oauthbearer);
    }

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        for good in [
            "https://login.example.com/token",
            "http://127.0.0.1:8080/token",
            "http://localhost/token",
            "http://[::1]:9/token",
        ] {
            assert!(check_endpoint(good).is_ok(), "{good}");
        }
        for bad in [
            "http://idp.example.com/token",
            "http://10.0.0.1/token",
            "ftp://x/y",
            "token",
            "https:///token",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tenant_is_microsoft_only_and_app_only_needs_a_secret() {
        let google_tenant = section(
            "provider = \"google\"\ntenant = \"x\"\nclient_id = \"c\"\nrefresh_token_file = \"/x\"\n",
        );
        assert!(google_tenant.validate("outgoing").is_err());
        let no_secret = section("provider = \"microsoft\"\ntenant = \"t\"\nclient_id = \"c\"\n");
        let err = no_secret.validate("outgoing").unwrap_err().to_string();
        assert!(err.contains("client_secret_env"), "{err}");
        let bad_tenant = section(
            "provider = \"microsoft\"\ntenant = \"a/b\"\nclient_id = \"c\"\nrefresh_token_file = \"/x\"\n",
        );
        assert!(bad_tenant.validate("outgoing").is_err());
    }
}
