//! Table tests for quote and signature stripping, one row per mail-client habit.

use super::new_text;

#[test]
fn strips_quotes_attributions_and_signatures() {
    let table: &[(&str, &str, &str)] = &[
        (
            "gmail english",
            "Still no refund.\n\nOn Mon, 3 Nov 2026 at 10:12, Kundeservice <ks@bank.dk> wrote:\n> We have received your mail.\n",
            "Still no refund.",
        ),
        (
            "gmail wrapped attribution",
            "Thanks!\n\nOn Mon, 3 Nov 2026 at 10:12, Kundeservice\n<ks@bank.dk> wrote:\n> Hi\n",
            "Thanks!",
        ),
        (
            "apple mail danish",
            "Det er stadig ikke løst.\n\nDen 3. nov. 2026 kl. 10.12 skrev Kundeservice <ks@bank.dk>:\n\nKære kunde\n",
            "Det er stadig ikke løst.",
        ),
        (
            "danish skrev følgende",
            "Tak.\nDen 03-11-2026 kl. 10:12 skrev Ole Hansen følgende:\n> tekst",
            "Tak.",
        ),
        (
            "gmail norwegian weekday",
            "Hei igjen.\n\nman. 3. nov. 2026 kl. 10:12 skrev Kundeservice <ks@bank.no>:\n> Hei\n",
            "Hei igjen.",
        ),
        (
            "nynorsk skreiv",
            "Eg har ikkje fått svar.\n\nDen 3. nov. 2026 skreiv Kundeservice <ks@bank.no>:\n> Hei\n",
            "Eg har ikkje fått svar.",
        ),
        (
            "outlook danish header block",
            "Jeg er ikke enig.\n\nFra: Kundeservice <ks@bank.dk>\nSendt: 3. november 2026 10:12\nTil: Ole <ole@x.dk>\nEmne: Svar\n\nKære Ole",
            "Jeg er ikke enig.",
        ),
        (
            "outlook swedish bold header block",
            "Jag är inte nöjd.\n\n*Från:* Kundtjänst <kt@bank.se>\n*Skickat:* den 3 november 2026\n*Till:* Eva\n",
            "Jag är inte nöjd.",
        ),
        (
            "outlook underscore line",
            "Se nedenfor.\n________________________________\nFra: Banken\n",
            "Se nedenfor.",
        ),
        (
            "original message separators",
            "OK\n-----Original Message-----\nFrom: x\n",
            "OK",
        ),
        (
            "oprindelig meddelelse",
            "Svar herover\n----- Oprindelig meddelelse -----\ntekst",
            "Svar herover",
        ),
        (
            "opprinnelig melding",
            "Hei\n-----Opprinnelig melding-----\ntekst",
            "Hei",
        ),
        (
            "ursprungligt meddelande",
            "Hej\n-------- Ursprungligt meddelande --------\ntext",
            "Hej",
        ),
        (
            "iphone footer",
            "Kortet virker ikke.\n\nSendt fra min iPhone\n\n> Den 3. nov. skrev",
            "Kortet virker ikke.",
        ),
        (
            "swedish footer",
            "Kortet fungerar inte.\nSkickat från min iPhone",
            "Kortet fungerar inte.",
        ),
        ("dash signature", "Hej.\n-- \nOle Hansen\nDirektør", "Hej."),
        (
            "inline answers keep the customer's lines",
            "> Hvad er dit kontonummer?\n1234 5678\n> Hvornår skete det?\nI går.",
            "1234 5678\nI går.",
        ),
        (
            "bottom-posting below a quote",
            "On Mon, 3 Nov 2026 at 10:12, Kundeservice <ks@bank.dk> wrote:\n> Har du fået dit kort?\n\nNej, det er stadig ikke kommet.\n\n-- \nOle",
            "Nej, det er stadig ikke kommet.",
        ),
        (
            "company disclaimer",
            "Jeg venter stadig på svar.\n\nDenne e-mail kan indeholde fortrolige oplysninger og er kun tiltænkt modtageren. Har du modtaget den ved en fejl, så slet den.",
            "Jeg venter stadig på svar.",
        ),
        (
            "labelled english disclaimer under danish text",
            "Kan I oplyse indfrielsesbeløbet?\n\nMed venlig hilsen\nMorten\n\nDISCLAIMER: This e-mail and any attachments may contain confidential information intended solely for the addressee.",
            "Kan I oplyse indfrielsesbeløbet?\n\nMed venlig hilsen\nMorten",
        ),
        (
            "swedish notice opening with the information",
            "Var är pengarna?\n\nInformationen i detta meddelande är konfidentiell och avsedd endast för mottagaren.",
            "Var är pengarna?",
        ),
        (
            "a customer's notice label is kept",
            "Notice: I have written three times and nobody answers.",
            "Notice: I have written three times and nobody answers.",
        ),
        (
            "a sentence starting like a disclaimer is kept",
            "Denne mail er min tredje henvendelse om sagen.",
            "Denne mail er min tredje henvendelse om sagen.",
        ),
        (
            "a sentence starting like a footer is kept",
            "Sendt fra min konto den 3. maj, men pengene kom aldrig frem til modtageren.",
            "Sendt fra min konto den 3. maj, men pengene kom aldrig frem til modtageren.",
        ),
        (
            "a sentence ending in skrev without a date is kept",
            "Jeg ringede og skrev:\nIngen svarede.",
            "Jeg ringede og skrev:\nIngen svarede.",
        ),
    ];
    for (name, input, expected) in table {
        assert_eq!(new_text(input), *expected, "case {name}");
    }
}
