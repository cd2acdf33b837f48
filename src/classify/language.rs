//! The language of the customer's new text: da, nb, nn, sv or en.
//!
//! Marker words settle most mail at once (they are what tells Danish from Bokmål
//! and Bokmål from Nynorsk); lingua, restricted to the five languages, decides the
//! rest together with the markers. Text too short to tell gets the mailbox default.

use std::collections::HashMap;

use lingua::{LanguageDetector, LanguageDetectorBuilder};

use super::rules::language_index;
use super::subject::Subject;
use crate::domain::Language;

/// Letters below which the text alone cannot tell the language.
const TOO_SHORT: usize = 12;
/// Characters of text given to lingua: enough to decide, cheap to score.
const LINGUA_CHARS: usize = 400;
/// Characters of text scanned for marker words.
const MARKER_CHARS: usize = 3000;
/// Weight of one marker word against lingua's confidence (0..1).
const MARKER_WEIGHT: f64 = 0.12;
/// Without any marker word, lingua must be at least this sure (German or other
/// foreign text otherwise lands on a random one of the five).
const NO_MARKER_CONFIDENCE: f64 = 0.5;
/// A small pull towards the mailbox's language when the evidence is even.
const DEFAULT_PRIOR: f64 = 0.04;

pub struct Detector {
    lingua: LanguageDetector,
    markers: HashMap<String, [f32; 5]>,
}

impl Detector {
    pub fn new(markers: HashMap<String, [f32; 5]>) -> Self {
        let lingua = LanguageDetectorBuilder::from_languages(&[
            lingua::Language::Danish,
            lingua::Language::Bokmal,
            lingua::Language::Nynorsk,
            lingua::Language::Swedish,
            lingua::Language::English,
        ])
        .with_preloaded_language_models()
        .build();
        Detector { lingua, markers }
    }

    pub fn detect(&self, text: &str, default: Language, reasons: &mut Vec<String>) -> Language {
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        let markers = self.marker_counts(text);
        let total: f32 = markers.iter().sum();
        let ranked = ranked(&markers);
        let (best, second) = (ranked[0], ranked[1]);
        // "Ok tak": too short for statistics, but a marker word may still tell.
        if letters < TOO_SHORT {
            if letters >= 3 && best.1 > second.1 {
                reasons.push(format!(
                    "language {} (short text, marker words {})",
                    best.0,
                    shown(&ranked)
                ));
                return best.0;
            }
            reasons.push(format!(
                "language {default}: text too short to tell, mailbox default"
            ));
            return default;
        }
        if best.1 >= 3.0 && best.1 >= 2.0 * second.1 && best.1 - second.1 >= 2.0 {
            reasons.push(format!(
                "language {} (marker words {})",
                best.0,
                shown(&ranked)
            ));
            return best.0;
        }
        let confidence = self.lingua_confidence(text);
        let sure = confidence.iter().copied().fold(0.0, f64::max);
        if total == 0.0 && sure < NO_MARKER_CONFIDENCE {
            reasons.push(format!(
                "language {default}: no marker words and lingua unsure ({sure:.2}), mailbox default"
            ));
            return default;
        }
        let language = Language::ALL
            .into_iter()
            .map(|l| {
                let i = language_index(l);
                let prior = if l == default { DEFAULT_PRIOR } else { 0.0 };
                (
                    l,
                    confidence[i] + MARKER_WEIGHT * f64::from(markers[i]) + prior,
                )
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(default, |(l, _)| l);
        let i = language_index(language);
        reasons.push(format!(
            "language {language} (lingua {:.2}, marker words {})",
            confidence[i],
            shown(&ranked)
        ));
        language
    }

    fn marker_counts(&self, text: &str) -> [f32; 5] {
        let mut counts = [0.0f32; 5];
        let scanned = prefix_chars(text, MARKER_CHARS);
        for word in super::text::words(scanned) {
            if word.len() > 20 {
                continue;
            }
            let lower = word.to_lowercase().replace('’', "'");
            if let Some(weights) = self.markers.get(&lower) {
                for (count, weight) in counts.iter_mut().zip(weights) {
                    *count += weight;
                }
            }
        }
        counts
    }

    fn lingua_confidence(&self, text: &str) -> [f64; 5] {
        let mut out = [0.0; 5];
        let sample = prefix_chars(text, LINGUA_CHARS);
        for (language, value) in self.lingua.compute_language_confidence_values(sample) {
            let ours = match language {
                lingua::Language::Danish => Language::Da,
                lingua::Language::Bokmal => Language::Nb,
                lingua::Language::Nynorsk => Language::Nn,
                lingua::Language::Swedish => Language::Sv,
                _ => Language::En,
            };
            out[language_index(ours)] = value;
        }
        out
    }
}

/// Languages by marker count, highest first.
fn ranked(markers: &[f32; 5]) -> Vec<(Language, f32)> {
    let mut ranked: Vec<(Language, f32)> = Language::ALL
        .into_iter()
        .map(|l| (l, markers[language_index(l)]))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

fn shown(ranked: &[(Language, f32)]) -> String {
    let parts: Vec<String> = ranked
        .iter()
        .filter(|(_, n)| *n > 0.0)
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn prefix_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The text whose language is judged: the new text, helped by the subject when
/// the text is short and the subject is the customer's own (not a reply's).
pub fn text_to_judge(new_text: &str, subject: &Subject, is_reply: bool) -> String {
    let letters = new_text.chars().filter(|c| c.is_alphabetic()).count();
    if letters >= 40 || is_reply || subject.text.is_empty() {
        return new_text.to_string();
    }
    format!("{}\n{}", subject.text, new_text)
}
