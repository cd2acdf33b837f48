//! Our Message-IDs (`<case-{REF}.{N}@{domain}>`, DESIGN §4) and Outlook's
//! Thread-Index, so that every mail of one case lands in one thread in any client.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::CaseRef;

/// `<case-KL-2026-000123.7.{tag}@example.com>`: mail number `seq` of the case,
/// with an HMAC `tag` nobody outside can compute, so that nobody can guess the
/// id of a mail we sent (DESIGN §4).
pub fn message_id(reference: &CaseRef, seq: u32, domain: &str, secret: &[u8]) -> String {
    format!(
        "<case-{reference}.{seq}.{}@{}>",
        id_tag(&format!("{reference}.{seq}"), secret),
        domain.trim().to_ascii_lowercase()
    )
}

/// 16 hex digits of an HMAC-SHA256 of `what`.
fn id_tag(what: &str, secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(b"klagebot-message-id:");
    mac.update(what.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// `<notice-{kind}.{tag}@domain>` for mail that belongs to no case (a digest, a
/// reply to a colleague's forward): `tag` is an HMAC of what makes the mail
/// unique, so nobody outside can guess it.
pub fn notice_message_id(kind: &str, unique: &str, secret: &[u8], domain: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(b"klagebot-notice:");
    mac.update(kind.as_bytes());
    mac.update(b":");
    mac.update(unique.as_bytes());
    let tag = hex::encode(&mac.finalize().into_bytes()[..12]);
    format!(
        "<notice-{kind}.{tag}@{}>",
        domain.trim().to_ascii_lowercase()
    )
}

/// The case and number of one of our Message-IDs whose reference has `prefix`;
/// more may follow the number after another dot (`<case-KL-2026-000123.7.2@…>`).
pub fn parse_our_message_id(id: &str, prefix: &str) -> Option<(CaseRef, u32)> {
    let id = crate::domain::strip_angle_brackets(id);
    let (local, domain) = id.rsplit_once('@')?;
    if domain.is_empty() {
        return None;
    }
    let rest = strip_prefix_ignore_case(local, "case-")?;
    let mut parts = rest.split('.');
    let reference: CaseRef = parts.next()?.parse().ok()?;
    let seq = parts.next()?;
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !reference.prefix().eq_ignore_ascii_case(prefix) {
        return None;
    }
    Some((reference, seq.parse().ok()?))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const FILETIME_UNIX_OFFSET_SECS: i64 = 11_644_473_600;

fn filetime(at: DateTime<Utc>) -> u64 {
    let ticks = (at.timestamp() + FILETIME_UNIX_OFFSET_SECS) as i128 * 10_000_000
        + i128::from(at.timestamp_subsec_nanos() / 100);
    ticks.clamp(0, i128::from(u64::MAX)) as u64
}

/// The 16-byte conversation GUID of a case: stable, so Outlook keeps all our mail
/// of one case in one conversation.
fn case_guid(reference: &CaseRef) -> [u8; 16] {
    let digest = Sha256::digest(format!("klagebot-thread:{reference}").as_bytes());
    let mut guid = [0u8; 16];
    guid.copy_from_slice(&digest[..16]);
    guid
}

/// Outlook's `Thread-Index` ([MS-OXOMSG] PidTagConversationIndex): the 22-byte
/// header block (the top 6 bytes of the FILETIME the case was opened, then the
/// case's GUID) and, for mail sent later, one 5-byte child block with the delay
/// and `seq` in its low bits. Base64-encoded.
pub fn thread_index(
    reference: &CaseRef,
    opened_at: DateTime<Utc>,
    sent_at: DateTime<Utc>,
    seq: u32,
) -> String {
    let opened = filetime(opened_at);
    let mut bytes = Vec::with_capacity(27);
    bytes.extend_from_slice(&opened.to_be_bytes()[..6]);
    bytes.extend_from_slice(&case_guid(reference));
    let header_time = opened & !0xFFFF;
    if sent_at > opened_at {
        let delta = filetime(sent_at).saturating_sub(header_time);
        bytes.extend_from_slice(&child_block(delta, seq));
    }
    BASE64.encode(bytes)
}

/// One child block: a 1-bit scale, 31 bits of the delay, 4 bits random (here
/// derived from `seq`, to stay reproducible) and a 4-bit sequence count.
fn child_block(delta: u64, seq: u32) -> [u8; 5] {
    // Delays under about 1.7 years fit with 2^18 ticks of resolution; longer
    // ones use the coarser 2^23 scale with the top bit set.
    let (flag, units) = if delta < (1u64 << 49) {
        (0u64, delta >> 18)
    } else {
        (1u64, (delta >> 23).min((1 << 31) - 1))
    };
    let low = u64::from((seq.wrapping_mul(7) & 0xF) << 4 | (seq & 0xF));
    let block = (flag << 39) | (units << 8) | low;
    let b = block.to_be_bytes();
    [b[3], b[4], b[5], b[6], b[7]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> CaseRef {
        s.parse().unwrap()
    }

    #[test]
    fn message_ids_round_trip_and_cannot_be_guessed() {
        let id = message_id(&r("KL-2026-000123"), 7, "Example.com", b"secret");
        assert!(id.starts_with("<case-KL-2026-000123.7."), "{id}");
        assert!(id.ends_with("@example.com>"), "{id}");
        assert_eq!(id.len(), "<case-KL-2026-000123.7.@example.com>".len() + 16);
        assert_eq!(
            parse_our_message_id(&id, "KL"),
            Some((r("KL-2026-000123"), 7))
        );
        let other = message_id(&r("KL-2026-000123"), 7, "example.com", b"another");
        assert_ne!(id, other, "the tag depends on the secret");
        assert_eq!(
            id,
            message_id(&r("KL-2026-000123"), 7, "example.com", b"secret")
        );
    }

    #[test]
    fn parse_accepts_ours_and_rejects_the_rest() {
        let cases: [(&str, Option<(&str, u32)>); 9] = [
            (
                "<case-KL-2026-000123.1@bank.dk>",
                Some(("KL-2026-000123", 1)),
            ),
            (
                "case-KL-2026-000123.12.3@bank.dk",
                Some(("KL-2026-000123", 12)),
            ),
            (
                " <CASE-kl-2026-000123.4@bank.dk> ",
                Some(("KL-2026-000123", 4)),
            ),
            ("<case-XY-2026-000123.1@bank.dk>", None),
            ("<case-KL-2026-000123@bank.dk>", None),
            ("<case-KL-2026-000123.@bank.dk>", None),
            ("<case-KL-2026-000123.x1@bank.dk>", None),
            ("<KL-2026-000123.1@bank.dk>", None),
            ("<case-KL-2026-000123.1>", None),
        ];
        for (id, want) in cases {
            let want = want.map(|(s, n)| (r(s), n));
            assert_eq!(parse_our_message_id(id, "KL"), want, "{id}");
        }
    }

    #[test]
    fn thread_index_is_stable_per_case_and_differs_between_cases() {
        let opened = DateTime::parse_from_rfc3339("2026-12-14T09:30:00Z")
            .unwrap()
            .to_utc();
        let later = DateTime::parse_from_rfc3339("2026-12-15T10:00:00Z")
            .unwrap()
            .to_utc();
        let decode = |s: String| BASE64.decode(s).unwrap();
        let first = decode(thread_index(&r("KL-2026-000123"), opened, opened, 1));
        let second = decode(thread_index(&r("KL-2026-000123"), opened, later, 2));
        let other = decode(thread_index(&r("KL-2026-000124"), opened, later, 2));
        assert_eq!(first.len(), 22);
        assert_eq!(second.len(), 27);
        assert_eq!(first[..22], second[..22], "same case, same conversation");
        assert_ne!(second[6..22], other[6..22], "another case, another GUID");
        // The header's FILETIME for a 2026 date starts with the reserved 0x01.
        assert_eq!(first[0], 0x01);
    }
}
