//! A learned complaint signal beside the rules: logistic regression over the
//! words of the customer's text (pure; no I/O).
//!
//! Phrase rules know the complaints someone has seen. Customers who complain
//! without any listed phrase ("the adviser promised me 7 %, I got 2 %") still
//! write in the vocabulary of complaints: the model weighs every word, word pair
//! and word stem it learned from labelled mail (see [`super::training`]), and its
//! top features are shown as the reason. The weights are a readable text file
//! (`complaint_model.tsv`, embedded; `feature<TAB>weight` per line) made by
//! `klagebot train`; a company can train its own and point `classify.model_file`
//! at it.
//!
//! Features: each distinct word (`w:`), adjacent word pair (`b:`), the first
//! five letters of a long word (`p:`, so "reklamerede" and "reklamere" meet),
//! subject words (`s:`), the rules that fired (`r:`) and the shape of the text
//! (`m:` question mark, exclamation, shouting, length). Words are read by
//! [`super::tokens`]: greeting, sign-off, signature and names are gone, numbers,
//! amounts and dates are placeholders, letters folded as the rules fold them.
//! The features of a text are weighted 1/√n, so long mails do not win by length.

use std::collections::{BTreeSet, HashMap};

use super::tokens;
use std::fmt::Write as _;

/// The model shipped with klagebot.
pub const EMBEDDED_MODEL: &str = include_str!("complaint_model.tsv");

/// The name of this feature builder, stored beside recorded features: features
/// made by another builder (an older klagebot) do not mean the same.
pub const FEATURE_SET: &str = "words-v2";

/// The weight line that holds the intercept.
const BIAS: &str = "#bias";

/// Why a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("complaint model line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("complaint model has no {BIAS} line")]
    NoBias,
}

/// A trained model: feature weights and the intercept.
#[derive(Debug, Clone)]
pub struct Model {
    weights: FastMap<String, f32>,
    bias: f32,
}

/// A feature and its weight.
pub type Weighed = (String, f32);

/// The model's verdict on one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Estimated probability that the text is a complaint.
    pub probability: f32,
    /// The features that pushed most towards "complaint", readable.
    pub top: Vec<String>,
}

impl Model {
    /// A model of these weights and intercept.
    pub fn new(weights: impl IntoIterator<Item = (String, f32)>, bias: f32) -> Model {
        Model {
            weights: weights.into_iter().collect(),
            bias,
        }
    }

    pub fn embedded() -> Model {
        Model::from_tsv(EMBEDDED_MODEL).expect("the embedded complaint model is valid")
    }

    /// Reads `feature<TAB>weight` lines; `#` lines other than `#bias` are comments.
    pub fn from_tsv(text: &str) -> Result<Model, ModelError> {
        let mut weights = FastMap::default();
        let mut bias = None;
        for (index, line) in text.lines().enumerate() {
            let line_no = index + 1;
            if line.trim().is_empty() || (line.starts_with('#') && !line.starts_with(BIAS)) {
                continue;
            }
            let Some((feature, weight)) = line.rsplit_once('\t') else {
                return Err(ModelError::Line {
                    line: line_no,
                    message: "expected feature<TAB>weight".into(),
                });
            };
            let weight: f32 = weight.trim().parse().map_err(|_| ModelError::Line {
                line: line_no,
                message: format!("weight {weight:?} is not a number"),
            })?;
            if feature == BIAS {
                bias = Some(weight);
            } else {
                weights.insert(feature.to_string(), weight);
            }
        }
        Ok(Model {
            weights,
            bias: bias.ok_or(ModelError::NoBias)?,
        })
    }

