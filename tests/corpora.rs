//! Real third-party mail from `../shared/corpora` (never copied into the repo):
//! every message goes through parse + classify without a panic, and every message
//! its source project calls a bounce, DSN, auto-reply, feedback report or
//! automated comes out `automated`. Mail the source project answers with an
//! auto-reply (Zammad `send_auto_reply: true`) must not come out automated.
//!
//! Decided on purpose: Zammad's `mail089`/`mail090` (ServiceNow notifications with
//! `Precedence: bulk` and `Auto-Submitted: auto-generated`) are wanted tickets in
//! Zammad, but klagebot must never auto-reply to them, so they come out automated;
//! a staff member can still open a case from such a mail with `#open`.
//!
//! The corpora folder is looked up as `../shared/corpora` from the repo root (also
//! `../../shared/corpora`, for a worktree one level deeper), or `KLAGEBOT_CORPORA`.
//! When it is absent the tests fail and say where they looked: a checkout without
//! the corpora must say so (`KLAGEBOT_CORPORA=skip`, which `scripts/test` reports
//! on its summary line), never pass quietly.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use klagebot::classify::{Classification, Classifier, Context, Rules};
use klagebot::domain::Language;
use klagebot::parse::parse;
use serde_json::Value;

/// The corpora folder; `None` only when `KLAGEBOT_CORPORA=skip` says to go
/// without. Missing otherwise is a failure that says where it looked.
fn corpora() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates = Vec::new();
    match std::env::var("KLAGEBOT_CORPORA") {
        Ok(value) if value == "skip" => return None,
        Ok(dir) => candidates.push(PathBuf::from(dir)),
        Err(_) => {}
    }
    candidates.push(root.join("../shared/corpora"));
    candidates.push(root.join("../../shared/corpora"));
    if let Some(found) = candidates.iter().find(|p| p.join("README.md").is_file()) {
        return Some(found.clone());
    }
    panic!(
        "the third-party mail corpora were not found (looked in {}); put them at \
         ../shared/corpora, point KLAGEBOT_CORPORA at them, or set KLAGEBOT_CORPORA=skip \
         to run without them",
        candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn ctx() -> Context {
    Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    }
}

/// Every message file below `dir`: not the expectations, licences or checksums.
fn message_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "LICENSES" {
                message_files(&path, out);
            }
        } else if !(name.ends_with(".json")
            || name.ends_with(".yml")
            || name.ends_with(".md")
            || name.starts_with("MANIFEST")
            || name.starts_with("COPYING"))
        {
            out.push(path);
        }
    }
}

fn classify_file(classifier: &Classifier, path: &Path) -> Result<Classification, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    catch_unwind(AssertUnwindSafe(|| {
        classifier.classify(&parse(&raw), &ctx())
    }))
    .map_err(|_| format!("{}: panicked", path.display()))
}

/// What an expected.json entry says the message must be.
fn must_be_automated(entry: &Value) -> bool {
    let is_true = |key: &str| entry.get(key) == Some(&Value::Bool(true));
    is_true("automated")
        || is_true("is_bounce")
        || is_true("is_dsn")
        || is_true("auto_reply")
        || is_true("auto_response")
        || entry.get("send_auto_reply") == Some(&Value::Bool(false))
        || ["dsn", "mdn", "arf"]
            .iter()
            .any(|k| entry.get(*k).is_some_and(|v| !v.is_null()))
}

#[test]
fn every_corpus_message_classifies_and_automated_ones_are_automated() {
    let Some(dir) = corpora() else {
        return;
    };
    let classifier = Classifier::new(Rules::embedded());
    let mut files = Vec::new();
    message_files(&dir, &mut files);
    let mut failures = Vec::new();
    for path in &files {
        if let Err(e) = classify_file(&classifier, path) {
            failures.push(e);
        }
    }
    let (checked, wrong) = check_expectations(&classifier, &dir);
    failures.extend(wrong);
    println!(
        "{} messages classified, {checked} expectations checked",
        files.len()
    );
    assert!(
        files.len() > 700,
        "only {} messages found in {}",
        files.len(),
        dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_expectations(classifier: &Classifier, dir: &Path) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for folder in ["bounces", "autoreplies", "mime", "zammad", "chatwoot"] {
        let Ok(text) = std::fs::read_to_string(dir.join(folder).join("expected.json")) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<Value>(&text) else {
            wrong.push(format!("{folder}/expected.json is not JSON"));
            continue;
        };
        let messages = json
            .get("messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for entry in messages {
            let Some(file) = entry.get("file").and_then(Value::as_str) else {
                continue;
            };
            let path = dir.join(folder).join(file);
            let wanted = if must_be_automated(&entry) {
                Some(true)
            } else if entry.get("send_auto_reply") == Some(&Value::Bool(true)) {
                Some(false)
            } else {
                None
            };
            let Some(wanted) = wanted else { continue };
            checked += 1;
            match classify_file(classifier, &path) {
                Ok(c) if c.automated == wanted => {}
                Ok(c) => wrong.push(format!(
                    "{folder}/{file}: automated = {}, want {wanted}; {:?}",
                    c.automated, c.reasons
                )),
                Err(e) => wrong.push(e),
            }
        }
    }
    (checked, wrong)
}

/// Zammad's inline header sets: auto-reply suppression and out-of-office vectors.
#[test]
fn zammad_header_cases() {
    let Some(dir) = corpora() else {
        return;
    };
    let path = dir.join("zammad/header_cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} in the corpora: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("header_cases.json is JSON");
    let classifier = Classifier::new(Rules::embedded());
    let mut ctx = ctx();
    ctx.own_domain = "FQDN".into();
    let mut wrong = Vec::new();
    let cases = json["cases"].as_array().cloned().unwrap_or_default();
    for case in &cases {
        let mut raw = String::new();
        for pair in case["headers"].as_array().into_iter().flatten() {
            raw.push_str(&format!(
                "{}: {}\r\n",
                pair[0].as_str().unwrap_or(""),
                pair[1].as_str().unwrap_or("")
            ));
        }
        raw.push_str("\r\nSome Text\r\n");
        let expect = &case["expect"];
        let wanted = match (expect.get("send_auto_reply"), expect.get("out_of_office")) {
            (Some(Value::Bool(send)), _) => !send,
            (_, Some(Value::Bool(ooo))) => *ooo,
            _ => continue,
        };
        let c = classifier.classify(&parse(raw.as_bytes()), &ctx);
        if c.automated != wanted {
            wrong.push(format!(
                "{}: automated = {}, want {wanted}; {:?}",
                case["source"], c.automated, c.reasons
            ));
        }
    }
    assert!(!cases.is_empty());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
