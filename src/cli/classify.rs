//! `klagebot classify`: what the daemon would decide for each mail file, and why.
//! Needs no database and no network. A file that cannot be read gives an error for
//! that file; the others still go through, and the exit code tells.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

use crate::classify::{Classification, Classifier, Context};
use crate::config::Config;
use crate::parse;

/// One line of `--json` output: the file and its classification.
#[derive(Debug, Serialize)]
pub struct FileResult<'a> {
    pub file: String,
    #[serde(flatten)]
    pub classification: &'a Classification,
}

pub fn run(config: &Config, args: &super::ClassifyArgs) -> anyhow::Result<ExitCode> {
    let classifier = Classifier::from_config(config)?;
    let ctx = Context::from_config(config, args.mailbox.as_deref())?;
    let mut unreadable = 0;
    if !args.json {
        print_table_header();
    }
    for path in &args.files {
        match classify_file(&classifier, &ctx, path) {
            Ok(classification) => print_result(path, &classification, args.json)?,
            Err(err) => {
                unreadable += 1;
                eprintln!("klagebot: error: {err:#}");
            }
        }
    }
    Ok(if unreadable == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Reads and classifies one file; only reading can fail.
pub fn classify_file(
    classifier: &Classifier,
    ctx: &Context,
    path: &Path,
) -> anyhow::Result<Classification> {
    let raw = std::fs::read(path).with_context(|| format!("while reading {}", path.display()))?;
    let mail = parse::parse(&raw);
    Ok(classifier.classify(&mail, ctx))
}

fn print_result(path: &Path, c: &Classification, json: bool) -> anyhow::Result<()> {
    if json {
        let line = FileResult {
            file: path.display().to_string(),
            classification: c,
        };
        println!(
            "{}",
            serde_json::to_string(&line).context("while writing JSON")?
        );
    } else {
        println!(
            "{:<40} {:<9} {:<4} {:<9} {:<15} {:<10} {:<10} {}",
            path.display(),
            yes_no(c.complaint),
            c.language,
            c.automated_kind
                .map(|k| serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default())
                .unwrap_or_else(|| "no".into()),
            c.case_ref
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "-".into()),
            yes_no(c.escalation_request),
            c.category
                .map(|k| k.to_string())
                .unwrap_or_else(|| "-".into()),
            c.reasons.join("; ")
        );
    }
    Ok(())
}

fn print_table_header() {
    println!(
        "{:<40} {:<9} {:<4} {:<9} {:<15} {:<10} {:<10} REASONS",
        "FILE", "COMPLAINT", "LANG", "AUTOMATED", "CASE", "ESCALATION", "CATEGORY"
    );
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
