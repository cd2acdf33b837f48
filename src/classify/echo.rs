//! Auto-responders that say nothing about being one: no `Auto-Submitted`, no
//! `Precedence`, a plain text that echoes our mail back. What gives them away
//! is their rhythm: the same text, again and again, each time within minutes
//! of a mail of ours. An address whose mail follows our mail within
//! [`ECHO_WINDOW`] with near-identical text for the second round is treated as
//! automated, so that such a loop stops after two rounds.
//!
//! Near-identical is measured on a 64-bit SimHash of the text's word triples
//! (lower-cased letters only: dates, case numbers and due days that change from
//! one of our mails to the next do not count).

use chrono::{DateTime, Duration, Utc};

use crate::parse::InboundMail;

/// How soon after our mail an answer counts as an echo.
pub const ECHO_WINDOW: Duration = Duration::minutes(10);

/// Arrival times are whole seconds (IMAP INTERNALDATE): an answer may seem to
/// arrive up to a second before the mail it answers.
const CLOCK_SKEW: Duration = Duration::seconds(1);

/// How much text the fingerprint reads: an echo repeats itself near the top.
const FINGERPRINT_CHARS: usize = 4000;

/// At most this many of 64 bits may differ between near-identical texts.
const NEAR_BITS: u32 = 6;

/// The fingerprint of a mail: of its new text, or of all of it when the new
/// text is empty (a reply that only quotes).
pub fn of_mail(mail: &InboundMail) -> Option<u64> {
    fingerprint(&mail.new_text).or_else(|| fingerprint(&mail.full_text))
}

/// The SimHash of `text`'s word triples; `None` for a text with too few words to
/// say anything.
pub fn fingerprint(text: &str) -> Option<u64> {
    let words: Vec<String> = text
        .chars()
        .take(FINGERPRINT_CHARS)
        .collect::<String>()
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < 3 {
        return (!words.is_empty()).then(|| shingle_hash(&words));
    }
    let mut weights = [0i32; 64];
    for triple in words.windows(3) {
        let hash = shingle_hash(triple);
        for (bit, weight) in weights.iter_mut().enumerate() {
            *weight += if hash >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    Some(
        weights
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 0)
            .fold(0u64, |acc, (bit, _)| acc | 1 << bit),
    )
}

/// A hash that is the same in every process and version (the fingerprints are
/// stored): FNV-1a over the words, each followed by a space.
fn shingle_hash(words: &[String]) -> u64 {
    let bytes = words.iter().flat_map(|w| w.bytes().chain([b' ']));
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether two fingerprints are of near-identical texts.
pub fn near(a: u64, b: u64) -> bool {
    (a ^ b).count_ones() <= NEAR_BITS
}

/// An earlier mail from the same address: when it arrived and its fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct Earlier {
    pub arrived: DateTime<Utc>,
    pub fingerprint: Option<u64>,
}

/// Whether a mail that arrived at `arrived` with `fingerprint` is the second (or
/// later) round of an echo: it came within [`ECHO_WINDOW`] of one of our mails
/// to its sender (`ours`: when each was queued), and an earlier mail of near-
/// identical text came within the window of another, earlier mail of ours.
pub fn is_echo(
    arrived: DateTime<Utc>,
    fingerprint: Option<u64>,
    earlier: &[Earlier],
    ours: &[DateTime<Utc>],
) -> bool {
    let Some(fingerprint) = fingerprint else {
        return false;
    };
    // Our recent mail an arrival at `at` may answer (arrival times can be cut
    // to the second, so a mail of ours up to CLOCK_SKEW later counts too).
    let recent = |at: DateTime<Utc>| {
        ours.iter()
            .copied()
            .filter(move |sent| *sent <= at + CLOCK_SKEW && at - *sent <= ECHO_WINDOW)
    };
    // This round answers our latest mail; the earlier round our earliest one in
    // its window: two rounds need two mails of ours, whatever the rounding.
    let Some(this_round) = recent(arrived).max() else {
        return false;
    };
    earlier.iter().any(|e| {
        e.arrived <= arrived
            && e.fingerprint.is_some_and(|f| near(f, fingerprint))
            && recent(e.arrived)
                .min()
                .is_some_and(|sent| sent < this_round)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::minutes(minute)
    }

    const ECHO: &str = "Thank you for your message. We have received your complaint \
        KL-2026-000123 and will answer by 21 December 2026. Your contact is Mette Jensen.";

    #[test]
    fn changing_numbers_and_dates_keep_the_fingerprint_near() {
        let other = ECHO
            .replace("000123", "000124")
            .replace("21 December", "22 December");
        let a = fingerprint(ECHO).unwrap();
        let b = fingerprint(&other).unwrap();
        assert!(near(a, b), "{} bits differ", (a ^ b).count_ones());
        let unrelated = fingerprint(
            "Jeg er meget utilfreds med gebyret på mit kort, som I har trukket to gange i november.",
        )
        .unwrap();
        assert!(!near(a, unrelated));
        assert_eq!(fingerprint("  12 34 "), None);
    }

    #[test]
    fn the_second_round_within_minutes_of_our_mail_is_an_echo() {
        let f = fingerprint(ECHO);
        let first = Earlier {
            arrived: at(1),
            fingerprint: f,
        };
        // Our mail at 0 and 2; the echoes at 1 and 3.
        assert!(is_echo(at(3), f, &[first], &[at(0), at(2)]));
        // The first round alone is not.
        assert!(!is_echo(at(1), f, &[], &[at(0)]));
        // Long after our mail: a person writing again.
        assert!(!is_echo(at(40), f, &[first], &[at(0), at(2)]));
        // Two mails answering the same mail of ours: a person adding something.
        assert!(!is_echo(at(3), f, &[first], &[at(0)]));
        // Different text.
        let other = fingerprint("Please find the bank statement you asked for attached here.");
        assert!(!is_echo(at(3), other, &[first], &[at(0), at(2)]));
        // No words, no verdict.
        assert!(!is_echo(at(3), None, &[first], &[at(0), at(2)]));
    }

    #[test]
    fn arrival_times_cut_to_the_second_do_not_hide_the_second_round() {
        let ms = |n: i64| at(0) + Duration::milliseconds(n);
        let f = fingerprint(ECHO);
        // Ours at .700 and .950; the echoes arrive at .900 and 1.200, but the
        // server keeps whole seconds: 0 and 1 (or 0 and 0).
        let first = Earlier {
            arrived: ms(0),
            fingerprint: f,
        };
        let ours = [ms(700), ms(950)];
        assert!(is_echo(ms(1_000), f, &[first], &ours));
        assert!(is_echo(ms(0), f, &[first], &ours));
        // A customer sending the same mail again after our one acknowledgement.
        assert!(!is_echo(at(3), f, &[first], &[ms(800)]));
    }
}
