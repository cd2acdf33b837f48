//! The complaint model against the labelled corpus in `fixtures/complaint-corpus/`:
//! the embedded model is exactly what `scripts/train-complaint-model` makes from
//! the committed training mail, and on the four held-out sets, which it never saw,
//! the whole classifier is at least 95% right on complaint and on language.

#[path = "../examples/complaint_corpus/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::path::Path;

use klagebot::classify::model::{EMBEDDED_MODEL, Training};
use klagebot::classify::{Classifier, Rules};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_embedded_model_is_what_the_training_script_makes() {
    let mut mails = Vec::new();
    for source in corpus::training_sources(root()).expect("training sources") {
        mails.extend(corpus::load(&source).expect("labelled mail loads"));
    }
    assert!(mails.len() > 3000, "only {} training mails", mails.len());
    let trained = corpus::train_tsv(&mails, &Rules::embedded(), false, Training::default());
    assert!(
        trained == EMBEDDED_MODEL,
        "src/classify/complaint_model.tsv is not what the committed training mail and \
         rules make: run scripts/train-complaint-model and commit the model"
    );
}

#[test]
fn held_out_mail_is_at_least_95_percent_right_on_complaint_and_language() {
    let classifier = Classifier::new(Rules::embedded());
    for set in [
        "heldout-a",
        "heldout-b",
        "heldout-c",
        "heldout-d",
        "heldout-e",
    ] {
        let path = root().join(format!("fixtures/complaint-corpus/{set}.jsonl"));
        let mails = corpus::load(&path).expect("held-out mail loads");
        assert!(mails.len() >= 200, "{set}: only {} mails", mails.len());
        let mut wrong = Vec::new();
        let mut wrong_language = Vec::new();
        for mail in &mails {
            let got = classifier.classify(&mail.mail, &corpus::context());
            if got.complaint != mail.complaint {
                wrong.push(format!(
                    "{} ({}): expected complaint={}, got {:?}",
                    mail.id,
                    mail.kind,
                    mail.complaint,
                    got.reasons.last()
                ));
            }
            if got.language.code() != mail.lang {
                wrong_language.push(format!("{}: {} as {:?}", mail.id, mail.lang, got.language));
            }
        }
        let right = |errors: usize| 100.0 * (mails.len() - errors) as f64 / mails.len() as f64;
        assert!(
            right(wrong.len()) >= 95.0,
            "{set}: complaint right in {:.1}%:\n{}",
            right(wrong.len()),
            wrong.join("\n")
        );
        assert!(
            right(wrong_language.len()) >= 95.0,
            "{set}: language right in {:.1}%:\n{}",
            right(wrong_language.len()),
            wrong_language.join("\n")
        );
    }
}
