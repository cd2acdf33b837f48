//! Recording case changes: the new state, its timeline events, the letters the
//! change causes (rendered into the outbox) and its deadlines, always inside the
//! caller's transaction. The daemon (inbound mail, deliveries) and the scheduler
//! (deadlines) change cases only through here, so a change and the mail it causes
//! are committed together or not at all.
//!
//! A change is a plain value ([`CaseChange`]) made by the pure case logic;
//! [`Recorder::write`] is the one place that turns it into rows.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tracing::warn;

mod guard;
pub mod letters;
mod notices;
mod related;

pub use letters::{ACKNOWLEDGEMENT_KIND, BounceFacts, Extras};
pub use notices::{DigestEntry, Notice};
pub use related::link_new_case;

use crate::case::{self, Action, Case, Event, Rejected, Rules, Step};
use crate::config::Config;
use crate::domain::{CaseRef, EmailAddress, Language};
use crate::outbox::{Referrals, Templates};
use crate::store::{Direction, NewOutgoing, Tx};

/// What writing a case change needs: the config (company, staff), the rules of
/// the case logic, the texts and the secret of the staff reply addresses.
pub struct Recorder {
    pub config: Arc<Config>,
    pub rules: Arc<Rules>,
    templates: Templates,
    referrals: Referrals,
    token_secret: Vec<u8>,
}

/// How a change meets the case's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new case: its row is inserted.
    Opened,
    /// The case moved on: its row, letters and deadlines are written.
    Changed,
    /// The case refused the event: only the timeline keeps it, so that no mail
    /// is lost from a case's history.
    Refused,
}

/// One change to one case, as a plain value.
#[derive(Debug, Clone)]
pub struct CaseChange {
    /// The case after the change.
    pub case: Case,
    pub kind: ChangeKind,
    pub events: Vec<Event>,
    /// The letters the change asks for (to the customer, to staff).
    pub actions: Vec<Action>,
    /// What the mail that caused the change adds to those letters.
    pub extras: Extras,
    /// An inbound Message-ID to file under the case (its replies join it).
    pub files: Option<String>,
    /// The mail that caused it echoes our mail (an auto-responder that does not
    /// say so): its automatic answer and per-mail notices are held back.
    pub echo: bool,
    /// A new complaint's keys (`related::keys`): what finds earlier cases
    /// about the same matter, and what later cases find it by.
    pub keys: Vec<crate::related::Key>,
}

impl CaseChange {
    /// A case the core opened.
    pub fn opened(step: Step, extras: Extras) -> CaseChange {
        CaseChange::of_step(step, ChangeKind::Opened, extras)
    }

    /// A step the core took on an existing case.
    pub fn changed(step: Step, extras: Extras) -> CaseChange {
        CaseChange::of_step(step, ChangeKind::Changed, extras)
    }

    fn of_step(step: Step, kind: ChangeKind, extras: Extras) -> CaseChange {
        CaseChange {
            case: step.case,
            kind,
            events: step.events,
            actions: step.actions,
            extras,
            files: None,
            echo: false,
            keys: Vec::new(),
        }
    }

    /// The event a mail stands for, applied to its case: a change, or, when the
    /// case refuses it, the event kept on the timeline and the refusal returned.
    pub fn of_event(
        case: &Case,
        event: Event,
        extras: Extras,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> (CaseChange, Result<(), Rejected>) {
        let (next, actions, kind, result) = match case::apply(case, &event, now, rules) {
            Ok((next, actions)) => (next, actions, ChangeKind::Changed, Ok(())),
            Err(rejected) => (case.clone(), Vec::new(), ChangeKind::Refused, Err(rejected)),
        };
        let change = CaseChange {
            case: next,
            kind,
            events: vec![event],
            actions,
            extras,
            files: None,
            echo: false,
            keys: Vec::new(),
        };
        (change, result)
    }

    /// Files the inbound mail `message_id` under this case.
    pub fn filing(mut self, message_id: &str) -> CaseChange {
        self.files = Some(message_id.to_string());
        self
    }
}

impl Recorder {
    pub fn new(
        config: Arc<Config>,
        rules: Arc<Rules>,
        templates: Templates,
        referrals: Referrals,
        token_secret: Vec<u8>,
    ) -> Recorder {
        Recorder {
            config,
            rules,
            templates,
            referrals,
            token_secret,
        }
    }

    /// The language of mail to `address`: the company's, unless a staff member
    /// there does not speak it.
    pub fn language_for(&self, address: &EmailAddress) -> Language {
        let company = self.config.company.default_language;
        match self.config.staff_by_address(address) {
            Some(s) if !s.languages.contains(&company) => {
                s.languages.first().copied().unwrap_or(company)
            }
            _ => company,
        }
    }

    /// The HMAC secret of the per-case staff reply addresses.
    pub fn token_secret(&self) -> &[u8] {
        &self.token_secret
    }

