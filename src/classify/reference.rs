//! The case a mail belongs to: a `<case-{REF}.N@…>` id in In-Reply-To/References
//! (our own Message-IDs), or a reference in the top-level subject. Never the body,
//! quoted or bounced text: anyone can paste a reference there.

use super::RefSource;
use super::subject::Subject;
use crate::domain::CaseRef;
use crate::parse::InboundMail;

/// The reference, where it was found and the reason to report.
pub fn find(
    mail: &InboundMail,
    subject: &Subject,
    prefix: &str,
) -> Option<(CaseRef, RefSource, String)> {
    let threaded = mail
        .in_reply_to
        .iter()
        .chain(&mail.references)
        .find_map(|id| from_message_id(id, prefix));
    if let Some(r) = threaded {
        let why = format!("threaded to our mail of case {r}");
        return Some((r, RefSource::Thread, why));
    }
    let r = in_text(&subject.original, prefix)?;
    let why = format!("case reference {r} in subject");
    Some((r, RefSource::Subject, why))
}

/// `case-KL-2026-000123.4@domain` → `KL-2026-000123`.
fn from_message_id(id: &str, prefix: &str) -> Option<CaseRef> {
    let rest = id
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("case-"))
        .map(|_| &id[5..])?;
    let (reference, _) = rest.split_once('.')?;
    let r: CaseRef = reference.parse().ok()?;
    r.prefix().eq_ignore_ascii_case(prefix).then_some(r)
}

/// The first `PREFIX-YYYY-NNNNNN` standing as its own word in a text.
pub fn in_text(text: &str, prefix: &str) -> Option<CaseRef> {
    if prefix.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let needed = prefix.len() + 12;
    let mut start = 0;
    while start + needed <= bytes.len() {
        let at = start;
        start += 1;
        let (Some(candidate), Some(head)) =
            (text.get(at..at + needed), text.get(at..at + prefix.len()))
        else {
            continue;
        };
        let before_ok = !text[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let after_ok = !bytes
            .get(at + needed)
            .is_some_and(u8::is_ascii_alphanumeric);
        if !before_ok || !after_ok || !head.eq_ignore_ascii_case(prefix) {
            continue;
        }
        if let Ok(r) = candidate.parse::<CaseRef>() {
            return Some(r);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn found(raw: &str) -> Option<(String, RefSource)> {
        let mail = parse(raw.as_bytes());
        let subject = Subject::read(&mail.subject);
        find(&mail, &subject, "KL").map(|(r, s, _)| (r.to_string(), s))
    }

    #[test]
    fn subject_references_count_with_or_without_brackets() {
        let table = [
            (
                "Subject: SV: VS: Re: Klage [KL-2026-000123]\n\nx",
                Some("KL-2026-000123"),
            ),
            (
                "Subject: Re: kl-2026-000124 gebyr\n\nx",
                Some("KL-2026-000124"),
            ),
            ("Subject: «KL-2026-000125»\n\nx", Some("KL-2026-000125")),
            ("Subject: XKL-2026-000126\n\nx", None),
            ("Subject: KL-2026-0001271\n\nx", None),
            ("Subject: AB-2026-000128\n\nx", None),
            (
                "Subject: hej\n\nSe sag KL-2026-000129\n> [KL-2026-000130]",
                None,
            ),
        ];
        for (raw, expected) in table {
            let got = found(raw);
            assert_eq!(got.as_ref().map(|g| g.0.as_str()), expected, "{raw}");
            if let Some((_, source)) = got {
                assert_eq!(source, RefSource::Subject);
            }
        }
    }

    #[test]
    fn our_message_ids_in_the_thread_count_before_the_subject() {
        let raw = "Subject: Re: [KL-2026-000001]\nReferences: <abc@gmail.com> <case-KL-2026-000777.3@bank.dk>\n\nx";
        assert_eq!(
            found(raw),
            Some(("KL-2026-000777".into(), RefSource::Thread))
        );
        let foreign = "Subject: hej\nIn-Reply-To: <case-AB-2026-000777.3@other.dk>\n\nx";
        assert_eq!(found(foreign), None);
    }
}
