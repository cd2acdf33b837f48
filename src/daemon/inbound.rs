//! The types every step of handling one inbound mail shares: what is known about
//! the mail ([`Inbound`]), what routing and handling read ([`Env`], [`Lookups`]),
//! and what a handler returns ([`Handled`]). Nothing here decides anything.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::case::{Case, Rules};
use crate::classify::Classification;
use crate::classify::echo::Earlier;
use crate::config::{Config, Mailbox};
use crate::domain::{CaseRef, EmailAddress, LeftReason};
use crate::inbox::Disposition;
use crate::parse::InboundMail;
use crate::record::{CaseChange, Notice};
use crate::store::{Outgoing, Tx};

/// One inbound mail with everything the pure steps found in it.
pub struct Inbound<'a> {
    /// The stored mail's id (per-mail reply addresses name it).
    pub id: i64,
    pub mailbox: &'a Mailbox,
    pub mail: &'a InboundMail,
    pub classification: Classification,
    /// The customer's mail a colleague forwarded (attached, inline, or stored
    /// and named by a per-mail reply address), classified on its own.
    pub forwarded: Option<Forwarded>,
    /// When the mail is handled.
    pub now: DateTime<Utc>,
    /// When the company received the mail.
    pub received_at: DateTime<Utc>,
    /// The company's jurisdiction, for a mailbox that names none.
    pub config_jurisdiction: crate::domain::Jurisdiction,
    /// The mail's own related-case keys ([`related_keys`]), worked out ahead of
    /// the transaction when it reads as a complaint.
    pub related_keys: Option<Vec<crate::related::Key>>,
}

/// What finds a complaint's related cases: the keys of its subject and its
/// new text (the whole text when it has nothing new).
pub fn related_keys(mail: &InboundMail, c: &Classification) -> Vec<crate::related::Key> {
    let text = match mail.new_text.trim().is_empty() {
        true => &mail.full_text,
        false => &mail.new_text,
    };
    crate::related::keys(&mail.subject, text, c.language, c.category)
}

impl Inbound<'_> {
    /// The From address, when it parses.
    pub fn sender(&self) -> Option<&EmailAddress> {
        self.mail.from.as_ref().map(|a| &a.email)
    }

    /// The country whose rules apply to mail of this mailbox.
    pub fn jurisdiction(&self) -> crate::domain::Jurisdiction {
        self.mailbox
            .jurisdiction
            .unwrap_or(self.config_jurisdiction)
    }
}

/// A customer's mail found inside a colleague's forward.
pub struct Forwarded {
    pub mail: InboundMail,
    pub classification: Classification,
    /// When the company received it: when the customer sent it when plausible,
    /// else when the forward (or the stored mail) arrived.
    pub received_at: DateTime<Utc>,
    /// A stored mail named by a per-mail reply address: its id, and the case it
    /// opened already, if any.
    pub stored: Option<i64>,
    pub stored_case: Option<CaseRef>,
}

/// What routing and handling read besides the mail: the config, the rules of the
/// case logic and the secret of the staff reply addresses.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub config: &'a Config,
    pub rules: &'a Rules,
    pub token_secret: &'a [u8],
}

/// What routing and handling may ask the database, inside the message's
/// transaction. They write nothing: the one place that writes is the daemon's
/// `ingest`, with the [`Handled`] value they return.
#[allow(async_fn_in_trait)] // used with concrete types only, inside one task
pub trait Lookups {
    /// The case a Message-ID (ours or a customer's) is filed under.
    async fn case_of_message(&mut self, message_id: &str) -> anyhow::Result<Option<CaseRef>>;
    /// A case's current state.
    async fn case(&mut self, reference: &CaseRef) -> anyhow::Result<Option<Case>>;
    /// The mail we queued or sent in a case.
    async fn sent_in_case(&mut self, reference: &CaseRef) -> anyhow::Result<Vec<Outgoing>>;
    /// Open cases per contact person (address key), to spread new ones evenly.
    async fn open_cases_per_contact(&mut self) -> anyhow::Result<HashMap<String, usize>>;
    /// The next free case reference of `year`.
    async fn next_reference(&mut self, prefix: &str, year: i32) -> anyhow::Result<CaseRef>;
    /// Mail from `sender` that arrived since `since`, other than mail `except`:
    /// when each arrived, and the fingerprint of its text.
    async fn mail_from(
        &mut self,
        sender: &EmailAddress,
        since: DateTime<Utc>,
        except: i64,
    ) -> anyhow::Result<Vec<Earlier>>;
    /// When each of our mails to `address` was queued since `since`.
    async fn mail_to(
        &mut self,
        address: &EmailAddress,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<DateTime<Utc>>>;
}

impl Lookups for Tx {
    async fn case_of_message(&mut self, message_id: &str) -> anyhow::Result<Option<CaseRef>> {
        self.case_for_message_id(message_id).await
    }

    async fn case(&mut self, reference: &CaseRef) -> anyhow::Result<Option<Case>> {
        Tx::case(self, reference).await
    }

    async fn sent_in_case(&mut self, reference: &CaseRef) -> anyhow::Result<Vec<Outgoing>> {
        self.outgoing_for_case(reference).await
    }

