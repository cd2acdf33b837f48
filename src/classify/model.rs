//! A learned complaint signal beside the rules: logistic regression over the
//! words of the customer's text (pure; no I/O).
//!
//! Phrase rules know the complaints someone has seen. Customers who complain
//! without any listed phrase ("the adviser promised me 7 %, I got 2 %") still
//! write in the vocabulary of complaints: the model weighs every word, word pair
//! and word stem it learned from labelled mail (`fixtures/complaint-corpus/`),
//! and its top features are shown as the reason. The weights are a readable text
//! file (`complaint_model.tsv`, embedded; `feature<TAB>weight` per line) made by
//! `scripts/train-complaint-model`; a company can train its own and point
//! `classify.model_file` at it.
//!
//! Features: each distinct word (`w:`), adjacent word pair (`b:`), the first
//! five letters of a long word (`p:`, so "reklamerede" and "reklamere" meet),
//! subject words (`s:`) and the shape of the text (`m:` question mark,
//! exclamation, length). Letters are folded to ASCII (æ/ä→ae, ø/ö→oe, å→aa) so a
//! customer who types without them reads the same, and numbers become `0`.
//! The features of a text are weighted 1/√n, so long mails do not win by length.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// The model shipped with klagebot.
pub const EMBEDDED_MODEL: &str = include_str!("complaint_model.tsv");

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

/// The model's verdict on one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Estimated probability that the text is a complaint.
    pub probability: f32,
    /// The features that pushed most towards "complaint", readable.
    pub top: Vec<String>,
}

