//! Trains and measures the complaint model on labelled mail.
//!
//! ```text
//! cargo run --release --example complaint_corpus -- train --out src/classify/complaint_model.tsv [SOURCE…]
//! cargo run --release --example complaint_corpus -- eval [--model FILE] [--rules FILE] [--misses] SOURCE…
//! cargo run --release --example complaint_corpus -- cv [--rules FILE] SOURCE…
//! ```
//!
//! A SOURCE is a JSON Lines file (`{"id","lang","subject","body","complaint","kind"}`
//! per line, see `fixtures/complaint-corpus/README.md`) or a folder of golden mails
//! (`NAME.eml` beside `NAME.json`; automated mail and mail without a `complaint`
//! key are left out). Each mail goes through `parse` and `classify` as in the
//! daemon. `eval` prints, per source and language, how often the rules alone, the
//! model alone and both together are right; `cv` trains without one source and
//! measures on it, for each source in turn. `train` without sources trains on
//! what the embedded model is made from: the golden mails and
//! `fixtures/complaint-corpus/train*.jsonl`.

mod corpus;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use corpus::{Labelled, context, examples, load};
use klagebot::classify::model::{self, Model, Training};
use klagebot::classify::{Classifier, Rules};

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        bail!("usage: complaint_corpus train|eval|cv [options] SOURCE…");
    }
    let command = args.remove(0);
    let out = take_value(&mut args, "--out");
    let model_file = take_value(&mut args, "--model");
    let rules_file = take_value(&mut args, "--rules");
    let misses = take_flag(&mut args, "--misses");
    let words_only = take_flag(&mut args, "--words-only");
    let mut settings = Training::default();
    if let Some(v) = take_value(&mut args, "--epochs") {
        settings.epochs = v.parse()?;
    }
    if let Some(v) = take_value(&mut args, "--l2") {
        settings.l2 = v.parse()?;
    }
    if let Some(v) = take_value(&mut args, "--lr") {
        settings.learning_rate = v.parse()?;
    }
    let rules = || -> anyhow::Result<Rules> {
        Ok(match &rules_file {
            Some(path) => Rules::from_file(Path::new(path))?,
            None => Rules::embedded(),
        })
    };
    let mut corpus = Vec::new();
    let given: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
    let sources = if given.is_empty() && command == "train" {
        corpus::training_sources(Path::new(env!("CARGO_MANIFEST_DIR")))?
    } else {
        given
    };
    for source in &sources {
        corpus.extend(load(source)?);
    }
    if corpus.is_empty() {
        bail!("no labelled mail in {args:?}");
    }
    match command.as_str() {
        "train" => {
            let out = out.context("train needs --out FILE")?;
            std::fs::write(
                &out,
                corpus::train_tsv(&corpus, &rules()?, words_only, settings),
            )?;
            let written = Model::from_tsv(&std::fs::read_to_string(&out)?)?;
            println!(
                "wrote {out}: {} features from {} mails",
                written.len(),
                corpus.len()
            );
        }
        "eval" => {
            let model = match &model_file {
                Some(path) => Model::from_tsv(&std::fs::read_to_string(path)?)?,
                None => Model::embedded(),
            };
            let scores = score(&corpus, &rules()?, model);
            report(&corpus, &scores, misses);
        }
        "cv" => {
            let mut all = Vec::new();
            for held_out in source_names(&corpus) {
                let model = model::train(
                    &examples(&corpus, &rules()?, words_only, |l| l.source != held_out),
                    settings,
                );
                let part: Vec<&Labelled> = corpus.iter().filter(|l| l.source == held_out).collect();
                let scores = score_refs(&part, &rules()?, model);
                all.extend(part.into_iter().zip(scores));
            }
            let (ls, ss): (Vec<&Labelled>, Vec<Score>) = all.into_iter().unzip();
            report_refs(&ls, &ss, misses);
        }
        other => bail!("unknown command {other:?}: train, eval or cv"),
    }
    Ok(())
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

