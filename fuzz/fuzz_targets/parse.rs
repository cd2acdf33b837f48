//! Any bytes as a mail: parsing and classifying never panic, never loop, and
//! always give the mail an identity.
#![no_main]

use std::sync::LazyLock;

use klagebot::classify::{Classifier, Context, Rules};
use klagebot::domain::Language;
use libfuzzer_sys::fuzz_target;

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(|| Classifier::new(Rules::embedded()));

fuzz_target!(|raw: &[u8]| {
    let mail = klagebot::parse::parse(raw);
    assert!(!mail.message_id.is_empty());
    let context = Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    };
    let verdict = CLASSIFIER.classify(&mail, &context);
    assert!(!(verdict.automated && verdict.complaint));
});
