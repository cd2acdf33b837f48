//! The classification rules: read from TOML (the embedded `rules.toml` or a
//! company's own file) and compiled once into regex sets and marker tables.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

pub use super::phrases::{PhraseSet, RulesError};
use super::structure::{StructureFile, StructureRule};
use crate::domain::{Category, Language};

/// The rules shipped with klagebot.
pub const EMBEDDED_RULES: &str = include_str!("rules.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    complaint: ComplaintFile,
    escalation: EscalationFile,
    automated: AutomatedFile,
    category: CategoryFile,
    language: LanguageFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplaintFile {
    threshold: i32,
    intent_weight: i32,
    subject_weight: i32,
    keyword_weight: i32,
    dissatisfaction_weight: i32,
    dissatisfaction_cap: i32,
    grievance_cap: i32,
    subject_tags: Vec<String>,
    keyword: Vec<String>,
    intent: Vec<String>,
    dissatisfaction: Vec<String>,
    grievance: Vec<String>,
    process_question: Vec<String>,
    not_complaint: Vec<String>,
    third_party: Vec<String>,
    #[serde(default)]
    see_subject: Vec<String>,
    statement: StatementFile,
    structure: StructureFile,
    /// Optional so that a company's older rules file still loads (the model then
    /// does not count).
    #[serde(default)]
    model: ModelUse,
}

/// Whether the learned complaint model decides (see `rules.toml`). Without a
/// `cutoff` the rules decide alone: a company's older rules file keeps working
/// as it did.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelUse {
    /// A mail whose complaint probability reaches this is a complaint.
    pub cutoff: Option<f32>,
    /// Below this probability a request for the complaints officer is a
    /// question about whom to write to, not an escalation.
    #[serde(default)]
    pub escalation_floor: f32,
    /// From this probability up to `cutoff` the model is unsure, and the rules'
    /// score decides: a complaint is the cheaper error.
    #[serde(default)]
    pub unsure_floor: Option<f32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementFile {
    weight: i32,
    min_letters: usize,
    negation: String,
    addressed: String,
    gratitude: String,
}

/// Word lists of the "negative statement to the company" rule.
#[derive(Debug, Clone)]
pub struct StatementRule {
    pub weight: i32,
    pub min_letters: usize,
    pub negation: HashSet<String>,
    pub addressed: HashSet<String>,
    pub gratitude: HashSet<String>,
}

fn word_set(words: &str) -> HashSet<String> {
    words.split_whitespace().map(str::to_lowercase).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationFile {
    patterns: Vec<String>,
    #[serde(default)]
    in_context: Vec<String>,
    #[serde(default)]
    earlier_answer: Vec<String>,
}

/// A request for escalation: phrases that ask for it outright, and the officer's
/// title or a request to look again, which ask for it only in a mail about a case
/// or an earlier answer.
#[derive(Debug, Clone)]
pub struct EscalationRules {
    pub patterns: PhraseSet,
    pub in_context: PhraseSet,
    pub earlier_answer: PhraseSet,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AutomatedFile {
    ooo_subject: Vec<String>,
    ooo_absence: Vec<String>,
    ooo_return: Vec<String>,
    auto_reply_text: Vec<String>,
    bounce_subject: Vec<String>,
    bounce_body: Vec<String>,
    receipt_subject: Vec<String>,
    system_senders: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryFile {
    order: Vec<String>,
    patterns: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageFile {
    markers: BTreeMap<String, String>,
    /// Words that only one of the five languages writes and writes often ("eg",
    /// "ikkje"): each counts `STRONG_MARKER` for that language alone.
    #[serde(default)]
    strong: BTreeMap<String, String>,
}

/// What one occurrence of a strong marker word counts.
const STRONG_MARKER: f32 = 3.0;

/// Weights of the complaint score (see `rules.toml`).
#[derive(Debug, Clone, Copy)]
pub struct ComplaintWeights {
    pub threshold: i32,
    pub intent: i32,
    pub subject: i32,
    pub keyword: i32,
    pub dissatisfaction: i32,
    pub dissatisfaction_cap: i32,
    pub grievance_cap: i32,
}

#[derive(Debug, Clone)]
pub struct ComplaintRules {
    pub weights: ComplaintWeights,
    pub subject_tags: PhraseSet,
    pub keyword: PhraseSet,
    pub intent: PhraseSet,
    pub dissatisfaction: PhraseSet,
    pub grievance: PhraseSet,
    pub process_question: PhraseSet,
    pub not_complaint: PhraseSet,
    pub third_party: PhraseSet,
    pub see_subject: PhraseSet,
    pub statement: StatementRule,
    pub structure: StructureRule,
    pub model: ModelUse,
}

#[derive(Debug, Clone)]
pub struct AutomatedRules {
    pub ooo_subject: PhraseSet,
    pub ooo_absence: PhraseSet,
    pub ooo_return: PhraseSet,
    pub auto_reply_text: PhraseSet,
    pub bounce_subject: PhraseSet,
    pub bounce_body: PhraseSet,
    pub receipt_subject: PhraseSet,
    pub system_senders: PhraseSet,
}

/// Compiled classification rules, ready for [`super::Classifier::new`].
#[derive(Debug, Clone)]
pub struct Rules {
    pub complaint: ComplaintRules,
    pub escalation: EscalationRules,
    pub automated: AutomatedRules,
    /// In tie-break order.
    pub categories: Vec<(Category, PhraseSet)>,
    /// Word → weight per language, indexed like [`Language::ALL`].
    pub markers: HashMap<String, [f32; 5]>,
}

impl Rules {
    /// The rules shipped with klagebot. A test proves they compile.
    pub fn embedded() -> Rules {
        match Rules::from_toml(EMBEDDED_RULES) {
            Ok(rules) => rules,
            Err(err) => panic!("the embedded classify/rules.toml is broken: {err}"),
        }
    }

    pub fn from_file(path: &Path) -> Result<Rules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Rules::from_toml(&text)
    }

    pub fn from_toml(text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(text)?;
        Ok(Rules {
            complaint: complaint_rules(&file.complaint)?,
            escalation: EscalationRules {
                patterns: PhraseSet::compile("escalation.patterns", &file.escalation.patterns)?,
                in_context: PhraseSet::compile(
                    "escalation.in_context",
                    &file.escalation.in_context,
                )?,
                earlier_answer: PhraseSet::compile(
                    "escalation.earlier_answer",
                    &file.escalation.earlier_answer,
                )?,
            },
            automated: automated_rules(&file.automated)?,
            categories: category_rules(&file.category)?,
            markers: marker_table(&file.language)?,
        })
    }
}

impl Rules {
    /// Every phrase list, named as in the rules file (`complaint.intent`, …).
    pub fn phrase_lists(&self) -> Vec<(String, &PhraseSet)> {
        let c = &self.complaint;
        let e = &self.escalation;
        let a = &self.automated;
        let mut out: Vec<(String, &PhraseSet)> = [
            ("complaint.subject_tags", &c.subject_tags),
            ("complaint.keyword", &c.keyword),
            ("complaint.intent", &c.intent),
            ("complaint.dissatisfaction", &c.dissatisfaction),
            ("complaint.grievance", &c.grievance),
            ("complaint.process_question", &c.process_question),
            ("complaint.not_complaint", &c.not_complaint),
            ("complaint.third_party", &c.third_party),
            ("complaint.see_subject", &c.see_subject),
            ("escalation.patterns", &e.patterns),
            ("escalation.in_context", &e.in_context),
            ("escalation.earlier_answer", &e.earlier_answer),
            ("automated.ooo_subject", &a.ooo_subject),
            ("automated.ooo_absence", &a.ooo_absence),
            ("automated.ooo_return", &a.ooo_return),
            ("automated.auto_reply_text", &a.auto_reply_text),
            ("automated.bounce_subject", &a.bounce_subject),
            ("automated.bounce_body", &a.bounce_body),
            ("automated.receipt_subject", &a.receipt_subject),
            ("automated.system_senders", &a.system_senders),
        ]
        .into_iter()
        .map(|(name, set)| (name.to_string(), set))
        .collect();
        out.extend(c.structure.lists());
        for (category, set) in &self.categories {
            out.push((format!("category.patterns.{}", category.code()), set));
        }
        out
    }
}

fn complaint_rules(f: &ComplaintFile) -> Result<ComplaintRules, RulesError> {
    Ok(ComplaintRules {
        weights: ComplaintWeights {
            threshold: f.threshold,
            intent: f.intent_weight,
            subject: f.subject_weight,
            keyword: f.keyword_weight,
            dissatisfaction: f.dissatisfaction_weight,
            dissatisfaction_cap: f.dissatisfaction_cap,
            grievance_cap: f.grievance_cap,
        },
        subject_tags: PhraseSet::compile("complaint.subject_tags", &f.subject_tags)?,
        keyword: PhraseSet::compile("complaint.keyword", &f.keyword)?,
        intent: PhraseSet::compile("complaint.intent", &f.intent)?,
        dissatisfaction: PhraseSet::compile("complaint.dissatisfaction", &f.dissatisfaction)?,
        grievance: PhraseSet::compile("complaint.grievance", &f.grievance)?,
        process_question: PhraseSet::compile("complaint.process_question", &f.process_question)?,
        not_complaint: PhraseSet::compile("complaint.not_complaint", &f.not_complaint)?,
        third_party: PhraseSet::compile("complaint.third_party", &f.third_party)?,
        see_subject: PhraseSet::compile("complaint.see_subject", &f.see_subject)?,
        statement: StatementRule {
            weight: f.statement.weight,
            min_letters: f.statement.min_letters,
            negation: word_set(&f.statement.negation),
            addressed: word_set(&f.statement.addressed),
            gratitude: word_set(&f.statement.gratitude),
        },
        structure: StructureRule::compile(&f.structure)?,
        model: f.model,
    })
}

fn automated_rules(f: &AutomatedFile) -> Result<AutomatedRules, RulesError> {
    Ok(AutomatedRules {
        ooo_subject: PhraseSet::compile("automated.ooo_subject", &f.ooo_subject)?,
        ooo_absence: PhraseSet::compile("automated.ooo_absence", &f.ooo_absence)?,
        ooo_return: PhraseSet::compile("automated.ooo_return", &f.ooo_return)?,
        auto_reply_text: PhraseSet::compile("automated.auto_reply_text", &f.auto_reply_text)?,
        bounce_subject: PhraseSet::compile("automated.bounce_subject", &f.bounce_subject)?,
        bounce_body: PhraseSet::compile("automated.bounce_body", &f.bounce_body)?,
        receipt_subject: PhraseSet::compile("automated.receipt_subject", &f.receipt_subject)?,
        system_senders: PhraseSet::compile("automated.system_senders", &f.system_senders)?,
    })
}

fn category_rules(f: &CategoryFile) -> Result<Vec<(Category, PhraseSet)>, RulesError> {
    let parse = |name: &String| -> Result<Category, RulesError> {
        name.parse::<Category>()
            .map_err(|_| RulesError::Category(name.clone()))
    };
    let mut out = Vec::new();
    for name in &f.order {
        let category = parse(name)?;
        let entries = f.patterns.get(name).cloned().unwrap_or_default();
        out.push((
            category,
            PhraseSet::compile(&format!("category.patterns.{name}"), &entries)?,
        ));
    }
    for name in f.patterns.keys().filter(|n| !f.order.contains(n)) {
        let category = parse(name)?;
        out.push((
            category,
            PhraseSet::compile(&format!("category.patterns.{name}"), &f.patterns[name])?,
        ));
    }
    Ok(out)
}

fn marker_table(f: &LanguageFile) -> Result<HashMap<String, [f32; 5]>, RulesError> {
    let mut table: HashMap<String, [f32; 5]> = HashMap::new();
    for (list, lists, weight) in [
        ("language.markers", &f.markers, 1.0),
        ("language.strong", &f.strong, STRONG_MARKER),
    ] {
        for (code, words) in lists {
            let language: Language = code.parse().map_err(|_| RulesError::Pattern {
                list: list.into(),
                entry: code.clone(),
                message: "not one of da, nb, nn, sv, en".into(),
            })?;
            let index = language_index(language);
            for word in words.split_whitespace() {
                let weights = table.entry(word.to_lowercase()).or_insert([0.0; 5]);
                if weight > 1.0 {
                    // A strong word belongs to its language alone.
                    *weights = [0.0; 5];
                }
                weights[index] = weights[index].max(weight);
            }
        }
    }
    Ok(table)
}

/// The position of a language in [`Language::ALL`] and in marker weights.
pub fn language_index(language: Language) -> usize {
    Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rules_compile() {
        let rules = Rules::embedded();
        assert_eq!(rules.categories.len(), 9);
        assert!(rules.markers.contains_key("ikkje"));
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let set = PhraseSet::compile("t", &["klage\\w*".into(), "for dårlig".into()]).unwrap();
        assert_eq!(
            set.found("Min KLAGE er for\ndårlig."),
            vec!["klage", "for\ndårlig"]
        );
        assert!(!set.is_match("reklage"));
        assert!(set.is_match("«Klagen»"));
    }

    #[test]
    fn text_written_without_nordic_letters_matches_folded() {
        let set = PhraseSet::compile("t", &["aldrig (fått|mottagit) någon".into()]).unwrap();
        assert!(set.is_match("jag har aldrig fatt nagon paminnelse"));
        assert!(set.is_match("Betalningsanmärkning\njag har aldrig fatt nagon paminnelse"));
        assert_eq!(
            set.found("Jag har aldrig fått någon påminnelse"),
            vec!["aldrig fått någon"],
            "as written where it matches as written"
        );
        assert_eq!(set.found("aldrig fatt nagon"), vec!["aldrig fatt nagon"]);
        assert!(!set.is_match("aldrig fatta nagon"));
    }

    #[test]
    fn a_bad_pattern_names_its_list() {
        let text = EMBEDDED_RULES.replace("'klageansvarlig\\w*'", "'klageansvarlig('");
        let err = Rules::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("escalation.in_context"), "{err}");
    }
}