    /// Writes one case change inside the caller's transaction: the case's row,
    /// the filed Message-ID, the events, the letters (rendered and queued, each
    /// with its Message-ID filed under the case) and the deadlines.
    pub async fn write(
        &self,
        tx: &mut Tx,
        change: &CaseChange,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let case = &change.case;
        if change.kind == ChangeKind::Opened {
            tx.insert_case(case).await?;
        }
        if let Some(id) = &change.files {
            tx.record_message_id(id, &case.reference, Direction::In)
                .await?;
        }
        let events: Vec<&Event> = change.events.iter().collect();
        tx.append_events(&case.reference, now, &events).await?;
        if change.kind == ChangeKind::Refused {
            return Ok(());
        }
        related::record_link_events(tx, &case.reference, &change.events, now).await?;
        let mut extras = std::borrow::Cow::Borrowed(&change.extras);
        if change.kind == ChangeKind::Opened && !change.keys.is_empty() {
            let shown = self.relate(tx, case, &change.keys, now).await?;
            extras.to_mut().related = shown;
        }
        let sifted = self.sift(tx, change, now).await?;
        for (action, held) in &sifted.held {
            let mail = guard::name(action);
            let reason = held.reason();
            warn!(case = %case.reference, mail = %mail, reason = %reason, "mail withheld");
            if held.is_flood() {
                tx.record_withheld(&case.reference, case.customer.as_str(), &mail, &reason, now)
                    .await?;
            }
            let event = Event::Withheld { mail, reason };
            tx.append_event(&case.reference, now, &event).await?;
        }
        for action in &sifted.send {
            let letter = match self.letter(case, action, &extras, now) {
                Ok(letter) => letter,
                // An address no mail can carry (a customer's odd From): the
                // case stays, the mail is held and the case's timeline says so.
                Err(err) if unaddressable(&err) => {
                    let mail = guard::name(action);
                    warn!(case = %case.reference, mail = %mail, "mail withheld: its recipient's address cannot be used in a mail");
                    let reason = "the recipient's address cannot be used in a mail".to_string();
                    let event = Event::Withheld { mail, reason };
                    tx.append_event(&case.reference, now, &event).await?;
                    continue;
                }
                Err(err) => return Err(err),
            };
            // Queued with the case's reference, which files its Message-ID too.
            debug_assert_eq!(letter.case_ref.as_ref(), Some(&case.reference));
            tx.enqueue(&letter).await?;
        }
        if change.kind == ChangeKind::Changed {
            tx.update_case(case).await?;
        }
        if case.status.is_open() {
            let deadlines: Vec<(String, DateTime<Utc>)> = case::deadlines(case, &self.rules)
                .into_iter()
                .map(|d| (d.kind.key(), d.due_at))
                .collect();
            tx.upsert_deadlines(&case.reference, &deadlines).await?;
        } else {
            tx.cancel_deadlines(&case.reference).await?;
        }
        Ok(())
    }

    /// Which of the change's letters go out: none to our own addresses as the
    /// customer, automatic mail only within the per-address caps (counted in
    /// this transaction, with the address locked, so that the caps hold
    /// exactly), per-mail staff notices only while the sender keeps within
    /// the hourly cap.
    async fn sift(
        &self,
        tx: &mut Tx,
        change: &CaseChange,
        now: DateTime<Utc>,
    ) -> anyhow::Result<guard::Sifted> {
        let customer = &change.case.customer;
        let own = self.config.is_own_address(customer)
            || self.config.company.is_listed_internal(customer);
        let automatic = guard::has_automatic(&change.actions);
        let per_mail = guard::has_per_mail_notice(&change.actions);
        if own || !(automatic || per_mail) {
            return Ok(guard::sift(&change.actions, own, None, false, false));
        }
        let caps = &self.config.outgoing;
        let address = customer.as_str();
        tx.lock_address(address).await?;
        let hour_ago = now - chrono::Duration::hours(1);
        let room = match automatic {
            true => {
                let (hour, day) = tx
                    .customer_mail_counts(address, hour_ago, now - chrono::Duration::days(1))
                    .await?;
                Some(guard::Room {
                    hour: caps.max_per_address_per_hour.saturating_sub(hour),
                    day: caps.max_per_address_per_day.saturating_sub(day),
                })
            }
            false => None,
        };
        let flooding = per_mail
            && tx.mail_count_from(address, hour_ago).await? > caps.max_per_address_per_hour;
        Ok(guard::sift(
            &change.actions,
            own,
            room,
            flooding,
            change.echo,
        ))
    }

    /// The queued mail one action of `case` asks for.
    pub fn letter(
        &self,
        case: &Case,
        action: &Action,
        extras: &Extras,
        now: DateTime<Utc>,
    ) -> anyhow::Result<NewOutgoing> {
        crate::runtime::faults::check(crate::runtime::faults::Stage::Render, &case.subject);
        letters::build(self, case, action, extras, now)
    }
}

/// Whether a letter failed only because an address cannot go into a header.
fn unaddressable(err: &anyhow::Error) -> bool {
    use crate::outbox::ComposeError;
    err.chain().any(|e| {
        matches!(
            e.downcast_ref::<ComposeError>(),
            Some(ComposeError::Address { .. } | ComposeError::NoRecipient | ComposeError::Build(_))
        )
    })
}

/// A case that must exist, inside the transaction.
pub async fn load_case(tx: &mut Tx, reference: &CaseRef) -> anyhow::Result<Case> {
    tx.case(reference)
        .await?
        .with_context(|| format!("case {reference} is not in the database"))
}