    async fn open_cases_per_contact(&mut self) -> anyhow::Result<HashMap<String, usize>> {
        Tx::open_cases_per_contact(self).await
    }

    async fn next_reference(&mut self, prefix: &str, year: i32) -> anyhow::Result<CaseRef> {
        self.allocate_reference(prefix, year).await
    }

    async fn mail_from(
        &mut self,
        sender: &EmailAddress,
        since: DateTime<Utc>,
        except: i64,
    ) -> anyhow::Result<Vec<Earlier>> {
        let rows = Tx::mail_from(self, sender.as_str(), since, except).await?;
        Ok(rows
            .into_iter()
            .map(|(arrived, fingerprint)| Earlier {
                arrived,
                fingerprint,
            })
            .collect())
    }

    async fn mail_to(
        &mut self,
        address: &EmailAddress,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<DateTime<Utc>>> {
        self.mail_to_times(address.as_str(), since).await
    }
}

/// The decision for one inbound mail; each has its handler in `handle/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Open a new case; `linked` when the mail named another sender's case.
    NewCase { linked: Option<CaseRef> },
    /// A customer's mail a colleague forwarded: it opens the customer's case
    /// when it is a complaint, or whatever it is when `#open` stood on top.
    OpenForwarded { by: EmailAddress, forced: bool },
    /// `#open` on a forwarded mail that is in a case already: the sender is told.
    ForwardInCase { case: CaseRef, by: EmailAddress },
    /// Another mail in an existing case from someone allowed to write to it.
    FollowUp { case: CaseRef },
    /// A staff reply to a case's own reply address (valid token): commands or an
    /// answer to relay.
    StaffCommand { case: CaseRef, by: EmailAddress },
    /// A staff mail to the case's customer that copies us: the answer, recorded
    /// when our MX vouched for the sender (`verified`), else kept as unverified
    /// for the contact person to confirm.
    StaffCopy {
        case: CaseRef,
        by: EmailAddress,
        verified: bool,
    },
    /// A delivery failure of mail `seq` we sent in this case.
    Bounce { case: CaseRef, seq: u32 },
    /// The same mail was already handled through another mailbox.
    Duplicate { case: CaseRef },
    /// Automated mail: never answered; the reason goes to the log.
    Automated { reason: String },
    /// A person's mail klagebot does not act on; left for people, with why.
    Ignore { reason: LeftReason, note: String },
}

/// A case the route found, which must still be there.
pub async fn existing(look: &mut impl Lookups, reference: &CaseRef) -> anyhow::Result<Case> {
    look.case(reference)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case {reference} is not in the database"))
}

/// What a handler decided for one mail: the case changes to record, the letters
/// that belong to no case, and what became of the mail.
pub struct Handled {
    pub changes: Vec<CaseChange>,
    pub notices: Vec<Notice>,
    /// A case opened when its acknowledgement was due already (a backlog).
    pub late_acknowledgement: Option<CaseRef>,
    /// A stored mail (named by a per-mail reply address) that opened this case.
    pub opened_stored: Option<(i64, CaseRef)>,
    /// Staff work to record in the audit trail (who did what in which case).
    pub audit: Vec<crate::store::AuditEntry>,
    pub outcome: Outcome,
}

/// What became of a mail: for the log, the database and the mailbox.
pub struct Outcome {
    /// The case it opened or joined.
    pub case: Option<CaseRef>,
    /// A short word for the log and the metrics: opened, follow_up, bounce…
    pub action: &'static str,
    /// One line for the operator: what happened and why.
    pub note: String,
    /// What the mailbox is told once the transaction committed.
    pub disposition: Disposition,
    /// Why a person's mail was left alone (the digest says it).
    pub left: Option<LeftReason>,
}

impl Handled {
    fn of(outcome: Outcome) -> Handled {
        Handled {
            changes: Vec::new(),
            notices: Vec::new(),
            late_acknowledgement: None,
            opened_stored: None,
            audit: Vec::new(),
            outcome,
        }
    }

    /// Automated mail: nothing to do; the reason goes to the log.
    pub fn automated(note: String) -> Handled {
        Handled::of(Outcome {
            case: None,
            action: "ignored",
            note,
            disposition: Disposition::Ignored,
            left: None,
        })
    }

    /// A person's mail klagebot does not act on: left for people to read.
    pub fn left_for_person(reason: LeftReason, note: String) -> Handled {
        Handled::of(Outcome {
            case: None,
            action: "left",
            note,
            disposition: Disposition::LeftForPerson,
            left: Some(reason),
        })
    }

    /// Mail klagebot acted on without a case: it wrote back (`notices`).
    pub fn answered(notices: Vec<Notice>, action: &'static str, note: String) -> Handled {
        let mut handled = Handled::of(Outcome {
            case: None,
            action,
            note,
            disposition: Disposition::Handled { complaint: false },
            left: None,
        });
        handled.notices = notices;
        handled
    }

    /// A change in case `case`.
    pub fn in_case(
        case: CaseRef,
        changes: Vec<CaseChange>,
        action: &'static str,
        note: String,
        complaint: bool,
    ) -> Handled {
        let mut handled = Handled::of(Outcome {
            case: Some(case),
            action,
            note,
            disposition: Disposition::Handled { complaint },
            left: None,
        });
        handled.changes = changes;
        handled
    }
}
