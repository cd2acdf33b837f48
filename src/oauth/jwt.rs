//! Google's domain-wide delegation: a service account's JWT (RFC 7519) signed
//! with RS256, asking for a token on behalf of one mailbox (RFC 7523).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Deserialize;

use super::Secret;
use super::error::TokenError;

/// Google accepts assertions valid for at most an hour.
const ASSERTION_LIFETIME_SECS: i64 = 3600;

/// The fields of a service account's JSON key file that the assertion needs.
#[derive(Deserialize)]
struct ServiceAccountKey {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
}

/// The signed assertion for `subject` (the mailbox) and `scope`, addressed to `audience`.
pub fn service_account_assertion(
    key_json: &str,
    subject: &str,
    scope: &str,
    audience: &str,
    now: i64,
) -> Result<Secret, TokenError> {
    let bad = |why: &str| TokenError::Config(format!("the service account key: {why}"));
    let key: ServiceAccountKey = serde_json::from_str(key_json)
        .map_err(|_| bad("not a JSON key file with client_email and private_key"))?;
    if key.kind.as_deref().is_some_and(|k| k != "service_account") {
        return Err(bad("its type is not service_account"));
    }
    let der = rustls_pemfile::pkcs8_private_keys(&mut key.private_key.as_bytes())
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| bad("private_key holds no PKCS#8 PEM key"))?;
    let pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
        .map_err(|_| bad("private_key is not an RSA key"))?;
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": key.private_key_id });
    let claims = serde_json::json!({
        "iss": key.client_email,
        "sub": subject,
        "scope": scope,
        "aud": audience,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_SECS,
    });
    let signed = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .map_err(|_| bad("signing failed"))?;
    Ok(Secret::new(format!(
        "{signed}.{}",
        B64URL.encode(signature)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    /// A 2048-bit test key made with `openssl genpkey -algorithm RSA`.
    const TEST_KEY: &str = include_str!("../../tests/fixtures/oauth/service-account-key.pem");

    #[test]
    fn the_assertion_is_signed_and_names_the_mailbox() {
        let key_json = serde_json::json!({
            "type": "service_account",
            "client_email": "klagebot@nordkort.iam.gserviceaccount.com",
            "private_key": TEST_KEY,
            "private_key_id": "k1",
        })
        .to_string();
        let jwt = service_account_assertion(
            &key_json,
            "klage@nordkort.no",
            "https://mail.google.com/",
            "https://oauth2.googleapis.com/token",
            1_800_000_000,
        )
        .unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "klage@nordkort.no");
        assert_eq!(claims["iss"], "klagebot@nordkort.iam.gserviceaccount.com");
        assert_eq!(claims["exp"], 1_800_003_600);
        let der = rustls_pemfile::pkcs8_private_keys(&mut TEST_KEY.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        let pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).unwrap();
        let public =
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref());
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(signed.as_bytes(), &B64URL.decode(parts[2]).unwrap())
            .expect("a valid RS256 signature");
    }

    #[test]
    fn a_broken_key_file_is_a_config_error_without_its_content() {
        let err =
            service_account_assertion("{\"private_key\": \"x\"}", "s", "", "a", 0).unwrap_err();
        assert!(matches!(err, TokenError::Config(_)));
        assert!(!err.to_string().contains("private_key\": \"x"));
    }
}
