//! The one HTTP request OAuth2 needs: a form POST (RFC 6749 and RFC 8628
//! endpoints), answered with JSON. ureq, blocking, on tokio's blocking pool;
//! no redirects are followed (a secret must not travel on to another URL).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// How long one request may take, connect to last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Larger answers are not what a token endpoint sends.
const MAX_BODY: u64 = 256 * 1024;

/// Form fields, in order.
pub type Form = Vec<(&'static str, String)>;
/// HTTP Basic credentials: user and password.
pub type Basic = (String, String);

/// What came back: the status and the body as text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// A failure before any answer: the message names the URL and the cause only.
#[derive(Debug)]
pub struct Unreachable(pub String);

/// POSTs `form` (urlencoded) to `url`, with HTTP Basic credentials when given.
pub async fn post_form(url: &str, form: Form, basic: Option<Basic>) -> Result<Answer, Unreachable> {
    let url = url.to_string();
    let call = tokio::task::spawn_blocking(move || post_blocking(&url, &form, basic.as_ref()));
    call.await
        .map_err(|e| Unreachable(format!("the request task failed: {e}")))?
}

fn post_blocking(
    url: &str,
    form: &[(&'static str, String)],
    basic: Option<&Basic>,
) -> Result<Answer, Unreachable> {
    let mut request = agent()
        .post(url)
        .header("Accept", "application/json")
        .header("Cache-Control", "no-store");
    if let Some((user, password)) = basic {
        // RFC 6749 2.3.1: both parts form-urlencoded before Basic encoding.
        let pair = format!("{}:{}", form_encode(user), form_encode(password));
        let mut value =
            ureq::http::HeaderValue::from_str(&format!("Basic {}", BASE64.encode(pair)))
                .map_err(|_| Unreachable("the client credentials cannot form a header".into()))?;
        value.set_sensitive(true);
        request = request.header("Authorization", value);
    }
    let fields = form.iter().map(|(k, v)| (*k, v.as_str()));
    let mut response = request
        .send_form(fields)
        .map_err(|e| Unreachable(describe(url, &e)))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| Unreachable(describe(url, &e)))?;
    Ok(Answer { status, body })
}

fn describe(url: &str, err: &ureq::Error) -> String {
    match err {
        ureq::Error::Timeout(_) => format!(
            "{url} did not answer within {} s",
            REQUEST_TIMEOUT.as_secs()
        ),
        other => format!("{url}: {other}"),
    }
}

/// application/x-www-form-urlencoded, as RFC 6749 appendix B asks for Basic too.
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(root_certificates())
            .build();
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("klagebot/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .new_agent()
    })
}

/// The system's roots (Debian's ca-certificates, plus a company proxy's CA
/// where one is installed); webpki's when the system has none.
fn root_certificates() -> ureq::tls::RootCerts {
    let native: Vec<ureq::tls::Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    if native.is_empty() {
        ureq::tls::RootCerts::WebPki
    } else {
        ureq::tls::RootCerts::Specific(Arc::new(native))
    }
}

#[cfg(test)]
mod tests {
    use super::form_encode;

    #[test]
    fn form_encoding_follows_the_html_rules() {
        assert_eq!(form_encode("a b+c/d=é"), "a+b%2Bc%2Fd%3D%C3%A9");
        assert_eq!(form_encode("Abc-1._*"), "Abc-1._*");
    }
}
