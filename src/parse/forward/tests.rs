//! Forwards as the clients write them, in the five languages.

use chrono::{TimeZone, Utc};

use super::*;

const OSLO: Tz = chrono_tz::Europe::Oslo;
const CPH: Tz = chrono_tz::Europe::Copenhagen;

/// The customer's mail inside a colleague's mail with this body.
fn inline(body: &str) -> InboundMail {
    let raw = format!(
        "From: Kari <kari@bank.test>\r\nTo: klage@bank.test\r\nSubject: VS: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    );
    let outer = crate::parse::parse(raw.as_bytes());
    forwarded_mail(&outer, CPH).expect("a forwarded mail")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[test]
fn gmail_forwards_in_each_language() {
    let forms = [
        "Se nedenfor.\n\n---------- Forwarded message ---------\nFrom: Ole Hansen <ole@kunde.test>\nDate: Mon, Nov 2, 2026 at 10:15 AM\nSubject: Gebyr to gange\nTo: <hjaelp@bank.test>\n\n\nI har trukket gebyret to gange. Jeg vil have pengene tilbage.\n",
        "---------- Videresendt meddelelse ---------\nFra: Ole Hansen <ole@kunde.test>\nDato: man. 2. nov. 2026 kl. 10.15\nEmne: Gebyr to gange\nTil: <hjaelp@bank.test>\n\nI har trukket gebyret to gange.\n",
        "---------- Videresendt melding ---------\nFra: Ole Hansen <ole@kunde.test>\nDato: man. 2. nov. 2026 kl. 10:15\nEmne: Gebyr to gange\nTil: <hjelp@bank.test>\n\nDere har trukket gebyret to ganger.\n",
        "---------- Vidarebefordrat meddelande ---------\nFrån: Ole Hansen <ole@kunde.test>\nDatum: mån 2 nov. 2026 kl. 10:15\nÄmne: Gebyr to gange\nTill: <hjalp@bank.test>\n\nNi har dragit avgiften två gånger.\n",
    ];
    for body in forms {
        let mail = inline(body);
        let from = mail.from.as_ref().expect("a sender");
        assert_eq!(from.email.as_str(), "ole@kunde.test", "{body}");
        assert_eq!(from.name.as_deref(), Some("Ole Hansen"));
        assert_eq!(mail.subject, "Gebyr to gange");
        assert_eq!(mail.date, Some(utc(2026, 11, 2, 9, 15)), "{body}");
        let last_line = body.trim_end().lines().last().unwrap();
        assert!(mail.new_text.contains(last_line), "{}", mail.new_text);
        assert!(!mail.new_text.contains("Fra:") && !mail.new_text.contains("From:"));
    }
}

#[test]
fn outlook_forwards_with_mailto_brackets_and_localised_fields() {
    let forms = [
        (
            "-----Original Message-----\nFrom: Ole Hansen [mailto:ole@kunde.test]\nSent: Monday, November 2, 2026 10:15 AM\nTo: Hjælp <hjaelp@bank.test>\nSubject: Gebyr\n\nJeg er utilfreds.\n",
            utc(2026, 11, 2, 9, 15),
        ),
        (
            "Fra: Ole Hansen <ole@kunde.test>\nSendt: mandag den 2. november 2026 14:05\nTil: Hjælp <hjaelp@bank.test>\nEmne: Gebyr\n\nJeg er utilfreds.\n",
            utc(2026, 11, 2, 13, 5),
        ),
        (
            "*Fra:* Ole Hansen <ole@kunde.test>\n*Sendt:* mandag 2. november 2026 14:05\n*Til:* Hjelp <hjelp@bank.test>\n*Emne:* Gebyr\n\nJeg er misfornøyd.\n",
            utc(2026, 11, 2, 13, 5),
        ),
        (
            "Från: Ole Hansen <ole@kunde.test>\nSkickat: den 2 november 2026 14:05\nTill: Hjälp <hjalp@bank.test>\nÄmne: Gebyr\n\nJag är missnöjd.\n",
            utc(2026, 11, 2, 13, 5),
        ),
        (
            "Frå: Ole Hansen <ole@kunde.test>\nSendt: måndag 2. november 2026 14:05\nTil: Hjelp <hjelp@bank.test>\nEmne: Gebyr\n\nEg er misnøgd.\n",
            utc(2026, 11, 2, 13, 5),
        ),
    ];
    for (body, when) in forms {
        let mail = inline(body);
        assert_eq!(
            mail.from.as_ref().unwrap().email.as_str(),
            "ole@kunde.test",
            "{body}"
        );
        assert_eq!(mail.subject, "Gebyr");
        assert_eq!(mail.date, Some(when), "{body}");
    }
}

#[test]
fn apple_and_thunderbird_forwards() {
    let apple = inline(
        "Begin forwarded message:\n\n> From: Ole Hansen <ole@kunde.test>\n> Subject: Gebyr\n> Date: 2 November 2026 at 10:15:00 CET\n> To: hjaelp@bank.test\n> \n> Jeg er utilfreds med gebyret.\n",
    );
    assert_eq!(
        apple.from.as_ref().unwrap().email.as_str(),
        "ole@kunde.test"
    );
    assert_eq!(apple.date, Some(utc(2026, 11, 2, 9, 15)));
    assert!(apple.new_text.contains("utilfreds"), "{}", apple.new_text);
    let apple_da = inline(
        "Start på videresendt besked:\n\nFra: Ole Hansen <ole@kunde.test>\nEmne: Gebyr\nDato: 2. november 2026 kl. 10.15.00 CET\nTil: hjaelp@bank.test\n\nJeg er utilfreds.\n",
    );
    assert_eq!(apple_da.date, Some(utc(2026, 11, 2, 9, 15)));
    let thunderbird = inline(
        "-------- Forwarded Message --------\nSubject: \tGebyr\nDate: \tMon, 2 Nov 2026 10:15:23 +0100\nFrom: \tOle Hansen <ole@kunde.test>\nTo: \thjaelp@bank.test\n\nJeg er utilfreds.\n",
    );
    assert_eq!(
        thunderbird.from.as_ref().unwrap().email.as_str(),
        "ole@kunde.test"
    );
    assert_eq!(thunderbird.subject, "Gebyr");
    assert_eq!(
        thunderbird.date,
        Some(Utc.with_ymd_and_hms(2026, 11, 2, 9, 15, 23).unwrap())
    );
}

#[test]
fn an_attached_message_is_the_forwarded_mail() {
    let raw = "From: Kari <kari@bank.test>\r\nTo: klage@bank.test\r\nSubject: Fwd: Gebyr\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSe vedhæftede.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: Ole <ole@kunde.test>\r\nSubject: Gebyr\r\nDate: Mon, 2 Nov 2026 10:15:00 +0100\r\nMessage-ID: <o1@kunde.test>\r\n\r\nJeg er utilfreds.\r\n--b--\r\n";
    let outer = crate::parse::parse(raw.as_bytes());
    let mail = forwarded_mail(&outer, CPH).unwrap();
    assert_eq!(mail.message_id, "o1@kunde.test");
    assert_eq!(mail.date, Some(utc(2026, 11, 2, 9, 15)));
}

#[test]
fn mail_without_a_forwarded_block_has_none() {
    let raw = "From: Kari <kari@bank.test>\r\nSubject: Et spørgsmål\r\n\r\nFra: i går har jeg ventet. Kan du hjælpe?\r\n";
    assert!(forwarded_mail(&crate::parse::parse(raw.as_bytes()), CPH).is_none());
    let no_address = "From: Kari <kari@bank.test>\r\nSubject: VS: x\r\n\r\nFra: Ole Hansen\r\nSendt: 2. november 2026\r\nEmne: Gebyr\r\n\r\nTekst.\r\n";
    assert!(forwarded_mail(&crate::parse::parse(no_address.as_bytes()), CPH).is_none());
}

#[test]
fn dates_in_every_format_the_clients_write() {
    let cases = [
        (
            "Mon, 2 Nov 2026 10:15:23 +0100",
            Some(Utc.with_ymd_and_hms(2026, 11, 2, 9, 15, 23).unwrap()),
        ),
        (
            "Monday, November 2, 2026 3:05 PM",
            Some(utc(2026, 11, 2, 14, 5)),
        ),
        ("2026-11-02 10:15", Some(utc(2026, 11, 2, 9, 15))),
        ("02.11.2026 10:15", Some(utc(2026, 11, 2, 9, 15))),
        ("2/11/2026 10:15", Some(utc(2026, 11, 2, 9, 15))),
        ("11/2/2026 10:15 AM", Some(utc(2026, 11, 2, 9, 15))),
        ("ons. 1. juli 2026 kl. 08:00", Some(utc(2026, 7, 1, 6, 0))),
        ("1 July 2026 at 08:00 GMT+2", Some(utc(2026, 7, 1, 6, 0))),
        ("tisdag 15 december 2026", Some(utc(2026, 12, 14, 23, 0))),
        ("sometime last week", None),
    ];
    for (text, want) in cases {
        assert_eq!(forwarded_date(text, OSLO), want, "{text}");
    }
}

#[test]
fn a_forwarded_date_is_plausible_only_in_the_recent_past() {
    let now = utc(2026, 11, 20, 10, 0);
    assert!(plausibly_before(utc(2026, 11, 17, 10, 0), now, 90));
    assert!(!plausibly_before(utc(2026, 11, 21, 10, 0), now, 90));
    assert!(!plausibly_before(utc(2025, 11, 17, 10, 0), now, 90));
}
