//! Case actions turned into complete mail for the outbox: which template, in
//! which language, to whom, and threaded how (DESIGN §4–§6).

use chrono::{DateTime, Utc};

use super::Recorder;
use crate::case::{Action, Case, CustomerMail, StaffNotice, Warning};
use crate::domain::EmailAddress;
use crate::domain::in_angle_brackets as angle;
use crate::outbox::context::{
    AttachmentView, EscalationTrigger, ForwardView, RefusalReason, RelatedCaseView, UpdateKind,
};
use crate::outbox::{NamedAddress, OutgoingMessage, TemplateContext, TemplateKind};
use crate::parse::InboundMail;
use crate::store::NewOutgoing;

/// The outbox kind of acknowledgements; delivering one moves the case on.
pub const ACKNOWLEDGEMENT_KIND: &str = "customer_acknowledgement";

/// What the mail that caused a change adds to the letters it causes.
#[derive(Debug, Default, Clone)]
pub struct Extras {
    /// The customer's new text and attachments (for staff notices).
    pub customer_text: Option<String>,
    pub attachments: Vec<AttachmentView>,
    /// A staff member's text: the reasoned decision or the answer to relay.
    pub staff_text: Option<String>,
    /// The first `#` line of a staff reply, quoted back when it is refused.
    pub command_line: Option<String>,
    /// The mail being answered (a staff reply: command replies thread to it).
    pub answering: Option<String>,
    pub bounce: Option<BounceFacts>,
    /// Earlier cases about the same matter (the new case's staff notice).
    pub related: Vec<RelatedCaseView>,
}

#[derive(Debug, Clone)]
pub struct BounceFacts {
    pub subject: String,
    pub reason: Option<String>,
}

impl Extras {
    pub fn from_customer_mail(mail: &InboundMail) -> Extras {
        Extras {
            customer_text: Some(readable_text(mail)),
            attachments: mail
                .attachments
                .iter()
                .map(|a| AttachmentView::new(a.name.as_deref().unwrap_or("(no name)"), a.size))
                .collect(),
            ..Extras::default()
        }
    }

    pub fn from_bounce(mail: &InboundMail) -> Extras {
        let reason = mail
            .report_text
            .lines()
            .find_map(|l| {
                l.strip_prefix("Diagnostic-Code:")
                    .or_else(|| l.strip_prefix("diagnostic-code:"))
            })
            .map(|s| s.trim().to_string());
        Extras {
            bounce: Some(BounceFacts {
                subject: mail.subject.clone(),
                reason,
            }),
            ..Extras::default()
        }
    }

    pub fn with_staff_text(text: &str) -> Extras {
        Extras {
            staff_text: Some(text.trim().to_string()).filter(|t| !t.is_empty()),
            ..Extras::default()
        }
    }

    pub fn answering(mut self, mail: &InboundMail) -> Extras {
        self.answering = Some(mail.message_id.clone());
        self.command_line = mail
            .new_text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with('#'))
            .map(str::to_string);
        self
    }
}

/// The customer's text as staff should read it: the new text, or the whole text
/// when quote stripping left nothing.
fn readable_text(mail: &InboundMail) -> String {
    if mail.new_text.trim().is_empty() {
        mail.full_text.trim().to_string()
    } else {
        mail.new_text.trim().to_string()
    }
}

/// Builds the queued mail for one action.
pub fn build(
    recorder: &Recorder,
    case: &Case,
    action: &Action,
    extras: &Extras,
    now: DateTime<Utc>,
) -> anyhow::Result<NewOutgoing> {
    match action {
        Action::ToCustomer { seq, mail } => to_customer(recorder, case, *seq, mail, extras, now),
        Action::ToStaff { seq, to, notice } => {
            to_staff(recorder, case, *seq, to, notice, extras, now)
        }
    }
}

