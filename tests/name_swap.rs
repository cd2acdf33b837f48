//! A customer's name never moves the verdict: the same mail signed by fifty
//! different names, in each of the five languages and in the usual ways of
//! signing (a sign-off line, a name under a thank-you, a bare name, a name with
//! address and phone), gets the same complaint decision and the same model
//! probability every time.

use klagebot::classify::{Classifier, Context, Rules};
use klagebot::domain::Language;
use klagebot::parse::parse;

/// Fifty names of the kinds Nordic companies' customers have, with Nordic
/// letters, hyphens, particles and names that are also words elsewhere.
const NAMES: [&str; 50] = [
    "Ole Hansen",
    "Anne-Marie Østergaard",
    "Bo",
    "Per Åkesson",
    "Mette Frederiksen",
    "Søren Kjær",
    "Åsa Lindqvist",
    "Björn Öberg",
    "Märta Ekström",
    "Ingrid Nygård",
    "Kari Nordmann",
    "Ola Dunk",
    "Frode Haugland",
    "Sigrun Bjørkås",
    "Torunn Øvrebø",
    "Mohammed Al-Sayed",
    "Fatima Yilmaz",
    "Ahmed Hassan",
    "Nguyen Van An",
    "Aleksandra Nowak",
    "John Smith",
    "Mary O'Brien",
    "Frank",
    "Rose",
    "Mark Berg",
    "Jens Peter Møller",
    "Karen Blixen",
    "Lars Løkke",
    "Ida Holm",
    "Kim Larsen",
    "Elin Ørjasæter",
    "Håkon Sæther",
    "Gunnhild Aas",
    "Astrid Bakke",
    "Liv Ullmann",
    "Sven-Erik Johansson",
    "Agneta Fältskog",
    "Lena Åström",
    "Jörgen Persson",
    "Maja Lind",
    "Hans Christian Andersen",
    "Pia Kjærsgaard",
    "Sara Hedlund",
    "Erik Eriksen",
    "Birgitte Nyborg",
    "Olav Aukrust",
    "Ragnhild Jølsen",
    "Tarjei Vesaas",
    "Ebba Busch",
    "Karl-Oskar Nilsson",
];

/// (language, subject, text, sign-off) — a complaint and a question in each language.
const MAILS: [(&str, &str, &str, &str); 10] = [
    (
        "da",
        "Gebyr",
        "Hej,\n\nI har trukket et gebyr på 250 kr to gange i denne måned, og ingen svarer på mine mails. Det er ikke i orden.",
        "Med venlig hilsen",
    ),
    (
        "da",
        "Nyt kort",
        "Hej\n\nJeg vil gerne bestille et nyt kort, da mit udløber i næste måned. Hvordan gør jeg det?",
        "Mvh",
    ),
    (
        "nb",
        "Betaling",
        "Hei,\n\nPengene jeg overførte for to uker siden har fortsatt ikke kommet fram, og ingen hos dere kan svare meg. Dette er ikke greit.",
        "Vennlig hilsen",
    ),
    (
        "nb",
        "Spørsmål",
        "Hei\n\nHva er åpningstidene deres i julen?",
        "Takk",
    ),
    (
        "nn",
        "Kortet",
        "Hei,\n\nKortet mitt vart sperra utan at nokon sa ifrå, og eg har venta i ei veke på svar. Eg er svært misnøgd.",
        "Helsing",
    ),
    (
        "nn",
        "Adresse",
        "Hei\n\nEg har flytta og vil gjerne endre adressa mi. Kva må eg gjere?",
        "Venleg helsing",
    ),
    (
        "sv",
        "Avgift",
        "Hej,\n\nNi har dragit en avgift på 99 kronor utan att fråga mig, och kundtjänst svarar inte. Det är inte okej.",
        "Med vänliga hälsningar",
    ),
    (
        "sv",
        "Fråga",
        "Hej\n\nKan ni skicka mig ett nytt lösenord till appen?",
        "Tack",
    ),
    (
        "en",
        "Charged twice",
        "Hi,\n\nYou charged my card twice for the same payment and nobody answers my emails. This is unacceptable.",
        "Kind regards",
    ),
    (
        "en",
        "Opening hours",
        "Hi\n\nWhat are your opening hours on Saturdays?",
        "Thanks",
    ),
];

fn ctx() -> Context {
    Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    }
}

/// The ways people sign a mail with their name.
fn signatures(sign_off: &str, name: &str) -> [String; 4] {
    [
        format!("{sign_off}\n{name}"),
        format!("{sign_off} {name}"),
        name.to_string(),
        format!("{sign_off}\n{name}\nStorgata 12, 0155 Oslo\nTlf. +47 22 33 44 55"),
    ]
}

#[test]
fn the_same_mail_signed_by_fifty_names_gets_the_same_verdict() {
    let classifier = Classifier::new(Rules::embedded());
    let mut checked = 0;
    for (index, (language, subject, text, sign_off)) in MAILS.iter().enumerate() {
        // Every other mail is a complaint.
        let expected = index % 2 == 0;
        for style in 0..4 {
            let mut first: Option<(f32, String)> = None;
            for name in NAMES {
                let signature = &signatures(sign_off, name)[style];
                let raw = format!(
                    "From: Kunde <kunde@example.net>\nTo: klage@bank.example\nSubject: {subject}\n\
                     Content-Type: text/plain; charset=utf-8\n\n{text}\n\n{signature}\n"
                );
                let c = classifier.classify(&parse(raw.as_bytes()), &ctx());
                let probability = c.complaint_probability.unwrap_or(-1.0);
                checked += 1;
                assert_eq!(
                    c.complaint, expected,
                    "{language} {subject:?} signed {signature:?}: {:?}",
                    c.reasons
                );
                match &first {
                    None => first = Some((probability, signature.clone())),
                    Some((seen, by)) => assert_eq!(
                        probability, *seen,
                        "{language} {subject:?}: signed {signature:?} weighs otherwise than {by:?}: {:?}",
                        c.reasons
                    ),
                }
            }
        }
    }
    assert_eq!(checked, MAILS.len() * NAMES.len() * 4);
}
