//! Bodies that must never be named to a customer: the EU ODR platform (closed on
//! 20 July 2025, Reg. (EU) 2024/3228) and, for Norway, Forbrukerrådet (Forbrukertilsynet
//! now mediates). Referral data and templates are refused when they name one.

use std::sync::LazyLock;

use regex::Regex;

static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (
            r"\bODR\b|(?i)ec\.europa\.eu/(consumers/)?odr|online dispute resolution",
            "the closed EU ODR platform",
        ),
        (
            r"(?i)forbruke?rrådet|forbrukarrådet",
            "Forbrukerrådet (Norway: Forbrukertilsynet mediates)",
        ),
    ]
    .into_iter()
    .map(|(pattern, what)| (Regex::new(pattern).expect("static pattern"), what))
    .collect()
});

/// What forbidden body `text` names, if any.
pub fn mention(text: &str) -> Option<&'static str> {
    RULES
        .iter()
        .find(|(re, _)| re.is_match(text))
        .map(|(_, what)| *what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_closed_platform_and_the_wrong_norwegian_body() {
        let bad = [
            "Du kan også bruge EU's ODR-platform",
            "see https://ec.europa.eu/consumers/odr/ for details",
            "http://ec.europa.eu/odr",
            "the Online Dispute Resolution platform",
            "Du kan klage til Forbrukerrådet",
            "Forbrukarrådet kan hjelpe",
        ];
        for text in bad {
            assert!(mention(text).is_some(), "{text}");
        }
        let good = [
            "Forbrukertilsynet kan mekle",
            "Forbrugerrådet Tænk",
            "Det Finansielle Ankenævn, fanke.dk",
            "methodrine", // "odr" inside a word is not the platform
        ];
        for text in good {
            assert_eq!(mention(text), None, "{text}");
        }
    }
}
