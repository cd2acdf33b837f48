//! Labelled mail for the complaint model: JSON Lines files and golden fixtures,
//! read into parsed mail, shared by the `complaint_corpus` tool and
//! `tests/complaint_corpus.rs`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use klagebot::classify::model::{self, Training};
use klagebot::classify::{Classifier, Context, Example, Rules};
use klagebot::domain::Language;
use klagebot::parse::{InboundMail, parse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Line {
    id: String,
    lang: String,
    #[serde(default)]
    subject: String,
    body: String,
    complaint: bool,
    #[serde(default)]
    kind: String,
}

/// One labelled mail, parsed.
pub struct Labelled {
    pub source: String,
    pub id: String,
    pub lang: String,
    pub kind: String,
    pub complaint: bool,
    pub mail: InboundMail,
}

pub fn context() -> Context {
    Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    }
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let source = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if path.is_dir() {
        return load_golden(path, &source);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a labelled mail", path.display(), n + 1))?;
        let raw = mail_bytes(&line);
        out.push(Labelled {
            source: source.clone(),
            id: line.id,
            lang: line.lang,
            kind: line.kind,
            complaint: line.complaint,
            mail: parse(&raw),
        });
    }
    Ok(out)
}

fn load_golden(dir: &Path, source: &str) -> anyhow::Result<Vec<Labelled>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for eml in files {
        let Ok(expected) = std::fs::read_to_string(eml.with_extension("json")) else {
            continue;
        };
        let expected: serde_json::Value = serde_json::from_str(&expected)?;
        let (Some(complaint), Some(false)) = (
            expected["complaint"].as_bool(),
            expected["automated"].as_bool(),
        ) else {
            continue;
        };
        out.push(Labelled {
            source: source.to_string(),
            id: eml.file_stem().unwrap_or_default().to_string_lossy().into(),
            lang: expected["language"].as_str().unwrap_or("?").to_string(),
            kind: expected["note"].as_str().unwrap_or("").to_string(),
            complaint,
            mail: parse(&std::fs::read(&eml)?),
        });
    }
    Ok(out)
}

/// A plain customer mail carrying the line's subject and body.
fn mail_bytes(line: &Line) -> Vec<u8> {
    use base64::Engine as _;
    let subject = base64::engine::general_purpose::STANDARD.encode(line.subject.as_bytes());
    format!(
        "From: Kunde <kunde@example.net>\r\nTo: klage@company.example\r\n\
         Subject: =?utf-8?B?{subject}?=\r\nDate: Mon, 16 Nov 2026 10:00:00 +0100\r\n\
         Message-ID: <{}@corpus.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
        line.id,
        line.body.replace('\n', "\r\n")
    )
    .into_bytes()
}

pub fn examples(
    corpus: &[Labelled],
    rules: &Rules,
    words_only: bool,
    keep: impl Fn(&Labelled) -> bool,
) -> Vec<Example> {
    let classifier = Classifier::with_model(rules.clone(), None);
    corpus
        .iter()
        .filter(|l| keep(l))
        .map(|l| {
            let mut example = classifier.model_example(&l.mail, &context(), l.complaint);
            if words_only {
                example.signals.clear();
            }
            example
        })
        .collect()
}

/// What the embedded model is trained on, in a fixed order: the golden mails,
/// then `fixtures/complaint-corpus/train*.jsonl` by name.
pub fn training_sources(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = root.join("fixtures/complaint-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("train") && name.ends_with(".jsonl")
        })
        .collect();
    files.sort();
    files.insert(0, root.join("fixtures/classify"));
    Ok(files)
}

/// Trains on the corpus and writes the model as `complaint_model.tsv` text.
pub fn train_tsv(
    corpus: &[Labelled],
    rules: &Rules,
    words_only: bool,
    settings: Training,
) -> String {
    let model = model::train(&examples(corpus, rules, words_only, |_| true), settings);
    let mut names: Vec<&str> = corpus.iter().map(|l| l.source.as_str()).collect();
    names.dedup();
    let header = format!(
        "klagebot complaint model: logistic regression, {} labelled mails \
         ({} complaints) from {}.\nMade by scripts/train-complaint-model; \
         feature<TAB>weight, see src/classify/model.rs.",
        corpus.len(),
        corpus.iter().filter(|l| l.complaint).count(),
        names.join(", ")
    );
    model.to_tsv(&header, 0.002)
}
