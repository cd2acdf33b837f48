//! One handler per route: each says, as a plain value ([`Handled`]), what one
//! mail causes: the case changes (with the letters they ask for) and what becomes
//! of the mail. Handlers read through [`Lookups`] and write nothing; the daemon's
//! `ingest` records what they return, in the message's transaction.
//!
//! | route | handler |
//! |---|---|
//! | a new complaint, or a customer's mail a colleague forwarded (a reply to the colleague when it is none) | [`new_complaint`] |
//! | the customer writes again in their case | [`follow_up`] |
//! | a staff reply to a case's reply address, or `#open` on a mail in a case | [`staff_command`] |
//! | a staff mail to the customer that copies us | [`staff_copy`] |
//! | a bounce of our mail | [`bounce`] |
//! | automated mail | [`automated`] |
//! | anything else, and a mail handled before | [`ignored`] |

mod automated;
mod bounce;
mod follow_up;
mod ignored;
mod new_complaint;
mod staff_command;
mod staff_copy;

use super::inbound::{Env, Handled, Inbound, Lookups, Route};

/// Hands the mail to the handler of its route.
pub async fn handle(
    route: Route,
    inbound: &Inbound<'_>,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Handled> {
    match route {
        Route::NewCase { linked } => new_complaint::direct(inbound, linked, env, look).await,
        Route::OpenForwarded { by, forced } => {
            new_complaint::forwarded(inbound, &by, forced, env, look).await
        }
        Route::ForwardInCase { case, by } => {
            staff_command::forward_in_case(inbound, &case, &by, env, look).await
        }
        Route::FollowUp { case } => follow_up::handle(inbound, &case, env, look).await,
        Route::StaffCommand { case, by } => {
            staff_command::handle(inbound, &case, &by, env, look).await
        }
        Route::StaffCopy { case, by, verified } => {
            staff_copy::handle(inbound, &case, &by, verified, env, look).await
        }
        Route::Bounce { case, seq } => bounce::handle(inbound, &case, seq, env, look).await,
        Route::Duplicate { case } => Ok(ignored::duplicate(case)),
        Route::Automated { reason } => Ok(automated::handle(reason)),
        Route::Ignore { reason, note } => Ok(ignored::handle(reason, note)),
    }
}
