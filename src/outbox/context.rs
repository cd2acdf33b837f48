//! Everything a template may print, as one serialisable value. Dates arrive already
//! in words in the mail's language; optional parts are `None` (printable as absent,
//! never undefined), so a strict template fails only on a real mistake.

use chrono::NaiveDate;
use serde::Serialize;

use crate::case::{CommandError, Outcome, Refusal, Rejected};
use crate::domain::{Jurisdiction, LeftReason};

use super::referral::ReferralBody;

/// The values a template sees. Every field is always present; the kind-specific
/// parts are `Some` only for the kinds that need them (see [`super::TemplateKind::needs`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TemplateContext {
    pub company: CompanyView,
    /// The case reference, e.g. `KL-2026-000123`.
    pub reference: String,
    /// The country whose rules apply: `dk`, `no` or `se`.
    pub jurisdiction: Jurisdiction,
    pub customer: CustomerView,
    /// The subject of the customer's first mail, without our reference.
    pub subject: String,
    /// The contact person named to the customer.
    pub contact: Person,
    /// The complaints manager (second tier), when one is configured.
    pub manager: Option<Person>,
    pub dates: DateWords,
    /// Business days for the answer (15) and, after a holding reply, at most (35).
    pub answer_within_days: u32,
    pub final_within_days: u32,
    /// Denmark: weeks without an answer after which the Ankenævn takes the case.
    pub ankenaevn_after_weeks: u32,
    /// The address staff reply to (the complaint address with the case token).
    pub reply_address: Option<String>,
    /// Holding reply: why the answer is late, in the customer's language.
    pub holding_reason: Option<String>,
    pub decision: Option<DecisionView>,
    /// External bodies for a partial or rejected decision.
    pub referrals: Vec<ReferralBody>,
    /// The body among `referrals` the customer may turn to once
    /// `ankenaevn_after_weeks` weeks have passed without our answer (Det
    /// Finansielle Ankenævn for a Danish bank), when the case has one.
    pub ankenaevn: Option<ReferralBody>,
    /// Whether the answer date (`dates.answer_due`, moved by a holding reply)
    /// lies more than `ankenaevn_after_weeks` weeks after receipt: the customer
    /// may turn to `ankenaevn` before our answer comes.
    pub answer_beyond_ankenaevn_weeks: bool,
    pub staff_answer: Option<StaffAnswer>,
    /// The customer's own words (staff notifications).
    pub customer_text: Option<String>,
    pub attachments: Vec<AttachmentView>,
    pub reminder: Option<ReminderView>,
    pub escalation: Option<EscalationView>,
    pub bounce: Option<BounceView>,
    pub refusal: Option<CommandRefusal>,
    /// Staff update notices: what happened.
    pub update: Option<UpdateView>,
    /// The prompt to send a holding reply (`#extend`) before the answer is due.
    pub prompt: Option<PromptView>,
    /// A colleague's forward: whose mail it was (the colleague note, the reply
    /// when it was no complaint).
    pub forward: Option<ForwardView>,
    /// The daily digest of a person's mail klagebot left alone.
    pub digest: Option<DigestView>,
    /// A backlog's cases whose acknowledgement was due before klagebot read them.
    pub late: Vec<LateCaseView>,
    /// One address over the per-address caps: its cases of the last hour.
    pub flood: Option<FloodView>,
    /// Earlier cases about the same matter (in the new-case notice).
    pub related: Vec<RelatedCaseView>,
    /// Many complaints about one matter: the alert, or its daily update.
    pub surge: Option<SurgeView>,
}

/// An earlier case about the same matter, as the new case's notice lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RelatedCaseView {
    pub reference: String,
    pub received: String,
    /// `received`, `acknowledged`, `on_hold`, `decided`, `closed`, `withdrawn`.
    pub status: String,
    /// `upheld`, `partially_upheld`, `rejected`, once decided.
    pub outcome: Option<String>,
    /// Who handles (or handled) it: the contact person's name.
    pub handler: Option<String>,
    /// How alike, 0 to 1, two decimals.
    pub score: String,
    /// What they share (amounts, dates, words).
    pub reason: String,
    /// Its root cause, when staff recorded one.
    pub cause: Option<String>,
}

