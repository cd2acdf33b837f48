//! Automated mail (RFC 3834 and its cousins: auto-replies, lists, reports):
//! never answered, never a case. Only the reason is logged; a bounce of our own
//! mail has its own handler.

use crate::daemon::inbound::Handled;

pub fn handle(reason: String) -> Handled {
    Handled::automated(reason)
}