impl Model {
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
        each_feature(subject, text, signals, |feature| {
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

/// One labelled text for training.
#[derive(Debug, Clone)]
pub struct Example {
    pub subject: String,
    pub text: String,
    /// The rules that fired on it (`r:…`), as [`Model::judge`] gets them.
    pub signals: Vec<String>,
    pub complaint: bool,
}

/// How to train.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 penalty per example step.
    pub l2: f32,
    /// Seed of the example order.
    pub seed: u64,
}

impl Default for Training {
    fn default() -> Self {
        Training {
            epochs: 30,
            learning_rate: 0.3,
            l2: 1e-3,
            seed: 2026,
        }
    }
}

/// Logistic regression by AdaGrad over the examples, classes weighted to balance.
/// Deterministic for the same examples and settings.
pub fn train(examples: &[Example], settings: Training) -> Model {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut docs = Vec::with_capacity(examples.len());
    for example in examples {
        let signals: Vec<&str> = example.signals.iter().map(String::as_str).collect();
        let ids: Vec<usize> = features(&example.subject, &example.text, &signals)
            .into_iter()
            .map(|f| {
                let next = index.len();
                *index.entry(f).or_insert(next)
            })
            .collect();
        let scale = 1.0 / (ids.len().max(1) as f32).sqrt();
        docs.push((ids, scale, if example.complaint { 1.0 } else { 0.0 }));
    }
    let mut names = vec![String::new(); index.len()];
    for (name, id) in index {
        names[id] = name;
    }
    fit(&docs, names, settings)
}

fn fit(docs: &[(Vec<usize>, f32, f32)], names: Vec<String>, settings: Training) -> Model {
    let positives = docs.iter().filter(|d| d.2 > 0.5).count().max(1) as f32;
    let negatives = (docs.len() as f32 - positives).max(1.0);
    let total = docs.len() as f32;
    let class_weight = |label: f32| {
        if label > 0.5 {
            total / (2.0 * positives)
        } else {
            total / (2.0 * negatives)
        }
    };
    let mut w = vec![0f32; names.len()];
    let mut g2 = vec![1e-8f32; names.len()];
    let (mut bias, mut bias_g2) = (0f32, 1e-8f32);
    let mut order: Vec<usize> = (0..docs.len()).collect();
    let mut rng = settings.seed.max(1);
    for _ in 0..settings.epochs {
        // Fisher–Yates with xorshift: a fixed order for a fixed seed.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &d in &order {
            let (ids, scale, label) = &docs[d];
            let z = bias + ids.iter().map(|&i| w[i] * scale).sum::<f32>();
            let error = (sigmoid(z) - label) * class_weight(*label);
            for &i in ids {
                let g = error * scale + settings.l2 * w[i];
                g2[i] += g * g;
                w[i] -= settings.learning_rate * g / g2[i].sqrt();
            }
            bias_g2 += error * error;
            bias -= settings.learning_rate * error / bias_g2.sqrt();
        }
    }
    Model {
        weights: names.into_iter().zip(w).collect(),
        bias,
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The distinct features of a subject, text and rule signals, as strings, sorted.
pub fn features(subject: &str, text: &str, signals: &[&str]) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    each_feature(subject, text, signals, |f| {
        if !out.contains(f) {
            out.insert(f.to_string());
        }
    });
    out.into_iter().collect()
}

/// Calls `visit` with every feature of a subject, text and rule signals, built
/// in one reused buffer (a feature may come more than once).
fn each_feature(subject: &str, text: &str, signals: &[&str], mut visit: impl FnMut(&str)) {
    let mut buffer = String::with_capacity(64);
    let mut emit = |parts: &[&str]| {
        buffer.clear();
        parts.iter().for_each(|p| buffer.push_str(p));
        visit(&buffer);
    };
    for signal in signals {
        emit(&[signal]);
    }
    for word in words(subject) {
        emit(&["s:", &word]);
    }
    let words = words(text);
    for (i, word) in words.iter().enumerate() {
        emit(&["w:", word]);
        if let Some((cut, _)) = word.char_indices().nth(5)
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

/// Lower-case words folded to ASCII, numbers as `0`.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    let mut flush = |current: &mut String, digits: &mut bool| {
        if !current.is_empty() {
            out.push(if *digits {
                "0".to_string()
            } else {
                std::mem::take(current)
            });
        }
        current.clear();
        *digits = false;
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            digits |= c.is_numeric();
            for lower in c.to_lowercase() {
                match lower {
                    'æ' | 'ä' => current.push_str("ae"),
                    'ø' | 'ö' => current.push_str("oe"),
                    'å' => current.push_str("aa"),
                    'é' | 'è' | 'ê' => current.push('e'),
                    'ü' => current.push('u'),
                    other => current.push(other),
                }
            }
        } else if c == '%' {
            flush(&mut current, &mut digits);
            current.push_str("pct");
            flush(&mut current, &mut digits);
        } else {
            flush(&mut current, &mut digits);
        }
    }
    flush(&mut current, &mut digits);
    out
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
    fn words_fold_letters_and_numbers() {
        assert_eq!(
            words("Kortet blev SPÆRRET 3 gange, 7% rente! Är du där?"),
            [
                "kortet", "blev", "spaerret", "0", "gange", "0", "pct", "rente", "aer", "du",
                "daer"
            ]
        );
    }

    #[test]
    fn features_hold_words_pairs_stems_subject_and_shape() {
        let f = features("Klage", "Hvorfor er gebyret trukket?", &["r:grievance"]);
        for expected in [
            "s:klage",
            "w:hvorfor",
            "b:gebyret trukket",
            "p:gebyr",
            "m:question",
            "m:short",
            "r:grievance",
        ] {
            assert!(f.contains(&expected.to_string()), "{expected} in {f:?}");
        }
    }

    fn example(text: &str, complaint: bool) -> Example {
        Example {
            subject: String::new(),
            text: text.into(),
            signals: Vec::new(),
            complaint,
        }
    }

    #[test]
    fn training_separates_what_it_was_shown_and_round_trips_through_tsv() {
        let examples = [
            example("you charged me twice and nobody answers", true),
            example("the fee is wrong and I want it back", true),
            example("still no money after three weeks, unacceptable", true),
            example("what are your opening hours", false),
            example("please send me a new card", false),
            example("thanks for the quick help", false),
        ];
        let model = train(&examples, Training::default());
        for e in &examples {
            let p = model.judge(&e.subject, &e.text, &[]).probability;
            assert_eq!(p > 0.5, e.complaint, "{p} for {:?}", e.text);
        }
        let again = Model::from_tsv(&model.to_tsv("test", 0.0)).unwrap();
        assert_eq!(again.len(), model.len());
        let text = "nobody answers and the fee is wrong";
        let (a, b) = (model.judge("", text, &[]), again.judge("", text, &[]));
        assert!((a.probability - b.probability).abs() < 1e-3);
        assert!(a.probability > 0.5);
        assert!(!a.top.is_empty());
    }

    #[test]
    fn a_broken_model_file_is_refused_with_its_line() {
        let err = Model::from_tsv("#bias\t0.1\nw:x\tabc\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(Model::from_tsv("w:x\t1\n").is_err());
    }
}
