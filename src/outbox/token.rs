//! Per-case reply addresses for staff (DESIGN §6): `klage+KL-2026-000123.{token}@…`,
//! where the token is a truncated HMAC-SHA256 of the reference. Only a reply to
//! such an address may run #commands or be relayed to the customer.
//!
//! Per-mail reply addresses, `klage+m{ID}.{token}@…`, name one stored inbound mail
//! klagebot left alone (a digest line, a forward read as no complaint): a
//! colleague's `#open` to it opens that mail as a case.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::{CaseRef, EmailAddress};

/// Bytes of the HMAC kept: 80 bits, 16 base32 characters.
const TOKEN_BYTES: usize = 10;

/// The address a staff member replies to for `reference`.
pub fn reply_address(
    complaint_address: &EmailAddress,
    reference: &CaseRef,
    secret: &[u8],
) -> EmailAddress {
    with_tag(
        complaint_address,
        &format!("{reference}.{}", token(reference, secret)),
    )
}

/// The case `addr` answers, when it is `complaint_address` plus a valid token for
/// a reference with `prefix`. The token is compared in constant time.
pub fn verify_reply_address(
    addr: &EmailAddress,
    complaint_address: &EmailAddress,
    secret: &[u8],
    prefix: &str,
) -> Option<CaseRef> {
    let tag = tag_of(addr, complaint_address)?;
    let (reference, given) = tag.rsplit_once('.')?;
    let reference: CaseRef = reference.parse().ok()?;
    if !reference.prefix().eq_ignore_ascii_case(prefix) {
        return None;
    }
    let expected = token(&reference, secret);
    constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes())
        .then_some(reference)
}

/// The address whose `#open` opens stored inbound mail `id` as a case.
pub fn mail_reply_address(
    complaint_address: &EmailAddress,
    id: i64,
    secret: &[u8],
) -> EmailAddress {
    with_tag(
        complaint_address,
        &format!("m{id}.{}", mail_token(id, secret)),
    )
}

/// The stored mail `addr` names, when it is `complaint_address` plus a valid
/// per-mail token. The token is compared in constant time.
pub fn verify_mail_reply_address(
    addr: &EmailAddress,
    complaint_address: &EmailAddress,
    secret: &[u8],
) -> Option<i64> {
    let tag = tag_of(addr, complaint_address)?;
    let (id, given) = tag.strip_prefix(['m', 'M'])?.rsplit_once('.')?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
    let expected = mail_token(id, secret);
    constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()).then_some(id)
}

fn mail_token(id: i64, secret: &[u8]) -> String {
    hmac_token(b"klagebot-mail:", &id.to_string(), secret)
}

/// The envelope sender of mail `seq` of case `reference` (VERP): a bounce comes
/// back to `klage+b.KL-2026-000123.7.{token}@…`, which names the mail that did
/// not arrive and which nobody outside can forge.
pub fn bounce_address(
    complaint_address: &EmailAddress,
    reference: &CaseRef,
    seq: u32,
    secret: &[u8],
) -> EmailAddress {
    with_tag(
        complaint_address,
        &format!(
            "b.{reference}.{seq}.{}",
            bounce_token(reference, seq, secret)
        ),
    )
}

/// The case and mail a bounce address names, when its token is valid.
pub fn verify_bounce_address(
    addr: &EmailAddress,
    complaint_address: &EmailAddress,
    secret: &[u8],
    prefix: &str,
) -> Option<(CaseRef, u32)> {
    let tag = tag_of(addr, complaint_address)?;
    let rest = tag.strip_prefix("b.").or_else(|| tag.strip_prefix("B."))?;
    let (rest, given) = rest.rsplit_once('.')?;
    let (reference, seq) = rest.rsplit_once('.')?;
    let reference: CaseRef = reference.parse().ok()?;
    let seq: u32 = seq.parse().ok()?;
    if !reference.prefix().eq_ignore_ascii_case(prefix) {
        return None;
    }
    let expected = bounce_token(&reference, seq, secret);
    constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes())
        .then_some((reference, seq))
}

fn bounce_token(reference: &CaseRef, seq: u32, secret: &[u8]) -> String {
    hmac_token(b"klagebot-bounce:", &format!("{reference}.{seq}"), secret)
}

