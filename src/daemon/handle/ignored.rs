//! A person's mail klagebot does not act on: not a complaint, no usable sender,
//! staff mail without a token. It is left where people read it (in `own` mode it
//! stays in the inbox, tagged) and the daily digest lists it. Also a mail that
//! reached us through a second mailbox after it was handled already.

use crate::daemon::inbound::Handled;
use crate::domain::{CaseRef, LeftReason};

pub fn handle(reason: LeftReason, note: String) -> Handled {
    Handled::left_for_person(reason, note)
}

/// The same mail, in case `case` already: nothing changes.
pub fn duplicate(case: CaseRef) -> Handled {
    let note = format!("the same mail is already in case {case}");
    Handled::in_case(case, Vec::new(), "duplicate", note, true)
}
