//! Mail as customers, their auto-responders and mail servers write it.

#![allow(dead_code)] // the daemon and the security tests use different parts

use klagebot::parse::InboundMail;

use crate::support::unique_local_part;

pub const DA: (&str, &str) = (
    "Klage over dobbelt gebyr",
    "Hej\n\nJeg er meget utilfreds. I har trukket et gebyr på 250 kr. to gange for den samme overførsel den 3. november, og ingen har svaret på mine to mails. Jeg vil have det ene gebyr betalt tilbage.\n\nVenlig hilsen\nOle Hansen",
);
pub const NB: (&str, &str) = (
    "Klage på kortet mitt",
    "Hei\n\nKortet mitt ble sperret uten varsel mens jeg var på ferie, og jeg fikk ikke betalt hotellet. Kundeservice har ikke svart på henvendelsene mine. Dette er ikke greit, og jeg ønsker en forklaring og kompensasjon for ekstrautgiftene.\n\nMed vennlig hilsen\nKari Nordmann",
);
pub const NN: (&str, &str) = (
    "Klage på lånet",
    "Hei\n\nEg er ikkje nøgd med korleis de har handsama lånesøknaden min. Eg har venta i seks veker utan å høyre noko frå dykk, og no har renta gått opp. Eg vil ha ei forklaring på kvifor det tek så lang tid, og eg meiner de må dekkje meirkostnaden.\n\nHelsing\nIngrid Haugen",
);
pub const SV: (&str, &str) = (
    "Klagomål på avgift",
    "Hej\n\nJag är mycket missnöjd. Ni har dragit en avgift på 300 kronor för en överföring som aldrig kom fram, och ingen på kundtjänst har hört av sig trots att jag har ringt tre gånger. Jag vill att ni betalar tillbaka avgiften.\n\nMed vänliga hälsningar\nÅsa Lindqvist",
);
pub const EN: (&str, &str) = (
    "Charged twice and no answer",
    "Hello\n\nI was charged twice for the same card payment on 2 November and nobody has answered my two emails about it. This is not acceptable. Please refund the second charge.\n\nRegards\nJohn Smith",
);

fn message_id() -> String {
    format!("<{}@sender.test>", unique_local_part("m"))
}

fn headers(from: &str, to: &str, subject: &str, extra: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {}\r\nDate: Thu, 19 Nov 2026 10:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n{extra}",
        message_id()
    )
}

/// A customer's new mail.
pub fn complaint(from: &str, to: &str, subject: &str, body: &str) -> String {
    format!(
        "{}\r\n{}\r\n",
        headers(from, to, subject, ""),
        body.replace('\n', "\r\n")
    )
}

/// A reply to `original` as a mail client writes it: Re: subject, In-Reply-To,
/// References, the original quoted below.
pub fn reply_to(from: &str, to: &str, original: &InboundMail, text: &str) -> String {
    let id = format!("<{}>", original.message_id);
    let mut references: Vec<String> = original
        .references
        .iter()
        .map(|r| format!("<{r}>"))
        .collect();
    references.push(id.clone());
    let extra = format!(
        "In-Reply-To: {id}\r\nReferences: {}\r\n",
        references.join(" ")
    );
    let quoted: String = original
        .full_text
        .lines()
        .map(|l| format!("> {l}\r\n"))
        .collect();
    format!(
        "{}\r\n{text}\r\n\r\nDen 19. nov. 2026 kl. 10.05 skrev Nordvik Bank A/S <{to}>:\r\n{quoted}",
        headers(from, to, &format!("Re: {}", original.subject), &extra)
    )
}

/// An RFC 3834 out-of-office reply.
pub fn out_of_office(from: &str, to: &str) -> String {
    let extra = "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n";
    format!(
        "{}\r\nJeg er på ferie til og med 30. november og læser ikke mails. Ved klager, skriv venligst igen efter min ferie.\r\n",
        headers(from, to, "Automatisk svar: Klage over gebyr", extra)
    )
}

/// An out-of-office reply whose client set none of the headers.
pub fn out_of_office_without_headers(from: &str, to: &str) -> String {
    format!(
        "{}\r\nTak for din mail. Jeg er fraværende og har ikke adgang til min mail. Jeg er tilbage mandag den 30. november.\r\n",
        headers(from, to, "Fraværende: Vedr. din henvendelse", "")
    )
}

/// A Postfix-style delivery failure (multipart/report DSN) of `original_id`.
pub fn bounce(from: &str, to: &str, original_id: &str) -> String {
    let boundary = "dsn-boundary-1";
    format!(
        "From: Mail Delivery System <{from}>\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: {}\r\nDate: Thu, 19 Nov 2026 10:00:00 +0100\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n\
         --{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.klagebot.test\r\n\r\n\
         Final-Recipient: rfc822; gone@nowhere.test\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n\
         --{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {to}\r\nTo: gone@nowhere.test\r\nSubject: Vi har modtaget din klage\r\nMessage-ID: {original_id}\r\n\r\n\
         --{boundary}--\r\n",
        message_id()
    )
}
