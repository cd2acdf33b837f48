//! The customer's new text: what is left of a mail body once quoted replies,
//! forwarded blocks, Outlook header blocks and signatures are taken away.
//!
//! Everything from the first quote marker on is dropped; above it, `>` lines are
//! dropped too (people answer inline). Markers cover the mail clients used in
//! Denmark, Norway and Sweden in their local languages, plus English and German.

/// Verbs of an attribution line such as "Den 3. nov. 2026 skrev Ole <o@x.dk>:" or
/// "On Mon, 3 Nov 2026, Ole <o@x.dk> wrote:"; the line ends with a colon.
const ATTRIBUTION_VERBS: [&str; 6] = [
    " wrote",
    " skrev",
    " skreiv",
    " schrieb",
    " a écrit",
    " kirjoitti",
];

/// Words that open an attribution written over two lines by clients that wrap it.
const ATTRIBUTION_OPENERS: [&str; 6] = ["on ", "den ", "am ", "le ", "el ", "op "];

/// The words of separator lines such as "-----Original Message-----".
const SEPARATORS: [&str; 22] = [
    "original message",
    "original meddelande",
    "originalmeddelande",
    "ursprungligt meddelande",
    "oprindelig meddelelse",
    "oprindelig besked",
    "original besked",
    "opprinnelig melding",
    "opprinneleg melding",
    "opphavleg melding",
    "forwarded message",
    "videresendt meddelelse",
    "videresendt besked",
    "videresendt melding",
    "vidaresendt melding",
    "vidarebefordrat meddelande",
    "vidarebefordrat brev",
    "begin forwarded message",
    "start på videresendt meddelelse",
    "start på videresendt besked",
    "ursprüngliche nachricht",
    "weitergeleitete nachricht",
];

/// Names of the first field of an Outlook-style header block.
pub(super) const BLOCK_FROM: [&str; 6] = ["from", "fra", "från", "frå", "von", "de"];
/// Names of the fields that follow it.
pub(super) const BLOCK_FIELDS: [&str; 23] = [
    "sent", "sendt", "skickat", "gesendet", "date", "dato", "datum", "envoyé", "to", "til", "till",
    "an", "à", "subject", "emne", "ämne", "ärende", "betreff", "objet", "cc", "kopi", "kopia",
    "reply-to",
];

/// Starts of mobile and webmail footers ("Sendt fra min iPhone").
const FOOTER_STARTS: [&str; 12] = [
    "sent from",
    "sendt fra",
    "sendt frå",
    "skickat från",
    "skickades från",
    "sent via",
    "get outlook",
    "hent outlook",
    "skaff outlook",
    "få outlook",
    "von meinem",
    "gesendet von",
];
/// A footer names a device or an app; a customer's sentence rarely does.
const FOOTER_DEVICES: [&str; 14] = [
    "iphone",
    "ipad",
    "android",
    "samsung",
    "galaxy",
    "outlook",
    "mail",
    "mobil",
    "telefon",
    "smartphone",
    "huawei",
    "yahoo",
    "windows",
    "phone",
];

/// Starts of the confidentiality notices that companies append to every mail.
const DISCLAIMER_STARTS: [&str; 22] = [
    "denne e-mail",
    "denne email",
    "denne mail",
    "denne e-post",
    "denne meddelelse",
    "denna e-post",
    "detta e-postmeddelande",
    "detta meddelande",
    "this e-mail",
    "this email",
    "this message",
    "confidential",
    "the information contained",
    "the information in this",
    "the content of this",
    "the contents of this",
    "oplysningerne i denne",
    "informationen i denne",
    "informasjonen i denne",
    "innholdet i denne",
    "informationen i detta",
    "innehållet i detta",
];
/// Labels a company may put before its notice ("DISCLAIMER: This e-mail …").
const DISCLAIMER_LABELS: [&str; 10] = [
    "disclaimer",
    "confidentiality notice",
    "confidentiality",
    "legal notice",
    "important notice",
    "notice",
    "fortrolighed",
    "fortrolighet",
    "konfidentialitet",
    "sekretess",
];
/// Words that make such a start a disclaimer rather than a customer's sentence.
const DISCLAIMER_WORDS: [&str; 13] = [
    "fortrolig",
    "konfidensiel",
    "konfidentiell",
    "confidential",
    "intended",
    "tiltænkt",
    "tiltenkt",
    "avsedd",
    "privileged",
    "rette modtager",
    "addressee",
    "sekretess",
    "taushetsplikt",
];

