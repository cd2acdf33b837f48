//! Mail that belongs to no case, rendered into the outbox: the reply to a
//! colleague whose forward was no complaint (with the per-mail address whose
//! `#open` opens it anyway), the daily digest of a person's mail klagebot left
//! alone, the alarm that lists a backlog's late acknowledgements, and the
//! hourly summary over one address that went over the per-address caps.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use super::Recorder;
use crate::case::Case;
use crate::domain::{EmailAddress, Jurisdiction, LeftReason, in_angle_brackets};
use crate::outbox::context::{
    CustomerView, DigestItem, DigestView, FloodCaseView, FloodView, ForwardView, LateCaseView,
    SurgeCaseView, SurgeView,
};
use crate::outbox::dates::in_words;
use crate::outbox::{NamedAddress, OutgoingMessage, TemplateContext, TemplateKind};
use crate::store::NewOutgoing;

/// A letter of no case, as the one who decided to write it says it.
#[derive(Debug, Clone)]
pub enum Notice {
    /// To a colleague whose forward (stored as mail `mail_id`) was no complaint.
    ForwardNotComplaint {
        to: EmailAddress,
        jurisdiction: Jurisdiction,
        mail_id: i64,
        customer: EmailAddress,
        customer_name: Option<String>,
        subject: String,
        sent: Option<DateTime<Utc>>,
        /// The forward's Message-ID: the reply threads to it.
        answering: String,
    },
    /// The people's mail of one period klagebot left alone.
    Digest {
        to: EmailAddress,
        jurisdiction: Jurisdiction,
        since: DateTime<Utc>,
        items: Vec<DigestEntry>,
    },
    /// Cases opened when their acknowledgement was due already.
    Backlog { to: EmailAddress, cases: Vec<Case> },
    /// One address over the per-address caps: its cases whose mail was held
    /// back (`true`: the acknowledgement), and how often it wrote in the last hour.
    Flood {
        to: EmailAddress,
        address: String,
        mails: u32,
        cases: Vec<(Case, bool)>,
    },
    /// Many complaints about one matter: the alert (or, `update`, the daily
    /// update of the cases that joined since).
    Surge {
        to: EmailAddress,
        update: bool,
        words: String,
        first: DateTime<Utc>,
        latest: DateTime<Utc>,
        cases: Vec<Case>,
    },
}

impl Notice {
    /// Whom the notice goes to.
    pub fn to(&self) -> &EmailAddress {
        match self {
            Notice::ForwardNotComplaint { to, .. }
            | Notice::Digest { to, .. }
            | Notice::Backlog { to, .. }
            | Notice::Flood { to, .. }
            | Notice::Surge { to, .. } => to,
        }
    }
}

/// One mail in a digest.
#[derive(Debug, Clone)]
pub struct DigestEntry {
    pub mail_id: i64,
    pub received_at: DateTime<Utc>,
    pub sender: String,
    pub subject: String,
    pub mailbox: String,
    pub reason: LeftReason,
}

/// Makes each notice's Message-ID unique within this process.
static SENT: AtomicU64 = AtomicU64::new(0);

