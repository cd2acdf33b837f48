//! A complaint opens a case: a reference, a contact person, the deadlines from
//! receipt, the acknowledgement to the customer and the notice to staff. The
//! complaint is the mail itself, or a customer's mail a colleague forwarded
//! (attached, inline, or a stored mail named by a per-mail address): then the
//! case is the customer's, counts from when the company first had the mail, and
//! the colleague gets a note with the reference and the contact person. A
//! forward that is no complaint opens nothing; the colleague is told so, and how
//! to open it anyway (`#open`).

use chrono::{DateTime, Datelike, Utc};

use crate::case::{self, Event, NewCase};
use crate::classify::Classification;
use crate::daemon::inbound::{Env, Forwarded, Handled, Inbound, Lookups, related_keys};
use crate::domain::{CaseRef, EmailAddress};
use crate::parse::InboundMail;
use crate::record::{CaseChange, Extras, Notice};

/// The mail itself is the complaint; `linked` when it named another sender's case.
pub async fn direct(
    inbound: &Inbound<'_>,
    linked: Option<CaseRef>,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let complaint = Complaint {
        mail: inbound.mail,
        classification: &inbound.classification,
        received_at: inbound.received_at,
        forwarded_by: None,
        opened_by: None,
    };
    let (reference, change) = open(inbound, &complaint, linked.as_ref(), env, look).await?;
    let note = match &linked {
        Some(other) => {
            format!("opened case {reference}, linked to {other} (written by another sender)")
        }
        None => format!("opened case {reference}"),
    };
    Ok(opened(inbound, reference, change, note, env))
}

/// The customer's mail in a colleague's forward: a case when it is a complaint,
/// or whatever it is when the colleague wrote `#open` on top (`forced`).
pub async fn forwarded(
    inbound: &Inbound<'_>,
    by: &EmailAddress,
    forced: bool,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let original = inbound
        .forwarded
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("a forward routed without the customer's mail"))?;
    if !forced && !original.classification.complaint {
        return Ok(not_a_complaint(inbound, original, by));
    }
    let mut classification = original.classification.clone();
    if forced {
        classification.complaint = true;
        classification
            .reasons
            .push(format!("opened by {by} with #open"));
    }
    let complaint = Complaint {
        mail: &original.mail,
        classification: &classification,
        received_at: original.received_at,
        forwarded_by: Some(by.clone()),
        opened_by: forced.then(|| by.clone()),
    };
    let (reference, change) = open(inbound, &complaint, None, env, look).await?;
    let how = if forced {
        "with #open"
    } else {
        "as a complaint"
    };
    let note = format!("opened case {reference} from a customer's mail forwarded by {by} {how}");
    let mut handled = opened(inbound, reference.clone(), change, note, env);
    if forced {
        handled.audit.push(crate::store::AuditEntry {
            actor: by.to_string(),
            action: "staff command".to_string(),
            case_ref: Some(reference.clone()),
            detail: "#open".to_string(),
        });
    }
    handled.opened_stored = original.stored.map(|id| (id, reference));
    Ok(handled)
}

/// A forward the classifier read as no complaint: no case, and one short reply
/// to the colleague with the address whose `#open` opens it anyway.
fn not_a_complaint(inbound: &Inbound<'_>, original: &Forwarded, by: &EmailAddress) -> Handled {
    let customer = original.mail.from.as_ref();
    let notice = Notice::ForwardNotComplaint {
        to: by.clone(),
        jurisdiction: inbound.jurisdiction(),
        mail_id: original.stored.unwrap_or(inbound.id),
        customer: customer.map_or_else(|| by.clone(), |a| a.email.clone()),
        customer_name: customer.and_then(|a| a.name.clone()),
        subject: original.mail.subject.clone(),
        sent: original.mail.date,
        answering: inbound.mail.message_id.clone(),
    };
    let note =
        format!("a forward by {by} is not a complaint: the colleague is told how to open it");
    Handled::answered(vec![notice], "forward_not_complaint", note)
}

/// The customer's mail that opens the case, and when the company received it.
struct Complaint<'a> {
    mail: &'a InboundMail,
    classification: &'a Classification,
    received_at: DateTime<Utc>,
    forwarded_by: Option<EmailAddress>,
    /// Who forced it open with `#open` (a label for retraining).
    opened_by: Option<EmailAddress>,
}

/// A new case, noted as late when its acknowledgement was due already.
fn opened(
    inbound: &Inbound<'_>,
    reference: CaseRef,
    change: CaseChange,
    note: String,
    env: Env<'_>,
) -> Handled {
    let late = case::acknowledgement_late(&change.case, inbound.now, env.rules);
    let note = match late {
        true => format!("{note}; its acknowledgement was due already (late)"),
        false => note,
    };
    let mut handled = Handled::in_case(reference.clone(), vec![change], "opened", note, true);
    handled.late_acknowledgement = late.then_some(reference);
    handled
}

async fn open(
    inbound: &Inbound<'_>,
    complaint: &Complaint<'_>,
    linked: Option<&CaseRef>,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<(CaseRef, CaseChange)> {
    let (mail, c) = (complaint.mail, complaint.classification);
    let customer = mail
        .from
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("a new case needs the customer's address"))?;
    let jurisdiction = inbound.jurisdiction();
    let year = complaint
        .received_at
        .with_timezone(&jurisdiction.time_zone())
        .year();
    let company = &env.config.company;
    let reference = look.next_reference(&company.case_prefix, year).await?;
    let load = look.open_cases_per_contact().await?;
    let contact = case::assign::choose_contact(&env.config.staff, c.language, jurisdiction, &load)
        .map(|s| s.email.clone());
    let input = NewCase {
        reference: reference.clone(),
        mailbox: inbound.mailbox.name.clone(),
        jurisdiction,
        language: c.language,
        category: c.category,
        customer: customer.email.clone(),
        customer_name: customer.name.clone(),
        subject: mail.subject.trim().to_string(),
        message_id: mail.message_id.clone(),
        received_at: complaint.received_at,
        contact,
        forwarded_by: complaint.forwarded_by.clone(),
        opened_by: complaint.opened_by.clone(),
    };
    let mut step = case::open(input, inbound.now, env.rules);
    if let Some(other) = linked {
        step.events.push(Event::Linked {
            other: other.clone(),
        });
        step.case.related.push(other.clone());
    }
    let mut change =
        CaseChange::opened(step, Extras::from_customer_mail(mail)).filing(&mail.message_id);
    change.keys = match &inbound.related_keys {
        Some(keys) if std::ptr::eq(mail, inbound.mail) => keys.clone(),
        _ => related_keys(mail, c),
    };
    Ok((reference, change))
}