/// The new text of a body: quotes, forwarded parts and signatures removed.
pub fn new_text(full: &str) -> String {
    let lines: Vec<&str> = full.lines().collect();
    let cut = first_quote_line(&lines);
    let above = unquoted(&lines[..cut]);
    if !above.is_empty() || cut >= lines.len() {
        return above;
    }
    // Bottom-posting: "On … wrote:", the `>` quote, and the reply below it.
    let after_quote = lines[cut + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('>'))
        .map(|first| &lines[cut + 1 + first..]);
    match after_quote {
        Some(rest) if is_attribution_line(&lines, cut) => {
            let below: Vec<&str> = rest
                .iter()
                .copied()
                .filter(|l| !l.trim_start().starts_with('>'))
                .collect();
            let cut = first_quote_line(&below);
            unquoted(&below[..cut])
        }
        _ => above,
    }
}

/// The lines without `>` quotes, with runs of blank lines collapsed, trimmed.
fn unquoted(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank_run = 0;
    for line in lines {
        let line = line.trim_end();
        if line.trim_start().starts_with('>') {
            continue;
        }
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

fn is_attribution_line(lines: &[&str], i: usize) -> bool {
    let lower = lines[i].trim().to_lowercase();
    let next = lines.get(i + 1).map(|l| l.trim().to_lowercase());
    is_attribution(&lower, next.as_deref())
}

/// The index of the first line that belongs to quoted or forwarded matter.
fn first_quote_line(lines: &[&str]) -> usize {
    for (i, line) in lines.iter().enumerate() {
        let lower = line.trim().to_lowercase();
        if lower.is_empty() {
            continue;
        }
        let next = lines.get(i + 1).map(|l| l.trim().to_lowercase());
        if is_signature_dash(line)
            || is_disclaimer(&lower)
            || is_separator(&lower)
            || is_footer(&lower)
            || is_attribution(&lower, next.as_deref())
            || is_header_block(lines, i, &lower)
        {
            return i;
        }
    }
    lines.len()
}

fn is_signature_dash(line: &str) -> bool {
    line.trim_end() == "--"
}

fn is_disclaimer(lower: &str) -> bool {
    let notice = DISCLAIMER_LABELS
        .iter()
        .find_map(|label| lower.strip_prefix(label)?.trim_start().strip_prefix(':'))
        .map_or(lower, str::trim_start);
    DISCLAIMER_STARTS.iter().any(|s| notice.starts_with(s))
        && DISCLAIMER_WORDS.iter().any(|w| notice.contains(w))
}

fn is_separator(lower: &str) -> bool {
    let words = lower.trim_matches(|c: char| c == '-' || c == '_' || c == '*' || c == ' ');
    if lower.len() >= 20 && lower.chars().all(|c| c == '_') {
        return true;
    }
    let decorated = lower.starts_with('-') || lower.starts_with('*') || lower.ends_with(':');
    decorated
        && SEPARATORS
            .iter()
            .any(|s| words.trim_end_matches(':').trim() == *s)
}

/// A separator line that opens a forwarded (not a quoted) message.
pub(super) fn is_forward_separator(lower: &str) -> bool {
    is_separator(lower)
        && [
            "forward",
            "videresend",
            "vidaresend",
            "vidarebefordra",
            "weitergeleitet",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

fn is_footer(lower: &str) -> bool {
    lower.chars().count() < 70
        && FOOTER_STARTS.iter().any(|s| lower.starts_with(s))
        && FOOTER_DEVICES.iter().any(|d| lower.contains(d))
}

fn looks_like_attribution(lower: &str) -> bool {
    lower.chars().count() < 300
        && lower.ends_with(':')
        && ATTRIBUTION_VERBS.iter().any(|v| lower.contains(v))
        && lower.chars().any(|c| c.is_ascii_digit() || c == '@')
}

fn is_attribution(lower: &str, next: Option<&str>) -> bool {
    if looks_like_attribution(lower) {
        return true;
    }
    let Some(next) = next else { return false };
    let opens = ATTRIBUTION_OPENERS.iter().any(|o| lower.starts_with(o))
        || lower.contains('@')
        || lower.chars().next().is_some_and(|c| c.is_ascii_digit());
    opens
        && next.chars().count() < 100
        && next.ends_with(':')
        && looks_like_attribution(&format!("{lower} {next}"))
}

/// `Fra: … / Sendt: … / Til: … / Emne: …` as Outlook writes above the quoted mail.
fn is_header_block(lines: &[&str], i: usize, lower: &str) -> bool {
    if field_name(lower).is_none_or(|name| !BLOCK_FROM.contains(&name.as_str())) {
        return false;
    }
    lines.iter().skip(i + 1).take(4).any(|l| {
        let l = l.trim().to_lowercase();
        field_name(&l).is_some_and(|name| BLOCK_FIELDS.contains(&name.as_str()))
    })
}

/// The field name of a `Name: value` line, without bold markers.
pub(super) fn field_name(lower: &str) -> Option<String> {
    let (name, _) = lower.split_once(':')?;
    let name = name.trim().trim_matches('*').trim();
    (!name.is_empty() && name.len() <= 12 && !name.contains(' ')).then(|| name.to_string())
}

#[cfg(test)]
mod tests;
