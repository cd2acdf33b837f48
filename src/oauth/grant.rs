//! The token requests of RFC 6749 (refresh token, client credentials), RFC 7523
//! (Google's service-account assertion) and RFC 8628 (device code), and reading
//! their answers (RFC 6749 5.1 and 5.2).

use std::time::Duration;

use serde::Deserialize;

use super::error::{ProviderError, TokenError, scrub};
use super::http::{self, Answer, Basic, Form};
use super::{Secret, jwt};
use crate::config::{ClientAuth, TokenSource};

/// Assumed when the provider does not say how long a token lives (RFC 6749 5.1
/// only recommends `expires_in`): short, so a wrong guess costs one refresh.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);

/// A successful token answer.
#[derive(Debug)]
pub struct Issued {
    pub access_token: Secret,
    pub lifetime: Duration,
    /// A new refresh token: the provider rotated it (or issued the first one).
    pub refresh_token: Option<Secret>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<NumberOrText>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// Some providers send `"expires_in": "3599"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// The refresh-token grant (RFC 6749 6).
pub async fn refresh(source: &TokenSource, refresh_token: &Secret) -> Result<Issued, TokenError> {
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.expose().to_string()),
    ];
    add_scope(&mut form, source);
    let secret = client_secret(source)?;
    let sent = [
        refresh_token.expose(),
        secret.as_ref().map_or("", |s| s.expose()),
    ];
    post(source, form, secret.as_ref(), &sent).await
}

/// The client-credentials grant (RFC 6749 4.4): app-only access.
pub async fn client_credentials(source: &TokenSource) -> Result<Issued, TokenError> {
    let mut form = vec![("grant_type", "client_credentials".to_string())];
    add_scope(&mut form, source);
    let secret = client_secret(source)?;
    let sent = [secret.as_ref().map_or("", |s| s.expose())];
    post(source, form, secret.as_ref(), &sent).await
}

/// Google's domain-wide delegation: a signed assertion for `subject` (RFC 7523).
pub async fn service_account(source: &TokenSource, subject: &str) -> Result<Issued, TokenError> {
    let key = client_secret(source)?.ok_or_else(|| {
        TokenError::Config("the service account's JSON key is not configured".into())
    })?;
    let now = chrono::Utc::now().timestamp();
    let assertion = jwt::service_account_assertion(
        key.expose(),
        subject,
        source.scope.as_deref().unwrap_or_default(),
        &source.token_url,
        now,
    )?;
    let form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string(),
        ),
        ("assertion", assertion.expose().to_string()),
    ];
    let answer = http::post_form(&source.token_url, form, None)
        .await
        .map_err(|e| TokenError::Unreachable(e.0))?;
    read_answer(
        &source.token_url,
        answer,
        &[assertion.expose(), key.expose()],
    )
}

/// The device-code grant's poll (RFC 8628 3.4).
pub async fn device_code(source: &TokenSource, device_code: &Secret) -> Result<Issued, TokenError> {
    let form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:device_code".to_string(),
        ),
        ("device_code", device_code.expose().to_string()),
    ];
    let secret = client_secret(source)?;
    let sent = [
        device_code.expose(),
        secret.as_ref().map_or("", |s| s.expose()),
    ];
    post(source, form, secret.as_ref(), &sent).await
}

/// The client secret, when one is configured (public clients have none).
pub fn client_secret(source: &TokenSource) -> Result<Option<Secret>, TokenError> {
    if !source.client_secret.is_set() {
        return Ok(None);
    }
    source
        .client_secret
        .read("oauth2 client secret")
        .map(|s| Some(Secret::new(s)))
        .map_err(|e| TokenError::Config(format!("{e:#}")))
}

fn add_scope(form: &mut Form, source: &TokenSource) {
    if let Some(scope) = &source.scope {
        form.push(("scope", scope.clone()));
    }
}

/// Adds the client's authentication (RFC 6749 2.3.1) to `form` or as Basic, and
/// posts it to the token endpoint.
async fn post(
    source: &TokenSource,
    form: Form,
    secret: Option<&Secret>,
    sent: &[&str],
) -> Result<Issued, TokenError> {
    let (form, basic) = with_client_auth(source, form, secret);
    let answer = http::post_form(&source.token_url, form, basic)
        .await
        .map_err(|e| TokenError::Unreachable(e.0))?;
    read_answer(&source.token_url, answer, sent)
}

/// The form and Basic credentials for `source`'s way of authenticating the client.
pub fn with_client_auth(
    source: &TokenSource,
    mut form: Form,
    secret: Option<&Secret>,
) -> (Form, Option<Basic>) {
    match (secret, source.client_auth) {
        (Some(secret), ClientAuth::Basic) => (
            form,
            Some((source.client_id.clone(), secret.expose().to_string())),
        ),
        (Some(secret), ClientAuth::Body) => {
            form.push(("client_id", source.client_id.clone()));
            form.push(("client_secret", secret.expose().to_string()));
            (form, None)
        }
        // A public client identifies itself and has nothing to prove.
        (None, _) => {
            form.push(("client_id", source.client_id.clone()));
            (form, None)
        }
    }
}

