//! The SASL client messages that carry a token: XOAUTH2 (Google's and
//! Microsoft's) and OAUTHBEARER (RFC 7628), the same for IMAP and SMTP, and how
//! to read the server's error challenge.

use crate::config::SaslMechanism;

/// The client's first message for `mechanism`, logging in as `user` with `token`.
/// `host` and `port` are the server's (OAUTHBEARER sends them, RFC 7628 3.1).
pub fn initial_response(
    mechanism: SaslMechanism,
    user: &str,
    token: &str,
    host: &str,
    port: u16,
) -> Vec<u8> {
    match mechanism {
        SaslMechanism::Xoauth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
        SaslMechanism::Oauthbearer => format!(
            "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01",
            saslname(user)
        ),
    }
    .into_bytes()
}

/// What the client answers to the server's error challenge so that the server
/// can finish with its failure: empty for XOAUTH2, `%x01` for OAUTHBEARER
/// (RFC 7628 3.2.3).
pub fn answer_to_error(mechanism: SaslMechanism) -> &'static [u8] {
    match mechanism {
        SaslMechanism::Xoauth2 => b"",
        SaslMechanism::Oauthbearer => b"\x01",
    }
}

/// The server's error challenge in a line for logs: its `status` (and `scope`)
/// when it is the usual JSON, else a short printable excerpt.
pub fn describe_error_challenge(challenge: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Said {
        status: Option<String>,
        scope: Option<String>,
    }
    match serde_json::from_slice::<Said>(challenge) {
        Ok(Said {
            status: Some(status),
            scope,
        }) => match scope {
            Some(scope) => format!("status {status}, scope {scope}"),
            None => format!("status {status}"),
        },
        _ => String::from_utf8_lossy(challenge)
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect(),
    }
}

/// RFC 5801's saslname: `,` and `=` escaped.
fn saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_is_googles_format() {
        let message = initial_response(
            SaslMechanism::Xoauth2,
            "klage@nordkort.dk",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
            "outlook.office365.com",
            993,
        );
        assert_eq!(
            message,
            b"user=klage@nordkort.dk\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_follows_rfc_7628() {
        let message = initial_response(
            SaslMechanism::Oauthbearer,
            "user,x=y@example.com",
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
            "server.example.com",
            143,
        );
        assert_eq!(
            String::from_utf8(message).unwrap(),
            "n,a=user=2Cx=3Dy@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert_eq!(answer_to_error(SaslMechanism::Oauthbearer), b"\x01");
        assert_eq!(answer_to_error(SaslMechanism::Xoauth2), b"");
    }

    #[test]
    fn error_challenges_read_as_one_line() {
        assert_eq!(
            describe_error_challenge(br#"{"status":"401","schemes":"bearer","scope":"mail"}"#),
            "status 401, scope mail"
        );
        assert_eq!(describe_error_challenge(b"odd\r\nthing"), "oddthing");
    }
}
