//! Unit tests of `parse` on small hand-written mails.

use super::*;

#[test]
fn decodes_headers_in_legacy_charsets() {
    let raw = b"From: =?windows-1252?Q?S=F8ren_S=E6ther?= <soren@example.dk>\r\n\
Subject: =?ISO-8859-1?Q?Klage_over_geb=F8r?=\r\n\
Message-ID: <abc@example.dk>\r\nDate: Mon, 3 Nov 2026 10:12:00 +0100\r\n\r\nHej\r\n";
    let mail = parse(raw);
    assert_eq!(mail.subject, "Klage over gebør");
    let from = mail.from.expect("from");
    assert_eq!(from.name.as_deref(), Some("Søren Sæther"));
    assert_eq!(from.email.as_str(), "soren@example.dk");
    assert_eq!(mail.message_id, "abc@example.dk");
    assert_eq!(
        mail.date.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-11-03T09:12:00+00:00")
    );
}

#[test]
fn missing_or_broken_headers_do_not_fail() {
    let raw = b"Subject: hej\nDate: yesterday-ish\n\nbody";
    let a = parse(raw);
    let b = parse(raw);
    assert!(a.date.is_none());
    assert!(a.message_id_generated);
    assert_eq!(a.message_id, b.message_id, "derived id must be stable");
    assert_ne!(a.message_id, parse(b"Subject: other\n\nbody").message_id);
}

#[test]
fn empty_return_path_and_threading_ids() {
    let raw =
        b"Return-Path: <>\nFrom: MAILER-DAEMON\nIn-Reply-To: <case-KL-2026-000001.1@bank.dk>\n\
References: <a@x> <case-KL-2026-000001.1@bank.dk>\nSubject: x\n\nbody";
    let mail = parse(raw);
    assert_eq!(mail.return_path.as_deref(), Some(""));
    assert_eq!(mail.from, None);
    assert_eq!(mail.from_raw, "MAILER-DAEMON");
    assert_eq!(mail.in_reply_to, vec!["case-KL-2026-000001.1@bank.dk"]);
    assert_eq!(
        mail.references,
        vec!["a@x", "case-KL-2026-000001.1@bank.dk"]
    );
}

#[test]
fn html_only_mail_gives_text_without_the_quote() {
    let raw = "From: a@b.dk\nSubject: s\nContent-Type: text/html; charset=utf-8\n\n\
<div>Jeg har stadig ikke fået mine penge.</div><blockquote><div>Vi har modtaget din henvendelse</div></blockquote>";
    let mail = parse(raw.as_bytes());
    assert_eq!(mail.new_text, "Jeg har stadig ikke fået mine penge.");
    assert!(mail.full_text.contains("> Vi har modtaget"));
}

#[test]
fn dsn_gives_the_bounced_message_id_and_forwarded_part() {
    let raw = "From: Mail Delivery System <MAILER-DAEMON@mx.example.dk>\n\
Subject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn1@mx.example.dk>\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
--b\nContent-Type: text/plain\n\nThe mail could not be delivered.\n\
--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.dk\n\n\
Final-Recipient: rfc822; ole@example.dk\nAction: failed\nStatus: 5.1.1\n\n\
--b\nContent-Type: message/rfc822\n\nMessage-ID: <case-KL-2026-000007.2@bank.dk>\n\
Subject: Vi har modtaget din klage [KL-2026-000007]\nFrom: klage@bank.dk\n\nHej\n--b--\n";
    let mail = parse(raw.as_bytes());
    assert_eq!(mail.content_type, "multipart/report");
    assert_eq!(mail.report_type.as_deref(), Some("delivery-status"));
    assert_eq!(
        mail.bounced_message_id.as_deref(),
        Some("case-KL-2026-000007.2@bank.dk")
    );
    assert_eq!(mail.forwarded.len(), 1);
    assert_eq!(
        mail.forwarded[0].subject,
        "Vi har modtaget din klage [KL-2026-000007]"
    );
}

#[test]
fn attachments_have_name_type_and_size() {
    let raw = "From: a@b.dk\nSubject: s\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
--b\nContent-Type: text/plain\n\nSe vedhæftet.\n\
--b\nContent-Type: application/pdf; name=\"kontoudtog.pdf\"\nContent-Disposition: attachment; filename=\"kontoudtog.pdf\"\n\
Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n";
    let mail = parse(raw.as_bytes());
    assert_eq!(mail.new_text, "Se vedhæftet.");
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].name.as_deref(), Some("kontoudtog.pdf"));
    assert_eq!(mail.attachments[0].content_type, "application/pdf");
    assert_eq!(mail.attachments[0].size, 9);
}

#[test]
fn garbage_still_gives_a_mail() {
    for raw in [&b""[..], b"\xff\xfe\x00garbage", b"\n\n\n", b"::::"] {
        let mail = parse(raw);
        assert!(!mail.message_id.is_empty());
    }
}

#[test]
fn a_nested_message_without_a_body_does_not_stop_parsing() {
    let raw = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\n";
    let mail = parse(raw.as_bytes());
    assert!(!mail.message_id.is_empty());
}

#[test]
fn the_panic_fallback_keeps_headers_and_body_text() {
    let mail = headers_only(
        b"Subject: Klage\r\nFrom: Ole <ole@example.dk>\r\n\r\nJeg er utilfreds.\r\n> citat\r\n",
    );
    assert_eq!(mail.subject, "Klage");
    assert_eq!(
        mail.from.map(|a| a.email.to_string()).as_deref(),
        Some("ole@example.dk")
    );
    assert_eq!(mail.new_text, "Jeg er utilfreds.");
    assert_eq!(find_body(b"no blank line"), 13);
}