impl Recorder {
    /// The queued mail for one notice.
    pub fn notice(&self, notice: &Notice, now: DateTime<Utc>) -> anyhow::Result<NewOutgoing> {
        let (to, jurisdiction) = match notice {
            Notice::ForwardNotComplaint {
                to, jurisdiction, ..
            }
            | Notice::Digest {
                to, jurisdiction, ..
            } => (to, *jurisdiction),
            Notice::Backlog { to, cases } => (
                to,
                cases
                    .first()
                    .map_or(self.config.company.jurisdiction, |c| c.jurisdiction),
            ),
            Notice::Flood { to, cases, .. } => (
                to,
                cases
                    .first()
                    .map_or(self.config.company.jurisdiction, |(c, _)| c.jurisdiction),
            ),
            Notice::Surge { to, .. } => (to, self.config.company.jurisdiction),
        };
        let lang = self.language_for(to);
        let base = TemplateContext::for_company(&self.config, jurisdiction);
        let local = |at: DateTime<Utc>| at.with_timezone(&jurisdiction.time_zone());
        let words = |at: DateTime<Utc>| {
            let at = local(at);
            format!("{} {}", in_words(at.date_naive(), lang), at.format("%H:%M"))
        };
        let company = &self.config.company;
        let (kind, ctx, answering) = match notice {
            Notice::ForwardNotComplaint {
                mail_id,
                customer,
                customer_name,
                subject,
                sent,
                answering,
                ..
            } => {
                let reply = crate::outbox::mail_reply_address(
                    &company.complaint_address,
                    *mail_id,
                    self.token_secret(),
                );
                let forward = ForwardView {
                    customer: CustomerView {
                        name: customer_name.clone(),
                        email: customer.to_string(),
                    },
                    subject: subject.clone(),
                    sent: sent.map(words).unwrap_or_default(),
                };
                let ctx = base.with_forward(forward).with_reply_address(&reply);
                (
                    TemplateKind::ForwardNotComplaint,
                    ctx,
                    Some(answering.as_str()),
                )
            }
            Notice::Digest { since, items, .. } => {
                let items = items
                    .iter()
                    .map(|item| DigestItem {
                        received: words(item.received_at),
                        sender: item.sender.clone(),
                        subject: item.subject.clone(),
                        mailbox: item.mailbox.clone(),
                        reason: item.reason,
                        reply_address: crate::outbox::mail_reply_address(
                            &company.complaint_address,
                            item.mail_id,
                            self.token_secret(),
                        )
                        .to_string(),
                    })
                    .collect();
                let digest = DigestView {
                    since: words(*since),
                    items,
                };
                (TemplateKind::StaffDigest, base.with_digest(digest), None)
            }
            Notice::Backlog { cases, .. } => {
                let late = cases
                    .iter()
                    .map(|case| LateCaseView {
                        reference: case.reference.to_string(),
                        received: words(case.received_at),
                        acknowledge_due: in_words(case.acknowledge_due, lang),
                    })
                    .collect();
                (TemplateKind::StaffBacklog, base.with_late(late), None)
            }
            Notice::Flood {
                address,
                mails,
                cases,
                ..
            } => {
                let listed = cases
                    .iter()
                    .take(FloodView::MAX_CASES)
                    .map(|(case, unacknowledged)| FloodCaseView {
                        reference: case.reference.to_string(),
                        received: words(case.received_at),
                        subject: case.subject.clone(),
                        reply_address: crate::outbox::reply_address(
                            &company.complaint_address,
                            &case.reference,
                            self.token_secret(),
                        )
                        .to_string(),
                        unacknowledged: *unacknowledged,
                    })
                    .collect();
                let outgoing = &self.config.outgoing;
                let flood = FloodView {
                    address: address.clone(),
                    mails: *mails,
                    per_hour: outgoing.max_per_address_per_hour,
                    per_day: outgoing.max_per_address_per_day,
                    cases: listed,
                    more: cases.len().saturating_sub(FloodView::MAX_CASES),
                };
                (TemplateKind::StaffFlood, base.with_flood(flood), None)
            }
            Notice::Surge {
                update,
                words: shared,
                first,
                latest,
                cases,
                ..
            } => {
                let settings = &self.config.related;
                let surge = SurgeView {
                    update: *update,
                    words: shared.clone(),
                    first: words(*first),
                    latest: words(*latest),
                    hours: settings.surge_hours,
                    count: settings.surge_count,
                    cases: cases
                        .iter()
                        .map(|case| SurgeCaseView {
                            reference: case.reference.to_string(),
                            received: words(case.received_at),
                            subject: case.subject.clone(),
                            status: case.status.code().to_string(),
                        })
                        .collect(),
                };
                (TemplateKind::StaffSurge, base.with_surge(surge), None)
            }
        };
        let rendered = self.templates.render(kind, lang, &ctx)?;
        let unique = format!(
            "{}.{}.{}",
            now.timestamp_nanos_opt().unwrap_or_default(),
            std::process::id(),
            SENT.fetch_add(1, Ordering::Relaxed)
        );
        let message = OutgoingMessage {
            from: NamedAddress::new(
                Some(&format!("{} (klagebot)", company.name)),
                company.complaint_address.clone(),
            ),
            to: vec![NamedAddress::new(None, to.clone())],
            cc: vec![],
            reply_to: ctx
                .reply_address
                .as_deref()
                .and_then(|r| EmailAddress::parse(r).ok())
                .map(|r| NamedAddress::new(Some(&company.name), r)),
            subject: rendered.subject,
            body: rendered.body,
            message_id: crate::outbox::notice_message_id(
                kind.code(),
                &unique,
                self.token_secret(),
                &company.domain,
            ),
            in_reply_to: answering.map(in_angle_brackets),
            references: answering.map(in_angle_brackets).into_iter().collect(),
            date: now,
            auto_submitted: true,
            thread_index: None,
            thread_topic: None,
        };
        let raw = crate::outbox::compose(&message)?;
        Ok(NewOutgoing {
            case_ref: None,
            kind: format!("notice_{}", kind.code()),
            message_id: message.message_id,
            envelope_from: company.complaint_address.to_string(),
            recipients: vec![to.to_string()],
            raw,
            not_before: now,
        })
    }

    /// Queues one notice inside the caller's transaction.
    pub async fn queue_notice(
        &self,
        tx: &mut crate::store::Tx,
        notice: &Notice,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let letter = self.notice(notice, now)?;
        tx.enqueue(&letter).await?;
        Ok(())
    }
}
