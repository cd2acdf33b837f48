//! The keys of a complaint: what two complaints about the same matter share,
//! whoever wrote them and in whichever of the five languages. Amounts, dates,
//! identifiers (IBAN-like, order and project numbers), names of things
//! (merchants, projects, products), the matter's words stemmed by the
//! language's Snowball stemmer, pairs of neighbouring stems, the cross-language
//! [`super::concepts`] and the category.
//!
//! Each key keeps its text, which is the reason a link shows ("shared: amount
//! 49, date 12-03, payout"), and a stable 64-bit hash, which is what the index
//! stores: the index holds no customer text.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use rust_stemmers::{Algorithm, Stemmer};

use super::concepts;
use crate::classify::text::{fold, words};
use crate::domain::{Category, Language};

/// What a key stands for; each kind weighs differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// An identifier: letters and digits mixed, or a long number.
    Id,
    /// An amount of money (a number with a currency beside it) or a percentage.
    Amount,
    /// A day of the year.
    Date,
    /// A cross-language concept ("payout", "outage").
    Concept,
    /// A capitalised word inside a sentence: a merchant, a project, a product.
    Name,
    /// Two neighbouring stems.
    Pair,
    /// One stem.
    Word,
    /// The case's category.
    Category,
}

impl KeyKind {
    /// How much sharing a key of this kind says about being the same matter.
    pub fn weight(self) -> f64 {
        match self {
            KeyKind::Id => 3.0,
            KeyKind::Amount => 2.5,
            KeyKind::Date => 1.5,
            KeyKind::Concept => 1.2,
            KeyKind::Name => 2.0,
            KeyKind::Pair => 1.5,
            KeyKind::Word => 1.0,
            KeyKind::Category => 0.5,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            KeyKind::Id => "id",
            KeyKind::Amount => "amount",
            KeyKind::Date => "date",
            KeyKind::Concept => "concept",
            KeyKind::Name => "name",
            KeyKind::Pair => "phrase",
            KeyKind::Word => "word",
            KeyKind::Category => "category",
        }
    }
}

/// One key of a complaint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: KeyKind,
    pub text: String,
}

impl Key {
    /// The stored form: FNV-1a of kind and text, the same in every process and version.
    pub fn hash(&self) -> i64 {
        let bytes = self
            .kind
            .prefix()
            .bytes()
            .chain([b':'])
            .chain(self.text.bytes());
        let h = bytes.fold(0xcbf2_9ce4_8422_2325u64, |hash, b| {
            (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        h as i64
    }

    /// How the key reads in a link's reason: `amount 49`, `payout`, `"fee charged"`.
    pub fn label(&self) -> String {
        match self.kind {
            KeyKind::Concept | KeyKind::Word | KeyKind::Name => self.text.clone(),
            KeyKind::Pair => format!("\"{}\"", self.text),
            other => format!("{} {}", other.prefix(), self.text),
        }
    }
}

/// At most this much of a complaint's text is read.
const TEXT_CHARS: usize = 6000;
/// At most this many word keys and pair keys each (the longest words first):
/// bounded work per case, and a bounded index.
const MAX_WORDS: usize = 40;
const MAX_PAIRS: usize = 30;
/// Shorter stems say too little.
const MIN_STEM: usize = 4;

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:(?:kr\.?|dkk|nok|sek|eur|€|\$|£)\s?(\d[\d .]*(?:,\d{1,2})?)|(\d[\d .]*(?:[.,]\d{1,2})?)\s?(?:kr\.?|kroner|kronor|dkk|nok|sek|eur|euro|€|\$|£|,-|%|procent|prosent|percent))",
    )
    .expect("amount pattern")
});
static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)(\d{4})-(\d{1,2})-(\d{1,2})(?:\D|$)|(?:^|[^\d.,])(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?(?:[^\d,]|$)")
        .expect("date pattern")
});
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|\D)(\d{1,2})\.?\s*(?:of\s+)?([a-zæøåäö]{3,9})").expect("date pattern")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)([a-z]{3,9})\s+(\d{1,2})(?:st|nd|rd|th)?(?:\D|$)").expect("date pattern")
});