/// The complaint address's own local part, without any `+tag` it may carry.
fn base_local_part(address: &EmailAddress) -> &str {
    let local = address.local_part();
    local.split_once('+').map_or(local, |(base, _)| base)
}

fn token(reference: &CaseRef, secret: &[u8]) -> String {
    hmac_token(b"klagebot-reply:", &reference.to_string(), secret)
}

/// The first [`TOKEN_BYTES`] of an HMAC-SHA256 of `label` and `what`, in base32.
fn hmac_token(label: &[u8], what: &str, secret: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.update(what.as_bytes());
    let digest = mac.finalize().into_bytes();
    base32_lower(&digest[..TOKEN_BYTES])
}

/// The complaint address with `+tag` on its own local part.
fn with_tag(complaint_address: &EmailAddress, tag: &str) -> EmailAddress {
    let text = format!(
        "{}+{tag}@{}",
        base_local_part(complaint_address),
        complaint_address.domain()
    );
    // A local part and domain that parsed once, a reference and base32: still valid.
    EmailAddress::parse(&text).unwrap_or_else(|_| complaint_address.clone())
}

/// The `+tag` of `addr` when it is the complaint address with a tag.
fn tag_of<'a>(addr: &'a EmailAddress, complaint_address: &EmailAddress) -> Option<&'a str> {
    if !addr
        .domain()
        .eq_ignore_ascii_case(complaint_address.domain())
    {
        return None;
    }
    let (base, tag) = addr.local_part().split_once('+')?;
    base.eq_ignore_ascii_case(base_local_part(complaint_address))
        .then_some(tag)
}

