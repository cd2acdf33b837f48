//! parse + classify per message on realistic mail: ~8 KB, Nordic charsets
//! (ISO-8859-1 quoted-printable, UTF-8), a new text above a quoted chain with
//! Outlook header blocks and `>` quotes. Run with `cargo bench --bench classify`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use klagebot::classify::{Classifier, Context, Rules};
use klagebot::domain::Language;
use klagebot::parse::parse;

const NEW_TEXTS: [(&str, &str); 5] = [
    (
        "SV: Vi har modtaget din henvendelse [KL-2026-000412]",
        "Hej igen\n\nJeg har stadig ikke fået svar på min klage over gebyret på 250 kr., som I trak to gange i oktober. \
         Jeg har ringet tre gange, og hver gang får jeg at vide, at sagen er under behandling. Det er ikke i orden, \
         og jeg forventer at få pengene tilbage inden udgangen af måneden.\n\nMed venlig hilsen\nSøren Kjærgaard",
    ),
    (
        "SV: Saken din",
        "Hei\n\nTakk for svaret. Jeg lurer fortsatt på hvorfor renten på boliglånet mitt ble satt opp uten varsel, \
         og jeg synes ikke forklaringen dere ga henger på greip. Kan dere sende meg en oversikt over renteendringene \
         det siste året?\n\nVennlig hilsen\nKari Nordmann",
    ),
    (
        "Re: Saka di",
        "Hei\n\nEg har framleis ikkje fått pengane tilbake, sjølv om de lova det for tre veker sidan. Eg forstår ikkje \
         kvifor dette skal ta så lang tid, og eg vil gjerne vite kva som skjer no.\n\nHelsing Sigrid",
    ),
    (
        "SV: Ditt ärende",
        "Hej!\n\nJag har fortfarande inte fått någon återbetalning för avgiften som drogs två gånger i september. \
         Det är inte rimligt att jag ska behöva ringa varje vecka. Vänligen återkom snarast.\n\nMed vänliga hälsningar\nAnna",
    ),
    (
        "Re: Your case",
        "Hello,\n\nThank you for your reply. I still do not understand why my card was blocked while I was travelling, \
         and nobody could explain it when I called. Could you please look into it and tell me what happened?\n\nBest regards\nJames",
    ),
];

/// A quoted chain of earlier mails, Outlook style, until the body passes ~8 KB.
fn quoted_chain(min_len: usize) -> String {
    let earlier = "Kære kunde\n\nTak for din henvendelse. Vi har modtaget din besked og vender tilbage hurtigst muligt. \
                   Vores sagsbehandlingstid er i øjeblikket op til 10 arbejdsdage, og vi beklager ventetiden. \
                   Du kan altid følge din sag i netbanken under Beskeder.\n\nMed venlig hilsen\nKundeservice\nEksempel Finans A/S\n";
    let mut chain = String::new();
    let mut depth = 0;
    while chain.len() < min_len {
        depth += 1;
        let prefix = "> ".repeat(depth % 3);
        chain.push_str(&format!(
            "\nFra: Kundeservice <kundeservice@klagebot.localhost>\nSendt: {depth}. oktober 2026 10:{depth:02}\n\
             Til: Kunde <kunde@example.dk>\nEmne: Vedr. din henvendelse\n\n"
        ));
        for line in earlier.lines() {
            chain.push_str(&prefix);
            chain.push_str(line);
            chain.push('\n');
        }
    }
    chain
}

/// A complete mail: ISO-8859-1 quoted-printable body, encoded-word subject.
fn realistic_mail(subject: &str, new_text: &str) -> Vec<u8> {
    let body = format!("{new_text}\n\n{}", quoted_chain(7_000));
    let latin1: Vec<u8> = body
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    let mut qp = String::new();
    for b in latin1 {
        match b {
            b'\n' => qp.push_str("\r\n"),
            b'=' => qp.push_str("=3D"),
            0x20..=0x7e => qp.push(b as char),
            _ => qp.push_str(&format!("={b:02X}")),
        }
    }
    let subject_b64 = base64_utf8(subject);
    format!(
        "Return-Path: <kunde@example.dk>\r\nReceived: from mx.example.dk by mx.klagebot.localhost; Mon, 10 Nov 2026 09:14:22 +0100\r\n\
         From: =?ISO-8859-1?Q?S=F8ren_Kj=E6rgaard?= <kunde@example.dk>\r\nTo: klage@klagebot.localhost\r\n\
         Subject: =?UTF-8?B?{subject_b64}?=\r\nDate: Mon, 10 Nov 2026 09:14:22 +0100\r\n\
         Message-ID: <CAF1234567890abcdef@mail.example.dk>\r\nIn-Reply-To: <ks-881@klagebot.localhost>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp}"
    )
    .into_bytes()
}

fn base64_utf8(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

fn bench(c: &mut Criterion) {
    let classifier = Classifier::new(Rules::embedded());
    let ctx = Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    };
    let mails: Vec<Vec<u8>> = NEW_TEXTS
        .iter()
        .map(|(s, t)| realistic_mail(s, t))
        .collect();
    let average = mails.iter().map(Vec::len).sum::<usize>() / mails.len();
    let mut group = c.benchmark_group(format!("parse+classify ({average} byte mails)"));
    group.throughput(Throughput::Elements(mails.len() as u64));
    group.bench_function("5 mails, da/nb/nn/sv/en", |b| {
        b.iter(|| {
            for raw in &mails {
                let mail = parse(std::hint::black_box(raw));
                std::hint::black_box(classifier.classify(&mail, &ctx));
            }
        })
    });
    let rules_only = Classifier::with_model(Rules::embedded(), None);
    group.bench_function("5 mails, rules alone (no complaint model)", |b| {
        b.iter(|| {
            for raw in &mails {
                let mail = parse(std::hint::black_box(raw));
                std::hint::black_box(rules_only.classify(&mail, &ctx));
            }
        })
    });
    group.finish();
    // Once per start of the daemon (and per `klagebot classify` run): the rules
    // compiled and the complaint model read from its embedded text.
    c.bench_function("classifier start (rules + model)", |b| {
        b.iter(|| std::hint::black_box(Classifier::new(Rules::embedded())))
    });
    // The complaint model alone, as `[classify] model_file` loads it (< 150 ms).
    c.bench_function("complaint model load", |b| {
        b.iter(|| std::hint::black_box(klagebot::classify::Model::embedded()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
