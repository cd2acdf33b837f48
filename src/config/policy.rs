//! `[policy]`: the numbers of the law and of the company's own promises.

use std::collections::BTreeMap;

use serde::Deserialize;

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
    /// Send the holding reply automatically on the due day when no answer was sent.
    pub auto_holding_reply: bool,
    /// The reason given in an automatic holding reply, per language code.
    pub auto_holding_reason: BTreeMap<String, String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            acknowledge_within_days: 3,
            answer_within_days: 15,
            final_answer_within_days: 35,
            reminder_days_before: vec![5, 2],
            ankenaevn_after_weeks: 5,
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
        Ok(())
    }
}
