//! The customer's words as the complaint model reads them: what a customer says,
//! not who they are or which numbers they quote.
//!
//! A model trained on mail learns whatever separates its examples, and in a few
//! thousand mails a first name or an amount can do that by chance ("mvh frank"
//! weighed +1.9 in an earlier model). So before any feature is built:
//!
//! - the greeting line ("Hej Frank,", "Dear Sir or Madam") is dropped;
//! - the sign-off and everything under it ("Mvh / Ole Hansen / Vestergade 3 /
//!   tlf. 12 34 56 78") is dropped; a thank-you sign-off keeps its thanks
//!   ("Thanks, Mike" reads "thanks");
//! - a trailing signature without a sign-off (a last line of capitalised words and
//!   numbers: "Astrid Bakke", "Søren Møller 2100 København") is dropped;
//! - a capitalised word inside a sentence that the model does not know as a word
//!   becomes `_name` ("jeg talte med Pia" → "jeg talte med _name"), while known
//!   words stay themselves however they are written ("Ankenævnet");
//! - e-mail addresses, links, amounts, dates, long numbers (phone, account, case
//!   numbers) and other numbers become `_email`, `_url`, `_amount`, `_date`,
//!   `_id` and `_num`, and `%` becomes `_pct`.
//!
//! Words are lower-cased and folded with [`super::text::fold`], as the rules read them.

use super::text::fold;

/// Placeholders the model may weigh instead of what they stand for.
pub const NAME: &str = "_name";
const NUMBER: &str = "_num";
const AMOUNT: &str = "_amount";
const DATE: &str = "_date";
const ID: &str = "_id";
const EMAIL: &str = "_email";
const URL: &str = "_url";
const PERCENT: &str = "_pct";

/// Digits from which a number is an identifier (phone, account, card, reference).
const ID_DIGITS: usize = 6;
/// At most this many tokens may stand under a sign-off (name, title, address, phone).
const SIGNATURE_TOKENS: usize = 25;
/// A trailing signature without a sign-off is at most this many tokens.
const TRAILING_SIGNATURE_TOKENS: usize = 12;
/// A greeting ends within this many tokens (at a comma, a sentence's or line's end).
const GREETING_TOKENS: usize = 5;
/// Words after a sign-off on its own line that may be a name written in lower case.
const LOWER_CASE_NAME_TOKENS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    /// A capitalised word inside a sentence (a name unless the model knows it).
    Capitalised,
    Number,
    Currency,
    Month,
    Placeholder(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    kind: Kind,
    /// First of its line or sentence.
    starts: bool,
    /// First of its line.
    line_start: bool,
    /// Written with a capital first letter and small letters after it.
    titlecase: bool,
    /// Written in capitals only (three letters or more).
    shouted: bool,
    /// Followed by `,`.
    comma_after: bool,
    /// Followed by `?`.
    question_after: bool,
}

/// The tokens of a customer's new text, greeting, sign-off, signature, names and
/// numbers normalised away. `known` says whether a folded word is one the model
/// knows, which keeps a capitalised known word ("Ankenævnet") from becoming a name.
pub fn customer_words(text: &str, known: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut tokens = merge_numbers(lex(text));
    drop_greeting(&mut tokens);
    drop_sign_off(&mut tokens);
    drop_trailing_signature(&mut tokens);
    finish(tokens, known)
}

/// The words of a customer's text written in lower case (greeting, sign-off and
/// signature left out): the vocabulary a model learns from.
pub fn lower_case_words(text: &str) -> Vec<String> {
    let mut tokens = merge_numbers(lex(text));
    drop_greeting(&mut tokens);
    drop_sign_off(&mut tokens);
    drop_trailing_signature(&mut tokens);
    tokens
        .into_iter()
        .filter(|t| t.kind == Kind::Word && !t.titlecase && !t.shouted)
        .map(|t| t.text)
        .collect()
}

/// The tokens of a subject: names and numbers normalised, nothing dropped.
pub fn subject_words(subject: &str, known: &dyn Fn(&str) -> bool) -> Vec<String> {
    finish(merge_numbers(lex(subject)), known)
}

/// Whether a text shouts: at least two words of three letters or more in capitals.
pub fn shouts(text: &str) -> bool {
    lex(text).iter().filter(|t| t.shouted).nth(1).is_some()
}

