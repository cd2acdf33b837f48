//! `check_all`: renders every kind in every language with full, sparse and variant
//! sample contexts, and checks that what a reader needs is in the text (used by
//! `klagebot check` and the tests, so a company's override is held to the same bar).

use super::context::{TemplateContext, UpdateKind};
use super::forbidden;
use super::kind::TemplateKind;
use super::render::{RenderedText, Templates};
use super::samples;
use crate::domain::Language;

/// Every problem found, one line each.
#[derive(Debug, thiserror::Error)]
#[error("{} template problem(s):\n  {}", problems.len(), problems.join("\n  "))]
pub struct CheckError {
    pub problems: Vec<String>,
}

impl Templates {
    /// Renders every kind in every language with every sample context.
    pub fn check_all(&self) -> Result<(), CheckError> {
        let mut problems = Vec::new();
        for lang in Language::ALL {
            for kind in TemplateKind::ALL {
                let mut contexts = samples::variants(kind, lang);
                contexts.push(samples::sparse(kind, lang));
                for ctx in &contexts {
                    self.check_one(kind, lang, ctx, &mut problems);
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            problems.dedup();
            Err(CheckError { problems })
        }
    }

    fn check_one(
        &self,
        kind: TemplateKind,
        lang: Language,
        ctx: &TemplateContext,
        problems: &mut Vec<String>,
    ) {
        let origin = self.origin(kind, lang);
        match self.render(kind, lang, ctx) {
            Ok(text) => {
                for problem in content_problems(kind, ctx, &text) {
                    problems.push(format!("{lang}/{kind} ({origin}): {problem}"));
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
}

/// What is wrong with one rendered text, judged as its reader would.
pub fn content_problems(
    kind: TemplateKind,
    ctx: &TemplateContext,
    text: &RenderedText,
) -> Vec<String> {
    let mut problems = Vec::new();
    let whole = format!("{}\n{}", text.subject, text.body);
    for leftover in ["{{", "}}", "{%", "%}", "{#"] {
        if whole.contains(leftover) {
            problems.push(format!("template syntax {leftover:?} left in the output"));
        }
    }
    if let Some(what) = forbidden::mention(&whole) {
        problems.push(format!("names {what}"));
    }
    for (what, value) in required_values(kind, ctx) {
        if !value.is_empty() && !text.body.contains(value.as_str()) {
            problems.push(format!("the body does not give the {what} ({value:?})"));
        }
    }
    problems
}

/// The values a reader of `kind` must find in the body.
fn required_values(kind: TemplateKind, ctx: &TemplateContext) -> Vec<(&'static str, String)> {
    let mut need = match kind.is_caseless() {
        true => Vec::new(),
        false => vec![("case reference", ctx.reference.clone())],
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    match kind {
        TemplateKind::Acknowledgement => {
            need.push(("contact person", ctx.contact.name.clone()));
            need.push(("contact's email", ctx.contact.email.clone()));
            need.push(("contact's phone", opt(&ctx.contact.phone)));
            need.push(("answer date", ctx.dates.answer_due.clone()));
        }
        TemplateKind::HoldingReply => {
            need.push(("reason for the delay", opt(&ctx.holding_reason)));
            need.push(("date of the final answer", ctx.dates.answer_due.clone()));
            if let Some(board) = ctx
                .ankenaevn
                .as_ref()
                .filter(|_| ctx.answer_beyond_ankenaevn_weeks)
            {
                need.push(("board the customer may already turn to", board.name.clone()));
            }
        }
        TemplateKind::Decision => {
            if let Some(d) = &ctx.decision {
                need.push(("reasoned answer", d.text.clone()));
            }
            for body in &ctx.referrals {
                need.push(("referral body", body.name.clone()));
                need.push(("referral web address", body.web.clone()));
            }
        }
        TemplateKind::EscalationToCustomer => {
            let manager = ctx.manager.as_ref().map(|m| m.name.clone());
            need.push(("complaints manager", manager.unwrap_or_default()));
            need.push(("answer date", ctx.dates.answer_due.clone()));
        }
        TemplateKind::RelayedAnswer => {
            if let Some(a) = &ctx.staff_answer {
                need.push(("staff member's answer", a.text.clone()));
                need.push(("staff member's name", a.name.clone()));
            }
        }
        TemplateKind::CommandReply => {
            let line = ctx.refusal.as_ref().map(|r| r.line.clone());
            need.push(("refused command", line.unwrap_or_default()));
        }
        TemplateKind::StaffNewCase => {
            need.push(("customer's text", opt(&ctx.customer_text)));
            for case in &ctx.related {
                need.push(("related case", case.reference.clone()));
                need.push(("why it is related", case.reason.clone()));
            }
            need.push(("answer date", ctx.dates.answer_due.clone()));
            need.extend(
                ctx.attachments
                    .iter()
                    .map(|a| ("attachment", a.name.clone())),
            );
        }
        TemplateKind::StaffReminder | TemplateKind::StaffEscalation => {
            need.push(("answer date", ctx.dates.answer_due.clone()));
        }
        TemplateKind::StaffHoldingPrompt => {
            need.push(("answer date", ctx.dates.answer_due.clone()));
            let extend = format!("#extend {}", ctx.dates.final_due_iso);
            need.push(("#extend line to send", extend));
            let automatic = ctx.prompt.as_ref().and_then(|p| p.automatic_reason.clone());
            need.push(("automatic holding reason", automatic.unwrap_or_default()));
        }
        TemplateKind::StaffBounce => {
            let to = ctx.bounce.as_ref().map(|b| b.recipient.clone());
            need.push(("address that bounced", to.unwrap_or_default()));
        }
        TemplateKind::StaffUpdate => {
            need.push(("answer date", ctx.dates.answer_due.clone()));
            if ctx.update.as_ref().map(|u| u.kind) == Some(UpdateKind::AnkenaevnEligible) {
                let board = ctx.ankenaevn.as_ref().map(|b| b.name.clone());
                need.push(("board the customer may turn to", board.unwrap_or_default()));
            }
            if ctx.update.as_ref().map(|u| u.kind) == Some(UpdateKind::CustomerWrote) {
                need.push(("customer's text", opt(&ctx.customer_text)));
            }
            if let Some(update) = ctx
                .update
                .as_ref()
                .filter(|u| u.kind == UpdateKind::UnverifiedAnswer)
            {
                need.push(("who the answer claims to be from", opt(&update.by)));
                need.push(("the copied answer", opt(&update.text)));
            }
        }
        TemplateKind::StaffAlarm => {
            need.push((
                "acknowledgement deadline",
                ctx.dates.acknowledge_due.clone(),
            ));
        }
        TemplateKind::ColleagueForward => {
            need.push(("contact person", ctx.contact.name.clone()));
            if let Some(f) = &ctx.forward {
                need.push(("customer's address", f.customer.email.clone()));
            }
        }
        TemplateKind::ForwardNotComplaint => {
            if let Some(f) = &ctx.forward {
                need.push(("customer's address", f.customer.email.clone()));
                need.push(("forwarded subject", f.subject.clone()));
            }
        }
        TemplateKind::StaffDigest => {
            for item in ctx.digest.iter().flat_map(|d| &d.items) {
                need.push(("sender", item.sender.clone()));
                need.push(("subject", item.subject.clone()));
                need.push(("reply address", item.reply_address.clone()));
            }
        }
        TemplateKind::StaffFlood => {
            let flood = ctx.flood.as_ref();
            need.push((
                "flooding address",
                flood.map(|f| f.address.clone()).unwrap_or_default(),
            ));
            for case in flood.iter().flat_map(|f| &f.cases) {
                need.push(("case", case.reference.clone()));
                need.push(("its reply address", case.reply_address.clone()));
            }
        }
        TemplateKind::StaffSurge => {
            let surge = ctx.surge.as_ref();
            need.push((
                "common words",
                surge.map(|s| s.words.clone()).unwrap_or_default(),
            ));
            need.push((
                "first complaint",
                surge.map(|s| s.first.clone()).unwrap_or_default(),
            ));
            for case in surge.iter().flat_map(|s| &s.cases) {
                need.push(("case", case.reference.clone()));
            }
        }
        TemplateKind::StaffBacklog => {
            for case in &ctx.late {
                need.push(("late case", case.reference.clone()));
                need.push(("its acknowledgement deadline", case.acknowledge_due.clone()));
            }
        }
    }
    need
}