fn to_customer(
    recorder: &Recorder,
    case: &Case,
    seq: u32,
    mail: &CustomerMail,
    extras: &Extras,
    now: DateTime<Utc>,
) -> anyhow::Result<NewOutgoing> {
    let lang = case.language;
    let base = TemplateContext::for_case(case, &recorder.config, &recorder.referrals, lang);
    let (kind, ctx, automatic) = match mail {
        CustomerMail::Acknowledgement { .. } => (TemplateKind::Acknowledgement, base, true),
        CustomerMail::HoldingReply { reason, new_due } => {
            let cal = recorder.rules.calendar(case.jurisdiction);
            let received = cal.local_date(case.received_at);
            (
                TemplateKind::HoldingReply,
                base.with_holding(reason, *new_due, received, lang),
                true,
            )
        }
        CustomerMail::Decision { outcome, by, .. } => {
            let text = customer_text(recorder, staff_text(extras, "a decision")?);
            let signer = staff_name(recorder, by);
            (
                TemplateKind::Decision,
                base.with_decision(*outcome, &text, &signer),
                false,
            )
        }
        CustomerMail::EscalationNotice { .. } => (TemplateKind::EscalationToCustomer, base, true),
        CustomerMail::StaffAnswer { by, .. } => {
            let text = customer_text(recorder, staff_text(extras, "a relayed answer")?);
            (
                TemplateKind::RelayedAnswer,
                base.with_staff_answer(&staff_name(recorder, by), &text),
                false,
            )
        }
    };
    let rendered = recorder.templates.render(kind, lang, &ctx)?;
    let company = &recorder.config.company;
    let message = OutgoingMessage {
        from: NamedAddress::new(Some(&company.name), company.complaint_address.clone()),
        to: vec![NamedAddress::new(
            case.customer_name.as_deref(),
            case.customer.clone(),
        )],
        cc: vec![],
        reply_to: None,
        subject: rendered.subject,
        body: rendered.body,
        message_id: crate::outbox::message_id(
            &case.reference,
            seq,
            &company.domain,
            &recorder.token_secret,
        ),
        in_reply_to: Some(angle(&case.last_customer_message_id)),
        references: customer_thread(case),
        date: now,
        auto_submitted: automatic,
        thread_index: Some(crate::outbox::thread_index(
            &case.reference,
            case.received_at,
            now,
            seq,
        )),
        thread_topic: Some(case.subject.clone()),
    };
    queued(
        recorder,
        case,
        seq,
        &format!("customer_{}", kind.code()),
        &message,
        &case.customer,
        now,
    )
}

fn to_staff(
    recorder: &Recorder,
    case: &Case,
    seq: u32,
    to: &EmailAddress,
    notice: &StaffNotice,
    extras: &Extras,
    now: DateTime<Utc>,
) -> anyhow::Result<NewOutgoing> {
    let staff = recorder.config.staff_by_address(to);
    let lang = recorder.language_for(to);
    let company = &recorder.config.company;
    let reply = crate::outbox::reply_address(
        &company.complaint_address,
        &case.reference,
        &recorder.token_secret,
    );
    let base = TemplateContext::for_case(case, &recorder.config, &recorder.referrals, lang)
        .with_reply_address(&reply);
    let (kind, ctx) = staff_template(recorder, case, notice, extras, base);
    let rendered = recorder.templates.render(kind, lang, &ctx)?;
    let message = OutgoingMessage {
        from: NamedAddress::new(
            Some(&format!("{} (klagebot)", company.name)),
            company.complaint_address.clone(),
        ),
        to: vec![NamedAddress::new(
            staff.map(|s| s.name.as_str()),
            to.clone(),
        )],
        cc: vec![],
        reply_to: Some(NamedAddress::new(Some(&company.name), reply)),
        subject: rendered.subject,
        body: rendered.body,
        message_id: crate::outbox::message_id(
            &case.reference,
            seq,
            &company.domain,
            &recorder.token_secret,
        ),
        in_reply_to: extras.answering.as_deref().map(angle),
        references: extras.answering.as_deref().map(angle).into_iter().collect(),
        date: now,
        auto_submitted: true,
        thread_index: Some(crate::outbox::thread_index(
            &case.reference,
            case.received_at,
            now,
            seq,
        )),
        thread_topic: Some(case.subject.clone()),
    };
    queued(
        recorder,
        case,
        seq,
        &format!("staff_{}", kind.code().trim_start_matches("staff_")),
        &message,
        to,
        now,
    )
}

