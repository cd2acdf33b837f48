//! Staff working a case from their own mail client (DESIGN §6): a reply to a
//! notification's per-case address runs its `#commands` or is relayed to the
//! customer; a staff mail to the customer that copies us is recorded as the
//! answer; a forwarded mail with `#open` opens the case the classifier missed.
//! Nothing here runs for a sender who is not configured staff with a valid token.

use chrono::{DateTime, Utc};
use tracing::warn;

use super::Daemon;
use super::changes::{apply_mail_event, load_case, write_step};
use super::letters::Extras;
use super::pipeline::{Inbound, Outcome};
use crate::case::{self, Event};
use crate::classify::{Classification, RefSource};
use crate::domain::{CaseRef, EmailAddress};
use crate::parse::InboundMail;
use crate::store::{Direction, Tx};

/// A mail recognised as staff work on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StaffMail {
    /// A reply to a notification's per-case address with a valid token.
    TokenReply { case: CaseRef, by: EmailAddress },
    /// A staff mail to the case's customer with us in Cc/Bcc and the reference in the subject.
    CopiedAnswer { case: CaseRef, by: EmailAddress },
    /// A customer's mail forwarded by staff with `#open` on top: a missed complaint.
    Open { by: EmailAddress },
}

/// Recognises staff work; `None` means the mail is handled as any other.
pub(super) async fn recognise(
    daemon: &Daemon,
    tx: &mut Tx,
    mail: &InboundMail,
    classification: &Classification,
) -> anyhow::Result<Option<StaffMail>> {
    let Some(sender) = mail.from.as_ref().map(|a| a.email.clone()) else {
        return Ok(None);
    };
    let token_case = token_case(daemon, mail);
    let staff = daemon.config.staff_by_address(&sender);
    match (staff, token_case) {
        (Some(_), Some(case)) => {
            if !authenticated(daemon, mail, &sender) {
                warn!(case = %case, "staff reply without a passing Authentication-Results: no command run");
                return Ok(None);
            }
            Ok(Some(StaffMail::TokenReply { case, by: sender }))
        }
        (None, Some(case)) => {
            warn!(case = %case, "a case reply address used by someone who is not staff: no command run");
            Ok(None)
        }
        (Some(_), None) if starts_with_open(&mail.new_text) => {
            Ok(Some(StaffMail::Open { by: sender }))
        }
        (Some(_), None) => copied_answer(tx, mail, classification, sender).await,
        (None, None) => Ok(None),
    }
}

/// The case of the first recipient address that carries a valid token.
fn token_case(daemon: &Daemon, mail: &InboundMail) -> Option<CaseRef> {
    let company = &daemon.config.company;
    let header_addresses = ["delivered-to", "x-original-to"]
        .iter()
        .flat_map(|h| mail.headers_named(h))
        .filter_map(|v| EmailAddress::parse(v).ok());
    mail.to
        .iter()
        .chain(mail.cc.iter())
        .map(|a| a.email.clone())
        .chain(header_addresses)
        .find_map(|addr| {
            crate::outbox::verify_reply_address(
                &addr,
                &company.complaint_address,
                &daemon.token_secret,
                &company.case_prefix,
            )
        })
}

async fn copied_answer(
    tx: &mut Tx,
    mail: &InboundMail,
    classification: &Classification,
    by: EmailAddress,
) -> anyhow::Result<Option<StaffMail>> {
    let (Some(reference), Some(RefSource::Subject)) =
        (&classification.case_ref, classification.case_ref_source)
    else {
        return Ok(None);
    };
    let Some(case) = tx.case(reference).await? else {
        return Ok(None);
    };
    let to_customer = mail.to.iter().any(|a| a.email.key() == case.customer.key());
    Ok(to_customer.then(|| StaffMail::CopiedAnswer {
        case: reference.clone(),
        by,
    }))
}

/// Where configured, staff mail must carry a passing DKIM or DMARC result for the
/// sender's domain from our own receiving server.
fn authenticated(daemon: &Daemon, mail: &InboundMail, sender: &EmailAddress) -> bool {
    let security = &daemon.config.security;
    if !security.require_authentication_results {
        return true;
    }
    mail.headers_named("authentication-results")
        .any(|value| authentication_passes(value, security.authserv_id.as_deref(), sender.domain()))
}

/// Whether one Authentication-Results value from `authserv_id` says DMARC passed
/// for `domain`, or DKIM passed with a signature of `domain`.
pub(super) fn authentication_passes(value: &str, authserv_id: Option<&str>, domain: &str) -> bool {
    let mut parts = value.split(';').map(str::trim);
    let server = parts
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("");
    if let Some(expected) = authserv_id
        && !server.eq_ignore_ascii_case(expected)
    {
        return false;
    }
    let domain = domain.to_ascii_lowercase();
    parts.any(|result| {
        let lower = result.to_ascii_lowercase();
        let names_domain = |key: &str| {
            lower.split_whitespace().any(|w| {
                w.strip_prefix(key)
                    .is_some_and(|d| d.trim_end_matches(';') == domain)
            })
        };
        (lower.starts_with("dmarc=pass") && names_domain("header.from="))
            || (lower.starts_with("dkim=pass") && names_domain("header.d="))
    })
}