fn finish(tokens: Vec<Token>, known: &dyn Fn(&str) -> bool) -> Vec<String> {
    tokens
        .into_iter()
        .map(|t| match t.kind {
            Kind::Capitalised if !known(&t.text) => NAME.to_string(),
            Kind::Word | Kind::Capitalised | Kind::Currency => t.text,
            Kind::Number => NUMBER.to_string(),
            Kind::Month => DATE.to_string(),
            Kind::Placeholder(p) => p.to_string(),
        })
        .collect()
}

/// Splits a text into tokens, marking where lines and sentences start.
fn lex(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    for line in text.lines() {
        let mut starts = true;
        let line_first = out.len();
        for chunk in line.split_whitespace() {
            let before = out.len();
            lex_chunk(chunk, starts, &mut out);
            let last = chunk.trim_end_matches(['"', '\'', ')', '»', '”', '’']);
            if let Some(token) = out.get_mut(before..).and_then(|t| t.last_mut()) {
                token.comma_after = last.ends_with([',', ';']);
                token.question_after = last.ends_with('?');
            }
            starts = last.ends_with(['.', '!', '?']) || (out.len() == before && starts);
        }
        if let Some(first) = out.get_mut(line_first) {
            first.line_start = true;
        }
    }
    out
}

const EDGE_PUNCTUATION: &[char] = &[
    '(', ')', '[', ']', '{', '}', '"', '\'', '«', '»', '“', '”', '‘', '’', '<', '>', ',', ';', ':',
    '.', '!', '?', '*', '_', '/', '\\', '|', '-', '–', '—', '=', '+', '#', '~',
];

fn lex_chunk(chunk: &str, starts: bool, out: &mut Vec<Token>) {
    let core = chunk.trim_matches(EDGE_PUNCTUATION);
    if core.is_empty() {
        return;
    }
    let lower = core.to_lowercase();
    let whole = |kind: Kind| Token {
        text: String::new(),
        kind,
        starts,
        line_start: false,
        titlecase: false,
        shouted: false,
        comma_after: false,
        question_after: false,
    };
    if looks_like_email(&lower) {
        out.push(whole(Kind::Placeholder(EMAIL)));
        return;
    }
    if lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("www.") {
        out.push(whole(Kind::Placeholder(URL)));
        return;
    }
    if lower.chars().any(|c| c.is_ascii_digit()) {
        lex_numeric(&lower, starts, out);
        return;
    }
    for (i, word) in super::text::words(core).enumerate() {
        let word = word.trim_matches(['\'', '’']);
        if word.is_empty() {
            continue;
        }
        out.push(word_token(word, starts && i == 0));
    }
    if chunk.contains('%') {
        out.push(whole(Kind::Placeholder(PERCENT)));
    }
}

fn word_token(word: &str, starts: bool) -> Token {
    let mut chars = word.chars();
    let first_upper = chars.next().is_some_and(char::is_uppercase);
    let rest_lower = chars.clone().any(char::is_lowercase);
    let titlecase = first_upper && rest_lower;
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let shouted = letters >= 3 && !word.chars().any(char::is_lowercase);
    let folded = fold(&word.to_lowercase());
    let kind = if MONTHS.contains(&folded.as_str()) {
        Kind::Month
    } else if CURRENCIES.contains(&folded.as_str()) {
        Kind::Currency
    } else if titlecase && !starts && !NEVER_NAMES.contains(&folded.as_str()) {
        Kind::Capitalised
    } else {
        Kind::Word
    };
    Token {
        text: folded,
        kind,
        starts,
        line_start: false,
        titlecase,
        shouted,
        comma_after: false,
        question_after: false,
    }
}