/// The template and context of a staff notice.
fn staff_template(
    recorder: &Recorder,
    case: &Case,
    notice: &StaffNotice,
    extras: &Extras,
    base: TemplateContext,
) -> (TemplateKind, TemplateContext) {
    let with_text = |ctx: TemplateContext| match &extras.customer_text {
        Some(text) => ctx.with_customer_text(text, extras.attachments.clone()),
        None => ctx,
    };
    match notice {
        StaffNotice::NewCase => (
            TemplateKind::StaffNewCase,
            with_text(base).with_related(extras.related.clone()),
        ),
        StaffNotice::Assigned { .. } => (
            TemplateKind::StaffUpdate,
            with_text(base).with_update(UpdateKind::Assigned),
        ),
        StaffNotice::CustomerFollowUp { .. } => (
            TemplateKind::StaffUpdate,
            with_text(base).with_update(UpdateKind::CustomerWrote),
        ),
        StaffNotice::EscalationRequested { .. } => (
            TemplateKind::StaffEscalation,
            with_text(base).with_escalation(EscalationTrigger::CustomerRequest),
        ),
        // The case logic escalates only on a breach, also of a holding reply's date.
        StaffNotice::Escalated { .. } => (
            TemplateKind::StaffEscalation,
            base.with_escalation(EscalationTrigger::Breached),
        ),
        StaffNotice::Reminder {
            working_days_left, ..
        } => (
            TemplateKind::StaffReminder,
            base.with_reminder(*working_days_left),
        ),
        StaffNotice::Warning { warning } => warning_template(recorder, case, warning, base),
        StaffNotice::AutomaticHoldingReply { .. } => (
            TemplateKind::StaffUpdate,
            base.with_update(UpdateKind::AutomaticHoldingReply),
        ),
        StaffNotice::Bounce { .. } => {
            let facts = extras.bounce.clone().unwrap_or(BounceFacts {
                subject: case.subject.clone(),
                reason: None,
            });
            let recipient = case.customer.to_string();
            (
                TemplateKind::StaffBounce,
                base.with_bounce(&recipient, &facts.subject, facts.reason.as_deref()),
            )
        }
        StaffNotice::Alarm { .. } => (TemplateKind::StaffAlarm, base),
        StaffNotice::ForwardOpened => {
            let forward = ForwardView {
                customer: base.customer.clone(),
                subject: case.subject.clone(),
                sent: base.dates.received.clone(),
            };
            (TemplateKind::ColleagueForward, base.with_forward(forward))
        }
        StaffNotice::UnverifiedAnswer { by, .. } => {
            let text = extras.customer_text.as_deref().unwrap_or_default();
            (
                TemplateKind::StaffUpdate,
                base.with_unverified_answer(&staff_name(recorder, by), text),
            )
        }
        StaffNotice::CommandRejected { reason } => {
            let line = extras.command_line.clone().unwrap_or_default();
            (
                TemplateKind::CommandReply,
                base.with_refusal(&line, RefusalReason::from(reason), Some(reason)),
            )
        }
    }
}

fn warning_template(
    recorder: &Recorder,
    case: &Case,
    warning: &Warning,
    base: TemplateContext,
) -> (TemplateKind, TemplateContext) {
    match warning {
        Warning::AcknowledgementUnsent { .. } => (TemplateKind::StaffAlarm, base),
        Warning::HoldingReplyDue { .. } => {
            let policy = &recorder.config.policy;
            let automatic = policy
                .auto_holding_reason_for(case.category, case.language)
                .filter(|_| policy.auto_holding_reply);
            (
                TemplateKind::StaffHoldingPrompt,
                base.with_prompt(automatic),
            )
        }
        Warning::AnswerDueToday { .. } => (
            TemplateKind::StaffEscalation,
            base.with_escalation(EscalationTrigger::DueSoon),
        ),
        Warning::AnswerOverdue { .. } => (
            TemplateKind::StaffEscalation,
            base.with_escalation(EscalationTrigger::Breached),
        ),
        Warning::AnkenaevnEligible { .. } => (
            TemplateKind::StaffUpdate,
            base.with_update(UpdateKind::AnkenaevnEligible),
        ),
    }
}

/// The composed mail for the outbox; its envelope sender names it (VERP) so that
/// a bounce can be traced to it.
#[allow(clippy::too_many_arguments)]
fn queued(
    recorder: &Recorder,
    case: &Case,
    seq: u32,
    kind: &str,
    message: &OutgoingMessage,
    to: &EmailAddress,
    now: DateTime<Utc>,
) -> anyhow::Result<NewOutgoing> {
    let raw = crate::outbox::compose(message)?;
    Ok(NewOutgoing {
        case_ref: Some(case.reference.clone()),
        kind: kind.to_string(),
        message_id: message.message_id.clone(),
        envelope_from: envelope_from(recorder, case, seq).to_string(),
        recipients: vec![to.to_string()],
        raw,
        not_before: now,
    })
}

fn staff_text<'a>(extras: &'a Extras, what: &str) -> anyhow::Result<&'a str> {
    extras
        .staff_text
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| anyhow::anyhow!("{what} needs the staff member's text"))
}

/// A staff member's text as the customer may read it: without any of our tagged
/// (command) addresses a quoted notice may have brought along.
fn customer_text(recorder: &Recorder, text: &str) -> String {
    crate::outbox::without_tagged_addresses(text, &recorder.config.company.complaint_address)
}

fn staff_name(recorder: &Recorder, address: &EmailAddress) -> String {
    recorder
        .config
        .staff_by_address(address)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| recorder.config.company.name.clone())
}

/// The customer's mails of the case, oldest first, in `<id>` form.
fn customer_thread(case: &Case) -> Vec<String> {
    let mut ids = vec![angle(&case.customer_message_id)];
    if case.last_customer_message_id != case.customer_message_id {
        ids.push(angle(&case.last_customer_message_id));
    }
    ids
}

/// The envelope sender of mail `seq` of `case`: the signed bounce address, or
/// the complaint address where VERP is turned off.
fn envelope_from(recorder: &Recorder, case: &Case, seq: u32) -> EmailAddress {
    let address = &recorder.config.company.complaint_address;
    match recorder.config.outgoing.verp {
        true => {
            crate::outbox::bounce_address(address, &case.reference, seq, &recorder.token_secret)
        }
        false => address.clone(),
    }
}
