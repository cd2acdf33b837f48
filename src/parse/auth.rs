//! Which Authentication-Results to trust (RFC 8601 §5): only the receiving
//! host's own, that is the top-most header carrying our own MX's authserv-id.
//! Every other Authentication-Results header (lower down, or with another id)
//! may have been written by the sender and is ignored.
//!
//! Exchange Online writes its Authentication-Results without an authserv-id,
//! and none at all for mail between its own users; what it vouches for there
//! is `X-MS-Exchange-Organization-AuthAs: Internal`, a header its header
//! firewall removes from every mail from outside. [`EXCHANGE_ONLINE`] as the
//! authserv-id selects that.

use super::InboundMail;

/// The `security.authserv_id` that means "our MX is Exchange Online".
pub const EXCHANGE_ONLINE: &str = "exchange-online";

/// Whether our MX (`authserv_id`) vouches that `mail` comes from `domain`: its
/// top-most Authentication-Results with that authserv-id says DMARC passed for
/// `domain`, or DKIM passed with a signature of `domain`. With Exchange Online,
/// whether Exchange authenticated the sender as one of the organisation's own.
pub fn vouched_by(mail: &InboundMail, authserv_id: &str, domain: &str) -> bool {
    if authserv_id.trim().eq_ignore_ascii_case(EXCHANGE_ONLINE) {
        return mail
            .header("x-ms-exchange-organization-authas")
            .is_some_and(|v| v.eq_ignore_ascii_case("internal"));
    }
    mail.headers_named("authentication-results")
        .find(|value| authserv_id_of(value).eq_ignore_ascii_case(authserv_id.trim()))
        .is_some_and(|value| passes_for(value, domain))
}

/// The authserv-id: the first token, before any `;` or version number.
fn authserv_id_of(value: &str) -> &str {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("")
}

/// Whether one Authentication-Results value says DMARC passed for `domain`, or
/// DKIM passed with a signature of `domain`.
pub fn passes_for(value: &str, domain: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    value.split(';').skip(1).map(str::trim).any(|result| {
        let lower = result.to_ascii_lowercase();
        let names_domain = |key: &str| {
            lower.split_whitespace().any(|w| {
                w.strip_prefix(key)
                    .is_some_and(|d| d.trim_end_matches(';') == domain)
            })
        };
        (lower.starts_with("dmarc=pass") && names_domain("header.from="))
            || (lower.starts_with("dkim=pass") && names_domain("header.d="))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(headers: &[&str]) -> InboundMail {
        let mut raw = String::new();
        for h in headers {
            raw.push_str(&format!("Authentication-Results: {h}\r\n"));
        }
        raw.push_str("From: a@bank.dk\r\nSubject: x\r\n\r\nbody\r\n");
        crate::parse::parse(raw.as_bytes())
    }

    #[test]
    fn only_the_top_most_result_of_our_mx_counts() {
        let pass = "mx.bank.dk; dkim=pass header.d=bank.dk; dmarc=pass header.from=bank.dk";
        let fail = "mx.bank.dk; dkim=fail header.d=bank.dk; dmarc=fail header.from=bank.dk";
        assert!(vouched_by(&mail(&[pass]), "mx.bank.dk", "BANK.dk"));
        assert!(
            !vouched_by(&mail(&[fail, pass]), "mx.bank.dk", "bank.dk"),
            "a forged pass below ours"
        );
        assert!(
            vouched_by(
                &mail(&["other.example; dmarc=fail header.from=bank.dk", pass]),
                "mx.bank.dk",
                "bank.dk"
            ),
            "another host's result is skipped"
        );
        assert!(!vouched_by(
            &mail(&["evil.example; dmarc=pass header.from=bank.dk"]),
            "mx.bank.dk",
            "bank.dk"
        ));
        assert!(!vouched_by(&mail(&[pass]), "mx.bank.dk", "other.dk"));
        let spoofed = "mx.bank.dk; dkim=pass header.d=evil.example; dmarc=fail header.from=bank.dk";
        assert!(!vouched_by(&mail(&[spoofed]), "mx.bank.dk", "bank.dk"));
        assert!(!vouched_by(&mail(&[]), "mx.bank.dk", "bank.dk"));
    }

    #[test]
    fn exchange_online_vouches_for_its_own_users_only() {
        let with = |authas: &str| {
            let raw = format!(
                "X-MS-Exchange-Organization-AuthAs: {authas}\r\nFrom: a@bank.dk\r\n\r\nx\r\n"
            );
            crate::parse::parse(raw.as_bytes())
        };
        assert!(vouched_by(&with("Internal"), EXCHANGE_ONLINE, "bank.dk"));
        assert!(!vouched_by(&with("Anonymous"), EXCHANGE_ONLINE, "bank.dk"));
        assert!(!vouched_by(&with("Internal74"), EXCHANGE_ONLINE, "bank.dk"));
        let forged_ar = mail(&["bank.dk; dmarc=pass header.from=bank.dk"]);
        assert!(!vouched_by(&forged_ar, EXCHANGE_ONLINE, "bank.dk"));
    }
}
