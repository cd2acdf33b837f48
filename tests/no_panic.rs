//! Property tests: parse + classify never panic, whatever the bytes — random
//! bytes, and mail-shaped input with broken MIME, charsets and encoded words.

use std::sync::LazyLock;

use klagebot::classify::{Classifier, Context, Rules};
use klagebot::domain::Language;
use klagebot::parse::parse;
use proptest::prelude::*;

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(|| Classifier::new(Rules::embedded()));

fn ctx() -> Context {
    Context {
        default_language: Language::Nb,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    }
}

fn check(raw: &[u8]) {
    let mail = parse(raw);
    assert!(!mail.message_id.is_empty());
    let c = CLASSIFIER.classify(&mail, &ctx());
    assert!(
        !(c.automated && c.complaint),
        "automated mail must never be a complaint"
    );
}

/// Pieces real mail is made of, in any order and any number.
fn mail_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("From: =?windows-1252?Q?S=F8ren?= <s@x.dk>\r\n".to_string()),
        Just("Subject: =?utf-8?B?S2xhZ2Ugw6bDuMOl?=\r\n".to_string()),
        Just("Subject: SV: VS: [KL-2026-000123] Klage\r\n".to_string()),
        Just("Content-Type: multipart/mixed; boundary=\"b\"\r\n".to_string()),
        Just(
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n"
                .to_string()
        ),
        Just("Content-Type: text/html; charset=iso-8859-1\r\n".to_string()),
        Just("Content-Transfer-Encoding: base64\r\n".to_string()),
        Just("Content-Transfer-Encoding: quoted-printable\r\n".to_string()),
        Just("--b\r\nContent-Type: message/rfc822\r\n\r\n".to_string()),
        Just("--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n".to_string()),
        Just("--b--\r\n".to_string()),
        Just("\r\n".to_string()),
        Just("References: <case-KL-2026-000001.1@x> <\r\n".to_string()),
        Just("Return-Path: <>\r\n".to_string()),
        Just("Date: 31 Feb 99999 25:61:61 +9999\r\n".to_string()),
        Just("> Den 3. nov. 2026 skrev Ole <o@x.dk>:\r\n".to_string()),
        Just("<blockquote><p>&aring;&#99999999;&#x;&</p><!-- \r\n".to_string()),
        Just("=?utf-8?Q?=E6=F8=E5?= =C3=A6=\r\n".to_string()),
        Just("Fra: Kundeservice\r\nSendt: i går\r\n".to_string()),
        "[a-zæøåäö \\-:<>@\\.=?\r\n]{0,80}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&raw);
    }

    #[test]
    fn mail_shaped_input_never_panics(pieces in proptest::collection::vec(mail_piece(), 0..40)) {
        check(pieces.concat().as_bytes());
    }

    #[test]
    fn any_text_never_panics(text in "\\PC{0,600}") {
        check(format!("Subject: {text}\r\n\r\n{text}").as_bytes());
    }
}
