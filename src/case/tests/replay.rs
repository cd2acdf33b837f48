//! The timeline is the truth: replaying the recorded events gives the same case.

use proptest::prelude::*;

use super::*;

#[test]
fn a_whole_life_replays_to_the_same_case() {
    let mut life = Life::open(rules(), new_case(Jurisdiction::Dk, "2026-04-01T08:00:00Z"));
    life.apply(
        "2026-04-01T08:01:00Z",
        Event::AcknowledgementSent {
            message_id: "<a>".into(),
        },
    );
    life.staff_reply(
        "2026-04-02T09:00:00Z",
        HANDLER,
        "#category card\nDear Ole, we are on it.",
    )
    .unwrap();
    life.apply(
        "2026-04-14T10:00:00Z",
        Event::EscalationRequested {
            message_id: "<m2>".into(),
        },
    );
    life.fire(
        "2026-04-20T06:00:00Z",
        DeadlineKind::Reminder {
            working_days_left: 5,
            answer_due: ymd(2026, 4, 27),
        },
    );
    life.staff_reply(
        "2026-04-21T09:00:00Z",
        MANAGER,
        "#extend waiting for the card issuer",
    )
    .unwrap();
    life.staff_reply(
        "2026-05-20T09:00:00Z",
        MANAGER,
        "#decision partial\nWe refund half.\n#close",
    )
    .unwrap();
    life.staff_reply("2026-05-21T09:00:00Z", MANAGER, "#close")
        .unwrap();
    assert_eq!(life.case.status, Status::Closed);
    assert_eq!(life.replayed(), life.case);
}

#[test]
fn replay_needs_the_opening_first() {
    let life = Life::open(rules(), new_case(Jurisdiction::Dk, "2026-04-01T08:00:00Z"));
    assert_eq!(
        replay(&life.case, &[], &life.rules),
        Err(ReplayError::Empty)
    );
    let note = (
        utc("2026-04-01T08:00:00Z"),
        Event::Note {
            by: addr(HANDLER),
            text: "x".into(),
        },
    );
    assert_eq!(
        replay(&life.case, &[note], &life.rules),
        Err(ReplayError::NotOpenedFirst)
    );
}

/// Things that can happen to a case, some of them impossible in some states.
fn event_strategy() -> impl Strategy<Value = Event> {
    let staff = prop::sample::select(vec![HANDLER, MANAGER, OTHER]).prop_map(addr);
    prop_oneof![
        Just(Event::AcknowledgementSent {
            message_id: "<a>".into()
        }),
        Just(Event::CustomerMail {
            message_id: "<c>".into(),
            subject: "Re".into()
        }),
        Just(Event::EscalationRequested {
            message_id: "<e>".into()
        }),
        Just(Event::Escalated {
            tier: Tier::ComplaintsManager,
            reason: "r".into()
        }),
        staff
            .clone()
            .prop_map(|to| Event::Assigned { to, by: None }),
        prop::sample::select(Category::ALL.to_vec())
            .prop_map(|category| Event::CategorySet { category, by: None }),
        (0u32..40).prop_map(|n| Event::HoldingReply {
            reason: "more time".into(),
            new_due: ymd(2026, 4, 20) + chrono::Duration::days(i64::from(n)),
            by: None
        }),
        prop::sample::select(vec![
            Outcome::Upheld,
            Outcome::PartiallyUpheld,
            Outcome::Rejected
        ])
        .prop_map(|outcome| Event::Decided {
            outcome,
            by: addr(HANDLER),
            referred: outcome.needs_referral()
        }),
        Just(Event::Closed { by: None }),
        Just(Event::Reopened { by: None }),
        Just(Event::Withdrawn { by: addr(HANDLER) }),
        Just(Event::StaffAnswer {
            by: addr(HANDLER),
            message_id: "<s>".into(),
            relayed: true
        }),
        Just(Event::Bounced {
            message_id: "<b>".into(),
            original: None
        }),
        (1u32..9).prop_map(|n| Event::Linked {
            other: CaseRef::new("KL", 2026, n).unwrap()
        }),
        Just(Event::Alarm {
            reason: "smtp down".into()
        }),
        Just(Event::CommandRejected {
            by: addr(HANDLER),
            reason: Refusal::Command(CommandError::Repeated("#close".into()))
        }),
        Just(Event::Warned {
            warning: Warning::AnkenaevnEligible { weeks: 5 }
        }),
    ]
}

proptest! {
    #[test]
    fn replaying_the_timeline_gives_the_same_case(
        events in prop::collection::vec((1i64..200_000, event_strategy()), 0..40),
    ) {
        let mut life = Life::open(rules(), new_case(Jurisdiction::Dk, "2026-04-01T08:00:00Z"));
        let mut at = utc("2026-04-01T08:00:00Z");
        for (gap_seconds, event) in events {
            at += chrono::Duration::seconds(gap_seconds);
            if let Ok((case, _)) = apply(&life.case, &event, at, &life.rules) {
                life.case = case;
                life.timeline.push((at, event));
            }
            for deadline in deadlines(&life.case, &life.rules) {
                if deadline.due_at <= at {
                    let step = on_deadline(&life.case, &deadline.kind, at, &life.rules);
                    life.case = step.case;
                    life.timeline.extend(step.events.into_iter().map(|e| (at, e)));
                }
            }
        }
        prop_assert_eq!(replay(&life.case, &life.timeline, &life.rules), Ok(life.case.clone()));
    }
}
