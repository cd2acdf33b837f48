//! The case as pure logic: state, events, deadlines, the working-day calendar,
//! contact-person assignment and staff `#commands`. No I/O and no clock: `now`
//! is always passed in.
//!
//! The shell's loop: [`open`] a case for a new complaint; turn every later happening
//! into an [`Event`] and [`apply`] it; store the events (the timeline is the truth,
//! [`replay`] rebuilds the case from it) and the [`deadlines`]; when one fires, ask
//! [`on_deadline`]; carry out the [`Action`]s in the same transaction.

mod action;
mod apply;
pub mod assign;
pub mod calendar;
pub mod command;
mod deadline;
mod life;
pub mod model;
pub mod privacy;
mod progress;
mod refusal;
mod rejected;
mod rules;
mod staff;
mod states;

pub use action::{Action, CustomerMail, StaffNotice};
pub use apply::apply;
pub use calendar::Calendar;
pub use command::{CommandError, StaffCommand, StaffReply, parse_commands};
pub use deadline::{Deadline, DeadlineKind, deadlines, on_deadline};
pub use life::{NewCase, ReplayError, Step, open, replay};
pub use model::{
    Case, Event, LEGAL_HOLD, LEGAL_HOLD_RELEASED, Measure, MeasureKind, Outcome, Status, Tier,
    Warning,
};
pub use progress::{
    acknowledgement_late, business_days_to_decision, deadline_met, is_overdue, working_days_left,
};
pub use refusal::Refusal;
pub use rejected::Rejected;
pub use rules::{DueDates, Rules};
pub use staff::{WorkedReply, apply_all, staff_events, work_staff_reply, work_staff_reply_with};

#[cfg(test)]
mod tests;
