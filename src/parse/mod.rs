//! Raw bytes → [`InboundMail`] (pure): decoded headers, addresses, threading ids,
//! attachments, forwarded messages and the customer's new text, for any input.
//!
//! `parse` never fails and never panics: broken MIME is the sender's problem, so
//! whatever can be read is returned and the rest is left empty. mail-parser does the
//! MIME work; this module decides what the rest of klagebot needs from it.

pub mod auth;
mod body;
pub mod forward;
mod headers;
pub mod html;
pub mod quote;

use chrono::{DateTime, Utc};
use mail_parser::{Message, MessageParser};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use forward::{forwarded_mail, looks_forwarded, plausibly_before};

use crate::domain::EmailAddress;

/// Forwarded messages nested deeper than this are not unpacked (a guard against
/// hostile nesting; real mail rarely goes past two).
const MAX_FORWARD_DEPTH: usize = 4;

/// Text beyond this many bytes is not read (classified, quoted to staff): no
/// customer writes a megabyte, and every later step stays bounded.
pub const MAX_TEXT_BYTES: usize = 1_000_000;

/// A mailbox in a header: the display name as decoded, and the address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub name: Option<String>,
    pub email: EmailAddress,
}

/// A part of the mail that is not its text: what it is called, its type and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub name: Option<String>,
    /// `type/subtype`, lower-case.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// One inbound mail as klagebot sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InboundMail {
    /// Without `<>`; derived from the content hash when the mail has none.
    pub message_id: String,
    /// True when `message_id` was derived from the content, not read from the mail.
    pub message_id_generated: bool,
    /// Decoded (RFC 2047, any charset).
    pub subject: String,
    pub from: Option<Address>,
    /// The From header as decoded text, also when it holds no valid address
    /// (bounces often come `From: MAILER-DAEMON`).
    pub from_raw: String,
    pub reply_to: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub date: Option<DateTime<Utc>>,
    /// Ids without `<>`.
    pub in_reply_to: Vec<String>,
    /// Ids without `<>`.
    pub references: Vec<String>,
    /// `Some("")` for an empty `<>` Return-Path (the null sender of bounces).
    pub return_path: Option<String>,
    /// The customer's new text: quoted replies, forwarded blocks and signatures removed.
    pub new_text: String,
    /// The whole text body: text/plain, or the HTML converted to text; at most
    /// [`MAX_TEXT_BYTES`].
    pub full_text: String,
    /// Whether the text was longer and cut at [`MAX_TEXT_BYTES`].
    pub text_truncated: bool,
    pub attachments: Vec<Attachment>,
    /// `message/rfc822` parts, parsed the same way.
    pub forwarded: Vec<InboundMail>,
    /// For bounces and DSNs: the Message-ID of the original mail that came back.
    pub bounced_message_id: Option<String>,
    /// The top-level `type/subtype`, lower-case (`multipart/report` for DSNs).
    pub content_type: String,
    /// The `report-type` parameter of a `multipart/report`, lower-case.
    pub report_type: Option<String>,
    /// The machine-readable parts of a DSN, MDN or ARF report, as text.
    pub report_text: String,
    /// The `type/subtype` of every MIME part, lower-case, in order.
    pub part_types: Vec<String>,
    /// Every top-level header as (lower-case name, unfolded value), in order.
    pub headers: Vec<(String, String)>,
}

impl InboundMail {
    /// The first header of that name (case-insensitive), trimmed.
    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.headers_named(name).next()
    }

    /// Every header of that name (case-insensitive), trimmed, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether any MIME part has this `type/subtype`.
    pub fn has_part_type(&self, content_type: &str) -> bool {
        self.part_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(content_type))
    }
}

/// Parses raw mail bytes. Never fails: unreadable parts are left empty.
pub fn parse(raw: &[u8]) -> InboundMail {
    // A UTF-8 byte-order mark before the headers hides the first header from the parser.
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    // mail-parser promises not to panic, but has been seen to (a debug assertion on
    // a message/rfc822 part without a body). One hostile mail must not stop a
    // mailbox: on a panic, read the headers alone and keep the body as text.
    let full = std::panic::catch_unwind(|| {
        MessageParser::default()
            .parse(raw)
            .map(|m| from_message(&m, 0))
    });
    match full {
        Ok(Some(mail)) => mail,
        Ok(None) => unparsed(raw),
        Err(_) => headers_only(raw),
    }
}