/// RFC 4648 base32 in lower case without padding: safe in any local part, and
/// unchanged by mail systems that lower-case addresses.
fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// `text` with every tagged address of ours (`klage+TOKEN@domain`, any case)
/// replaced by the plain complaint address: a staff member's quoted notice in an
/// answer must never hand the customer a case's command address.
pub fn without_tagged_addresses(text: &str, complaint: &EmailAddress) -> String {
    let pattern = format!(
        r#"(?i){}\+[^\s<>"(),;@]*@{}"#,
        regex::escape(base_local_part(complaint)),
        regex::escape(complaint.domain())
    );
    match regex::Regex::new(&pattern) {
        Ok(tagged) => tagged.replace_all(text, complaint.as_str()).into_owned(),
        // The pattern is built from a parsed address and escaped: it compiles.
        Err(_) => text.to_string(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a long and random secret";

    fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    fn complaint() -> EmailAddress {
        addr("klage@nordvikbank.dk")
    }

    fn reference() -> CaseRef {
        "KL-2026-000123".parse().unwrap()
    }

    #[test]
    fn reply_address_has_the_documented_shape() {
        let a = reply_address(&complaint(), &reference(), SECRET);
        let (local, domain) = a.as_str().rsplit_once('@').unwrap();
        assert_eq!(domain, "nordvikbank.dk");
        let token = local.strip_prefix("klage+KL-2026-000123.").unwrap();
        assert_eq!(token.len(), 16);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        // Deterministic: the same case always gets the same address.
        assert_eq!(a, reply_address(&complaint(), &reference(), SECRET));
    }

    #[test]
    fn verify_accepts_the_address_and_rejects_tampering() {
        let good = reply_address(&complaint(), &reference(), SECRET);
        let good_text = good.as_str().to_string();
        let token = good_text
            .split('.')
            .nth(1)
            .unwrap()
            .split('@')
            .next()
            .unwrap()
            .to_string();
        let mut flipped = token.clone().into_bytes();
        flipped[0] = if flipped[0] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(flipped).unwrap();
        let other_case_token =
            reply_address(&complaint(), &"KL-2026-000124".parse().unwrap(), SECRET);
        let other_token = other_case_token
            .as_str()
            .split('.')
            .nth(1)
            .unwrap()
            .split('@')
            .next()
            .unwrap();
        let cases: Vec<(String, bool)> = vec![
            (good_text.clone(), true),
            (good_text.to_uppercase(), true), // some systems upper-case local parts
            (good_text.replace(&token, &flipped), false),
            (good_text.replace(&token, &token[..15]), false),
            (good_text.replace(&token, ""), false),
            (good_text.replace("000123", "000124"), false),
            (
                format!("klage+KL-2026-000123.{other_token}@nordvikbank.dk"),
                false,
            ),
            (good_text.replace("klage+", "kundeservice+"), false),
            (good_text.replace("nordvikbank.dk", "evil.example"), false),
            ("klage@nordvikbank.dk".into(), false),
            ("klage+KL-2026-000123@nordvikbank.dk".into(), false),
        ];
        for (text, ok) in cases {
            // A broken address (`klage+KL-….@`) is no address at all.
            let got = EmailAddress::parse(&text)
                .ok()
                .and_then(|a| verify_reply_address(&a, &complaint(), SECRET, "KL"));
            assert_eq!(got.is_some(), ok, "{text}");
            if ok {
                assert_eq!(got, Some(reference()));
            }
        }
    }

    #[test]
    fn tagged_addresses_are_taken_out_of_text_for_the_customer() {
        let tagged = reply_address(&complaint(), &reference(), SECRET);
        let upper = tagged.as_str().to_uppercase();
        let text = format!(
            "Hej Ole\n\n> Reply-To: <{tagged}>\n> Svar til {upper}.\nSkriv til klage@nordvikbank.dk eller klage+x@other.example."
        );
        let clean = without_tagged_addresses(&text, &complaint());
        assert!(!clean.to_lowercase().contains("klage+kl-"), "{clean}");
        assert!(clean.contains("<klage@nordvikbank.dk>"), "{clean}");
        assert!(clean.contains("Svar til klage@nordvikbank.dk."), "{clean}");
        assert!(
            clean.contains("klage+x@other.example."),
            "other domains stay: {clean}"
        );
        assert_eq!(without_tagged_addresses("Hej Åse", &complaint()), "Hej Åse");
    }

    #[test]
    fn another_secret_or_prefix_does_not_verify() {
        let good = reply_address(&complaint(), &reference(), SECRET);
        assert!(verify_reply_address(&good, &complaint(), b"another secret", "KL").is_none());
        assert!(verify_reply_address(&good, &complaint(), SECRET, "XY").is_none());
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foobar", "mzxw6ytboi"),
        ] {
            assert_eq!(base32_lower(input.as_bytes()), want);
        }
    }

    #[test]
    fn a_mail_reply_address_names_its_mail_and_nothing_else() {
        let a = mail_reply_address(&complaint(), 4711, SECRET);
        assert!(a.as_str().starts_with("klage+m4711."), "{a}");
        assert_eq!(
            verify_mail_reply_address(&a, &complaint(), SECRET),
            Some(4711)
        );
        let other = mail_reply_address(&complaint(), 4712, SECRET);
        let forged = addr(&a.as_str().replace("m4711", "m4712"));
        assert_ne!(forged, other);
        assert_eq!(
            verify_mail_reply_address(&forged, &complaint(), SECRET),
            None
        );
        assert_eq!(
            verify_mail_reply_address(&a, &complaint(), b"another secret"),
            None
        );
        let case = reply_address(&complaint(), &reference(), SECRET);
        assert_eq!(verify_mail_reply_address(&case, &complaint(), SECRET), None);
        assert_eq!(verify_reply_address(&a, &complaint(), SECRET, "KL"), None);
    }

    #[test]
    fn a_bounce_address_names_its_mail_and_cannot_be_forged() {
        let a = bounce_address(&complaint(), &reference(), 7, SECRET);
        assert!(a.as_str().starts_with("klage+b.KL-2026-000123.7."), "{a}");
        assert_eq!(
            verify_bounce_address(&a, &complaint(), SECRET, "KL"),
            Some((reference(), 7))
        );
        let forged = addr(&a.as_str().replace(".7.", ".8."));
        assert_eq!(
            verify_bounce_address(&forged, &complaint(), SECRET, "KL"),
            None
        );
        assert_eq!(
            verify_bounce_address(&a, &complaint(), b"other", "KL"),
            None
        );
        let reply = reply_address(&complaint(), &reference(), SECRET);
        assert_eq!(
            verify_bounce_address(&reply, &complaint(), SECRET, "KL"),
            None
        );
        assert_eq!(verify_reply_address(&a, &complaint(), SECRET, "KL"), None);
    }
}