/// A surge: the alert when the Nth complaint about one matter arrives within
/// the window, or the daily update listing the later ones.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SurgeView {
    /// The daily update (else the first alert).
    pub update: bool,
    /// The words (amounts, dates, names) the complaints share.
    pub words: String,
    pub first: String,
    pub latest: String,
    /// The window, in hours, and how many complaints make a surge.
    pub hours: u32,
    pub count: u32,
    pub cases: Vec<SurgeCaseView>,
}

/// One case in a surge alert or update.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SurgeCaseView {
    pub reference: String,
    pub received: String,
    pub subject: String,
    pub status: String,
}

/// What the holding-reply prompt tells staff beyond the dates.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PromptView {
    /// The reason the automatic holding reply will give on the answer date, in
    /// the customer's language, when the policy sends one.
    pub automatic_reason: Option<String>,
}

/// The customer's mail a colleague forwarded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ForwardView {
    pub customer: CustomerView,
    /// The forwarded mail's subject.
    pub subject: String,
    /// When the customer sent it, in words; empty when the forward did not say.
    pub sent: String,
}

/// The mail of one period klagebot opened or joined no case for.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DigestView {
    /// When the period began, in words (the previous digest).
    pub since: String,
    pub items: Vec<DigestItem>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DigestItem {
    /// When it arrived, in words with the local time.
    pub received: String,
    pub sender: String,
    pub subject: String,
    pub mailbox: String,
    /// Why klagebot left it alone.
    pub reason: LeftReason,
    /// Replying to this address with `#open` on top opens it as a case.
    pub reply_address: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LateCaseView {
    pub reference: String,
    pub received: String,
    pub acknowledge_due: String,
}

/// The summary staff get, once an hour at most, about one address whose mail
/// went over the per-address caps.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FloodView {
    pub address: String,
    /// Mails from the address in the last hour.
    pub mails: u32,
    /// `outgoing.max_per_address_per_hour` and `…_per_day`.
    pub per_hour: u32,
    pub per_day: u32,
    pub cases: Vec<FloodCaseView>,
    /// Cases left off the list (it shows at most [`FloodView::MAX_CASES`]).
    pub more: usize,
}

impl FloodView {
    pub const MAX_CASES: usize = 100;
}