/// Carries out recognised staff work inside the message's transaction.
pub(super) async fn handle(
    daemon: &Daemon,
    tx: &mut Tx,
    inbound: &Inbound<'_>,
    staff_mail: StaffMail,
) -> anyhow::Result<Outcome> {
    let (mail, now) = (inbound.mail, inbound.now);
    match staff_mail {
        StaffMail::TokenReply { case, by } => token_reply(daemon, tx, mail, &case, &by, now).await,
        StaffMail::CopiedAnswer { case, by } => copied(daemon, tx, mail, &case, &by, now).await,
        StaffMail::Open { by } => open_forwarded(daemon, tx, inbound, &by).await,
    }
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

/// A forwarded mail older than this is taken as received when forwarded.
const MAX_FORWARD_AGE_DAYS: i64 = 90;

fn starts_with_open(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.eq_ignore_ascii_case("#open"))
}

/// Opens a case for the customer whose mail a staff member forwarded with `#open`.
async fn open_forwarded(
    daemon: &Daemon,
    tx: &mut Tx,
    inbound: &Inbound<'_>,
    by: &EmailAddress,
) -> anyhow::Result<Outcome> {
    let Some(original) = forwarded_mail(inbound.mail) else {
        warn!(by = %by, "#open on a mail with no forwarded customer mail in it: nothing opened");
        return Ok(Outcome::ignored(format!(
            "#open by {by} found no forwarded customer mail"
        )));
    };
    let Some(customer) = original.from.as_ref().map(|a| a.email.clone()) else {
        return Ok(Outcome::ignored(format!(
            "#open by {by}: the forwarded mail has no sender address"
        )));
    };
    if daemon.config.staff_by_address(&customer).is_some() {
        return Ok(Outcome::ignored(format!(
            "#open by {by}: the forwarded mail is from staff ({customer})"
        )));
    }
    if let Some(existing) = case_of(tx, &original).await? {
        return already_in_case(daemon, tx, inbound, &existing, by).await;
    }
    let mut classification = super::pipeline::classify_for(daemon, inbound.mailbox, &original)?;
    classification.complaint = true;
    classification
        .reasons
        .push(format!("opened by {by} with #open"));
    let forwarded = Inbound {
        mailbox: inbound.mailbox,
        mail: &original,
        classification,
        now: inbound.now,
        received_at: forwarded_receipt(original.date, inbound.now),
        opened_by: Some(by.clone()),
    };
    let mut outcome = super::pipeline::open_case(daemon, tx, &forwarded, None).await?;
    outcome.note = format!("{} from a mail forwarded by {by} with #open", outcome.note);
    Ok(outcome)
}

/// The case a forwarded mail is in already, by its own Message-ID.
async fn case_of(tx: &mut Tx, original: &InboundMail) -> anyhow::Result<Option<CaseRef>> {
    if original.message_id_generated {
        return Ok(None);
    }
    tx.case_for_message_id(&original.message_id).await
}

/// `#open` on a mail that is in a case already opens no second case; the staff
/// member is told which case has it.
async fn already_in_case(
    daemon: &Daemon,
    tx: &mut Tx,
    inbound: &Inbound<'_>,
    reference: &CaseRef,
    by: &EmailAddress,
) -> anyhow::Result<Outcome> {
    let case = load_case(tx, reference).await?;
    let event = Event::CommandRejected {
        by: by.clone(),
        reason: format!("the forwarded mail is in case {reference} already"),
    };
    let (next, actions) = case::apply(&case, &event, inbound.now, &daemon.rules)
        .map_err(|rejected| anyhow::anyhow!("#open refusal not recorded: {rejected}"))?;
    let extras = Extras::default().answering(inbound.mail);
    write_step(daemon, tx, &next, &[event], &actions, &extras, inbound.now).await?;
    warn!(case = %reference, by = %by, "#open on a mail that is in a case already: nothing opened");
    let note = format!("#open by {by}: the forwarded mail is in case {reference} already");
    Ok(Outcome::in_case(
        reference.clone(),
        "staff_refused",
        note,
        true,
    ))
}

/// The customer's mail inside a forward: an attached message, or an inline
/// forwarded block ("---------- Forwarded message ----------", "Fra: …").
fn forwarded_mail(mail: &InboundMail) -> Option<InboundMail> {
    if let Some(attached) = mail.forwarded.iter().find(|f| f.from.is_some()) {
        return Some(attached.clone());
    }
    inline_forward(&mail.full_text).map(|bytes| crate::parse::parse(&bytes))
}

