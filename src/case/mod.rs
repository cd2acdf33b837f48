//! The case as pure logic: state, events, deadlines, the working-day calendar.

pub mod model;

pub use model::{Case, Event, Outcome, Status, Tier};
