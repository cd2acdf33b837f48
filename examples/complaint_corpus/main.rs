//! The developer's tool for the complaint model and the rules, on the labelled
//! corpus shipped in the binary (`fixtures/`, split by `split.toml`) or on
//! labelled files.
//!
//! ```text
//! cargo run --release --example complaint_corpus -- train --out FILE [--roles train,validation] [--l2 X] [--epochs N]
//! cargo run --release --example complaint_corpus -- eval [--model FILE] [--rules FILE] [--misses] (--split ROLE | SOURCE…)
//! cargo run --release --example complaint_corpus -- cv [--l2 X]
//! cargo run --release --example complaint_corpus -- coverage [--rules FILE]
//! ```
//!
//! `train` fits on the given roles of the split (the shipped model: train and
//! validation; to choose settings, train alone and `eval --split validation`).
//! `eval` prints per-language figures with 95% intervals, the rules alone beside
//! the whole classifier, and the model's strongest features. `cv` trains without
//! each train source in turn and measures on it. `coverage` counts how often each
//! rule entry matches in train, validation and test mail and how precise it is.
//! A SOURCE is a `.jsonl` file or a labelled folder (see `klagebot eval`).

mod coverage;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use klagebot::classify::training::corpus::{self, Labelled, Role};
use klagebot::classify::training::measure::{self, Figures};
use klagebot::classify::training::{self, Training};
use klagebot::classify::{Classifier, Model, Rules};
use klagebot::cli::eval::{corpus_context, print_misses, print_strongest};

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        bail!("usage: complaint_corpus train|eval|cv|coverage [options] [SOURCE…]");
    }
    let command = args.remove(0);
    let out = take_value(&mut args, "--out");
    let model_file = take_value(&mut args, "--model");
    let rules_file = take_value(&mut args, "--rules");
    let split = take_value(&mut args, "--split");
    let roles = take_value(&mut args, "--roles");
    let misses = take_flag(&mut args, "--misses");
    let mut settings = Training::default();
    if let Some(v) = take_value(&mut args, "--epochs") {
        settings.epochs = v.parse()?;
    }
    if let Some(v) = take_value(&mut args, "--l2") {
        settings.l2 = v.parse()?;
    }
    if let Some(v) = take_value(&mut args, "--min-count") {
        settings.min_count = v.parse()?;
    }
    let rules = match &rules_file {
        Some(path) => Rules::from_file(Path::new(path))?,
        None => Rules::embedded(),
    };
    let shipped = corpus::shipped()?;
    match command.as_str() {
        "train" => {
            let roles = parse_roles(roles.as_deref().unwrap_or("train,validation"))?;
            let out = out.context("train needs --out FILE")?;
            let model = training::train(&examples(&rules, &shipped.in_roles(&roles)), settings);
            std::fs::write(&out, model.to_tsv("trained by complaint_corpus", 0.002))?;
            println!("wrote {out}: {} features", model.len());
        }
        "eval" => {
            let model = match &model_file {
                Some(path) => klagebot::classify::model_from_file(Path::new(path))?,
                None => Model::embedded(),
            };
            let owned: Vec<Labelled>;
            let mails: Vec<&Labelled> = match &split {
                Some(roles) => shipped.in_roles(&parse_roles(roles)?),
                None => {
                    owned = load_sources(&args)?;
                    owned.iter().collect()
                }
            };
            evaluate(&rules, &model, &mails, misses);
            print_strongest(&model);
        }
        "cv" => {
            let train = shipped.in_roles(&[Role::Train]);
            let mut sources: Vec<&str> = train.iter().map(|l| l.source.as_str()).collect();
            sources.dedup();
            for held in sources {
                let (fit, measured): (Vec<&Labelled>, Vec<&Labelled>) =
                    train.iter().copied().partition(|l| l.source != held);
                let model = training::train(&examples(&rules, &fit), settings);
                println!("--- without {held}");
                evaluate(&rules, &model, &measured, misses);
            }
        }
        "coverage" => coverage::report(&rules, &shipped),
        other => bail!("unknown command {other:?}: train, eval, cv or coverage"),
    }
    Ok(())
}

fn examples(rules: &Rules, mails: &[&Labelled]) -> Vec<klagebot::classify::Example> {
    let plain = Classifier::with_model(rules.clone(), None);
    mails
        .iter()
        .map(|l| plain.model_example(&l.mail, &corpus_context(), l.complaint))
        .collect()
}

/// The whole classifier's figures, and the rules' alone on the same mail.
fn evaluate(rules: &Rules, model: &Model, mails: &[&Labelled], misses: bool) {
    let both = Classifier::with_model(rules.clone(), Some(model.clone()));
    let (figures, scored) = measure::measure(&both, mails, &corpus_context());
    if misses {
        print_misses(&scored);
    }
    let alone = Classifier::with_model(rules.clone(), None);
    let (rules_only, _) = measure::measure(&alone, mails, &corpus_context());
    println!("{}", figures.table());
    println!("the rules alone: {}", line(&rules_only));
}

fn line(f: &Figures) -> String {
    format!(
        "accuracy {}, recall {}, false-positive rate {}",
        f.all.accuracy(),
        f.all.recall(),
        f.all.false_positive_rate()
    )
}

fn parse_roles(text: &str) -> anyhow::Result<Vec<Role>> {
    text.split(',')
        .map(|r| match r.trim() {
            "train" => Ok(Role::Train),
            "validation" => Ok(Role::Validation),
            "test" => Ok(Role::Test),
            other => bail!("unknown role {other:?}: train, validation or test"),
        })
        .collect()
}

fn load_sources(args: &[String]) -> anyhow::Result<Vec<Labelled>> {
    if args.is_empty() {
        bail!("eval needs --split ROLE or SOURCE…");
    }
    let mut out = Vec::new();
    for path in args.iter().map(PathBuf::from) {
        out.extend(klagebot::cli::labelled::load(&path)?);
    }
    Ok(out)
}

fn take_value(args: &mut Vec<String>, name: &str) -> Option<String> {
    let at = args.iter().position(|a| a == name)?;
    args.remove(at);
    (at < args.len()).then(|| args.remove(at))
}

fn take_flag(args: &mut Vec<String>, name: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != name);
    args.len() != before
}
