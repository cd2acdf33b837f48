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
        .subject(m.subject.split_whitespace().collect::<Vec<_>>().join(" "))
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
    if let Some(parent) = &m.in_reply_to {
        builder = builder.in_reply_to(msg_id("In-Reply-To", parent)?);
    }
    if !m.references.is_empty() {
        let ids = m
            .references
            .iter()
            .map(|id| msg_id("References", id))
            .collect::<Result<Vec<_>, _>>()?;
        builder = builder.references(ids.join(" "));
    }
    if let Some(index) = &m.thread_index {
        builder = builder.raw_header(raw("Thread-Index", index)?);
    }
    if let Some(topic) = &m.thread_topic {
        builder = builder.raw_header(raw("Thread-Topic", topic)?);
    }
    Ok(builder)
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
    let name = a
        .name
        .as_deref()
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "));
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
        let bad_parent = OutgoingMessage {
            in_reply_to: Some("<a\r\nBcc: x@y>".into()),
            ..sample()
        };
        assert!(compose(&bad_parent).is_err());
    }
}