/// Reads a token endpoint's answer; `sent` are the secrets of the request, which
/// never get into an error message even when the provider echoes them.
pub fn read_answer(url: &str, answer: Answer, sent: &[&str]) -> Result<Issued, TokenError> {
    let Answer { status, body } = answer;
    if (200..300).contains(&status) {
        let token: TokenAnswer =
            serde_json::from_str(&body).map_err(|e| TokenError::BadAnswer {
                url: url.to_string(),
                status,
                reason: format!("not a token answer ({})", e.classify_name()),
            })?;
        if !token.token_type.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::BadAnswer {
                url: url.to_string(),
                status,
                reason: format!(
                    "token_type {:?} is not Bearer",
                    scrub(&token.token_type, sent)
                ),
            });
        }
        if token.access_token.is_empty() {
            return Err(TokenError::BadAnswer {
                url: url.to_string(),
                status,
                reason: "the access_token is empty".into(),
            });
        }
        return Ok(Issued {
            access_token: Secret::new(token.access_token),
            lifetime: lifetime(token.expires_in),
            refresh_token: token
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
        });
    }
    match serde_json::from_str::<ErrorAnswer>(&body) {
        Ok(error) => Err(TokenError::Refused {
            url: url.to_string(),
            status,
            error: ProviderError {
                code: clip(&scrub(&error.error, sent), 80),
                description: error.error_description.map(|d| clip(&scrub(&d, sent), 600)),
            },
        }),
        Err(_) => Err(TokenError::BadAnswer {
            url: url.to_string(),
            status,
            reason: "the answer is not an OAuth2 error (a proxy or a wrong token_url?)".into(),
        }),
    }
}

fn lifetime(expires_in: Option<NumberOrText>) -> Duration {
    let seconds = match expires_in {
        Some(NumberOrText::Number(n)) => Some(n),
        Some(NumberOrText::Text(t)) => t.trim().parse().ok(),
        None => None,
    };
    seconds
        .filter(|&s| s > 0)
        .map_or(DEFAULT_LIFETIME, Duration::from_secs)
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "no access_token or token_type",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

/// At most `max` characters of one line: a provider's message, not a page.
fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Grant, Provider, SaslMechanism, SecretRef};

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.into(),
        }
    }

    #[test]
    fn a_token_answer_gives_token_lifetime_and_rotated_refresh_token() {
        let issued = read_answer(
            "u",
            answer(
                200,
                r#"{"access_token":"at-1","token_type":"bearer","expires_in":"3599","refresh_token":"rt-2","scope":"x"}"#,
            ),
            &[],
        )
        .unwrap();
        assert_eq!(issued.access_token.expose(), "at-1");
        assert_eq!(issued.lifetime, Duration::from_secs(3599));
        assert_eq!(issued.refresh_token.unwrap().expose(), "rt-2");
        let no_expiry = read_answer(
            "u",
            answer(200, r#"{"access_token":"a","token_type":"Bearer"}"#),
            &[],
        )
        .unwrap();
        assert_eq!(no_expiry.lifetime, DEFAULT_LIFETIME);
    }

    #[test]
    fn errors_keep_the_providers_words_but_not_our_secrets() {
        let err = read_answer(
            "https://login.example/token",
            answer(
                400,
                r#"{"error":"invalid_grant","error_description":"AADSTS70008: refresh token rt-secret-1 has expired","error_codes":[70008]}"#,
            ),
            &["rt-secret-1"],
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("invalid_grant: AADSTS70008"), "{text}");
        assert!(!text.contains("rt-secret-1"), "{text}");
        assert!(!err.is_transient());
        let page = read_answer("u", answer(502, "<html>Bad gateway</html>"), &[]).unwrap_err();
        assert!(page.is_transient(), "{page}");
        let mac = read_answer(
            "u",
            answer(200, r#"{"access_token":"a","token_type":"mac"}"#),
            &[],
        );
        assert!(mac.is_err());
    }

    #[test]
    fn the_client_authenticates_in_the_body_or_with_basic_never_both() {
        let mut source = TokenSource {
            provider: Provider::Generic,
            token_url: "http://127.0.0.1/token".into(),
            device_url: None,
            client_id: "app".into(),
            client_secret: SecretRef::default(),
            client_auth: ClientAuth::Basic,
            scope: None,
            grant: Grant::ClientCredentials,
            mechanism: SaslMechanism::Xoauth2,
        };
        let secret = Secret::new("s3cret");
        let (form, basic) = with_client_auth(&source, vec![], Some(&secret));
        assert!(form.is_empty());
        assert_eq!(basic, Some(("app".into(), "s3cret".into())));
        source.client_auth = ClientAuth::Body;
        let (form, basic) = with_client_auth(&source, vec![], Some(&secret));
        assert_eq!(basic, None);
        assert_eq!(
            form,
            vec![
                ("client_id", "app".to_string()),
                ("client_secret", "s3cret".to_string())
            ]
        );
        let (form, basic) = with_client_auth(&source, vec![], None);
        assert_eq!(
            (form, basic),
            (vec![("client_id", "app".to_string())], None)
        );
    }
}
