//! The complete RFC 5322 message for one outgoing mail, built with lettre: UTF-8
//! text/plain in quoted-printable, RFC 2047 subject and display names, our
//! Message-ID, threading headers, and the RFC 3834 marks on automatic mail.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::message::header::{
    ContentTransferEncoding, ContentType, HeaderName, HeaderValue, MIME_VERSION_1_0,
};
use lettre::message::{Body, Mailbox, MessageBuilder};
use lettre::{Address, Message};

use crate::domain::EmailAddress;

/// An address with an optional display name (`Nordvik Bank <klage@…>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAddress {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl NamedAddress {
    pub fn new(name: Option<&str>, address: EmailAddress) -> NamedAddress {
        NamedAddress {
            name: name.map(str::to_string).filter(|n| !n.trim().is_empty()),
            address,
        }
    }
}

/// Everything one outgoing mail carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub from: NamedAddress,
    pub to: Vec<NamedAddress>,
    pub cc: Vec<NamedAddress>,
    pub reply_to: Option<NamedAddress>,
    pub subject: String,
    pub body: String,
    /// Our Message-ID, `<case-KL-2026-000123.7@domain>` ([`super::message_id`]).
    pub message_id: String,
    /// The Message-ID this mail answers (the customer's or staff member's mail).
    pub in_reply_to: Option<String>,
    /// The thread so far, oldest first.
    pub references: Vec<String>,
    pub date: DateTime<Utc>,
    /// Automatic mail (acknowledgements, reminders…): `Auto-Submitted: auto-replied`
    /// and `X-Auto-Response-Suppress: All`, so that no auto-responder answers it.
    pub auto_submitted: bool,
    /// Outlook's `Thread-Index` ([`super::thread_index`]).
    pub thread_index: Option<String>,
    /// Outlook's `Thread-Topic`: the conversation's subject without prefixes.
    pub thread_topic: Option<String>,
}

/// Why a message could not be built; none of these is worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the mail has no recipient")]
    NoRecipient,
    #[error("address {address} cannot be used in a mail header: {reason}")]
    Address { address: String, reason: String },
    #[error("header {name}: {reason}")]
    Header { name: &'static str, reason: String },
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// The message's bytes, ready for SMTP or an `.eml` file (CRLF line ends).
pub fn compose(m: &OutgoingMessage) -> Result<Vec<u8>, ComposeError> {
    if m.to.is_empty() {
        return Err(ComposeError::NoRecipient);
    }
    let mut builder = Message::builder()
        .from(mailbox(&m.from)?)
        .subject(capped(&m.subject, MAX_TEXT_CHARS))
        .date(SystemTime::from(m.date))
        .message_id(Some(msg_id("Message-ID", &m.message_id)?));
    for to in &m.to {
        builder = builder.to(mailbox(to)?);
    }
    for cc in &m.cc {
        builder = builder.cc(mailbox(cc)?);
    }
    if let Some(reply_to) = &m.reply_to {
        builder = builder.reply_to(mailbox(reply_to)?);
    }
    builder = threading_headers(builder, m)?;
    if m.auto_submitted {
        builder = builder
            .raw_header(raw("Auto-Submitted", "auto-replied")?)
            .raw_header(raw("X-Auto-Response-Suppress", "All")?);
    }
    let body = Body::new_with_encoding(
        m.body.replace("\r\n", "\n"),
        ContentTransferEncoding::QuotedPrintable,
    )
    .map_err(|_| ComposeError::Header {
        name: "Content-Transfer-Encoding",
        reason: "the body cannot be quoted-printable encoded".into(),
    })?;
    let message = builder
        .header(MIME_VERSION_1_0)
        .header(ContentType::TEXT_PLAIN)
        .body(body)?;
    Ok(message.formatted())
}

fn threading_headers(
    mut builder: MessageBuilder,
    m: &OutgoingMessage,
) -> Result<MessageBuilder, ComposeError> {
    // Lenient in, strict out: an id we cannot write back safely is left out of
    // the thread, never a reason to hold the mail.
    if let Some(parent) = m.in_reply_to.as_deref().and_then(thread_id) {
        builder = builder.in_reply_to(parent);
    }
    let references = fit_references(m.references.iter().filter_map(|id| thread_id(id)).collect());
    if !references.is_empty() {
        builder = builder.references(references.join(" "));
    }
    if let Some(index) = &m.thread_index {
        builder = builder.raw_header(raw("Thread-Index", index)?);
    }
    if let Some(topic) = &m.thread_topic {
        builder = builder.raw_header(raw("Thread-Topic", &capped(topic, MAX_TEXT_CHARS))?);
    }
    Ok(builder)
}

/// The longest id we write back (with its brackets), so that `In-Reply-To: <id>`
/// stays within RFC 5322's 998 octets per line.
const MAX_ID: usize = 900;
/// References as a whole stays within one line's worth of octets.
const REFERENCES_BUDGET: usize = 998 - "References: ".len();
/// Subjects, topics and display names longer than this are cut: a longer
/// unbroken word could not be folded under 998 octets.
const MAX_TEXT_CHARS: usize = 240;

/// A customer's or colleague's Message-ID as we can write it back: printable
/// ASCII with an `@`, no brackets or line breaks; the obsolete quoted local
/// part (`<"a b"@host>`, RFC 5322 obs-id-left) is kept as it came.
fn thread_id(id: &str) -> Option<String> {
    let bare = crate::domain::strip_angle_brackets(id.trim());
    let (local, domain) = bare.rsplit_once('@')?;
    let printable = |b: u8| b.is_ascii_graphic() && !matches!(b, b'<' | b'>');
    let local_ok = match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(quoted) => quoted.bytes().all(|b| printable(b) || b == b' '),
        None => local.bytes().all(|b| printable(b) && b != b'"'),
    };
    let valid = !local.is_empty()
        && !domain.is_empty()
        && local_ok
        && domain
            .bytes()
            .all(|b| printable(b) && b != b'"' && b != b'\\')
        && bare.len() + 2 <= MAX_ID;
    valid.then(|| format!("<{bare}>"))
}

