//! `klagebot eval`: how right a complaint model is on labelled mail, per
//! language with 95% intervals, and what the model learned (its strongest
//! features each way). Needs no database and no network.

use std::process::ExitCode;

use anyhow::bail;

use super::labelled;
use crate::classify::training::corpus::{self, Labelled, Role};
use crate::classify::training::measure::{self, Scored};
use crate::classify::{self as classify, Classifier, Context, Model};
use crate::config::Config;
use crate::domain::Language;

/// Features shown each way.
const STRONGEST: usize = 30;

pub fn run(config: &Config, args: &super::EvalArgs) -> anyhow::Result<ExitCode> {
    let model = match &args.model {
        Some(path) => classify::model_from_file(path)?,
        None => classify::model_from_config(config)?,
    };
    let classifier =
        Classifier::with_model(classify::rules_from_config(config)?, Some(model.clone()));
    let (mails, ctx) = match (&args.labelled, args.split) {
        (Some(path), None) => (
            labelled::load(path)?,
            Context::from_config(config, args.mailbox.as_deref())?,
        ),
        (None, Some(role)) => (shipped_role(role.into())?, corpus_context()),
        _ => bail!("give --labelled DIR or --split test|validation|train"),
    };
    let refs: Vec<&Labelled> = mails.iter().collect();
    let (figures, scored) = measure::measure(&classifier, &refs, &ctx);
    if args.misses {
        print_misses(&scored);
    }
    println!("{}", figures.table());
    print_strongest(&model);
    Ok(ExitCode::SUCCESS)
}

/// The context the shipped corpus is labelled for: prefix KL, domain
/// klagebot.localhost, default language da (as the golden mails say).
pub fn corpus_context() -> Context {
    Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "klagebot.localhost".into(),
    }
}

/// The shipped mail of one role of the split.
pub fn shipped_role(role: Role) -> anyhow::Result<Vec<Labelled>> {
    let shipped = corpus::shipped()?;
    Ok(shipped.in_roles(&[role]).into_iter().cloned().collect())
}

/// The mails whose complaint or language came out wrong, one line each.
pub fn print_misses(scored: &[Scored<'_>]) {
    for s in scored {
        let (mail, c) = (s.mail, &s.classification);
        let opening: String = mail
            .mail
            .new_text
            .replace('\n', " ")
            .chars()
            .take(140)
            .collect();
        if s.complaint_wrong() {
            let what = if mail.complaint { "MISSED" } else { "FALSE " };
            let p = c.complaint_probability.unwrap_or_default();
            let last = c.reasons.last().map_or("", String::as_str);
            println!(
                "{what} {} {} [{}] p={p:.2} | {opening} | {last}",
                mail.source, mail.id, mail.lang
            );
        }
        if s.language_wrong() {
            println!(
                "LANG   {} {} [{} → {}] | {opening}",
                mail.source, mail.id, mail.lang, c.language
            );
        }
    }
}

/// The model's strongest features towards and against a complaint.
pub fn print_strongest(model: &Model) {
    let (towards, against) = model.strongest(STRONGEST);
    println!("strongest features towards a complaint | against one:");
    for i in 0..towards.len().max(against.len()) {
        let cell = |list: &[(String, f32)]| {
            list.get(i)
                .map(|(f, w)| format!("{w:+7.3} {f}"))
                .unwrap_or_default()
        };
        println!("  {:<44} | {}", cell(&towards), cell(&against));
    }
}