/// The keys of a complaint: its subject and the customer's new text.
pub fn keys(subject: &str, text: &str, language: Language, category: Option<Category>) -> Vec<Key> {
    let mut all = String::with_capacity(subject.len() + 1 + text.len().min(TEXT_CHARS));
    all.push_str(subject);
    all.push('\n');
    all.extend(without_sign_off(text).chars().take(TEXT_CHARS));
    let mut found = BTreeSet::new();
    amounts(&all, &mut found);
    dates(&all, &mut found);
    identifiers(&all, &mut found);
    names(&all, &mut found);
    stems(&all, language, &mut found);
    if let Some(category) = category {
        found.insert(key(KeyKind::Category, category.code()));
    }
    found.into_iter().collect()
}

/// Words that open a sign-off line, folded: the sign-off and what stands
/// under it (a name, an address, a phone number) say nothing about the matter.
const SIGN_OFFS: [&str; 22] = [
    "mvh",
    "med venlig",
    "venlig hilsen",
    "venlige hilsner",
    "vennlig hilsen",
    "med vennlig",
    "hilsen",
    "helsing",
    "venleg helsing",
    "halsningar",
    "hilsner",
    "med vanlig",
    "vanliga",
    "regards",
    "best regards",
    "kind regards",
    "best wishes",
    "yours",
    "thanks,",
    "thank you,",
    "cheers",
    "sincerely",
];

/// The text above its sign-off (the first line, after the first, that starts
/// like one).
fn without_sign_off(text: &str) -> String {
    let mut kept = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let folded = fold(&line.trim().to_lowercase());
        if i > 0 && SIGN_OFFS.iter().any(|s| folded.starts_with(s)) {
            break;
        }
        kept.push(line);
    }
    kept.join("\n")
}

fn key(kind: KeyKind, text: &str) -> Key {
    Key {
        kind,
        text: text.to_string(),
    }
}

/// Numbers with a currency or a percent sign: `49 kr`, `kr. 1.250,00`, `€25`, `4,25 %`.
fn amounts(text: &str, found: &mut BTreeSet<Key>) {
    for m in AMOUNT.captures_iter(text) {
        let Some(number) = m.get(1).or_else(|| m.get(2)) else {
            continue;
        };
        if let Some(n) = normal_number(number.as_str()) {
            found.insert(key(KeyKind::Amount, &n));
        }
    }
}

/// `1.250,00` and `1 250` and `1250.00` → `1250`; `4,25` → `4.25`.
fn normal_number(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_end_matches(['.', ' ']);
    let (whole, fraction) = match raw.rfind([',', '.']) {
        Some(at) if raw.len() - at - 1 <= 2 => (&raw[..at], &raw[at + 1..]),
        _ => (raw, ""),
    };
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = fraction.trim_end_matches('0');
    match (whole, fraction) {
        ("0", "") => None,
        (w, "") => Some(w.to_string()),
        (w, f) => Some(format!("{w}.{f}")),
    }
}

/// Days of the year as `MM-DD`: `3.12.2026`, `2026-12-03`, `3/12`, `3. december`,
/// `December 3rd`, in all five languages' month names.
fn dates(text: &str, found: &mut BTreeSet<Key>) {
    let mut add = |day: Option<u32>, month: Option<u32>| {
        if let (Some(d @ 1..=31), Some(m @ 1..=12)) = (day, month) {
            found.insert(key(KeyKind::Date, &format!("{m:02}-{d:02}")));
        }
    };
    let number = |m: Option<regex::Match<'_>>| m.and_then(|m| m.as_str().parse::<u32>().ok());
    for c in NUMERIC_DATE.captures_iter(text) {
        if c.get(1).is_some() {
            add(number(c.get(3)), number(c.get(2)));
        } else {
            add(number(c.get(4)), number(c.get(5)));
        }
    }
    let mut named = |day: &str, month: &str| {
        let month = month_number(&fold(&month.to_lowercase()));
        add(day.parse().ok(), month);
    };
    for c in DAY_MONTH.captures_iter(text) {
        named(&c[1], &c[2]);
    }
    for c in MONTH_DAY.captures_iter(text) {
        named(&c[2], &c[1]);
    }
}