/// The first and the last ids always, then as many of the latest ones as fit
/// the budget (RFC 5322 §3.6.4: a shortened References keeps the first).
fn fit_references(ids: Vec<String>) -> Vec<String> {
    let total = |ids: &[String]| ids.iter().map(|i| i.len() + 1).sum::<usize>();
    if total(&ids) <= REFERENCES_BUDGET || ids.len() < 2 {
        return ids;
    }
    let first = ids[0].clone();
    let last = ids[ids.len() - 1].clone();
    if first.len() + last.len() + 2 > REFERENCES_BUDGET {
        return vec![last];
    }
    let mut used = first.len() + last.len() + 2;
    let mut middle = Vec::new();
    for id in ids[1..ids.len() - 1].iter().rev() {
        if used + id.len() + 1 > REFERENCES_BUDGET {
            break;
        }
        used += id.len() + 1;
        middle.push(id.clone());
    }
    middle.reverse();
    std::iter::once(first)
        .chain(middle)
        .chain(std::iter::once(last))
        .collect()
}

/// `text` on one line, at most `max` characters.
fn capped(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", one_line[..cut].trim_end()),
        None => one_line,
    }
}

fn mailbox(a: &NamedAddress) -> Result<Mailbox, ComposeError> {
    let address: Address =
        a.address
            .as_str()
            .parse()
            .map_err(|e: lettre::address::AddressError| ComposeError::Address {
                address: a.address.to_string(),
                reason: e.to_string(),
            })?;
    let name = a.name.as_deref().map(|n| capped(n, MAX_TEXT_CHARS));
    Ok(Mailbox::new(name, address))
}

/// A Message-ID in angle brackets, with nothing that could break the header.
fn msg_id(header: &'static str, id: &str) -> Result<String, ComposeError> {
    let bare = crate::domain::strip_angle_brackets(id);
    let valid = bare.contains('@')
        && bare
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'));
    if !valid {
        return Err(ComposeError::Header {
            name: header,
            reason: format!("{id:?} is not a message id"),
        });
    }
    Ok(format!("<{bare}>"))
}

