//! The kinds of mail klagebot writes, and what each needs from the context.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::context::TemplateContext;
use crate::domain::ParseError;

/// One kind of outgoing mail; each exists as `templates/{lang}/{kind}.txt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    // To the customer.
    Acknowledgement,
    HoldingReply,
    Decision,
    EscalationToCustomer,
    RelayedAnswer,
    // To staff.
    CommandReply,
    StaffNewCase,
    StaffReminder,
    /// Before the answer is due: send a holding reply (`#extend`) if the answer
    /// cannot be given in time, and exactly how.
    StaffHoldingPrompt,
    StaffEscalation,
    StaffBounce,
    StaffAlarm,
    /// News on a case for its contact person: the customer wrote, the case was
    /// assigned, an automatic holding reply went out, the Ankenævn became possible.
    StaffUpdate,
    /// To a colleague whose forward opened a case: its reference and contact person.
    ColleagueForward,
    /// To a colleague whose forward is no complaint: how to open it anyway.
    ForwardNotComplaint,
    /// The daily list of a person's mail klagebot left alone.
    StaffDigest,
    /// A backlog's cases acknowledged later than the law allows.
    StaffBacklog,
    /// One address over the per-address caps: its cases without an automatic
    /// acknowledgement, at most once an hour.
    StaffFlood,
    /// Many complaints about one matter within hours (an incident): one alert
    /// to the complaints manager, and a daily update of the later ones.
    StaffSurge,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 19] = [
        TemplateKind::Acknowledgement,
        TemplateKind::HoldingReply,
        TemplateKind::Decision,
        TemplateKind::EscalationToCustomer,
        TemplateKind::RelayedAnswer,
        TemplateKind::CommandReply,
        TemplateKind::StaffNewCase,
        TemplateKind::StaffReminder,
        TemplateKind::StaffHoldingPrompt,
        TemplateKind::StaffEscalation,
        TemplateKind::StaffBounce,
        TemplateKind::StaffAlarm,
        TemplateKind::StaffUpdate,
        TemplateKind::ColleagueForward,
        TemplateKind::ForwardNotComplaint,
        TemplateKind::StaffDigest,
        TemplateKind::StaffBacklog,
        TemplateKind::StaffFlood,
        TemplateKind::StaffSurge,
    ];

    /// Whether a customer reads this kind (the others go to staff).
    pub fn is_for_customer(self) -> bool {
        matches!(
            self,
            TemplateKind::Acknowledgement
                | TemplateKind::HoldingReply
                | TemplateKind::Decision
                | TemplateKind::EscalationToCustomer
                | TemplateKind::RelayedAnswer
        )
    }

    pub fn code(self) -> &'static str {
        match self {
            TemplateKind::Acknowledgement => "acknowledgement",
            TemplateKind::HoldingReply => "holding_reply",
            TemplateKind::Decision => "decision",
            TemplateKind::EscalationToCustomer => "escalation_to_customer",
            TemplateKind::RelayedAnswer => "relayed_answer",
            TemplateKind::CommandReply => "command_reply",
            TemplateKind::StaffNewCase => "staff_new_case",
            TemplateKind::StaffReminder => "staff_reminder",
            TemplateKind::StaffHoldingPrompt => "staff_holding_prompt",
            TemplateKind::StaffEscalation => "staff_escalation",
            TemplateKind::StaffBounce => "staff_bounce",
            TemplateKind::StaffAlarm => "staff_alarm",
            TemplateKind::StaffUpdate => "staff_update",
            TemplateKind::ColleagueForward => "colleague_forward",
            TemplateKind::ForwardNotComplaint => "forward_not_complaint",
            TemplateKind::StaffDigest => "staff_digest",
            TemplateKind::StaffBacklog => "staff_backlog",
            TemplateKind::StaffFlood => "staff_flood",
            TemplateKind::StaffSurge => "staff_surge",
        }
    }

    /// Whether mail of this kind belongs to no case (its subject has no reference).
    pub fn is_caseless(self) -> bool {
        matches!(
            self,
            TemplateKind::ForwardNotComplaint
                | TemplateKind::StaffDigest
                | TemplateKind::StaffBacklog
                | TemplateKind::StaffFlood
                | TemplateKind::StaffSurge
        )
    }

    /// The first kind-specific context field this kind needs that is absent.
    pub fn missing_in(self, ctx: &TemplateContext) -> Option<&'static str> {
        let needs: &[(&'static str, bool)] = match self {
            TemplateKind::HoldingReply => &[("holding_reason", ctx.holding_reason.is_some())],
            TemplateKind::Decision => &[("decision", ctx.decision.is_some())],
            TemplateKind::EscalationToCustomer => &[("manager", ctx.manager.is_some())],
            TemplateKind::RelayedAnswer => &[("staff_answer", ctx.staff_answer.is_some())],
            TemplateKind::CommandReply => &[("refusal", ctx.refusal.is_some())],
            TemplateKind::StaffNewCase => &[
                ("customer_text", ctx.customer_text.is_some()),
                ("reply_address", ctx.reply_address.is_some()),
            ],
            TemplateKind::StaffReminder => &[
                ("reminder", ctx.reminder.is_some()),
                ("reply_address", ctx.reply_address.is_some()),
            ],
            TemplateKind::StaffHoldingPrompt => &[
                ("prompt", ctx.prompt.is_some()),
                ("reply_address", ctx.reply_address.is_some()),
            ],
            TemplateKind::StaffEscalation => &[
                ("escalation", ctx.escalation.is_some()),
                ("manager", ctx.manager.is_some()),
                ("reply_address", ctx.reply_address.is_some()),
            ],
            TemplateKind::StaffBounce => &[("bounce", ctx.bounce.is_some())],
            TemplateKind::StaffUpdate => &[
                ("update", ctx.update.is_some()),
                ("reply_address", ctx.reply_address.is_some()),
            ],
            TemplateKind::ColleagueForward => &[("forward", ctx.forward.is_some())],
            TemplateKind::ForwardNotComplaint => &[
                ("forward", ctx.forward.is_some()),
                ("reply_address", ctx.reply_address.is_some()),
            ],
            TemplateKind::StaffDigest => &[("digest", ctx.digest.is_some())],
            TemplateKind::StaffBacklog => &[("late", !ctx.late.is_empty())],
            TemplateKind::StaffFlood => &[("flood", ctx.flood.is_some())],
            TemplateKind::StaffSurge => &[("surge", ctx.surge.is_some())],
            TemplateKind::Acknowledgement | TemplateKind::StaffAlarm => &[],
        };
        needs
            .iter()
            .find(|(_, present)| !present)
            .map(|(name, _)| *name)
    }
}

impl fmt::Display for TemplateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for TemplateKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TemplateKind::ALL
            .into_iter()
            .find(|k| k.code() == s.trim())
            .ok_or_else(|| ParseError::new("template kind", s, "a kind such as acknowledgement"))
    }
}
