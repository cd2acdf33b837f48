//! The values the store takes and gives back, beside `Case` and `Event` themselves.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::CaseRef;

/// Where a mailbox's reading stands: everything up to `last_uid` under this
/// `uidvalidity` is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncState {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

/// A mail as it came from a mailbox, before anything else happens to it.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    pub mailbox: &'a str,
    /// Where in the mailbox it came from: `imap:UIDVALIDITY:UID` or `maildir:FILENAME`.
    pub source_key: String,
    /// The Message-ID header, empty when the mail has none.
    pub message_id: String,
    /// Hex SHA-256 of the message content; with the Message-ID it recognises the
    /// same mail arriving again (another mailbox, a re-delivery).
    pub sha256: String,
    /// What makes the mail the same mail along any path: its Message-ID and
    /// sender, or its content without trace headers; unique per mailbox.
    pub identity: String,
    /// The From address's key, when it has one (floods and echoes count by it).
    pub sender: Option<String>,
    /// The fingerprint of its text ([`crate::classify::echo::fingerprint`]).
    pub fingerprint: Option<u64>,
    pub raw: &'a [u8],
    pub received_at: DateTime<Utc>,
}

/// What became of an inbound mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundStatus {
    /// Stored, not yet handled (after a crash: handle it again).
    Pending,
    Processed,
    /// Could not be handled (unparseable); kept for a person to look at.
    Quarantined,
    /// Handled and deliberately left alone (automated mail, a duplicate…).
    Ignored,
    /// A person's mail klagebot opened and joined no case for: left in the
    /// mailbox for people, and listed in the daily digest.
    Left,
}

impl InboundStatus {
    pub fn code(self) -> &'static str {
        match self {
            InboundStatus::Pending => "pending",
            InboundStatus::Processed => "processed",
            InboundStatus::Quarantined => "quarantined",
            InboundStatus::Ignored => "ignored",
            InboundStatus::Left => "left",
        }
    }
}

impl FromStr for InboundStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            InboundStatus::Pending,
            InboundStatus::Processed,
            InboundStatus::Quarantined,
            InboundStatus::Ignored,
            InboundStatus::Left,
        ]
        .into_iter()
        .find(|st| st.code() == s)
        .ok_or_else(|| format!("unknown inbound status {s:?}"))
    }
}

/// The answer to storing an inbound mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundInsert {
    /// Stored now, with this id.
    New(i64),
    /// Stored before (same mailbox position, or same Message-ID and content):
    /// the earlier row and how far it got.
    Duplicate(i64, InboundStatus),
}

/// An inbound mail still waiting to be handled (its bytes via `inbound_raw`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInbound {
    pub id: i64,
    pub mailbox: String,
    pub source_key: String,
    pub message_id: String,
    pub received_at: DateTime<Utc>,
}

/// Which way a mail with a Message-ID went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Which cases `list_cases` returns; the filters combine (all must hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Only cases that still owe the customer an answer.
    pub open_only: bool,
    /// Only open cases whose answer date lies before this date.
    pub overdue_on: Option<NaiveDate>,
    /// Only open cases whose answer is due on or before this date.
    pub due_by: Option<NaiveDate>,
}

/// A rendered mail to queue in the outbox.
#[derive(Debug, Clone)]
pub struct NewOutgoing {
    pub case_ref: Option<CaseRef>,
    /// What it is: `acknowledgement`, `staff_new_case`, … (for logs and the timeline).
    pub kind: String,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
    /// Not to be sent before this instant: the moment it is queued (the
    /// per-address caps count mail by it).
    pub not_before: DateTime<Utc>,
}

/// Where a queued mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutgoingState {
    Queued,
    Sent,
    /// Given up: a permanent error, or too many attempts.
    Failed,
}

impl OutgoingState {
    pub fn code(self) -> &'static str {
        match self {
            OutgoingState::Queued => "queued",
            OutgoingState::Sent => "sent",
            OutgoingState::Failed => "failed",
        }
    }
}

impl FromStr for OutgoingState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "queued" => Ok(OutgoingState::Queued),
            "sent" => Ok(OutgoingState::Sent),
            "failed" => Ok(OutgoingState::Failed),
            _ => Err(format!("unknown outgoing state {s:?}")),
        }
    }
}

/// A mail in the outbox, as claimed by the sender or listed for a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub case_ref: Option<CaseRef>,
    pub kind: String,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
    pub state: OutgoingState,
    pub not_before: DateTime<Utc>,
    /// Delivery attempts made so far (each counted once, when its outcome is
    /// recorded; a mail just claimed has not counted its own attempt yet).
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A deadline whose time has come, claimed inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDeadline {
    pub id: i64,
    pub case_ref: CaseRef,
    pub key: String,
    pub due_at: DateTime<Utc>,
}

impl fmt::Display for DueDeadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} due {}", self.case_ref, self.key, self.due_at)
    }
}