/// A custom header; the value is one line (RFC 2047 encoded by lettre when needed).
fn raw(name: &'static str, value: &str) -> Result<HeaderValue, ComposeError> {
    let header =
        HeaderName::new_from_ascii(name.to_string()).map_err(|_| ComposeError::Header {
            name,
            reason: "invalid header name".into(),
        })?;
    let one_line = value.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(HeaderValue::new(header, one_line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn addr(name: Option<&str>, a: &str) -> NamedAddress {
        NamedAddress::new(name, EmailAddress::parse(a).unwrap())
    }

    fn sample() -> OutgoingMessage {
        OutgoingMessage {
            from: addr(Some("Nordvik Bank A/S – Klager"), "klage@nordvikbank.dk"),
            to: vec![addr(Some("Åse Ørsted-Bæk"), "aase@example.net")],
            cc: vec![addr(None, "mette.jensen@nordvikbank.dk")],
            reply_to: Some(addr(None, "klage+KL-2026-000123.abcdefghijklmnop@nordvikbank.dk")),
            subject: "Vi har modtaget din klage om gebyr på overførsel – æøå ÆØÅ [KL-2026-000123]".into(),
            body: "Kære Åse Ørsted-Bæk\n\nVi har modtaget din klage. Du kan forvente vores svar senest torsdag den 7. januar 2027, og denne linje er med vilje så lang, at den skal foldes i quoted-printable.\n".into(),
            message_id: "<case-KL-2026-000123.1@nordvikbank.dk>".into(),
            in_reply_to: Some("<CAF=abc123@mail.example.net>".into()),
            references: vec!["<first@example.net>".into(), "<CAF=abc123@mail.example.net>".into()],
            date: DateTime::parse_from_rfc3339("2026-12-14T09:30:00Z").unwrap().to_utc(),
            auto_submitted: true,
            thread_index: Some("AdtrpVfjq1rZlbHhRk+0kN5UJG4AAA==".into()),
            thread_topic: Some("Gebyr på overførsel".into()),
        }
    }

    #[test]
    fn composed_mail_parses_back_with_every_header() {
        let m = sample();
        let bytes = compose(&m).unwrap();
        assert!(
            bytes.is_ascii(),
            "headers and body are 7-bit clean on the wire"
        );
        let parsed = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(parsed.subject(), Some(m.subject.as_str()));
        let from = parsed.from().and_then(|a| a.first()).unwrap();
        assert_eq!(from.name(), Some("Nordvik Bank A/S – Klager"));
        assert_eq!(from.address(), Some("klage@nordvikbank.dk"));
        let to = parsed.to().and_then(|a| a.first()).unwrap();
        assert_eq!(to.name(), Some("Åse Ørsted-Bæk"));
        assert_eq!(
            parsed.message_id(),
            Some("case-KL-2026-000123.1@nordvikbank.dk")
        );
        assert_eq!(
            parsed.in_reply_to().as_text(),
            Some("CAF=abc123@mail.example.net")
        );
        let refs: Vec<&str> = parsed
            .references()
            .as_text_list()
            .unwrap()
            .iter()
            .map(|s| s.as_ref())
            .collect();
        assert_eq!(refs, ["first@example.net", "CAF=abc123@mail.example.net"]);
        assert_eq!(
            parsed.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-replied")
        );
        assert_eq!(
            parsed.header_raw("X-Auto-Response-Suppress").map(str::trim),
            Some("All")
        );
        assert_eq!(
            parsed.header_raw("Thread-Index").map(str::trim),
            m.thread_index.as_deref()
        );
        // mail-parser leaves unknown headers undecoded; lettre wrote RFC 2047 words.
        let topic = parsed.header_raw("Thread-Topic").unwrap().trim();
        let encoded = topic
            .strip_prefix("Gebyr =?utf-8?b?")
            .and_then(|t| t.strip_suffix("?="))
            .unwrap();
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "på overførsel");
        assert!(
            parsed
                .header_raw("Reply-To")
                .unwrap()
                .contains("klage+KL-2026-000123.")
        );
        assert_eq!(parsed.body_text(0).unwrap().replace("\r\n", "\n"), m.body);
        let raw = String::from_utf8(bytes).unwrap();
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(raw.contains("Content-Transfer-Encoding: quoted-printable"));
        let subject_header = raw
            .split("\r\nSubject:")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .next()
            .unwrap();
        assert!(
            subject_header.contains("=?utf-8?"),
            "the subject is RFC 2047 encoded: {subject_header}"
        );
        assert!(
            raw.contains("Date: Mon, 14 Dec 2026 09:30:00 +0000"),
            "{raw}"
        );
    }

    #[test]
    fn staff_mail_is_not_marked_automatic() {
        let m = OutgoingMessage {
            auto_submitted: false,
            ..sample()
        };
        let raw = String::from_utf8(compose(&m).unwrap()).unwrap();
        assert!(!raw.contains("Auto-Submitted"));
        assert!(!raw.contains("X-Auto-Response-Suppress"));
    }

    #[test]
    fn a_newline_in_the_subject_cannot_add_a_header() {
        let m = OutgoingMessage {
            subject: "Hej\r\nBcc: evil@example.com".into(),
            ..sample()
        };
        let bytes = compose(&m).unwrap();
        let parsed = MessageParser::default().parse(&bytes).unwrap();
        assert!(parsed.header_raw("Bcc").is_none());
        assert_eq!(parsed.subject(), Some("Hej Bcc: evil@example.com"));
    }

    #[test]
    fn bad_input_is_refused_with_a_clear_error() {
        let no_one = OutgoingMessage {
            to: vec![],
            ..sample()
        };
        assert!(matches!(compose(&no_one), Err(ComposeError::NoRecipient)));
        let bad_id = OutgoingMessage {
            message_id: "not an id".into(),
            ..sample()
        };
        let err = compose(&bad_id).unwrap_err();
        assert!(err.to_string().contains("Message-ID"), "{err}");
    }

    fn header_lines(bytes: &[u8]) -> Vec<String> {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap().to_string();
        head.split("\r\n").map(str::to_string).collect()
    }

    #[test]
    fn a_parent_id_that_cannot_be_written_back_is_left_out_not_fatal() {
        let bad_parent = OutgoingMessage {
            in_reply_to: Some("<a\r\nBcc: x@y>".into()),
            references: vec!["<a\r\nBcc: x@y>".into(), "<ok@example.net>".into()],
            ..sample()
        };
        let bytes = compose(&bad_parent).unwrap();
        let parsed = MessageParser::default().parse(&bytes).unwrap();
        assert!(parsed.header_raw("Bcc").is_none());
        assert!(parsed.header_raw("In-Reply-To").is_none());
        assert_eq!(
            parsed.references().as_text_list().unwrap(),
            vec!["ok@example.net"]
        );
    }

    #[test]
    fn an_obsolete_quoted_message_id_is_answered_in_its_thread() {
        let m = OutgoingMessage {
            in_reply_to: Some(r#"<"john smith\x"@old.example.net>"#.into()),
            references: vec![r#"<"john smith\x"@old.example.net>"#.into()],
            ..sample()
        };
        let bytes = compose(&m).unwrap();
        let raw = String::from_utf8(bytes).unwrap();
        assert!(
            raw.contains(r#"In-Reply-To: <"john smith\x"@old.example.net>"#),
            "{raw}"
        );
    }

    #[test]
    fn long_threads_keep_the_first_and_last_ids_within_the_line_limit() {
        let ids: Vec<String> = (0..60)
            .map(|i| format!("<{i:03}.{}@mail.example.net>", "x".repeat(60)))
            .collect();
        let long = format!("<{}@example.net>", "y".repeat(2500));
        let m = OutgoingMessage {
            in_reply_to: Some(long.clone()),
            references: ids.clone(),
            subject: format!("Re: {}", "z".repeat(3000)),
            ..sample()
        };
        let bytes = compose(&m).unwrap();
        for line in header_lines(&bytes) {
            assert!(line.len() <= 998, "{} octets: {line:.80}", line.len());
            let value = line
                .split_once(": ")
                .map_or(line.as_str(), |(_, v)| v)
                .trim();
            assert!(
                line.len() <= 78 || !value.contains(' '),
                "not folded: {line:?}"
            );
        }
        let parsed = MessageParser::default().parse(&bytes).unwrap();
        assert!(
            parsed.header_raw("In-Reply-To").is_none(),
            "a 2,500-octet id cannot be written back"
        );
        let refs = parsed.references().as_text_list().unwrap();
        assert_eq!(
            refs.first().map(|r| r.as_ref()),
            Some(&ids[0][1..ids[0].len() - 1])
        );
        assert_eq!(
            refs.last().map(|r| r.as_ref()),
            Some(&ids[59][1..ids[59].len() - 1])
        );
        let total: usize = refs.iter().map(|r| r.len() + 3).sum();
        assert!(total <= 998, "{total}");
        assert!(refs.len() > 2 && refs.len() < 60, "{}", refs.len());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn every_outgoing_header_line_stays_within_rfc_5322(
            subject in "\\PC{0,400}",
            name in "\\PC{0,300}",
            parent in "\\PC{0,1200}",
            refs in proptest::collection::vec("[ -~]{0,300}", 0..40),
        ) {
            let m = OutgoingMessage {
                subject: subject.clone(),
                to: vec![addr(Some(&name), "aase@example.net")],
                in_reply_to: Some(parent),
                references: refs,
                thread_topic: Some(subject),
                ..sample()
            };
            let bytes = compose(&m).unwrap();
            for line in header_lines(&bytes) {
                proptest::prop_assert!(line.len() <= 998, "{} octets", line.len());
                proptest::prop_assert!(line.is_ascii());
            }
            proptest::prop_assert!(MessageParser::default().parse(&bytes).is_some());
        }
    }
}
