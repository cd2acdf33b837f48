//! A staff reply to a case's own reply address (its token checked by the route):
//! its `#commands` run, or its text is relayed to the customer as the answer,
//! all or nothing. A refused reply changes nothing and its sender is told why,
//! in their language. `#open` on a forward whose mail is in a case already is
//! refused the same way.

use std::collections::HashMap;

use tracing::warn;

use crate::case::{self, Event, Refusal, StaffCommand};
use crate::daemon::inbound::{Env, Handled, Inbound, Lookups};
use crate::domain::{CaseRef, EmailAddress};
use crate::record::{CaseChange, Extras};
use crate::runtime::faults::{self, Stage};
use crate::store::AuditEntry;

pub async fn handle(
    inbound: &Inbound<'_>,
    reference: &CaseRef,
    by: &EmailAddress,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let mail = inbound.mail;
    let case = crate::daemon::inbound::existing(look, reference).await?;
    faults::check(Stage::Commands, &mail.subject);
    let causes = named_causes(&mail.new_text, look).await?;
    let worked = case::work_staff_reply_with(
        &case,
        &mail.new_text,
        by,
        &mail.message_id,
        inbound.now,
        env.rules,
        &causes,
    );
    let body = worked.reply.as_ref().map(|r| r.body.as_str()).unwrap_or("");
    let extras = Extras::with_staff_text(body).answering(mail);
    let kinds: Vec<&str> = worked.step.events.iter().map(Event::kind).collect();
    let changes = vec![CaseChange::changed(worked.step.clone(), extras).filing(&mail.message_id)];
    let (action, note) = match &worked.rejected {
        Some(refusal) => {
            warn!(case = %reference, reason = %refusal, "staff command refused; the sender is told why");
            (
                "staff_refused",
                format!("staff reply by {by} refused: {refusal}"),
            )
        }
        None => (
            "staff_reply",
            format!(
                "staff reply by {by} in case {reference}: {}",
                kinds.join(", ")
            ),
        ),
    };
    let detail = match (&worked.rejected, &worked.reply) {
        (Some(refusal), _) => format!("refused: {}", refusal.code()),
        (None, Some(reply)) if !reply.commands.is_empty() => reply
            .commands
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(" "),
        (None, _) => "answer relayed to the customer".to_string(),
    };
    let mut handled = Handled::in_case(reference.clone(), changes, action, note, true);
    handled.audit.push(staff_audit(by, reference, detail));
    Ok(handled)
}

/// The audit trail's line for a staff member's mail command in a case.
fn staff_audit(by: &EmailAddress, reference: &CaseRef, detail: String) -> AuditEntry {
    AuditEntry {
        actor: by.to_string(),
        action: "staff command".to_string(),
        case_ref: Some(reference.clone()),
        detail,
    }
}

/// The causes of the cases a `#cause REF` line names (a case's cause taken
/// from the case it is linked to).
async fn named_causes(
    text: &str,
    look: &mut impl Lookups,
) -> anyhow::Result<HashMap<CaseRef, String>> {
    let mut causes = HashMap::new();
    let Ok(reply) = case::parse_commands(text) else {
        return Ok(causes);
    };
    for command in &reply.commands {
        if let StaffCommand::Cause {
            from: Some(other), ..
        } = command
            && let Some(cause) = look.case(other).await?.and_then(|c| c.cause)
        {
            causes.insert(other.clone(), cause);
        }
    }
    Ok(causes)
}

/// `#open` by `by` on a forwarded mail that is in case `reference` already: no
/// second case; the staff member is told which case has it.
pub async fn forward_in_case(
    inbound: &Inbound<'_>,
    reference: &CaseRef,
    by: &EmailAddress,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let case = crate::daemon::inbound::existing(look, reference).await?;
    let event = Event::CommandRejected {
        by: by.clone(),
        reason: Refusal::ForwardInCase(reference.clone()),
    };
    let extras = Extras::default().answering(inbound.mail);
    let (change, result) = CaseChange::of_event(&case, event, extras, inbound.now, env.rules);
    result.map_err(|rejected| anyhow::anyhow!("#open refusal not recorded: {rejected}"))?;
    let note = format!("#open by {by}: the forwarded mail is in case {reference} already");
    let mut handled =
        Handled::in_case(reference.clone(), vec![change], "staff_refused", note, true);
    let detail = "#open refused: forward_in_case".to_string();
    handled.audit.push(staff_audit(by, reference, detail));
    Ok(handled)
}
