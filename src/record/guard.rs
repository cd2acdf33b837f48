//! What never goes out, whatever the case logic asked for: mail to one of our
//! own addresses (or a listed internal domain) as the customer, which would be
//! a loop, and automatic mail to one customer address beyond the per-address
//! caps, which would be a flood. Beyond a cap the case still opens and moves
//! on; what is held back is recorded on its timeline, and the per-mail staff
//! notices give way to one summary per address and hour (the scheduler's
//! flood job).
//!
//! [`sift`] decides (pure); [`super::Recorder::write`] counts and records.

use crate::case::{Action, CustomerMail};

/// How many more automatic mails the customer's address may get now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    pub hour: u32,
    pub day: u32,
}

/// Why a mail was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The customer's address is one of ours (or a listed internal domain's).
    OwnAddress,
    /// The hourly cap of automatic mail to the address was reached.
    HourCap,
    /// The daily cap was reached.
    DayCap,
    /// A per-mail staff notice while the address floods us.
    Flood,
    /// Automatic mail, or a per-mail notice, caused by a mail that echoes ours.
    Echo,
}

impl Held {
    /// The reason as the timeline and the log say it.
    pub fn reason(self) -> String {
        match self {
            Held::OwnAddress => {
                "the customer's address is one of ours: klagebot never writes to itself".into()
            }
            Held::HourCap => "the hourly cap of automatic mail to this address is reached \
                              (outgoing.max_per_address_per_hour)"
                .into(),
            Held::DayCap => "the daily cap of automatic mail to this address is reached \
                             (outgoing.max_per_address_per_day)"
                .into(),
            Held::Flood => {
                "the address is over its cap: staff get one summary per hour instead".into()
            }
            Held::Echo => "the sender answered our mail within minutes with the same text \
                           again (an auto-responder): no automatic answer"
                .into(),
        }
    }

    /// Whether the address is flooding (as opposed to being our own).
    pub fn is_flood(self) -> bool {
        !matches!(self, Held::OwnAddress)
    }
}

/// The actions of one change, split into those to queue and those held back.
#[derive(Debug, Default)]
pub struct Sifted {
    pub send: Vec<Action>,
    pub held: Vec<(Action, Held)>,
}

/// What of `actions` goes out. `own` says the customer's address is ours;
/// `room` is how many more automatic mails it may get (`None`: not counted,
/// the change has none); `flooding` says the sender wrote more than the hourly
/// cap allows already; `echo` that the mail causing the change echoes ours.
/// Mail a person decided (an answer, a decision, a holding reply) is never
/// held back by a cap, only automatic mail; per-mail staff notices are held
/// back while the address floods or echoes.
pub fn sift(
    actions: &[Action],
    own: bool,
    room: Option<Room>,
    flooding: bool,
    echo: bool,
) -> Sifted {
    let mut left = room;
    let mut sifted = Sifted::default();
    let mut capped = false;
    for action in actions {
        let held = match action {
            Action::ToCustomer { .. } if own => Some(Held::OwnAddress),
            Action::ToCustomer { mail, .. } if mail.is_automatic() && echo => Some(Held::Echo),
            Action::ToCustomer { mail, .. } if mail.is_automatic() => {
                let held = left.as_mut().and_then(take_one);
                capped |= held.is_some();
                held
            }
            _ => None,
        };
        match held {
            Some(why) => sifted.held.push((action.clone(), why)),
            None => sifted.send.push(action.clone()),
        }
    }
    if flooding || capped || echo {
        let why = if echo { Held::Echo } else { Held::Flood };
        let (notices, send): (Vec<Action>, Vec<Action>) =
            sifted.send.into_iter().partition(is_per_mail_notice);
        sifted.send = send;
        sifted.held.extend(notices.into_iter().map(|a| (a, why)));
    }
    sifted
}

/// Takes one mail from the room, or says which cap is reached.
fn take_one(room: &mut Room) -> Option<Held> {
    if room.hour == 0 {
        return Some(Held::HourCap);
    }
    if room.day == 0 {
        return Some(Held::DayCap);
    }
    room.hour -= 1;
    room.day -= 1;
    None
}

fn is_per_mail_notice(action: &Action) -> bool {
    matches!(action, Action::ToStaff { notice, .. } if notice.is_per_mail())
}

