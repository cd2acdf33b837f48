//! `[policy]`: the numbers of the law and of the company's own promises.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::{Category, Language};

/// The key of `auto_holding_reason` for a case without a category.
pub const UNCATEGORISED: &str = "uncategorised";

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Working days after receipt for the acknowledgement (BEK 1219/2019 § 3).
    pub acknowledge_within_days: u32,
    /// Business days after receipt for the answer (PSD2 art. 101(2)).
    pub answer_within_days: u32,
    /// Business days after receipt for the final answer after a holding reply.
    pub final_answer_within_days: u32,
    /// Working days before the answer is due on which the contact person is reminded.
    pub reminder_days_before: Vec<u32>,
    /// Denmark: weeks without an answer after which the customer may go to the Ankenævn.
    pub ankenaevn_after_weeks: u32,
    /// Working days before the answer is due on which the contact person is
    /// prompted to send a holding reply (`#extend DATE REASON`) if the answer
    /// cannot be given in time; 0 turns the prompt off.
    pub holding_prompt_days_before: u32,
    /// Send the holding reply automatically on the due day when no answer was sent.
    pub auto_holding_reply: bool,
    /// The reason an automatic holding reply gives (PSD2 art. 101(2) wants the
    /// real reason): per category code (and `uncategorised`), per language code.
    /// Required for every category and language when `auto_holding_reply` is on.
    pub auto_holding_reason: BTreeMap<String, BTreeMap<Language, String>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            acknowledge_within_days: 3,
            answer_within_days: 15,
            final_answer_within_days: 35,
            reminder_days_before: vec![5, 2],
            ankenaevn_after_weeks: 5,
            holding_prompt_days_before: 3,
            auto_holding_reply: false,
            auto_holding_reason: BTreeMap::new(),
        }
    }
}

impl Policy {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self.acknowledge_within_days == 0
            || self.answer_within_days < self.acknowledge_within_days
        {
            anyhow::bail!(
                "policy: acknowledge_within_days must be at least 1 and not above answer_within_days"
            );
        }
        if self.final_answer_within_days < self.answer_within_days {
            anyhow::bail!("policy: final_answer_within_days must not be below answer_within_days");
        }
        self.validate_auto_holding_reasons()
    }

    /// The configured reason for an automatic holding reply to a case of
    /// `category` written in `language`.
    pub fn auto_holding_reason_for(
        &self,
        category: Option<Category>,
        language: Language,
    ) -> Option<&str> {
        let key = category.map_or(UNCATEGORISED, Category::code);
        self.auto_holding_reason
            .get(key)?
            .get(&language)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// An automatic holding reply needs a real reason for every case it may
    /// answer: every category (and none) in every language.
    fn validate_auto_holding_reasons(&self) -> anyhow::Result<()> {
        let known = |key: &str| key == UNCATEGORISED || key.parse::<Category>().is_ok();
        if let Some(key) = self.auto_holding_reason.keys().find(|k| !known(k)) {
            anyhow::bail!(
                "policy.auto_holding_reason.{key}: not a category (fees, card, payment, loan, investment, service, privacy, marketing, fraud, other) or {UNCATEGORISED}"
            );
        }
        if !self.auto_holding_reply {
            return Ok(());
        }
        let categories = Category::ALL.map(Some).into_iter().chain([None]);
        let missing: Vec<String> = categories
            .flat_map(|c| Language::ALL.map(move |l| (c, l)))
            .filter(|(c, l)| self.auto_holding_reason_for(*c, *l).is_none())
            .map(|(c, l)| format!("{}.{l}", c.map_or(UNCATEGORISED, Category::code)))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "policy.auto_holding_reply is on, but the reason it gives the customer is missing for {} (PSD2 art. 101(2) wants the real reason for the delay): add [policy.auto_holding_reason.CATEGORY] with da, nb, nn, sv and en for every category and {UNCATEGORISED}, or turn auto_holding_reply off and answer the holding-reply prompt with #extend",
            missing.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_reasons() -> BTreeMap<String, BTreeMap<Language, String>> {
        let keys = Category::ALL.map(|c| c.code().to_string());
        keys.into_iter()
            .chain([UNCATEGORISED.to_string()])
            .map(|k| {
                let texts = Language::ALL.map(|l| (l, format!("{k} {l}")));
                (k, texts.into_iter().collect())
            })
            .collect()
    }

    #[test]
    fn an_automatic_holding_reply_needs_a_reason_for_every_category_and_language() {
        let mut policy = Policy {
            auto_holding_reply: true,
            ..Policy::default()
        };
        let err = policy.validate().unwrap_err().to_string();
        assert!(
            err.contains("fees.da") && err.contains("uncategorised.en"),
            "{err}"
        );
        policy.auto_holding_reason = all_reasons();
        policy.validate().unwrap();
        assert_eq!(
            policy.auto_holding_reason_for(Some(Category::Card), Language::Nn),
            Some("card nn")
        );
        assert_eq!(
            policy.auto_holding_reason_for(None, Language::Sv),
            Some("uncategorised sv")
        );
        if let Some(texts) = policy.auto_holding_reason.get_mut("loan") {
            texts.insert(Language::Nb, " ".into());
        }
        let err = policy.validate().unwrap_err().to_string();
        assert!(err.contains("loan.nb") && !err.contains("loan.da"), "{err}");
    }

    #[test]
    fn reasons_under_an_unknown_key_are_refused_even_when_off() {
        let mut reasons = all_reasons();
        reasons.insert("gebyr".into(), BTreeMap::new());
        let policy = Policy {
            auto_holding_reason: reasons,
            ..Policy::default()
        };
        let err = policy.validate().unwrap_err().to_string();
        assert!(err.contains("auto_holding_reason.gebyr"), "{err}");
    }
}