/// One case in a flood summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FloodCaseView {
    pub reference: String,
    pub received: String,
    pub subject: String,
    /// Its staff reply address (with the case's token): `#acknowledged`,
    /// `#notcomplaint` and the other commands work there.
    pub reply_address: String,
    /// Whether its acknowledgement was held back.
    pub unacknowledged: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CompanyView {
    pub name: String,
    /// The complaint address customers write to.
    pub email: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CustomerView {
    pub name: Option<String>,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Dates already written in words in the mail's language ([`super::dates::in_words`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct DateWords {
    pub received: String,
    pub acknowledge_due: String,
    /// The date the answer is due now (moved by a holding reply).
    pub answer_due: String,
    /// The latest date the law allows for the final answer (35 business days).
    pub final_due: String,
    /// `final_due` as staff write it in `#extend 2027-02-04 …`.
    pub final_due_iso: String,
    /// The day `ankenaevn_after_weeks` weeks after receipt, from which the
    /// customer may turn to `ankenaevn` without our answer.
    pub ankenaevn_open: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DecisionView {
    pub outcome: Outcome,
    /// The reasoned answer written by the staff member.
    pub text: String,
    /// Who decided; the decision is signed with this name.
    pub signed_by: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StaffAnswer {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttachmentView {
    pub name: String,
    /// The size in words a person reads, e.g. `245 kB`.
    pub size: String,
}

impl AttachmentView {
    pub fn new(name: &str, bytes: usize) -> AttachmentView {
        AttachmentView {
            name: name.to_string(),
            size: human_size(bytes),
        }
    }
}

fn human_size(bytes: usize) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{} kB", bytes.div_ceil(1_000)),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReminderView {
    /// Working days left until the answer is due.
    pub working_days_left: u32,
}

/// Why a case went to the complaints manager.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTrigger {
    /// The customer asked for the complaints manager.
    CustomerRequest,
    /// The answer date is near (the last working day before a breach) and none was sent.
    DueSoon,
    /// The answer date has passed without an answer.
    Breached,
}

impl EscalationTrigger {
    pub const ALL: [EscalationTrigger; 3] = [
        EscalationTrigger::CustomerRequest,
        EscalationTrigger::DueSoon,
        EscalationTrigger::Breached,
    ];
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EscalationView {
    pub trigger: EscalationTrigger,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BounceView {
    /// The address that did not receive our mail.
    pub recipient: String,
    /// The subject of our mail that bounced.
    pub bounced_subject: String,
    /// The mail server's reason, when the bounce gave one.
    pub reason: Option<String>,
}

/// Why a `#command` was refused; the template words it in the staff member's language.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Not a command klagebot knows.
    UnknownCommand,
    /// The sender is not configured staff, or the reply address had no valid token.
    NotAuthorised,
    /// The command needs an argument or a text below it.
    MissingArgument,
    /// The argument is not one the command accepts.
    InvalidArgument,
    /// The case's state does not allow it (e.g. a decision on a closed case).
    NotAllowedNow,
    /// `#extend` would move the answer past the 35 business days the law allows.
    TooLate,
}

impl RefusalReason {
    pub const ALL: [RefusalReason; 6] = [
        RefusalReason::UnknownCommand,
        RefusalReason::NotAuthorised,
        RefusalReason::MissingArgument,
        RefusalReason::InvalidArgument,
        RefusalReason::NotAllowedNow,
        RefusalReason::TooLate,
    ];
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CommandRefusal {
    /// The command line as the staff member wrote it.
    pub line: String,
    pub reason: RefusalReason,
    /// What exactly was wrong, for the template to say in the staff member's language.
    pub detail: Option<RefusalDetail>,
}

/// The facts of a refusal (a typed [`Refusal`]) as the templates read them:
/// `kind` names it (`unknown_command`, `not_working_day`, …), the other fields
/// are what the staff member wrote or what the case holds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct RefusalDetail {
    pub kind: &'static str,
    /// The command concerned, e.g. `#assign`.
    pub command: Option<String>,
    /// What the staff member wrote that did not fit.
    pub value: Option<String>,
    /// The command or value they probably meant.
    pub suggestion: Option<String>,
    /// A second command (a contradiction), an address (not staff) or a case reference.
    pub other: Option<String>,
    /// The date concerned (ISO), e.g. one that is not a working day.
    pub date: Option<NaiveDate>,
}

impl From<&Refusal> for RefusalReason {
    fn from(refusal: &Refusal) -> Self {
        match refusal {
            Refusal::Command(CommandError::Unknown { .. }) => RefusalReason::UnknownCommand,
            Refusal::Command(CommandError::MissingArgument { .. }) => {
                RefusalReason::MissingArgument
            }
            Refusal::Command(
                CommandError::BadArgument { .. } | CommandError::Unexpected { .. },
            ) => RefusalReason::InvalidArgument,
            // The sender was checked before any command ran: a staff member named
            // by the command (`#assign`) is what is not registered.
            Refusal::Case(Rejected::NotStaff(_)) => RefusalReason::InvalidArgument,
            Refusal::Case(Rejected::BeyondFinalDue { .. } | Rejected::NoLaterDateAllowed(_)) => {
                RefusalReason::TooLate
            }
            Refusal::Case(Rejected::MissingReason | Rejected::EmptyDecision) => {
                RefusalReason::MissingArgument
            }
            Refusal::Case(
                Rejected::NotWorkingDay(_) | Rejected::InThePast(_) | Rejected::NotLater { .. },
            ) => RefusalReason::InvalidArgument,
            _ => RefusalReason::NotAllowedNow,
        }
    }
}

impl From<&Refusal> for RefusalDetail {
    fn from(refusal: &Refusal) -> Self {
        let detail = RefusalDetail {
            kind: refusal.code(),
            ..RefusalDetail::default()
        };
        match refusal {
            Refusal::Command(error) => command_detail(error, detail),
            Refusal::Case(rejected) => case_detail(rejected, detail),
            Refusal::ForwardInCase(case) => RefusalDetail {
                other: Some(case.to_string()),
                ..detail
            },
            Refusal::Text(text) => RefusalDetail {
                value: Some(text.clone()),
                ..detail
            },
        }
    }
}

fn command_detail(error: &CommandError, detail: RefusalDetail) -> RefusalDetail {
    let some = |s: &String| Some(s.clone());
    match error {
        CommandError::Unknown { word, suggestion } => RefusalDetail {
            value: Some(format!("#{word}")),
            suggestion: suggestion.clone(),
            ..detail
        },
        CommandError::MissingArgument { command, .. } => RefusalDetail {
            command: some(command),
            ..detail
        },
        CommandError::BadArgument {
            command,
            value,
            suggestion,
            ..
        } => RefusalDetail {
            command: some(command),
            value: some(value),
            suggestion: suggestion.clone(),
            ..detail
        },
        CommandError::Unexpected { command, found } => RefusalDetail {
            command: some(command),
            value: some(found),
            ..detail
        },
        CommandError::Repeated(command) => RefusalDetail {
            command: some(command),
            ..detail
        },
        CommandError::Conflict(first, second) => RefusalDetail {
            command: some(first),
            other: some(second),
            ..detail
        },
    }
}

fn case_detail(rejected: &Rejected, detail: RefusalDetail) -> RefusalDetail {
    let date = match rejected {
        Rejected::AlreadyDecided(d)
        | Rejected::NoLaterDateAllowed(d)
        | Rejected::NotWorkingDay(d)
        | Rejected::InThePast(d) => Some(*d),
        Rejected::BeyondFinalDue { new_due, .. } | Rejected::NotLater { new_due, .. } => {
            Some(*new_due)
        }
        _ => None,
    };
    let other = match rejected {
        Rejected::NotStaff(address) => Some(address.to_string()),
        Rejected::NotLater { answer_due, .. } => Some(answer_due.to_string()),
        Rejected::AlreadyAtTier(tier) => Some(tier.code().to_string()),
        _ => None,
    };
    RefusalDetail {
        date,
        other,
        ..detail
    }
}

/// What a staff update notice reports.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UpdateKind {
    /// The customer wrote again in the case.
    CustomerWrote,
    /// The case was assigned to the recipient.
    Assigned,
    /// The policy sent a holding reply on the due day.
    AutomaticHoldingReply,
    /// Denmark: the customer may now go to Det Finansielle Ankenævn.
    AnkenaevnEligible,
    /// A mail copied to us as a colleague's answer that our MX could not vouch
    /// for: confirm it with `#answered`.
    UnverifiedAnswer,
}

impl UpdateKind {
    pub const ALL: [UpdateKind; 5] = [
        UpdateKind::CustomerWrote,
        UpdateKind::Assigned,
        UpdateKind::AutomaticHoldingReply,
        UpdateKind::AnkenaevnEligible,
        UpdateKind::UnverifiedAnswer,
    ];
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UpdateView {
    pub kind: UpdateKind,
    /// `unverified_answer`: who the mail claims to be from (name, or address).
    pub by: Option<String>,
    /// `unverified_answer`: the text of the mail copied to us.
    pub text: Option<String>,
}

impl UpdateView {
    pub fn of(kind: UpdateKind) -> UpdateView {
        UpdateView {
            kind,
            by: None,
            text: None,
        }
    }
}
