//! A complaint opens a case: a reference, a contact person, the deadlines from
//! receipt, the acknowledgement to the customer and the notice to staff. The
//! complaint is the mail itself, or a customer's mail a staff member forwarded
//! with `#open` (the classifier missed it); then the case is the customer's and
//! counts from when the customer sent it.

use chrono::{DateTime, Datelike, Utc};

use crate::case::{self, Event, NewCase};
use crate::classify::Classification;
use crate::daemon::inbound::{Env, Handled, Inbound, Lookups};
use crate::domain::{CaseRef, EmailAddress};
use crate::parse::InboundMail;
use crate::record::{CaseChange, Extras};

/// A forwarded mail older than this is taken as received when forwarded.
const MAX_FORWARD_AGE_DAYS: i64 = 90;

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
    };
    let (reference, change) = open(inbound, &complaint, linked.as_ref(), env, look).await?;
    let note = match &linked {
        Some(other) => {
            format!("opened case {reference}, linked to {other} (written by another sender)")
        }
        None => format!("opened case {reference}"),
    };
    Ok(Handled::in_case(
        reference,
        vec![change],
        "opened",
        note,
        true,
    ))
}

/// The customer's mail in a forward by staff member `by` with `#open`.
pub async fn forwarded(
    inbound: &Inbound<'_>,
    by: &EmailAddress,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    let original = inbound
        .forwarded
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("#open routed without a forwarded mail"))?;
    let mut classification = original.classification.clone();
    classification.complaint = true;
    classification
        .reasons
        .push(format!("opened by {by} with #open"));
    let complaint = Complaint {
        mail: &original.mail,
        classification: &classification,
        received_at: forwarded_receipt(original.mail.date, inbound.now),
    };
    let (reference, change) = open(inbound, &complaint, None, env, look).await?;
    let note = format!("opened case {reference} from a mail forwarded by {by} with #open");
    Ok(Handled::in_case(
        reference,
        vec![change],
        "opened",
        note,
        true,
    ))
}

/// The customer's mail that opens the case, and when the company received it.
struct Complaint<'a> {
    mail: &'a InboundMail,
    classification: &'a Classification,
    received_at: DateTime<Utc>,
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
    let company = &env.config.company;
    let jurisdiction = inbound.mailbox.jurisdiction.unwrap_or(company.jurisdiction);
    let year = complaint
        .received_at
        .with_timezone(&jurisdiction.time_zone())
        .year();
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
    };
    let mut step = case::open(input, inbound.now, env.rules);
    if let Some(other) = linked {
        step.events.push(Event::Linked {
            other: other.clone(),
        });
        step.case.related.push(other.clone());
    }
    let change =
        CaseChange::opened(step, Extras::from_customer_mail(mail)).filing(&mail.message_id);
    Ok((reference, change))
}

/// When the company received a complaint staff forward with `#open`: when the
/// customer sent it (the deadlines ran from then), unless its date is missing,
/// in the future or implausibly old.
fn forwarded_receipt(sent: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match sent {
        Some(sent) if sent <= now && now - sent <= chrono::Duration::days(MAX_FORWARD_AGE_DAYS) => {
            sent
        }
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::forwarded_receipt;

    #[test]
    fn an_opened_forward_counts_from_when_the_customer_sent_it() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .to_utc();
        let days = chrono::Duration::days;
        assert_eq!(forwarded_receipt(Some(now - days(3)), now), now - days(3));
        assert_eq!(forwarded_receipt(None, now), now, "no date");
        assert_eq!(
            forwarded_receipt(Some(now + days(1)), now),
            now,
            "a date in the future"
        );
        assert_eq!(
            forwarded_receipt(Some(now - days(400)), now),
            now,
            "implausibly old"
        );
    }
}