/// Rebuilds a small message from an inline forwarded block, so that the normal
/// parser reads its sender, subject and text.
fn inline_forward(text: &str) -> Option<Vec<u8>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| header_value(l, FROM_NAMES).is_some_and(|v| v.contains('@')))?;
    let mut from = None;
    let mut subject = String::new();
    let mut end = start;
    for (i, line) in lines.iter().enumerate().skip(start) {
        if line.trim().is_empty() {
            end = i;
            break;
        }
        if let Some(v) = header_value(line, FROM_NAMES) {
            from.get_or_insert_with(|| v.to_string());
        } else if let Some(v) = header_value(line, SUBJECT_NAMES) {
            subject = v.to_string();
        }
        end = i + 1;
    }
    let body = lines.get(end..).unwrap_or_default().join("\n");
    let message = format!(
        "From: {}\nSubject: {subject}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n",
        from?
    );
    Some(message.into_bytes())
}

const FROM_NAMES: &[&str] = &["from", "fra", "från", "frå"];
const SUBJECT_NAMES: &[&str] = &["subject", "emne", "ämne", "emne", "ärende"];

fn header_value<'a>(line: &'a str, names: &[&str]) -> Option<&'a str> {
    let line = line.trim_start_matches(['>', ' ', '*']);
    let (name, value) = line.split_once(':')?;
    let name = name.trim().trim_matches('*').to_lowercase();
    names.contains(&name.as_str()).then(|| value.trim())
}

async fn token_reply(
    daemon: &Daemon,
    tx: &mut Tx,
    mail: &InboundMail,
    reference: &CaseRef,
    by: &EmailAddress,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let case = load_case(tx, reference).await?;
    tx.record_message_id(&mail.message_id, reference, Direction::In)
        .await?;
    let worked = case::work_staff_reply(
        &case,
        &mail.new_text,
        by,
        &mail.message_id,
        now,
        &daemon.rules,
    );
    let body = worked.reply.as_ref().map(|r| r.body.as_str()).unwrap_or("");
    let extras = Extras::with_staff_text(body).answering(mail);
    let step = &worked.step;
    write_step(
        daemon,
        tx,
        &step.case,
        &step.events,
        &step.actions,
        &extras,
        now,
    )
    .await?;
    if let Some(reason) = &worked.rejected {
        warn!(case = %reference, reason = %reason, "staff command refused; the sender is told why");
        let note = format!("staff reply by {by} refused: {reason}");
        return Ok(Outcome::in_case(
            reference.clone(),
            "staff_refused",
            note,
            true,
        ));
    }
    let kinds: Vec<&str> = step.events.iter().map(Event::kind).collect();
    let note = format!(
        "staff reply by {by} in case {reference}: {}",
        kinds.join(", ")
    );
    Ok(Outcome::in_case(
        reference.clone(),
        "staff_reply",
        note,
        true,
    ))
}

async fn copied(
    daemon: &Daemon,
    tx: &mut Tx,
    mail: &InboundMail,
    reference: &CaseRef,
    by: &EmailAddress,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let event = Event::StaffAnswer {
        by: by.clone(),
        message_id: mail.message_id.clone(),
        relayed: false,
    };
    let note = match apply_mail_event(daemon, tx, reference, mail, &event, &Extras::default(), now)
        .await?
    {
        Ok(()) => {
            format!("answer by {by} sent directly to the customer, recorded in case {reference}")
        }
        Err(rejected) => {
            format!("answer by {by} recorded in case {reference}; case unchanged: {rejected}")
        }
    };
    Ok(Outcome::in_case(
        reference.clone(),
        "staff_answer",
        note,
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::{authentication_passes, forwarded_receipt, inline_forward};

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

    #[test]
    fn an_inline_forward_gives_back_the_customers_mail() {
        let text = "#open\n\n---------- Forwarded message ---------\nFra: Ole Hansen <ole@kunde.dk>\nDato: 3. nov. 2026\nEmne: Gebyr\nTil: hjaelp@bank.dk\n\nI har trukket et gebyr to gange.\n";
        let rebuilt = inline_forward(text).expect("a forwarded block");
        let mail = crate::parse::parse(&rebuilt);
        assert_eq!(mail.from.unwrap().email.as_str(), "ole@kunde.dk");
        assert_eq!(mail.subject, "Gebyr");
        assert!(mail.full_text.contains("gebyr to gange"));
        assert!(inline_forward("no forward here").is_none());
    }

    #[test]
    fn authentication_results_must_pass_for_the_senders_domain() {
        let good = "mx.bank.dk; dkim=pass header.d=bank.dk header.s=s1; dmarc=pass (p=reject) header.from=bank.dk";
        assert!(authentication_passes(good, Some("mx.bank.dk"), "bank.dk"));
        assert!(authentication_passes(good, None, "BANK.dk"));
        assert!(!authentication_passes(
            good,
            Some("mx.evil.example"),
            "bank.dk"
        ));
        assert!(!authentication_passes(good, Some("mx.bank.dk"), "other.dk"));
        let failed = "mx.bank.dk; dkim=fail header.d=bank.dk; dmarc=fail header.from=bank.dk";
        assert!(!authentication_passes(
            failed,
            Some("mx.bank.dk"),
            "bank.dk"
        ));
        let spoofed = "mx.bank.dk; dkim=pass header.d=evil.example; dmarc=fail header.from=bank.dk";
        assert!(!authentication_passes(
            spoofed,
            Some("mx.bank.dk"),
            "bank.dk"
        ));
    }
}
