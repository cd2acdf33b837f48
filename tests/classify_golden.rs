//! Golden files: each `fixtures/classify/*.eml` beside its expected `*.json`.
//! The test classifies every mail with the embedded rules and the embedded default
//! config's context (prefix KL, domain klagebot.localhost, default language da),
//! compares what a user sees (complaint, language, automated, case_ref,
//! escalation_request, category; a key left out of the expected JSON is not
//! compared), writes `target/classify-golden/NAME.failed` with the actual result
//! and its reasons for any mismatch (never into `fixtures/`, which `build.rs`
//! packs), and asserts that it ran more than zero cases.

use std::path::{Path, PathBuf};

use klagebot::classify::{Classifier, Context, Rules};
use klagebot::domain::Language;
use klagebot::parse::parse;
use serde_json::{Value, json};

const COMPARED: [&str; 6] = [
    "complaint",
    "language",
    "automated",
    "case_ref",
    "escalation_request",
    "category",
];

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/classify");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_fixtures_classify_as_expected() {
    let classifier = Classifier::new(Rules::embedded());
    let ctx = Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    };
    let mut ran = 0;
    let mut failed = Vec::new();
    let failed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/classify-golden");
    std::fs::create_dir_all(&failed_dir).expect("target/classify-golden");
    for eml in fixtures() {
        let expected_path = eml.with_extension("json");
        let failed_path = failed_dir
            .join(eml.file_name().unwrap_or_default())
            .with_extension("failed");
        let expected: Value = std::fs::read_to_string(&expected_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| {
                panic!(
                    "{} needs a valid {}",
                    eml.display(),
                    expected_path.display()
                )
            });
        let raw = std::fs::read(&eml).unwrap_or_else(|e| panic!("{}: {e}", eml.display()));
        let actual =
            serde_json::to_value(classifier.classify(&parse(&raw), &ctx)).expect("serialises");
        ran += 1;
        let differs: Vec<&str> = COMPARED
            .iter()
            .copied()
            .filter(|k| {
                expected
                    .get(*k)
                    .is_some_and(|want| Some(want) != actual.get(*k))
            })
            .collect();
        if differs.is_empty() {
            let _ = std::fs::remove_file(&failed_path);
            continue;
        }
        let report = json!({ "differs": differs, "actual": actual });
        std::fs::write(
            &failed_path,
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", failed_path.display()));
        failed.push(format!(
            "{}: {}",
            eml.file_name().unwrap_or_default().to_string_lossy(),
            differs.join(", ")
        ));
    }
    assert!(ran > 0, "no fixtures found");
    assert!(
        failed.is_empty(),
        "{} of {ran} fixtures differ (see target/classify-golden/*.failed):\n{}",
        failed.len(),
        failed.join("\n")
    );
}