/// A chunk with digits: a date, an amount with its currency sign, an identifier,
/// a number, or a word with a number in it ("3x", "kl14").
fn lex_numeric(lower: &str, starts: bool, out: &mut Vec<Token>) {
    let token = |kind: Kind| Token {
        text: String::new(),
        kind,
        starts,
        line_start: false,
        titlecase: false,
        shouted: false,
        comma_after: false,
        question_after: false,
    };
    let digits = lower.chars().filter(char::is_ascii_digit).count();
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    let currency_sign = lower.contains(['€', '$', '£']);
    if looks_like_date(lower) {
        out.push(token(Kind::Placeholder(DATE)));
    } else if currency_sign || (!letters.is_empty() && CURRENCIES.contains(&letters.as_str())) {
        out.push(token(Kind::Placeholder(AMOUNT)));
    } else if (digits >= ID_DIGITS && !lower.contains([',', '.']))
        || (digits >= 4 && !letters.is_empty())
    {
        out.push(token(Kind::Placeholder(ID)));
    } else if letters.is_empty() || lower.chars().all(|c| !c.is_alphabetic() || c == 'x') {
        out.push(token(Kind::Number));
    } else {
        // "2fa", "4g", "kl14": the letters are the word; the digits a number.
        let fold_letters = fold(&letters);
        out.push(Token {
            text: fold_letters,
            kind: Kind::Word,
            ..token(Kind::Word)
        });
    }
    if lower.contains('%') {
        out.push(token(Kind::Placeholder(PERCENT)));
    }
}

fn looks_like_email(lower: &str) -> bool {
    lower
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
}

/// `3/11`, `03-11-2026`, `2026-11-03`, `3.11.2026`: digits in two or three groups
/// joined by `/` or `-`, or three groups joined by `.`.
fn looks_like_date(lower: &str) -> bool {
    if !lower
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '/' | '-' | '.'))
    {
        return false;
    }
    let groups: Vec<&str> = lower.split(['/', '-', '.']).collect();
    let numeric = groups
        .iter()
        .all(|g| !g.is_empty() && g.len() <= 4 && g.chars().all(|c| c.is_ascii_digit()));
    let slashed = lower.contains(['/', '-']) && (2..=3).contains(&groups.len());
    let dotted = groups.len() == 3;
    numeric && (slashed || dotted)
}

/// Runs of numbers, currencies and months become one token: an amount when a
/// currency stands in them, a date when a month does, else an identifier or a number.
fn merge_numbers(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut run: Vec<Token> = Vec::new();
    let numeric = |k: Kind| {
        matches!(
            k,
            Kind::Number
                | Kind::Currency
                | Kind::Month
                | Kind::Placeholder(AMOUNT)
                | Kind::Placeholder(DATE)
                | Kind::Placeholder(ID)
        )
    };
    for token in tokens {
        if numeric(token.kind) {
            if token.line_start || ends_run(&run) {
                flush_run(&mut run, &mut out);
            }
            run.push(token);
            continue;
        }
        flush_run(&mut run, &mut out);
        out.push(token);
    }
    flush_run(&mut run, &mut out);
    out
}

/// A question inside a run of numbers ends it (a new line does too).
fn ends_run(run: &[Token]) -> bool {
    run.last().is_some_and(|t| t.question_after)
}

fn flush_run(run: &mut Vec<Token>, out: &mut Vec<Token>) {
    if run.is_empty() {
        return;
    }
    let kinds: Vec<Kind> = run.iter().map(|t| t.kind).collect();
    let has = |k: Kind| kinds.contains(&k);
    let numbers = kinds.iter().filter(|k| **k == Kind::Number).count();
    // Amounts are written "1.250,00" and "4 800": a number in groups is one number.
    let kind = if has(Kind::Currency) && run.len() == 1 {
        // "kr" alone is a word about money.
        Kind::Currency
    } else if has(Kind::Currency) || has(Kind::Placeholder(AMOUNT)) {
        Kind::Placeholder(AMOUNT)
    } else if has(Kind::Month) || has(Kind::Placeholder(DATE)) {
        Kind::Placeholder(DATE)
    } else if has(Kind::Placeholder(ID)) || numbers >= 3 {
        // "12 34 56 78": a phone number written in groups.
        Kind::Placeholder(ID)
    } else {
        Kind::Number
    };
    let first = run.remove(0);
    let last_comma = run.last().map_or(first.comma_after, |t| t.comma_after);
    let last_question = run
        .last()
        .map_or(first.question_after, |t| t.question_after);
    out.push(Token {
        kind,
        comma_after: last_comma,
        question_after: last_question,
        ..first
    });
    run.clear();
}

