//! Mail klagebot does not act on: not a complaint, no usable sender, staff mail
//! without a token; and a mail that reached us through a second mailbox after
//! it was handled already.

use crate::daemon::inbound::Handled;
use crate::domain::CaseRef;

pub fn handle(reason: String) -> Handled {
    Handled::nothing("ignored", reason)
}

/// The same mail, in case `case` already: nothing changes.
pub fn duplicate(case: CaseRef) -> Handled {
    let note = format!("the same mail is already in case {case}");
    Handled::in_case(case, Vec::new(), "duplicate", note, true)
}
