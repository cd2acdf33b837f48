//! The complaint model against the labelled corpus shipped in the binary
//! (`fixtures/`, split once by writer and batch in `split.toml`): the embedded
//! model is exactly what `klagebot train` makes from it, nothing of the frozen
//! test set is learned from, and the whole classifier stays at least 95% right on
//! the test set's mail and language.

use std::path::Path;

use klagebot::classify::Rules;
use klagebot::classify::model::EMBEDDED_MODEL;
use klagebot::classify::training::corpus::{self, Role};
use klagebot::classify::training::{self, Training, measure};
use klagebot::classify::{Classifier, Model};
use klagebot::cli::eval::corpus_context;
use klagebot::cli::train::{model_file, shipped_examples};

#[test]
fn the_embedded_model_is_what_klagebot_train_makes_from_the_shipped_corpus() {
    let shipped = corpus::shipped().expect("the packed corpus reads");
    let learn = shipped_examples(&Rules::embedded(), &shipped);
    assert!(learn.len() > 5000, "only {} training mails", learn.len());
    let model = training::retrain(&learn, &[], &[], 1.0, Training::default());
    let made = model_file(&model, &learn, &[], &[]);
    assert!(
        made == EMBEDDED_MODEL,
        "src/classify/complaint_model.tsv is not what the shipped corpus and rules make: \
         run scripts/train-complaint-model and commit the model"
    );
}

#[test]
fn the_split_keeps_the_test_set_out_of_training_and_names_every_source() {
    let shipped = corpus::shipped().expect("the packed corpus reads");
    let split = &shipped.split;
    assert!(
        split
            .test
            .iter()
            .all(|s| !split.train.contains(s) && !split.validation.contains(s))
    );
    let learned: Vec<&str> = shipped
        .in_roles(&[Role::Train, Role::Validation])
        .iter()
        .map(|m| m.source.as_str())
        .collect();
    for test_source in &split.test {
        assert!(
            !learned.contains(&test_source.as_str()),
            "{test_source} is learned from"
        );
    }
    for mail in &shipped.mails {
        assert!(
            split.role(&mail.source).is_some(),
            "{} is in no role of split.toml",
            mail.source
        );
    }
    // The pack holds what fixtures/ holds.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/complaint-corpus");
    for entry in std::fs::read_dir(&dir).expect("corpus folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "jsonl") {
            let on_disk = klagebot::cli::labelled::load(&path).expect("jsonl loads");
            let stem = on_disk[0].source.clone();
            let packed = shipped.mails.iter().filter(|m| m.source == stem).count();
            assert_eq!(
                packed,
                on_disk.len(),
                "{stem}: build.rs packed another version"
            );
        }
    }
    let golden = klagebot::cli::labelled::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/classify"),
    )
    .expect("golden mails load");
    let packed = shipped
        .mails
        .iter()
        .filter(|m| m.source == corpus::GOLDEN)
        .count();
    assert_eq!(packed, golden.len(), "the golden mails packed by build.rs");
}

#[test]
fn the_frozen_test_set_is_at_least_95_percent_right_on_complaint_recall_and_language() {
    let shipped = corpus::shipped().expect("the packed corpus reads");
    let test = shipped.in_roles(&[Role::Test]);
    assert!(test.len() >= 400, "only {} test mails", test.len());
    let classifier = Classifier::with_model(Rules::embedded(), Some(Model::embedded()));
    let (figures, scored) = measure::measure(&classifier, &test, &corpus_context());
    let wrong: Vec<String> = scored
        .iter()
        .filter(|s| s.complaint_wrong() || s.language_wrong())
        .map(|s| {
            format!(
                "{} {}: {:?}",
                s.mail.id,
                s.mail.kind,
                s.classification.reasons.last()
            )
        })
        .collect();
    let all = figures.all;
    for (what, rate) in [
        ("accuracy", all.accuracy()),
        ("recall", all.recall()),
        ("language", all.language()),
    ] {
        assert!(rate.value() >= 0.95, "{what} {rate}:\n{}", wrong.join("\n"));
    }
}
