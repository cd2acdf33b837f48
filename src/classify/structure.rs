//! The structural complaint signal: a customer writing about their own money,
//! account, card, loan or service together with signs that something went wrong.
//!
//! Phrase lists only know the complaints someone has seen; customers describe new
//! trouble in new words but in the same shape ("my card was declined three times",
//! "the money has still not arrived after two weeks", "take the fee off"). Each
//! *kind* of problem signal found counts once, so a mail is not a complaint because
//! it repeats one word, and a how-to question discounts the sum: "how do I order a
//! new card, mine is blocked" asks for help, it does not complain, while "why was
//! my card blocked?" asks the company to account for itself and counts as told.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::phrases::{PhraseSet, RulesError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StructureFile {
    cap: i32,
    question_discount: i32,
    statement_bonus: i32,
    plain_statement: i32,
    concerns: Vec<String>,
    not_statement: Vec<String>,
    how_to: Vec<String>,
    /// Optional so that a company's older rules file still loads.
    #[serde(default)]
    why_question: Vec<String>,
    /// The signal kinds that make a why-question count; empty means any kind.
    #[serde(default)]
    why_kinds: Vec<String>,
    signals: BTreeMap<String, Vec<String>>,
}

/// The compiled structural rule.
#[derive(Debug, Clone)]
pub struct StructureRule {
    cap: i32,
    question_discount: i32,
    statement_bonus: i32,
    plain_statement: i32,
    concerns: PhraseSet,
    not_statement: PhraseSet,
    how_to: PhraseSet,
    why_question: PhraseSet,
    why_kinds: Vec<String>,
    signals: Vec<(String, PhraseSet)>,
}

impl StructureRule {
    pub(super) fn compile(f: &StructureFile) -> Result<Self, RulesError> {
        let signals = f
            .signals
            .iter()
            .map(|(kind, list)| {
                let name = format!("complaint.structure.signals.{kind}");
                Ok((kind.clone(), PhraseSet::compile(&name, list)?))
            })
            .collect::<Result<Vec<_>, RulesError>>()?;
        if let Some(unknown) = f.why_kinds.iter().find(|k| !f.signals.contains_key(*k)) {
            return Err(RulesError::SignalKind(unknown.clone()));
        }
        Ok(StructureRule {
            cap: f.cap,
            question_discount: f.question_discount,
            statement_bonus: f.statement_bonus,
            plain_statement: f.plain_statement,
            not_statement: PhraseSet::compile(
                "complaint.structure.not_statement",
                &f.not_statement,
            )?,
            concerns: PhraseSet::compile("complaint.structure.concerns", &f.concerns)?,
            how_to: PhraseSet::compile("complaint.structure.how_to", &f.how_to)?,
            why_question: PhraseSet::compile("complaint.structure.why_question", &f.why_question)?,
            why_kinds: f.why_kinds.clone(),
            signals,
        })
    }

    /// The phrase lists, named as in the rules file.
    pub fn lists(&self) -> Vec<(String, &PhraseSet)> {
        let mut out = vec![
            ("complaint.structure.concerns".to_string(), &self.concerns),
            (
                "complaint.structure.not_statement".to_string(),
                &self.not_statement,
            ),
            ("complaint.structure.how_to".to_string(), &self.how_to),
            (
                "complaint.structure.why_question".to_string(),
                &self.why_question,
            ),
        ];
        for (kind, set) in &self.signals {
            out.push((format!("complaint.structure.signals.{kind}"), set));
        }
        out
    }

    /// The score of the problem signals in `text` (subject and new text), with the
    /// kinds found pushed to `reasons` (plus `statement_bonus` when the problem is
    /// told, not asked, requested or sent as a covering note); 0 when the text is not about the
    /// customer's own dealings with the company.
    pub fn score(&self, text: &str, reasons: &mut Vec<String>) -> i32 {
        let lower = text.to_lowercase();
        if !self.concerns.is_match(&lower) {
            return 0;
        }
        let mut kinds = Vec::new();
        let mut something_happened = false;
        for (kind, set) in &self.signals {
            if let Some(first) = set.found(&lower).into_iter().next() {
                something_happened |= self.why_kinds.is_empty() || self.why_kinds.contains(kind);
                kinds.push(format!("{kind}: \"{first}\""));
            }
        }
        // A statement about the customer's affairs that asks nothing, requests
        // nothing and sends nothing is what a complaint looks like; when in doubt
        // a complaint is the cheaper error.
        let told = !text.contains('?') && !self.not_statement.is_match(&lower);
        if kinds.is_empty() {
            if told && self.plain_statement > 0 {
                reasons.push("a statement about the customer's own affairs".into());
                return self.plain_statement;
            }
            return 0;
        }
        let mut score = (kinds.len() as i32).min(self.cap);
        let asks_how = text.contains('?') && self.how_to.is_match(&lower);
        // "Why was my card declined when there is money on the account?" asks
        // the company to account for what it did to the customer's affairs:
        // that is dissatisfaction told as a question, not a request for help.
        // Only an event (charged, declined, waiting, repeated, lost) makes the
        // question a complaint; "why is the card sent without a letter?" is not.
        let asks_why =
            something_happened && text.contains('?') && self.why_question.is_match(&lower);
        let how = if asks_how {
            score -= self.question_discount;
            ", asked as a how-to question"
        } else if told {
            score += self.statement_bonus;
            ", told as a statement"
        } else if asks_why {
            score += self.statement_bonus;
            ", asked as a why-question"
        } else {
            ""
        };
        reasons.push(format!(
            "problem with the customer's own affairs ({}){how}",
            kinds.join(", ")
        ));
        score.max(0)
    }
}