    /// The weights as `feature<TAB>weight` lines, sorted, weights below `prune`
    /// (in absolute value) left out.
    pub fn to_tsv(&self, header: &str, prune: f32) -> String {
        let mut out = String::new();
        for line in header.lines() {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(out, "{BIAS}\t{:.4}", self.bias);
        let mut features: Vec<(&String, &f32)> = self
            .weights
            .iter()
            .filter(|(_, w)| w.abs() >= prune)
            .collect();
        features.sort_by(|a, b| a.0.cmp(b.0));
        for (feature, weight) in features {
            let _ = writeln!(out, "{feature}\t{weight:.4}");
        }
        out
    }

    /// The probability of a complaint for features already built (a recorded
    /// correction keeps only those), as [`Model::judge`] computes it.
    pub fn probability(&self, features: &[String]) -> f32 {
        let mut seen: std::collections::HashSet<&str> = Default::default();
        let mut sum = 0f32;
        for feature in features {
            if seen.insert(feature) {
                sum += self.weights.get(feature.as_str()).copied().unwrap_or(0.0);
            }
        }
        sigmoid(self.bias + sum / (seen.len().max(1) as f32).sqrt())
    }

    /// Whether the model learned this (folded, lower-case) word: a capitalised
    /// word it knows is that word, not a name.
    pub fn knows_word(&self, word: &str) -> bool {
        let mut key = String::with_capacity(word.len() + 2);
        key.push_str("w:");
        key.push_str(word);
        self.weights.contains_key(&key)
    }

    /// The `n` features that weigh most towards a complaint and the `n` that
    /// weigh most against one, strongest first: what the model learned.
    pub fn strongest(&self, n: usize) -> (Vec<Weighed>, Vec<Weighed>) {
        let mut all: Vec<(&String, &f32)> = self.weights.iter().collect();
        all.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let owned = |(f, w): (&String, &f32)| (f.clone(), *w);
        let towards = all
            .iter()
            .take(n)
            .filter(|(_, w)| **w > 0.0)
            .copied()
            .map(owned);
        let against = all
            .iter()
            .rev()
            .take(n)
            .filter(|(_, w)| **w < 0.0)
            .copied()
            .map(owned);
        (towards.collect(), against.collect())
    }

    /// The number of features with a weight.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Scores the subject (empty for a reply), the customer's new text and the
    /// names of the rules that fired on it.
    pub fn judge(&self, subject: &str, text: &str, signals: &[&str]) -> Verdict {
        let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Fnv>> =
            Default::default();
        let mut sum = 0f32;
        let mut contributions: Vec<(f32, String)> = Vec::new();
        let known = |word: &str| self.knows_word(word);
        each_feature(subject, text, signals, &known, |feature| {
            if !seen.insert(fnv(feature)) {
                return;
            }
            if let Some(w) = self.weights.get(feature) {
                sum += w;
                if *w > 0.0 && !feature.starts_with("m:") && !feature.starts_with("r:") {
                    contributions.push((*w, feature.to_string()));
                }
            }
        });
        let z = self.bias + sum / (seen.len().max(1) as f32).sqrt();
        contributions.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut top: Vec<String> = Vec::new();
        for (_, feature) in &contributions {
            let readable = readable(feature);
            if !top.contains(&readable) {
                top.push(readable);
            }
            if top.len() == 4 {
                break;
            }
        }
        Verdict {
            probability: sigmoid(z),
            top,
        }
    }
}

pub(crate) fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The distinct features of a subject, text and rule signals, as strings,
/// sorted; `known` says which words a capitalised word may be (else a name).
pub fn features(
    subject: &str,
    text: &str,
    signals: &[&str],
    known: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    each_feature(subject, text, signals, known, |f| {
        if !out.contains(f) {
            out.insert(f.to_string());
        }
    });
    out.into_iter().collect()
}

/// Calls `visit` with every feature of a subject, text and rule signals, built
/// in one reused buffer (a feature may come more than once).
fn each_feature(
    subject: &str,
    text: &str,
    signals: &[&str],
    known: &dyn Fn(&str) -> bool,
    mut visit: impl FnMut(&str),
) {
    let mut buffer = String::with_capacity(64);
    let mut emit = |parts: &[&str]| {
        buffer.clear();
        parts.iter().for_each(|p| buffer.push_str(p));
        visit(&buffer);
    };
    for signal in signals {
        emit(&[signal]);
    }
    for word in tokens::subject_words(subject, known) {
        emit(&["s:", &word]);
    }
    let words = tokens::customer_words(text, known);
    for (i, word) in words.iter().enumerate() {
        emit(&["w:", word]);
        if let Some((cut, _)) = word.char_indices().nth(5)
            && !word.starts_with('_')
            && word.chars().count() >= 7
        {
            emit(&["p:", &word[..cut]]);
        }
        if let Some(next) = words.get(i + 1) {
            emit(&["b:", word, " ", next]);
        }
    }
    if text.contains('?') {
        emit(&["m:question"]);
    }
    if text.contains('!') {
        emit(&["m:exclamation"]);
    }
    if tokens::shouts(text) {
        emit(&["m:shouting"]);
    }
    emit(&[match words.len() {
        0..=15 => "m:short",
        16..=60 => "m:medium",
        _ => "m:long",
    }]);
}

/// FNV-1a: a fast hash for feature strings (no untrusted keys choose buckets here
/// that could hurt: the table is fixed when the model loads).
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

fn fnv(text: &str) -> u64 {
    use std::hash::Hasher as _;
    let mut h = Fnv::default();
    h.write(text.as_bytes());
    h.finish()
}

/// A feature as a customer would recognise it: `b:ikke fået` → `ikke fået`.
fn readable(feature: &str) -> String {
    let body = feature.get(2..).unwrap_or(feature);
    match &feature[..feature.len().min(2)] {
        "p:" => format!("{body}…"),
        _ => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_hold_words_pairs_stems_subject_and_shape() {
        let f = features(
            "Klage",
            "Hvorfor er gebyret trukket 2 gange?",
            &["r:grievance"],
            &|_| false,
        );
        for expected in [
            "s:klage",
            "w:hvorfor",
            "b:gebyret trukket",
            "p:gebyr",
            "m:question",
            "m:short",
            "r:grievance",
            "b:trukket _num",
        ] {
            assert!(f.contains(&expected.to_string()), "{expected} in {f:?}");
        }
    }

    #[test]
    fn a_model_round_trips_through_tsv_and_scores_features_as_it_judges() {
        let model = Model::new(
            [("w:gebyr".to_string(), 1.5), ("w:tak".to_string(), -2.0)],
            -0.25,
        );
        let again = Model::from_tsv(&model.to_tsv("test", 0.0)).unwrap();
        assert_eq!(again.len(), 2);
        let text = "Gebyr igen";
        let judged = again.judge("", text, &[]).probability;
        let features = features("", text, &[], &|w| again.knows_word(w));
        assert!((again.probability(&features) - judged).abs() < 1e-6);
        assert!(judged > 0.5);
        let (towards, against) = again.strongest(30);
        assert_eq!(towards, [("w:gebyr".to_string(), 1.5)]);
        assert_eq!(against, [("w:tak".to_string(), -2.0)]);
    }

    #[test]
    fn a_broken_model_file_is_refused_with_its_line() {
        let err = Model::from_tsv("#bias\t0.1\nw:x\tabc\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(Model::from_tsv("w:x\t1\n").is_err());
    }
}