/// Drops the greeting: the first line's opening greeting up to its comma or the
/// end of its sentence or line ("Hej Frank,", "Dear Sir or Madam", "Hei.").
fn drop_greeting(tokens: &mut Vec<Token>) {
    if phrase_at(tokens, GREETINGS).is_none() {
        return;
    }
    for i in 0..tokens.len().min(GREETING_TOKENS) {
        let ends = tokens[i].comma_after || tokens.get(i + 1).is_none_or(|t| t.starts);
        if ends {
            tokens.drain(..=i);
            return;
        }
    }
}

/// The number of tokens of the longest phrase of `list` that `tokens` start with.
fn phrase_at(tokens: &[Token], list: &[&str]) -> Option<usize> {
    list.iter()
        .filter_map(|phrase| {
            let mut n = 0;
            for word in phrase.split(' ') {
                if tokens.get(n).is_none_or(|t| t.text != word) {
                    return None;
                }
                n += 1;
            }
            Some(n)
        })
        .max()
}

/// Drops the sign-off and what stands under it; a thank-you keeps its thanks.
/// On the sign-off's own line only a name may follow ("Mvh Arild", "Thanks,
/// Mike"; a few words for a lower-case "mvh ola"); on the lines below, a
/// signature (name, title, address, phone) that asks nothing.
fn drop_sign_off(tokens: &mut Vec<Token>) {
    let earliest = tokens.len().saturating_sub(SIGNATURE_TOKENS + 4);
    for start in (earliest..tokens.len()).rev() {
        if !tokens[start].starts {
            continue;
        }
        let (length, thanks) = match phrase_at(&tokens[start..], SIGN_OFFS) {
            Some(n) => (n, false),
            None => match phrase_at(&tokens[start..], THANKS) {
                Some(n) => (n, true),
                None => continue,
            },
        };
        let under = &tokens[start + length..];
        let same_line = under
            .iter()
            .position(|t| t.line_start)
            .unwrap_or(under.len());
        let (line, below) = under.split_at(same_line);
        let name_on_line = line.iter().all(is_signature_token)
            || (!thanks && line.len() <= LOWER_CASE_NAME_TOKENS);
        let signature_below = if thanks {
            below.iter().all(is_signature_token)
        } else {
            below.len() <= SIGNATURE_TOKENS
        };
        let asks = under.iter().any(|t| t.question_after);
        let alone = !AMBIGUOUS_SIGN_OFFS.contains(&tokens[start].text.as_str())
            || under.iter().all(is_signature_token);
        if name_on_line && signature_below && !asks && alone {
            tokens.truncate(if thanks { start + length } else { start });
            return;
        }
    }
}

/// What a signature holds: names, numbers, addresses, and labels such as "tlf".
fn is_signature_token(token: &Token) -> bool {
    match token.kind {
        Kind::Placeholder(_) | Kind::Number | Kind::Month | Kind::Capitalised => true,
        Kind::Word | Kind::Currency => {
            (token.titlecase || token.shouted || SIGNATURE_LABELS.contains(&token.text.as_str()))
                && !NEVER_NAMES.contains(&token.text.as_str())
        }
    }
}

/// Drops a last line or sentence of names and numbers under the text
/// ("… for det? Astrid Bakke", "…\nSøren"): two tokens or more, or one on its
/// own line, with a capitalised word among them.
fn drop_trailing_signature(tokens: &mut Vec<Token>) {
    let mut start = tokens.len();
    while start > 0 && tokens.len() - start < TRAILING_SIGNATURE_TOKENS {
        let token = &tokens[start - 1];
        let thanks = THANKS
            .iter()
            .any(|p| p.split(' ').next() == Some(&token.text));
        if !is_signature_token(token) || token.question_after || thanks {
            break;
        }
        start -= 1;
    }
    // Only a run that starts a line or sentence is a signature; names inside a
    // sentence are left to the name rule.
    while start < tokens.len() && !tokens[start].starts {
        start += 1;
    }
    let run = &tokens[start..];
    let named = run.iter().any(|t| t.titlecase);
    let own_line = run.first().is_some_and(|t| t.line_start);
    if start > 0 && named && (run.len() >= 2 || own_line) {
        tokens.truncate(start);
    }
}

