//! `klagebot cases` (the list, with filters) and `klagebot case REF` (one case and
//! its whole timeline, in the case's local time).

use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::db::{self, with_store};
use super::{CaseArgs, CasesArgs};
use crate::case::{Case, Event};
use crate::config::Config;
use crate::domain::CaseRef;
use crate::store::{CaseFilter, Outgoing, StoredLink};

/// `println!` for text that may hold what a customer wrote: every control
/// character (a terminal escape, a hyperlink, a carriage return that hides a
/// line) and every bidirectional override is printed escaped.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", printable(&format!($($arg)*)))
    };
}

/// `text` with control characters and bidirectional overrides escaped.
pub fn printable(text: &str) -> String {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    text.chars()
        .map(|c| match unsafe_char(c) {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

pub fn list(config: &Config, args: &CasesArgs) -> anyhow::Result<ExitCode> {
    let today = db::today(config);
    let filter = CaseFilter {
        open_only: args.open,
        overdue_on: args.overdue.then_some(today),
        due_by: args.due_within.map(|n| {
            crate::case::Rules::from_config(config)
                .calendar(config.company.jurisdiction)
                .add_working_days(today, n)
        }),
    };
    let cases = with_store(config, |store| async move {
        let cases = store.list_cases(&filter).await?;
        let read = db::audit_entry("cases", None, format!("{} cases listed", cases.len()));
        store.append_audit(&read, Utc::now()).await?;
        Ok(cases)
    })?;
    if args.json {
        for case in &cases {
            println!("{}", serde_json::to_string(case)?);
        }
    } else if cases.is_empty() {
        eprintln!("no cases match");
    } else {
        print_table(&cases, today);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(cases: &[Case], today: NaiveDate) {
    say!(
        "{:<16} {:<22} {:<16} {:<10} {:<11} {:<30} SUBJECT",
        "REFERENCE",
        "STATUS",
        "RECEIVED",
        "ANSWER DUE",
        "CATEGORY",
        "CONTACT"
    );
    for case in cases {
        say!(
            "{:<16} {:<22} {:<16} {:<10} {:<11} {:<30} {}",
            case.reference.to_string(),
            status_text(case, today),
            case.received_at
                .with_timezone(&case.jurisdiction.time_zone())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            case.answer_due.to_string(),
            case.category.map(|c| c.code()).unwrap_or("-"),
            case.contact.as_ref().map(|c| c.as_str()).unwrap_or("-"),
            shorten(&case.subject, 60)
        );
    }
}

pub fn show(config: &Config, args: &CaseArgs) -> anyhow::Result<ExitCode> {
    let reference: CaseRef = args.reference.parse()?;
    let today = db::today(config);
    let (case, timeline, outgoing, deadlines, links) = with_store(config, |store| async move {
        let case = store
            .case(&reference)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no case {reference} in the database"))?;
        let timeline = store.timeline(&reference).await?;
        let outgoing = store.outgoing_for_case(&reference).await?;
        let deadlines = store.deadlines_for_case(&reference).await?;
        let read = db::audit_entry("case", Some(&reference), String::new());
        store.append_audit(&read, Utc::now()).await?;
        let links = store.links_of(&reference).await?;
        Ok((case, timeline, outgoing, deadlines, links))
    })?;
    let related = related_links(&case, &links);
    if args.json {
        let value = json!({
            "case": case,
            "related": related.iter().map(|l| json!({
                "reference": l.other.to_string(),
                "score": l.score,
                "reason": l.reason,
                "state": l.state,
                "by": l.by,
            })).collect::<Vec<_>>(),
            "timeline": timeline.iter().map(|(at, e)| json!({"at": at, "kind": e.kind(), "event": e})).collect::<Vec<_>>(),
            "outgoing": outgoing.iter().map(outgoing_json).collect::<Vec<_>>(),
            "deadlines": deadlines.iter().map(|(key, due)| json!({"key": key, "due_at": due})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_case(&case, config, today);
    if !related.is_empty() {
        println!();
        say!("Related cases (same matter):");
        for l in &related {
            let by =
                l.by.as_deref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default();
            say!(
                "  {:<16} {:.2}  {}{by}  {}",
                l.other.to_string(),
                l.score,
                l.state,
                l.reason
            );
        }
    }
    println!();
    say!("Timeline ({}):", case.jurisdiction.time_zone());
    for (at, event) in &timeline {
        say!(
            "  {}  {:<20} {}",
            local(&case, *at),
            event.kind(),
            describe(event)
        );
    }
    print_mail_and_deadlines(&case, &outgoing, &deadlines);
    Ok(ExitCode::SUCCESS)
}

fn print_case(case: &Case, config: &Config, today: NaiveDate) {
    let at = |t: Option<DateTime<Utc>>| t.map(|t| local(case, t)).unwrap_or_else(|| "-".into());
    let customer = match &case.customer_name {
        Some(name) => format!("{name} <{}>", case.customer),
        None => case.customer.to_string(),
    };
    let lines = [
        ("Case", case.reference.to_string()),
        ("Subject", case.subject.clone()),
        ("Customer", customer),
        ("Status", status_text(case, today)),
        ("Handled by", case.tier.code().replace('_', " ")),
        ("Contact person", contact_text(case, config)),
        ("Channel", case.mailbox.clone()),
        ("Jurisdiction", case.jurisdiction.code().to_uppercase()),
        ("Language", case.language.code().to_string()),
        (
            "Category",
            case.category.map(|c| c.code()).unwrap_or("-").to_string(),
        ),
        ("Received", local(case, case.received_at)),
        ("Acknowledge by", case.acknowledge_due.to_string()),
        ("Answer due", case.answer_due.to_string()),
        ("Final answer by", case.final_due.to_string()),
        ("Acknowledged", at(case.acknowledged_at)),
        ("Holding reply", at(case.holding_reply_at)),
        ("Decided", decided_text(case)),
        ("Escalated", at(case.escalated_at)),
        ("Closed", at(case.closed_at)),
        (
            "Referred",
            if case.referred { "yes" } else { "no" }.to_string(),
        ),
        ("Related cases", related_text(&case.related)),
        (
            "Root cause",
            case.cause.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "Measure",
            case.measure.as_ref().map_or_else(
                || "-".into(),
                |m| match m.text.is_empty() {
                    true => m.kind.code().to_string(),
                    false => format!("{}: {}", m.kind.code(), m.text),
                },
            ),
        ),
    ];
    for (label, value) in lines {
        say!("{:<16} {value}", format!("{label}:"));
    }
}

fn print_mail_and_deadlines(
    case: &Case,
    outgoing: &[Outgoing],
    deadlines: &[(String, DateTime<Utc>)],
) {
    if !outgoing.is_empty() {
        println!();
        say!("Mail:");
        for m in outgoing {
            let when = m
                .sent_at
                .map(|t| format!(" at {}", local(case, t)))
                .unwrap_or_default();
            let error = m
                .last_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            say!(
                "  #{:<6} {:<22} {}{when} to {}, {} attempt(s){error}",
                m.id,
                m.kind,
                m.state.code(),
                m.recipients.join(", "),
                m.attempts
            );
        }
    }
    if !deadlines.is_empty() {
        println!();
        say!("Coming deadlines:");
        for (key, due) in deadlines {
            say!("  {}  {key}", local(case, *due));
        }
    }
}

/// The case's links to others about the same matter, the removed ones left
/// out; a link by reference (`case.related`) that the index did not suggest is
/// listed as confirmed.
fn related_links(case: &Case, links: &[StoredLink]) -> Vec<StoredLink> {
    let mut shown: Vec<StoredLink> = links
        .iter()
        .filter(|l| l.state != "removed")
        .cloned()
        .collect();
    for other in &case.related {
        if !links.iter().any(|l| &l.other == other) {
            shown.push(StoredLink {
                other: other.clone(),
                score: 1.0,
                reason: "named by reference".into(),
                state: "confirmed".into(),
                by: None,
            });
        }
    }
    shown
}

/// One line saying what happened, in words staff read without the code.
pub(super) fn describe(event: &Event) -> String {
    match event {
        Event::Opened {
            from, subject, by, ..
        } => match by {
            Some(by) => format!("complaint from {from}: {subject} (opened by {by} with #open)"),
            None => format!("complaint from {from}: {subject}"),
        },
        Event::CustomerMail { subject, .. } => format!("the customer wrote again: {subject}"),
        Event::EscalationRequested { .. } => "the customer asked for the complaints manager".into(),
        Event::Reconsideration { .. } => {
            "the customer is not satisfied: reopened with the complaints manager".into()
        }
        Event::Escalated { tier, reason } => {
            format!("moved to {}: {reason}", tier.code().replace('_', " "))
        }
        Event::AcknowledgementSent { message_id } => {
            format!("acknowledgement sent to the customer ({message_id})")
        }
        Event::AcknowledgedByStaff { by } => {
            format!("acknowledged outside klagebot, recorded by {by}")
        }
        Event::CustomerAddressChanged { address, by } => {
            format!("the customer's address is now {address} (by {by})")
        }
        Event::Assigned { to, by } => format!("assigned to {to}{}", by_text(by.as_ref())),
        Event::Note { by, text } => format!("note by {by}: {text}"),
        Event::CategorySet { category, by } => {
            format!("category {category}{}", by_text(by.as_ref()))
        }
        Event::StaffAnswer { by, relayed, .. } => {
            let how = if *relayed {
                "relayed to the customer"
            } else {
                "given outside klagebot, recorded"
            };
            format!("answer from {by}, {how}")
        }
        Event::HoldingReply {
            reason,
            new_due,
            by,
        } => {
            format!(
                "holding reply, answer by {new_due}{}: {reason}",
                by_text(by.as_ref())
            )
        }
        Event::Decided {
            outcome,
            by,
            referred,
        } => {
            let referral = if *referred {
                ", with referral to external bodies"
            } else {
                ""
            };
            format!(
                "decision {} by {by}{referral}",
                outcome.code().replace('_', " ")
            )
        }
        Event::Closed { by } => format!("closed{}", by_text(by.as_ref())),
        Event::Reopened { by } => format!("reopened{}", by_text(by.as_ref())),
        Event::Withdrawn { by } => format!("withdrawn as not a complaint by {by}"),
        Event::ReminderSent {
            to,
            working_days_left,
        } => {
            format!("reminder to {to}, {working_days_left} working day(s) left")
        }
        Event::Bounced {
            message_id,
            original,
        } => match original {
            Some(o) => format!("our mail {o} bounced ({message_id}): the customer did not get it"),
            None => format!("a mail of ours bounced ({message_id}): the customer did not get it"),
        },
        Event::Linked { other } => format!("linked to {other}"),
        Event::RelatedConfirmed { other, by } => {
            format!("{other} confirmed as the same matter by {by}")
        }
        Event::RelatedRemoved { other, by } => {
            format!("{other} removed as not the same matter by {by}")
        }
        Event::CauseSet { cause, by, from } => match from {
            Some(other) => format!("root cause (as in {other}) by {by}: {cause}"),
            None => format!("root cause by {by}: {cause}"),
        },
        Event::MeasureSet { measure, by } => {
            format!("measure {} by {by}: {}", measure.kind.code(), measure.text)
        }
        Event::Withheld { mail, reason } => format!("{mail} not sent: {reason}"),
        Event::UnverifiedAnswer { by, .. } => format!(
            "a mail to the customer copied to us as {by}'s answer, not verified by our MX: \
             not counted as an answer until confirmed with #answered"
        ),
        Event::Alarm { reason } => format!("ALARM: {reason}"),
        Event::Warned { warning } => format!("staff warned: {}", warning.code().replace('_', " ")),
        Event::CommandRejected { by, reason } => format!("command from {by} refused: {reason}"),
        Event::LegalHold { by, reason } => format!("legal hold by {by}: {reason}"),
        Event::LegalHoldReleased { by } => format!("legal hold released by {by}"),
    }
}

/// The contact person with their name when they are configured staff.
fn contact_text(case: &Case, config: &Config) -> String {
    match &case.contact {
        Some(address) => match config.staff_by_address(address) {
            Some(staff) => format!("{} <{address}>", staff.name),
            None => address.to_string(),
        },
        None => "-".into(),
    }
}

fn by_text(by: Option<&crate::domain::EmailAddress>) -> String {
    by.map(|b| format!(" by {b}")).unwrap_or_default()
}

fn status_text(case: &Case, today: NaiveDate) -> String {
    let status = case.status.code().replace('_', " ");
    if case.status.is_open() && case.answer_due < today {
        format!("{status} (OVERDUE)")
    } else {
        status
    }
}

fn decided_text(case: &Case) -> String {
    match (case.decided_at, case.outcome) {
        (Some(at), Some(outcome)) => {
            format!("{} ({})", local(case, at), outcome.code().replace('_', " "))
        }
        (Some(at), None) => local(case, at),
        _ => "-".into(),
    }
}

fn related_text(related: &[CaseRef]) -> String {
    if related.is_empty() {
        return "-".into();
    }
    related
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn outgoing_json(m: &Outgoing) -> serde_json::Value {
    json!({
        "id": m.id,
        "kind": m.kind,
        "message_id": m.message_id,
        "recipients": m.recipients,
        "state": m.state,
        "attempts": m.attempts,
        "not_before": m.not_before,
        "sent_at": m.sent_at,
        "last_error": m.last_error,
    })
}

/// An instant in the case's local time, with the zone's abbreviation (CET/CEST).
pub(super) fn local(case: &Case, t: DateTime<Utc>) -> String {
    t.with_timezone(&case.jurisdiction.time_zone())
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn shorten(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}