/// The headers of a mail whose body could not be parsed, and the body as text.
fn headers_only(raw: &[u8]) -> InboundMail {
    let body_start = find_body(raw);
    let headers = std::panic::catch_unwind(|| {
        MessageParser::default()
            .parse_headers(raw)
            .map(|m| from_message(&m, MAX_FORWARD_DEPTH))
    });
    let mut mail = match headers {
        Ok(Some(mail)) => mail,
        _ => unparsed(&raw[..body_start]),
    };
    (mail.full_text, mail.text_truncated) =
        capped(String::from_utf8_lossy(&raw[body_start..]).into_owned());
    mail.new_text = quote::new_text(&mail.full_text);
    mail
}

/// Where the body starts: after the first empty line, or at the end.
fn find_body(raw: &[u8]) -> usize {
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(raw.len()),
    }
}

/// What is left of bytes in which mail-parser found no message at all: the text.
fn unparsed(raw: &[u8]) -> InboundMail {
    let (full_text, text_truncated) = capped(String::from_utf8_lossy(raw).into_owned());
    InboundMail {
        text_truncated,
        message_id: generated_message_id(raw),
        message_id_generated: true,
        new_text: quote::new_text(&full_text),
        full_text,
        content_type: "text/plain".into(),
        ..InboundMail::default()
    }
}

fn from_message(message: &Message<'_>, depth: usize) -> InboundMail {
    let header_list = headers::all_headers(message);
    let (message_id, message_id_generated) = match headers::message_id(&header_list) {
        Some(id) => (id, false),
        None => (generated_message_id(message.raw_message()), true),
    };
    let (full_text, text_truncated) = capped(body::text(message));
    let (content_type, report_type) = body::top_content_type(message);
    let mut mail = InboundMail {
        message_id,
        message_id_generated,
        subject: message.subject().unwrap_or_default().trim().to_string(),
        from: headers::first_address(message.from())
            .or_else(|| headers::from_fallback(&header_list)),
        from_raw: headers::decoded_from(message, &header_list),
        reply_to: headers::first_address(message.reply_to()),
        to: headers::addresses(message.to()),
        cc: headers::addresses(message.cc()),
        date: headers::date(message),
        in_reply_to: headers::ids(&header_list, "in-reply-to"),
        references: headers::ids(&header_list, "references"),
        return_path: headers::return_path(&header_list),
        new_text: quote::new_text(&full_text),
        full_text,
        text_truncated,
        attachments: body::attachments(message),
        forwarded: Vec::new(),
        bounced_message_id: None,
        content_type,
        report_type,
        report_text: body::report_text(message),
        part_types: body::part_types(message),
        headers: header_list,
    };
    if depth < MAX_FORWARD_DEPTH {
        mail.forwarded = body::nested_messages(message)
            .map(|nested| from_message(nested, depth + 1))
            .collect();
    }
    mail.bounced_message_id = body::bounced_message_id(message, &mail);
    mail
}

/// The text cut at [`MAX_TEXT_BYTES`] (on a character boundary), and whether it was.
fn capped(mut text: String) -> (String, bool) {
    if text.len() <= MAX_TEXT_BYTES {
        return (text, false);
    }
    let mut cut = MAX_TEXT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    (text, true)
}

/// A stable Message-ID for mail that has none: the same content gives the same
/// id, so a mail fetched twice, or delivered again along another path, is still
/// recognised as one.
fn generated_message_id(raw: &[u8]) -> String {
    format!("sha256-{}@klagebot.invalid", &content_hash(raw)[..32])
}

/// The headers that say what a mail is, as its sender wrote it. Everything else
/// (Received, Delivered-To, Authentication-Results, ARC, spam scores…) is added on
/// the way and differs between two deliveries of the same mail.
const CONTENT_HEADERS: [&str; 7] = [
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "in-reply-to",
    "references",
];

/// Hex SHA-256 of a mail's content: the sender's own headers and the body,
/// without the trace headers mail systems add on the way.
pub fn content_hash(raw: &[u8]) -> String {
    let body_start = find_body(raw);
    let mut hasher = Sha256::new();
    let head = String::from_utf8_lossy(&raw[..body_start]);
    let mut current: Option<String> = None;
    let mut fields: Vec<String> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(field) = current.as_mut() {
                field.push(' ');
                field.push_str(line.trim());
            }
            continue;
        }
        fields.extend(current.take());
        current = Some(line.trim_end().to_string());
    }
    fields.extend(current);
    for field in fields {
        let name = field
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if CONTENT_HEADERS.contains(&name.as_str()) {
            hasher.update(field.as_bytes());
            hasher.update(b"\n");
        }
    }
    hasher.update(&raw[body_start..]);
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests;
