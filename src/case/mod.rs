//! The case as pure logic: state, events, deadlines, the working-day calendar.

pub mod calendar;
pub mod model;

pub use calendar::Calendar;
pub use model::{Case, Event, Outcome, Status, Tier};