fn source_names(corpus: &[Labelled]) -> Vec<String> {
    let mut out: Vec<String> = corpus.iter().map(|l| l.source.clone()).collect();
    out.dedup();
    out.sort();
    out.dedup();
    out
}

/// What the rules alone, the model alone and both decided for one mail.
struct Score {
    rules: bool,
    probability: f32,
    both: bool,
    language: String,
    reasons: Vec<String>,
}

fn score(corpus: &[Labelled], rules: &Rules, model: Model) -> Vec<Score> {
    score_refs(&corpus.iter().collect::<Vec<_>>(), rules, model)
}

fn score_refs(corpus: &[&Labelled], rules: &Rules, model: Model) -> Vec<Score> {
    let alone = Classifier::with_model(rules.clone(), None);
    let both = Classifier::with_model(rules.clone(), Some(model));
    corpus
        .iter()
        .map(|l| {
            let r = alone.classify(&l.mail, &context());
            let b = both.classify(&l.mail, &context());
            Score {
                rules: r.complaint,
                probability: b.complaint_probability.unwrap_or(0.0),
                both: b.complaint,
                language: b.language.code().to_string(),
                reasons: b.reasons,
            }
        })
        .collect()
}

fn report(corpus: &[Labelled], scores: &[Score], misses: bool) {
    report_refs(&corpus.iter().collect::<Vec<_>>(), scores, misses)
}

#[derive(Default)]
struct Tally {
    n: usize,
    complaints: usize,
    rules: usize,
    model: usize,
    both: usize,
    both_missed: usize,
    both_false: usize,
    language: usize,
}

impl Tally {
    fn add(&mut self, l: &Labelled, s: &Score) {
        self.n += 1;
        self.complaints += l.complaint as usize;
        self.rules += (s.rules == l.complaint) as usize;
        self.model += ((s.probability >= 0.5) == l.complaint) as usize;
        self.both += (s.both == l.complaint) as usize;
        self.both_missed += (l.complaint && !s.both) as usize;
        self.both_false += (!l.complaint && s.both) as usize;
        self.language += (s.language == l.lang) as usize;
    }

    fn line(&self, name: &str) -> String {
        let pct = |k: usize| 100.0 * k as f64 / self.n.max(1) as f64;
        format!(
            "{name:<16} {:>5} {:>5}  rules {:>5.1}%  model {:>5.1}%  both {:>5.1}% (missed {}, false {})  language {:>5.1}%",
            self.n,
            self.complaints,
            pct(self.rules),
            pct(self.model),
            pct(self.both),
            self.both_missed,
            self.both_false,
            pct(self.language),
        )
    }
}

/// The start of a mail's new text on one line.
fn opening(l: &Labelled) -> String {
    l.mail
        .new_text
        .replace('\n', " ")
        .chars()
        .take(160)
        .collect()
}

fn report_refs(corpus: &[&Labelled], scores: &[Score], misses: bool) {
    let mut by: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for (l, s) in corpus.iter().zip(scores) {
        total.add(l, s);
        by.entry(format!("src {}", l.source)).or_default().add(l, s);
        by.entry(format!("lang {}", l.lang)).or_default().add(l, s);
        if misses && s.both != l.complaint {
            println!(
                "{} {} [{}] {} p={:.2} rules={} | {} | {}",
                if l.complaint { "MISSED" } else { "FALSE " },
                l.id,
                l.lang,
                l.kind,
                s.probability,
                s.rules,
                opening(l),
                s.reasons.last().cloned().unwrap_or_default()
            );
        }
        if misses && s.language != l.lang {
            let why = s.reasons.iter().find(|r| r.starts_with("language"));
            println!(
                "LANG   {} [{} → {}] | {} | {}",
                l.id,
                l.lang,
                s.language,
                opening(l),
                why.map_or("", String::as_str)
            );
        }
    }
    println!("{:<16} {:>5} {:>5}", "", "mails", "compl");
    for (name, tally) in &by {
        println!("{}", tally.line(name));
    }
    println!("{}", total.line("all"));
}