/// Phrases that open a greeting (folded).
const GREETINGS: &[&str] = &[
    "hej",
    "hejsan",
    "hei",
    "heisann",
    "hallo",
    "halla",
    "hello",
    "hi",
    "hey",
    "dear",
    "kare",
    "kjare",
    "kara",
    "basta",
    "goddag",
    "god dag",
    "god morgen",
    "god eftermiddag",
    "god aften",
    "god kveld",
    "god kvall",
    "good morning",
    "good afternoon",
    "good evening",
    "til",
    "till",
    "to whom it may concern",
    "attn",
    "morn",
    "tjena",
    "tjenare",
    "greetings",
    "hejhej",
];

/// Sign-offs that also start sentences of other kinds: dropped only with a
/// signature under them.
const AMBIGUOUS_SIGN_OFFS: &[&str] = &["best", "hals", "br", "kh", "vh"];

/// Sign-offs that close a mail (folded): dropped with what stands under them.
const SIGN_OFFS: &[&str] = &[
    "mvh",
    "m v h",
    "mhv",
    "vh",
    "kh",
    "med venlig hilsen",
    "med venlige hilsner",
    "venlig hilsen",
    "venlige hilsner",
    "de bedste hilsner",
    "bedste hilsner",
    "bedste hilsen",
    "hilsen",
    "hilsner",
    "karlig hilsen",
    "med vennlig hilsen",
    "vennlig hilsen",
    "vennlige hilsener",
    "beste hilsen",
    "med venleg helsing",
    "venleg helsing",
    "helsing",
    "beste helsing",
    "med vanlig halsning",
    "med vanliga halsningar",
    "vanliga halsningar",
    "vanlig halsning",
    "halsningar",
    "halsning",
    "hals",
    "best regards",
    "kind regards",
    "warm regards",
    "warmest regards",
    "regards",
    "best wishes",
    "best",
    "sincerely",
    "yours sincerely",
    "yours faithfully",
    "yours truly",
    "cheers",
    "br",
];

/// Thank-you sign-offs (folded): the thanks stay, the name under them goes.
const THANKS: &[&str] = &[
    "tak",
    "takk",
    "tack",
    "mange tak",
    "tusind tak",
    "tusen takk",
    "tusen tack",
    "tack sa mycket",
    "tak pa forhand",
    "takk pa forhand",
    "tack pa forhand",
    "thanks",
    "thank you",
    "many thanks",
    "thanks in advance",
    "thx",
];

/// Words that label a line of a signature (folded).
const SIGNATURE_LABELS: &[&str] = &[
    "tlf",
    "tel",
    "telefon",
    "telephone",
    "phone",
    "mobil",
    "mob",
    "mobile",
    "email",
    "mail",
    "e",
    "adresse",
    "address",
    "adress",
    "kundenr",
    "kundenummer",
    "kundnummer",
    "medlemsnr",
    "nr",
    "no",
    "cpr",
    "personnummer",
    "fodselsnummer",
];

/// Capitalised mid-sentence without being names: pronouns of polite address and
/// English's "I".
const NEVER_NAMES: &[&str] = &[
    "i",
    "i'm",
    "i've",
    "i'd",
    "i'll",
    "de",
    "dem",
    "deres",
    "der",
    "du",
    "dig",
    "din",
    "dine",
    "deg",
    "ni",
    "er",
    "eder",
    "dere",
    "you",
    "your",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Month names and their short forms (folded), in the five languages.
/// Short forms that are also words ("may", "mar" for "mår", "jul") are left out.
const MONTHS: &[&str] = &[
    "januar",
    "january",
    "januari",
    "jan",
    "februar",
    "february",
    "februari",
    "feb",
    "marts",
    "mars",
    "march",
    "april",
    "apr",
    "maj",
    "mai",
    "juni",
    "june",
    "juli",
    "july",
    "august",
    "augusti",
    "aug",
    "september",
    "sep",
    "sept",
    "oktober",
    "october",
    "okt",
    "oct",
    "november",
    "nov",
    "december",
    "desember",
];

/// Currency words and codes (folded).
const CURRENCIES: &[&str] = &[
    "kr", "kroner", "krone", "kronor", "krona", "dkk", "nok", "sek", "eur", "euro", "euros", "usd",
    "dollar", "dollars", "gbp", "pound", "pounds",
];

#[cfg(test)]
mod tests;