/// The name a held action is recorded under: `customer_` or `staff_` and its
/// kind, e.g. `customer_acknowledgement` (the outbox kind of an acknowledgement).
pub fn name(action: &Action) -> String {
    let (side, value) = match action {
        Action::ToCustomer { mail, .. } => ("customer", serde_json::to_value(mail)),
        Action::ToStaff { notice, .. } => ("staff", serde_json::to_value(notice)),
    };
    let kind = value
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_else(|| "mail".into());
    format!("{side}_{kind}")
}

/// Whether a change's actions include mail the caps count.
pub fn has_automatic(actions: &[Action]) -> bool {
    actions
        .iter()
        .any(|a| matches!(a, Action::ToCustomer { mail, .. } if CustomerMail::is_automatic(mail)))
}

/// Whether a change's actions include per-mail staff notices.
pub fn has_per_mail_notice(actions: &[Action]) -> bool {
    actions.iter().any(is_per_mail_notice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::StaffNotice;
    use crate::domain::EmailAddress;
    use chrono::NaiveDate;

    fn ack(seq: u32) -> Action {
        Action::ToCustomer {
            seq,
            mail: CustomerMail::Acknowledgement {
                contact: None,
                answer_due: NaiveDate::from_ymd_opt(2026, 12, 28).unwrap(),
            },
        }
    }

    fn answer(seq: u32) -> Action {
        Action::ToCustomer {
            seq,
            mail: CustomerMail::StaffAnswer {
                by: EmailAddress::parse("mette@bank.dk").unwrap(),
                message_id: "a@b".into(),
            },
        }
    }

    fn notice(seq: u32, notice: StaffNotice) -> Action {
        Action::ToStaff {
            seq,
            to: EmailAddress::parse("mette@bank.dk").unwrap(),
            notice,
        }
    }

    #[test]
    fn automatic_mail_stops_at_the_cap_and_per_mail_notices_with_it() {
        let actions = [ack(1), notice(2, StaffNotice::NewCase)];
        let room = |hour, day| Some(Room { hour, day });
        let open = sift(&actions, false, room(1, 5), false, false);
        assert_eq!(open.send.len(), 2);
        assert!(open.held.is_empty());

        let full = sift(&actions, false, room(0, 5), false, false);
        assert!(full.send.is_empty());
        assert_eq!(full.held[0].1, Held::HourCap);
        assert_eq!(full.held[1].1, Held::Flood);

        let day = sift(&actions, false, room(3, 0), false, false);
        assert_eq!(day.held[0].1, Held::DayCap);
        assert_eq!(name(&actions[0]), crate::record::ACKNOWLEDGEMENT_KIND);
        assert_eq!(name(&actions[1]), "staff_new_case");
    }

    #[test]
    fn a_persons_answer_is_never_capped_but_never_goes_to_our_own_address() {
        let room = Some(Room { hour: 0, day: 0 });
        assert_eq!(sift(&[answer(1)], false, room, true, false).send.len(), 1);
        let own = sift(&[answer(1), ack(2)], true, room, false, false);
        assert!(own.send.is_empty());
        assert!(own.held.iter().all(|(_, why)| *why == Held::OwnAddress));
    }

    #[test]
    fn a_flooding_sender_s_follow_ups_notify_no_one_one_by_one() {
        let follow_up = notice(
            1,
            StaffNotice::CustomerFollowUp {
                message_id: "x@y".into(),
            },
        );
        let reminder = notice(
            2,
            StaffNotice::Reminder {
                working_days_left: 2,
                answer_due: NaiveDate::from_ymd_opt(2026, 12, 28).unwrap(),
            },
        );
        let sifted = sift(&[follow_up, reminder], false, None, true, false);
        assert_eq!(sifted.send.len(), 1, "the reminder is no per-mail notice");
        assert_eq!(sifted.held.len(), 1);
        assert!(sift(&[ack(1)], false, None, false, false).held.is_empty());
    }

    #[test]
    fn an_echo_gets_no_automatic_answer_but_a_persons_answer_goes_out() {
        let sifted = sift(
            &[ack(1), notice(2, StaffNotice::NewCase), answer(3)],
            false,
            None,
            false,
            true,
        );
        assert_eq!(sifted.send.len(), 1, "the person's answer");
        assert!(sifted.held.iter().all(|(_, why)| *why == Held::Echo));
    }
}
