//! Learning the complaint model (pure; no I/O): the labelled corpus shipped in
//! the binary and its one frozen split ([`corpus`]), the model's view of a
//! mail ([`Example`], [`Featured`]), training ([`train`], [`fit`]), measurement
//! with confidence intervals ([`measure`]) and the labels that staff corrections
//! give ([`correction_for`]).
//!
//! `klagebot train` and `klagebot eval` (in `cli`) read files and the database
//! and call into here; so do `examples/complaint_corpus` and the tests.

pub mod corpus;
mod correction;
pub mod measure;

use std::collections::{HashMap, HashSet};

pub use correction::{Correction, correction_for};

use super::model::{Model, sigmoid};
use super::tokens;

/// One labelled mail as the model reads it: the subject (empty for a reply),
/// the customer's new text and the rules that fired.
#[derive(Debug, Clone)]
pub struct Example {
    pub subject: String,
    pub text: String,
    /// The rules that fired on it (`r:…`), as [`Model::judge`] gets them.
    pub signals: Vec<String>,
    pub complaint: bool,
}

/// A labelled mail turned into the model's features (all a staff correction keeps).
#[derive(Debug, Clone, PartialEq)]
pub struct Featured {
    pub features: Vec<String>,
    pub complaint: bool,
    /// How much the example counts against an ordinary one.
    pub weight: f32,
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
    /// A feature must occur in at least this many examples to be learned (1:
    /// on validation mail, 2 and 3 recognised a complaint or two fewer).
    pub min_count: usize,
}

impl Default for Training {
    fn default() -> Self {
        Training {
            epochs: 30,
            learning_rate: 0.3,
            l2: 1e-3,
            seed: 2026,
            min_count: 1,
        }
    }
}

/// The words written in lower case somewhere in the examples: the words a
/// capitalised word may be. Any other capitalised word inside a sentence is a
/// name to the model (see [`tokens`]).
pub fn vocabulary(examples: &[Example]) -> HashSet<String> {
    let mut out = HashSet::new();
    for example in examples {
        out.extend(tokens::lower_case_words(&example.subject));
        out.extend(tokens::lower_case_words(&example.text));
    }
    out
}

/// The examples' features, each example counting `weight`.
pub fn featurise(examples: &[Example], vocabulary: &HashSet<String>, weight: f32) -> Vec<Featured> {
    let known = |word: &str| vocabulary.contains(word);
    examples
        .iter()
        .map(|example| {
            let signals: Vec<&str> = example.signals.iter().map(String::as_str).collect();
            Featured {
                features: super::model::features(&example.subject, &example.text, &signals, &known),
                complaint: example.complaint,
                weight,
            }
        })
        .collect()
}

/// Trains on labelled examples. Deterministic for the same examples and settings.
pub fn train(examples: &[Example], settings: Training) -> Model {
    let vocabulary = vocabulary(examples);
    fit(&featurise(examples, &vocabulary, 1.0), settings)
}

/// Logistic regression by AdaGrad over featured examples, classes weighted to
/// balance, each example by its own weight too. Deterministic for the same
/// examples in the same order and the same settings.
pub fn fit(docs: &[Featured], settings: Training) -> Model {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for doc in docs {
        for f in &doc.features {
            *counts.entry(f.as_str()).or_default() += 1;
        }
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let rows: Vec<(Vec<usize>, f32, f32, f32)> = docs
        .iter()
        .map(|doc| {
            // The scale counts every feature of the mail, as judging does.
            let scale = 1.0 / (doc.features.len().max(1) as f32).sqrt();
            let ids: Vec<usize> = doc
                .features
                .iter()
                .filter(|f| counts[f.as_str()] >= settings.min_count)
                .map(|f| {
                    *index.entry(f.as_str()).or_insert_with(|| {
                        names.push(f.as_str());
                        names.len() - 1
                    })
                })
                .collect();
            let label = if doc.complaint { 1.0 } else { 0.0 };
            (ids, scale, label, doc.weight)
        })
        .collect();
    let (weights, bias) = descend(&rows, names.len(), settings);
    Model::new(names.into_iter().map(str::to_string).zip(weights), bias)
}

/// The gradient descent of [`fit`] over (feature ids, scale, label, weight) rows.
fn descend(
    rows: &[(Vec<usize>, f32, f32, f32)],
    features: usize,
    settings: Training,
) -> (Vec<f32>, f32) {
    let weight_of = |positive: bool| -> f32 {
        rows.iter()
            .filter(|r| (r.2 > 0.5) == positive)
            .map(|r| r.3)
            .sum::<f32>()
            .max(1.0)
    };
    let (positives, negatives) = (weight_of(true), weight_of(false));
    let total = positives + negatives;
    let class_weight = |label: f32| {
        if label > 0.5 {
            total / (2.0 * positives)
        } else {
            total / (2.0 * negatives)
        }
    };
    let mut w = vec![0f32; features];
    let mut g2 = vec![1e-8f32; features];
    let (mut bias, mut bias_g2) = (0f32, 1e-8f32);
    let mut order: Vec<usize> = (0..rows.len()).collect();
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
            let (ids, scale, label, weight) = &rows[d];
            let z = bias + ids.iter().map(|&i| w[i] * scale).sum::<f32>();
            let error = (sigmoid(z) - label) * class_weight(*label) * weight;
            for &i in ids {
                let g = error * scale + settings.l2 * w[i];
                g2[i] += g * g;
                w[i] -= settings.learning_rate * g / g2[i].sqrt();
            }
            bias_g2 += error * error;
            bias -= settings.learning_rate * error / bias_g2.sqrt();
        }
    }
    (w, bias)
}

/// Retrains on the shipped examples and a company's own labels: its labelled
/// mail (`company`, featurised with the shipped vocabulary) and its recorded
/// corrections (`corrections`, features already), each counting `weight`.
pub fn retrain(
    shipped: &[Example],
    company: &[Example],
    corrections: &[Featured],
    weight: f32,
    settings: Training,
) -> Model {
    let mut all: Vec<Example> = shipped.to_vec();
    all.extend(company.iter().cloned());
    let vocabulary = vocabulary(&all);
    let mut docs = featurise(shipped, &vocabulary, 1.0);
    docs.extend(featurise(company, &vocabulary, weight));
    docs.extend(corrections.iter().cloned());
    fit(&docs, settings)
}

/// How often a model trained without them gets a company's own labels right:
/// `folds`-fold cross-validation over `company`, each fold measured by a model
/// fitted on `base` and the other folds. Returns (right, of) for the model's
/// decision at `cutoff`, and the same for `before`, the model in use now.
pub fn cross_validate(
    base: &[Featured],
    company: &[Featured],
    folds: usize,
    cutoff: f32,
    before: &Model,
    settings: Training,
) -> (measure::Rate, measure::Rate) {
    let folds = folds.clamp(1, company.len().max(1));
    let right = |model: &Model, doc: &Featured| {
        (model.probability(&doc.features) >= cutoff) == doc.complaint
    };
    let mut after = measure::Rate::default();
    for fold in 0..folds {
        let mut docs = base.to_vec();
        docs.extend(
            company
                .iter()
                .enumerate()
                .filter(|(i, _)| i % folds != fold)
                .map(|(_, d)| d.clone()),
        );
        let model = fit(&docs, settings);
        for (_, doc) in company
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds == fold)
        {
            after.n += 1;
            after.hits += usize::from(right(&model, doc));
        }
    }
    let before_rate = measure::Rate {
        hits: company.iter().filter(|d| right(before, d)).count(),
        n: company.len(),
    };
    (before_rate, after)
}

#[cfg(test)]
mod tests;
