//! `klagebot train`: retrains the complaint model on the corpus shipped in the
//! binary (train and validation of its split) plus the company's own labels —
//! its labelled mail (`--labelled DIR`) and the corrections staff made
//! (`--from-db`) — writes the model file, and prints before/after figures on
//! the frozen test set and on the company's labels (cross-validated). A model
//! that recognises more than one point fewer of the test set's complaints than
//! the model in use is refused unless `--force`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::eval::{corpus_context, print_strongest};
use super::labelled;
use crate::classify::model::FEATURE_SET;
use crate::classify::training::corpus::{self, Labelled, Role};
use crate::classify::training::measure::{self, Figures};
use crate::classify::training::{self, Example, Featured, Training};
use crate::classify::{self as classify, Classifier, Context, Model, Rules};
use crate::config::Config;
use crate::store::StoredCorrection;

/// How far complaint recall on the test set may fall before a model is refused.
const RECALL_TOLERANCE: f64 = 0.01;
/// Folds of the cross-validation over the company's labels.
const FOLDS: usize = 5;
/// Where the model goes without `--out` and without `classify.model_file`.
const DEFAULT_OUT: &str = "complaint_model.tsv";

pub fn run(config: &Config, args: &super::TrainArgs) -> anyhow::Result<ExitCode> {
    let rules = classify::rules_from_config(config)?;
    let before = classify::model_from_config(config)?;
    let shipped = corpus::shipped()?;
    let plain = Classifier::with_model(rules.clone(), None);
    let corpus_ctx = corpus_context();
    let learn = shipped_examples(&rules, &shipped);
    let company_ctx = Context::from_config(config, None)?;
    let mut company_mail = Vec::new();
    for path in &args.labelled {
        company_mail.extend(labelled::load(path)?);
    }
    let company = examples(
        &plain,
        &company_mail.iter().collect::<Vec<_>>(),
        &company_ctx,
    );
    let corrections = if args.from_db {
        corrections_from_db(config, args.weight)?
    } else {
        Vec::new()
    };
    let settings = Training::default();
    println!(
        "training on {} shipped mails, {} labelled mails of the company and {} corrections",
        learn.len(),
        company.len(),
        corrections.len()
    );
    let model = training::retrain(&learn, &company, &corrections, args.weight, settings);
    let test = shipped.in_roles(&[Role::Test]);
    let (was, now) = (
        figures(&rules, &before, &test, &corpus_ctx),
        figures(&rules, &model, &test, &corpus_ctx),
    );
    println!("\nthe frozen test set, model in use:\n{}", was.table());
    println!("the frozen test set, new model:\n{}", now.table());
    if !company.is_empty() || !corrections.is_empty() {
        print_company_figures(
            &learn,
            &company,
            &corrections,
            &before,
            &rules,
            args.weight,
            settings,
        );
    }
    print_strongest(&model);
    let drop = was.all.recall().value() - now.all.recall().value();
    if drop > RECALL_TOLERANCE && !args.force {
        eprintln!(
            "klagebot: refused: the new model recognises {:.1} points fewer of the test set's complaints \
             ({} → {}); nothing written (use --force to write it anyway)",
            100.0 * drop,
            was.all.recall(),
            now.all.recall()
        );
        return Ok(ExitCode::FAILURE);
    }
    let out = args
        .out
        .clone()
        .or_else(|| config.classify.model_file.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT));
    std::fs::write(&out, model_file(&model, &learn, &company, &corrections))
        .with_context(|| format!("while writing {}", out.display()))?;
    println!(
        "\nwrote {} ({} features); point [classify] model_file at it",
        out.display(),
        model.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Weights smaller than this are left out of the model file.
const PRUNE: f32 = 0.002;

/// What the shipped model learns from: the train and validation mail of the
/// shipped corpus, as the model reads it under these rules.
pub fn shipped_examples(rules: &Rules, shipped: &corpus::Shipped) -> Vec<Example> {
    let plain = Classifier::with_model(rules.clone(), None);
    examples(
        &plain,
        &shipped.in_roles(&[Role::Train, Role::Validation]),
        &corpus_context(),
    )
}

/// The model file's text: a header saying what it learned from, then the weights.
pub fn model_file(
    model: &Model,
    learn: &[Example],
    company: &[Example],
    corrections: &[Featured],
) -> String {
    model.to_tsv(&header(learn, company, corrections), PRUNE)
}

fn examples(classifier: &Classifier, mails: &[&Labelled], ctx: &Context) -> Vec<Example> {
    mails
        .iter()
        .map(|l| classifier.model_example(&l.mail, ctx, l.complaint))
        .collect()
}

fn figures(rules: &Rules, model: &Model, mails: &[&Labelled], ctx: &Context) -> Figures {
    let classifier = Classifier::with_model(rules.clone(), Some(model.clone()));
    measure::measure(&classifier, mails, ctx).0
}

/// The company's labels, cross-validated: how many a model trained without
/// them gets right, before (the model in use) and after.
fn print_company_figures(
    learn: &[Example],
    company: &[Example],
    corrections: &[Featured],
    before: &Model,
    rules: &Rules,
    weight: f32,
    settings: Training,
) {
    let mut all = learn.to_vec();
    all.extend(company.iter().cloned());
    let vocabulary = training::vocabulary(&all);
    let base = training::featurise(learn, &vocabulary, 1.0);
    let mut own = training::featurise(company, &vocabulary, weight);
    own.extend(corrections.iter().cloned());
    let cutoff = rules.complaint.model.cutoff.unwrap_or(0.5);
    let (was, now) = training::cross_validate(&base, &own, FOLDS, cutoff, before, settings);
    println!(
        "the company's own labels ({} mails, the model alone at {cutoff:.2}; after: {FOLDS}-fold cross-validated):",
        own.len()
    );
    println!("  model in use {was}\n  new model    {now}\n");
}

/// The corrections staff made, the latest label per case, as training examples.
fn corrections_from_db(config: &Config, weight: f32) -> anyhow::Result<Vec<Featured>> {
    let stored = super::db::with_store(config, |store| async move { store.corrections().await })?;
    let (usable, skipped) = latest_per_case(&stored, weight);
    if skipped > 0 {
        println!(
            "{skipped} corrections left out: no features kept, or made by another feature builder than {FEATURE_SET}"
        );
    }
    Ok(usable)
}

/// The latest complaint label of each case (a `#notcomplaint` after a
/// `#category` wins), corrections that overrule klagebot counting `weight`.
pub fn latest_per_case(stored: &[StoredCorrection], weight: f32) -> (Vec<Featured>, usize) {
    let mut by_case: BTreeMap<String, Featured> = BTreeMap::new();
    let mut skipped = 0;
    for c in stored {
        if c.features.is_empty() || c.feature_set != FEATURE_SET {
            skipped += 1;
            continue;
        }
        let overrules = c.correction.overrules();
        by_case.insert(
            c.case_ref.to_string(),
            Featured {
                features: c.features.clone(),
                complaint: c.correction.complaint(),
                weight: if overrules { weight } else { 1.0 },
            },
        );
    }
    (by_case.into_values().collect(), skipped)
}

fn header(learn: &[Example], company: &[Example], corrections: &[Featured]) -> String {
    let complaints = learn.iter().filter(|e| e.complaint).count();
    let mut text = format!(
        "klagebot complaint model: logistic regression, {} labelled mails ({complaints} complaints) \
         of the shipped corpus (train and validation of split.toml)",
        learn.len()
    );
    if !company.is_empty() || !corrections.is_empty() {
        text.push_str(&format!(
            ", {} labelled mails of the company and {} staff corrections",
            company.len(),
            corrections.len()
        ));
    }
    text.push_str(".\nMade by `klagebot train`; feature<TAB>weight, see src/classify/model.rs.");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::training::Correction;
    use crate::domain::{CaseRef, Category};

    fn stored(case: u32, correction: Correction, features: &[&str], set: &str) -> StoredCorrection {
        StoredCorrection {
            case_ref: CaseRef::new("KL", 2026, case).unwrap(),
            at: chrono::Utc::now(),
            correction,
            features: features.iter().map(|f| f.to_string()).collect(),
            feature_set: set.into(),
        }
    }

    #[test]
    fn the_latest_label_of_a_case_wins_and_overruling_labels_weigh_more() {
        let rows = [
            stored(
                1,
                Correction::Category(Category::Fees),
                &["w:gebyr"],
                FEATURE_SET,
            ),
            stored(1, Correction::NotComplaint, &["w:gebyr"], FEATURE_SET),
            stored(
                2,
                Correction::Category(Category::Card),
                &["w:kort"],
                FEATURE_SET,
            ),
            stored(3, Correction::Complaint, &[], FEATURE_SET),
            stored(4, Correction::Complaint, &["w:x"], "words-v1"),
        ];
        let (usable, skipped) = latest_per_case(&rows, 5.0);
        assert_eq!(skipped, 2, "no features, and another feature builder");
        assert_eq!(
            usable,
            [
                Featured {
                    features: vec!["w:gebyr".into()],
                    complaint: false,
                    weight: 5.0
                },
                Featured {
                    features: vec!["w:kort".into()],
                    complaint: true,
                    weight: 1.0
                },
            ]
        );
    }
}
