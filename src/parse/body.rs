//! The body of one message: its text, MIME part types, attachments, forwarded
//! messages and, for bounces, the Message-ID of the mail that came back.

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::headers::parse_ids;
use super::{InboundMail, html};

/// The whole text body: the plain parts joined, or the HTML as text when the
/// mail has no plain text worth the name.
pub(super) fn text(message: &Message<'_>) -> String {
    let plain = joined(message, &message.text_body, |body| match body {
        PartType::Text(t) => Some(t.to_string()),
        _ => None,
    });
    if !plain.trim().is_empty() {
        return plain;
    }
    joined(message, &message.html_body, |body| match body {
        PartType::Html(h) => Some(html::to_text(h)),
        _ => None,
    })
}

fn joined(
    message: &Message<'_>,
    ids: &[u32],
    text_of: impl Fn(&PartType<'_>) -> Option<String>,
) -> String {
    let texts: Vec<String> = ids
        .iter()
        .filter_map(|&id| message.parts.get(id as usize))
        .filter_map(|part| text_of(&part.body))
        .collect();
    texts.join("\n").replace("\r\n", "\n")
}

fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match &ct.c_subtype {
            Some(sub) => format!("{}/{}", ct.c_type, sub).to_ascii_lowercase(),
            None => ct.c_type.to_ascii_lowercase(),
        },
        None => "text/plain".to_string(),
    }
}

/// The top-level type and, for `multipart/report`, its `report-type`.
pub(super) fn top_content_type(message: &Message<'_>) -> (String, Option<String>) {
    let Some(root) = message.parts.first() else {
        return ("text/plain".into(), None);
    };
    let report_type = root
        .content_type()
        .and_then(|ct| ct.attribute("report-type"))
        .map(|r| r.trim().to_ascii_lowercase());
    (mime_type(root), report_type)
}

pub(super) fn part_types(message: &Message<'_>) -> Vec<String> {
    message.parts.iter().map(mime_type).collect()
}

pub(super) fn attachments(message: &Message<'_>) -> Vec<super::Attachment> {
    message
        .attachments()
        .map(|part| super::Attachment {
            name: part.attachment_name().map(|n| n.trim().to_string()),
            content_type: mime_type(part),
            size: part.len(),
        })
        .collect()
}

/// The machine-readable parts of a report (DSN, MDN, ARF), as text.
pub(super) fn report_text(message: &Message<'_>) -> String {
    const REPORT_PARTS: [&str; 5] = [
        "message/delivery-status",
        "message/global-delivery-status",
        "message/feedback-report",
        "message/disposition-notification",
        "message/global-disposition-notification",
    ];
    let texts: Vec<String> = message
        .parts
        .iter()
        .filter(|p| REPORT_PARTS.contains(&mime_type(p).as_str()))
        .map(|p| String::from_utf8_lossy(p.contents()).into_owned())
        .collect();
    texts.join("\n")
}

/// The `message/rfc822` parts directly inside this message.
pub(super) fn nested_messages<'m, 'x>(
    message: &'m Message<'x>,
) -> impl Iterator<Item = &'m Message<'x>> + 'm {
    message.parts.iter().filter_map(|part| match &part.body {
        PartType::Message(nested) => Some(nested),
        _ => None,
    })
}

/// Whether the mail looks like a delivery report, so that a Message-ID inside it
/// names the mail that bounced rather than something the customer quoted.
fn is_report_like(mail: &InboundMail) -> bool {
    let from = mail.from_raw.to_ascii_lowercase();
    mail.content_type == "multipart/report"
        || mail.has_part_type("message/delivery-status")
        || mail.return_path.as_deref() == Some("")
        || from.contains("mailer-daemon")
        || from.contains("postmaster")
}

pub(super) fn bounced_message_id(message: &Message<'_>, mail: &InboundMail) -> Option<String> {
    if !is_report_like(mail) {
        return None;
    }
    let from_nested = mail
        .forwarded
        .iter()
        .find(|m| !m.message_id_generated)
        .map(|m| m.message_id.clone());
    from_nested
        .or_else(|| {
            message
                .parts
                .iter()
                .filter(|p| mime_type(p) == "text/rfc822-headers")
                .find_map(|p| message_id_line(&String::from_utf8_lossy(p.contents())))
        })
        .or_else(|| message_id_line(&mail.full_text))
        .filter(|id| *id != mail.message_id)
}

/// The first `Message-ID: <…>` header line inside a text.
fn message_id_line(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim_start_matches(['>', ' ', '\t']);
        let (name, value) = line.split_once(':')?;
        if !name.trim().eq_ignore_ascii_case("message-id") {
            return None;
        }
        parse_ids(value).into_iter().next()
    })
}