/// A month's name or its common abbreviation, folded, in any of the five languages.
fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &["januar", "january", "januari", "jan"],
        &["februar", "february", "februari", "feb"],
        &["marts", "mars", "march", "mar"],
        &["april", "apr"],
        &["maj", "mai", "may"],
        &["juni", "june", "jun"],
        &["juli", "july", "jul"],
        &["august", "augusti", "aug"],
        &["september", "sept", "sep"],
        &["oktober", "october", "okt", "oct"],
        &["november", "nov"],
        &["december", "desember", "dec", "des"],
    ];
    let word = word.trim_end_matches('.');
    MONTHS
        .iter()
        .position(|names| names.contains(&word))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Tokens that mix letters and digits (an IBAN, an order number, `KL-2026-…`
/// aside) or numbers of six digits or more: the same identifier is the same thing.
fn identifiers(text: &str, found: &mut BTreeSet<Key>) {
    for token in text.split(|c: char| c.is_whitespace() || ",;:()[]<>\"'!?".contains(c)) {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        let compact: String = token.chars().filter(|c| c.is_alphanumeric()).collect();
        let digits = compact.chars().filter(char::is_ascii_digit).count();
        let letters = compact.chars().filter(|c| c.is_alphabetic()).count();
        let id =
            (digits >= 6 && letters == 0) || (digits >= 2 && letters >= 1 && compact.len() >= 5);
        // Case references are ours, not the matter's: `KL-2026-000123`.
        let ours = token.matches('-').count() == 2 && letters <= 4 && digits == 10;
        if id && !ours && compact.len() <= 34 {
            found.insert(key(KeyKind::Id, &compact.to_lowercase()));
        }
    }
}

/// Capitalised words inside a sentence that are no common word of any of the
/// languages: a merchant, a project, a product. A customer's own name mostly
/// stands in the greeting or the signature and is shared by no other case.
fn names(text: &str, found: &mut BTreeSet<Key>) {
    for line in text.lines() {
        for sentence in line.split(['.', '!', '?', ':']) {
            for (i, word) in words(sentence).enumerate() {
                let mut chars = word.chars();
                let capital = chars.next().is_some_and(char::is_uppercase);
                let rest_small = chars.clone().all(|c| !c.is_uppercase());
                let letters = word.chars().all(char::is_alphabetic);
                let folded = fold(&word.to_lowercase());
                if i > 0
                    && capital
                    && rest_small
                    && letters
                    && word.chars().count() >= 4
                    && !concepts::is_common(&folded)
                    && month_number(&folded).is_none()
                {
                    found.insert(key(KeyKind::Name, &folded));
                }
            }
        }
    }
}

fn stemmer(language: Language) -> Stemmer {
    Stemmer::create(match language {
        Language::Da => Algorithm::Danish,
        Language::Nb | Language::Nn => Algorithm::Norwegian,
        Language::Sv => Algorithm::Swedish,
        Language::En => Algorithm::English,
    })
}

/// The stems of the matter's words (common words left out), the concepts they
/// name, and pairs of neighbouring stems.
fn stems(text: &str, language: Language, found: &mut BTreeSet<Key>) {
    let stemmer = stemmer(language);
    let mut sequence: Vec<String> = Vec::new();
    let lower = text.to_lowercase();
    let all: Vec<&str> = words(&lower).collect();
    for (i, word) in all.iter().enumerate() {
        if !word.chars().all(char::is_alphabetic) {
            continue;
        }
        let folded = fold(word);
        let next = all.get(i + 1).map(|w| fold(w));
        for concept in concepts::of(&folded, next.as_deref()) {
            found.insert(key(KeyKind::Concept, concept));
        }
        if concepts::is_common(&folded) || month_number(&folded).is_some() {
            continue;
        }
        let stem = fold(&stemmer.stem(word));
        if stem.chars().count() >= MIN_STEM {
            sequence.push(stem);
        }
    }
    let mut by_length: Vec<&String> = sequence.iter().collect();
    by_length.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    by_length.dedup();
    for stem in by_length.into_iter().take(MAX_WORDS) {
        found.insert(key(KeyKind::Word, stem));
    }
    let mut pairs: Vec<String> = sequence
        .windows(2)
        .filter(|p| p[0] != p[1])
        .map(|p| format!("{} {}", p[0], p[1]))
        .collect();
    pairs.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    pairs.dedup();
    for pair in pairs.into_iter().take(MAX_PAIRS) {
        found.insert(key(KeyKind::Pair, &pair));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(kind: KeyKind, keys: &[Key]) -> Vec<String> {
        keys.iter()
            .filter(|k| k.kind == kind)
            .map(|k| k.text.clone())
            .collect()
    }

    #[test]
    fn amounts_in_every_spelling_meet() {
        for (text, want) in [
            ("I har trukket 49 kr to gange", "49"),
            ("gebyret på kr. 1.250,00", "1250"),
            ("an extra fee of €25.00", "25"),
            ("avgiften 1 250 kr", "1250"),
            ("renten steg til 4,25 %", "4.25"),
            ("interest of 4.25%", "4.25"),
        ] {
            let keys = keys("", text, Language::Da, None);
            assert!(
                texts(KeyKind::Amount, &keys).contains(&want.to_string()),
                "{text}: {keys:?}"
            );
        }
    }

    #[test]
    fn dates_in_every_language_meet() {
        for text in [
            "siden 3. december",
            "sedan den 3 december 2026",
            "since December 3rd",
            "fra 03.12.2026",
            "on 2026-12-03",
            "den 3/12",
            "sidan 3. desember",
        ] {
            let keys = keys("", text, Language::En, None);
            assert_eq!(texts(KeyKind::Date, &keys), ["12-03"], "{text}");
        }
    }

    #[test]
    fn identifiers_and_names_are_kept_but_case_references_are_not() {
        let keys = keys(
            "Re: [KL-2026-000123]",
            "Min betaling til DK5000400440116243 for ordre AB12345 hos Solbakken fejlede.",
            Language::Da,
            None,
        );
        let ids = texts(KeyKind::Id, &keys);
        assert!(ids.contains(&"dk5000400440116243".to_string()), "{ids:?}");
        assert!(ids.contains(&"ab12345".to_string()));
        assert!(!ids.iter().any(|i| i.contains("000123")), "{ids:?}");
        assert!(texts(KeyKind::Name, &keys).contains(&"solbakken".to_string()));
    }

    #[test]
    fn stems_and_concepts_cross_languages() {
        let da = keys("", "Jeg kan ikke logge ind i appen", Language::Da, None);
        let sv = keys("", "Jag kan inte logga in i appen", Language::Sv, None);
        let en = keys("", "I cannot log in to the app", Language::En, None);
        for k in [&da, &sv, &en] {
            let concepts = texts(KeyKind::Concept, k);
            assert!(concepts.contains(&"login".to_string()), "{k:?}");
            assert!(concepts.contains(&"app".to_string()), "{k:?}");
        }
        let da2 = keys("", "Udbetalingen af mine renter", Language::Da, None);
        let da3 = keys("", "udbetaling af renterne", Language::Da, None);
        let shared: Vec<_> = texts(KeyKind::Word, &da2)
            .into_iter()
            .filter(|w| texts(KeyKind::Word, &da3).contains(w))
            .collect();
        assert!(
            shared.contains(&"udbetaling".to_string()),
            "{da2:?} {da3:?}"
        );
    }

    #[test]
    fn the_hash_is_stable() {
        let k = key(KeyKind::Amount, "49");
        assert_eq!(k.hash(), key(KeyKind::Amount, "49").hash());
        assert_ne!(k.hash(), key(KeyKind::Id, "49").hash());
        assert_eq!(k.label(), "amount 49");
    }
}
