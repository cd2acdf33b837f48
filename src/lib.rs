//! klagebot turns the complaint mail of a regulated Nordic financial company into
//! handled cases, on time, in the customer's language.
//!
//! # Layout
//!
//! The modules, in the order a customer's mail flows through them:
//!
//! - [`inbox`]: mail sources (IMAP mailboxes, a local Maildir) that yield raw bytes
//!   and learn afterwards whether the message was handled.
//! - [`parse`] (pure): raw bytes → [`parse::InboundMail`], with the customer's new
//!   text separated from quotes and signatures.
//! - [`classify`] (pure): an inbound mail → [`classify::Classification`]: complaint
//!   or not, language, automated, case reference, escalation request, category, and
//!   the reasons.
//! - [`case`] (pure): the case's life as `apply(case, event, now) → (case, actions)`,
//!   the working-day [`case::calendar`] and the deadlines of the law.
//! - [`outbox`]: templates rendered into complete outgoing mail (our Message-IDs,
//!   threading headers, `Auto-Submitted`).
//! - [`smtp`]: delivery of queued mail, with retries.
//! - [`related`] (pure): which earlier complaints are about the same matter, and
//!   when enough of them make a surge.
//! - [`report`] (pure): the complaint register and period figures built from cases.
//!
//! Beside the flow: [`store`] holds all SQL; [`record`] writes a case change with
//! the mail it causes and its deadlines, in the caller's transaction;
//! [`scheduler`] wakes at the next deadline stored in the database; [`privacy`]
//! anonymises what outlived its retention period, answers erasure and access
//! requests; [`daemon`]
//! wires the stages together for `klagebot run`, and [`service_manager`] tells
//! systemd how it is doing; [`runtime`] is what its tasks
//! share (clock, shutdown, wake-ups, counters); [`config`] reads the TOML file;
//! [`telemetry`] sets up logging; [`cli`] implements the commands.

pub mod alarm;
pub mod case;
pub mod classify;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod domain;
pub mod inbox;
pub mod oauth;
pub mod outbox;
pub mod parse;
pub mod privacy;
pub mod record;
pub mod related;
pub mod report;
pub mod runtime;
pub mod scheduler;
pub mod service_manager;
pub mod smtp;
pub mod store;
pub mod telemetry;
