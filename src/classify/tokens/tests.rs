use super::*;

fn all_known(_: &str) -> bool {
    false
}

fn words(text: &str) -> Vec<String> {
    customer_words(text, &all_known)
}

#[test]
fn greeting_sign_off_and_name_go() {
    assert_eq!(
        words(
            "Hej Frank,\n\nI har trukket gebyret to gange.\n\nMed venlig hilsen\nOle Hansen\nVestergade 3, 2100 København Ø\nTlf. 12 34 56 78"
        ),
        ["i", "har", "trukket", "gebyret", "to", "gange"]
    );
    assert_eq!(
        words("Hei\nJeg fikk belastet 4 800 kr to ganger.\nMvh Arild"),
        ["jeg", "fikk", "belastet", "_amount", "to", "ganger"]
    );
    assert_eq!(
        words("Is this a genuine offer from you?\nThanks, Mike"),
        [
            "is", "this", "a", "genuine", "offer", "from", "you", "thanks"
        ]
    );
    assert_eq!(
        words("mvh ola"),
        Vec::<String>::new(),
        "a lower-case name under a sign-off"
    );
}

#[test]
fn a_signature_without_sign_off_goes() {
    assert_eq!(
        words("Skal gamle folk straffes for det? Astrid Bakke"),
        ["skal", "gamle", "folk", "straffes", "for", "det"]
    );
    assert_eq!(
        words("Det er ikke i orden. Fjern gebyrerne.\nSoeren Moeller"),
        ["det", "er", "ikke", "i", "orden", "fjern", "gebyrerne"]
    );
    assert_eq!(
        words("Please help. Urgent"),
        ["please", "help", "urgent"],
        "one capitalised word closing a line is a word"
    );
}

#[test]
fn a_sign_off_word_that_starts_a_sentence_stays() {
    assert_eq!(
        words("Hilsen fra en meget utilfreds kunde"),
        ["hilsen", "fra", "en", "meget", "utilfreds", "kunde"]
    );
    assert_eq!(
        words("Tak for ingenting\nSøren"),
        ["tak", "for", "ingenting"]
    );
}

#[test]
fn names_inside_a_sentence_become_name_unless_known() {
    assert_eq!(
        words("jeg talte med Pia i går"),
        ["jeg", "talte", "med", "_name", "i", "gar"]
    );
    let known = |w: &str| w == "ankenavnet";
    assert_eq!(
        customer_words("jeg går til Ankenævnet", &known),
        ["jeg", "gar", "til", "ankenavnet"]
    );
    assert_eq!(
        words("Tomorrow I will call. Monday is fine"),
        ["tomorrow", "i", "will", "call", "monday", "is", "fine"]
    );
}

#[test]
fn numbers_dates_amounts_and_addresses_become_placeholders() {
    assert_eq!(
        words(
            "Den 5. januar betalte jeg 1.250,00 kr til konto 1234-5678901234, se www.bank.dk eller skriv til ole@mail.dk. Renten er 7%."
        ),
        [
            "den", "_date", "betalte", "jeg", "_amount", "til", "konto", "_id", "se", "_url",
            "eller", "skriv", "til", "_email", "renten", "er", "_num", "_pct"
        ]
    );
    assert_eq!(
        words("charged €20 on 03/11/2026, case KL-2026-000123"),
        ["charged", "_amount", "on", "_date", "case", "_id"]
    );
}

#[test]
fn letters_fold_as_the_rules_fold_them() {
    assert_eq!(words("spærret SPAERRET"), ["sparret", "sparret"]);
    assert!(shouts("DET ER UACCEPTABELT"));
    assert!(!shouts("Det er OK"));
}

#[test]
fn the_same_mail_signed_by_anyone_reads_the_same() {
    let body = "Hej,\n\nI har lukket mit kort uden varsel, og ingen svarer.\n\n";
    let expected = words(&format!("{body}Mvh\nOle"));
    for signature in [
        "Mvh\nAnne-Marie Østergaard\n2100 København Ø",
        "Venlig hilsen Bo",
        "Med venlig hilsen\nMohammed Al-Sayed\n+45 20 30 40 50",
        "Hilsen Per",
        "Mvh. Jens Peter Kjær",
        "Åsa Lindqvist",
    ] {
        assert_eq!(
            words(&format!("{body}{signature}")),
            expected,
            "{signature}"
        );
    }
}
