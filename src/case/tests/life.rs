//! A case's life as staff and customers see it.

use super::*;

const RECEIVED: &str = "2026-04-01T08:00:00Z"; // Wednesday before Easter, 10:00 in Copenhagen

fn danish() -> Life {
    Life::open(rules(), new_case(Jurisdiction::Dk, RECEIVED))
}

#[test]
fn opening_acknowledges_and_tells_the_contact_person() {
    let rules = rules();
    let input = new_case(Jurisdiction::Dk, RECEIVED);
    let step = open(input, utc(RECEIVED), &rules);
    let case = &step.case;
    assert_eq!(case.status, Status::Received);
    // Easter (2, 3 and 6 April) is skipped.
    assert_eq!(case.acknowledge_due, ymd(2026, 4, 9));
    assert_eq!(case.answer_due, ymd(2026, 4, 27));
    // Ascension, the bank closing day after it and Whit Monday are skipped.
    assert_eq!(case.final_due, ymd(2026, 5, 28));
    assert_eq!(case.contact, Some(addr(HANDLER)));
    assert_eq!(case.category, Some(Category::Fees));
    assert_eq!(
        step.events.iter().map(Event::kind).collect::<Vec<_>>(),
        ["opened", "assigned", "category_set"]
    );
    assert_eq!(
        customer_mails(&step.actions),
        [&CustomerMail::Acknowledgement {
            contact: Some(addr(HANDLER)),
            answer_due: ymd(2026, 4, 27)
        }]
    );
    assert_eq!(
        staff_notices(&step.actions),
        [(HANDLER.to_string(), &StaffNotice::NewCase)]
    );
    let seqs: Vec<u32> = step.actions.iter().map(Action::seq).collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(case.next_message_seq, 3);
}

#[test]
fn acknowledgement_sent_moves_to_acknowledged_once() {
    let mut life = danish();
    life.apply(
        "2026-04-01T08:01:00Z",
        Event::AcknowledgementSent {
            message_id: "<a>".into(),
        },
    );
    life.apply(
        "2026-04-01T09:00:00Z",
        Event::AcknowledgementSent {
            message_id: "<a>".into(),
        },
    );
    assert_eq!(life.case.status, Status::Acknowledged);
    assert_eq!(life.case.acknowledged_at, Some(utc("2026-04-01T08:01:00Z")));
}

#[test]
fn a_decision_with_reasons_is_sent_with_the_referral() {
    let mut life = danish();
    let actions = life
        .staff_reply(
            "2026-04-10T09:00:00Z",
            HANDLER,
            "#decision rejected\n\nDear Ole, the fee is in the price list.",
        )
        .unwrap();
    assert_eq!(life.case.status, Status::Decided);
    assert_eq!(life.case.outcome, Some(Outcome::Rejected));
    assert!(life.case.referred);
    assert_eq!(
        customer_mails(&actions),
        [&CustomerMail::Decision {
            outcome: Outcome::Rejected,
            referral: true,
            by: addr(HANDLER)
        }]
    );
    // A second decision needs the case reopened first.
    let again = life.staff_reply("2026-04-13T09:00:00Z", HANDLER, "#decision upheld\nSorry.");
    assert_eq!(
        again.unwrap_err(),
        "the case was decided on 2026-04-10; reopen it with #open first"
    );
    life.staff_reply("2026-04-13T09:00:00Z", HANDLER, "#open")
        .unwrap();
    life.staff_reply(
        "2026-04-13T09:05:00Z",
        HANDLER,
        "#decision upheld\nWe refund the fee.",
    )
    .unwrap();
    assert_eq!(life.case.outcome, Some(Outcome::Upheld));
    assert!(!life.case.referred);
}

#[test]
fn decision_without_text_is_refused() {
    let mut life = danish();
    let err = life
        .staff_reply("2026-04-10T09:00:00Z", HANDLER, "#decision upheld\n")
        .unwrap_err();
    assert_eq!(err, "#decision needs the reasoned answer as text below it");
    assert_eq!(life.case.status, Status::Received);
}

#[test]
fn a_plain_staff_reply_is_relayed() {
    let mut life = danish();
    let actions = life
        .staff_reply(
            "2026-04-08T09:00:00Z",
            HANDLER,
            "Dear Ole,\nwe are looking into it.",
        )
        .unwrap();
    assert_eq!(
        customer_mails(&actions),
        [&CustomerMail::StaffAnswer {
            by: addr(HANDLER),
            message_id: "<s1@bank.dk>".into()
        }]
    );
    // A note is never sent.
    let actions = life
        .staff_reply(
            "2026-04-08T09:30:00Z",
            HANDLER,
            "#note\nCalled him, he is calm.",
        )
        .unwrap();
    assert!(actions.is_empty());
}

#[test]
fn extend_sends_a_holding_reply_within_35_business_days() {
    let mut life = danish();
    let actions = life
        .staff_reply(
            "2026-04-20T09:00:00Z",
            HANDLER,
            "#extend we await the card issuer's report",
        )
        .unwrap();
    assert_eq!(life.case.status, Status::OnHold);
    assert_eq!(life.case.answer_due, ymd(2026, 5, 28));
    assert_eq!(
        customer_mails(&actions),
        [&CustomerMail::HoldingReply {
            reason: "we await the card issuer's report".into(),
            new_due: ymd(2026, 5, 28)
        }]
    );
    // The law leaves no later date: a second #extend is refused, not repeated.
    let err = life
        .staff_reply("2026-05-04T09:00:00Z", HANDLER, "#extend still waiting")
        .unwrap_err();
    assert_eq!(
        err,
        "the answer is due 2026-05-28 already, the latest date the law allows; a holding reply cannot move it later"
    );
    assert_eq!(life.case.answer_due, ymd(2026, 5, 28));
    let mut life = danish();
    let err = life
        .staff_reply(
            "2026-04-20T09:00:00Z",
            HANDLER,
            "#extend 2026-05-29 more time",
        )
        .unwrap_err();
    assert_eq!(
        err,
        "2026-05-29 is after 2026-05-28, the latest date the law allows (35 business days after receipt)"
    );
    let err = life
        .staff_reply(
            "2026-04-20T09:00:00Z",
            HANDLER,
            "#extend 2026-05-14 more time",
        )
        .unwrap_err();
    assert_eq!(err, "2026-05-14 is not a working day");
    let due = life.case.answer_due;
    let err = life
        .staff_reply("2026-04-20T09:00:00Z", HANDLER, &format!("#extend {due} x"))
        .unwrap_err();
    assert_eq!(
        err,
        format!("{due} is not later than {due}, when the answer is due already")
    );
    life.staff_reply(
        "2026-04-20T09:00:00Z",
        HANDLER,
        "#extend 2026-05-12 more time",
    )
    .unwrap();
    assert_eq!(life.case.answer_due, ymd(2026, 5, 12));
}

#[test]
fn only_configured_staff_may_command_or_be_assigned() {
    let mut life = danish();
    let err = life
        .staff_reply("2026-04-08T09:00:00Z", "mallory@evil.example", "#close")
        .unwrap_err();
    assert_eq!(err, "mallory@evil.example is not a configured staff member");
    let err = life
        .staff_reply("2026-04-08T09:00:00Z", HANDLER, "#assign nobody@bank.dk")
        .unwrap_err();
    assert_eq!(err, "nobody@bank.dk is not a configured staff member");
    let actions = life
        .staff_reply("2026-04-08T09:00:00Z", HANDLER, "#assign Kari@Bank.NO")
        .unwrap();
    assert_eq!(life.case.contact, Some(addr(OTHER)));
    assert_eq!(
        staff_notices(&actions),
        [(
            OTHER.to_string(),
            &StaffNotice::Assigned {
                by: Some(addr(HANDLER))
            }
        )]
    );
}

#[test]
fn a_reply_with_one_impossible_command_changes_nothing() {
    let mut life = danish();
    let before = life.case.clone();
    let err = life
        .staff_reply(
            "2026-04-08T09:00:00Z",
            HANDLER,
            "#category card\n#extend 2026-06-30 later",
        )
        .unwrap_err();
    assert!(err.contains("the latest date the law allows"), "{err}");
    assert_eq!(life.case, before);
}

#[test]
fn the_customer_can_ask_for_the_complaints_manager() {
    let mut life = danish();
    let actions = life.apply(
        "2026-04-14T10:00:00Z",
        Event::EscalationRequested {
            message_id: "<m2@kunde.dk>".into(),
        },
    );
    assert_eq!(life.case.tier, Tier::ComplaintsManager);
    assert_eq!(life.case.escalated_at, Some(utc("2026-04-14T10:00:00Z")));
    assert_eq!(life.case.last_customer_message_id, "<m2@kunde.dk>");
    assert_eq!(
        customer_mails(&actions),
        [&CustomerMail::EscalationNotice {
            tier: Tier::ComplaintsManager,
            handler: Some(addr(MANAGER)),
            answer_due: ymd(2026, 4, 27)
        }]
    );
    let told: Vec<String> = staff_notices(&actions)
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(told, [MANAGER, HANDLER]);
}

#[test]
fn after_notcomplaint_nothing_goes_to_the_customer() {
    let mut life = danish();
    life.staff_reply("2026-04-02T09:00:00Z", HANDLER, "#notcomplaint")
        .unwrap();
    assert_eq!(life.case.status, Status::Withdrawn);
    let actions = life.apply(
        "2026-04-03T09:00:00Z",
        Event::EscalationRequested {
            message_id: "<m3>".into(),
        },
    );
    assert!(customer_mails(&actions).is_empty());
    assert_eq!(life.case.tier, Tier::ComplaintsDepartment);
    let err = life
        .staff_reply("2026-04-08T09:00:00Z", HANDLER, "#decision upheld\nYes.")
        .unwrap_err();
    assert!(err.contains("withdrawn"), "{err}");
    let err = life
        .staff_reply("2026-04-08T09:00:00Z", HANDLER, "Dear Ole, ...")
        .unwrap_err();
    assert!(err.contains("withdrawn"), "{err}");
    assert!(deadlines(&life.case, &life.rules).is_empty());
}

#[test]
fn bounces_and_follow_ups_reach_the_contact_person() {
    let mut life = danish();
    let bounced = Event::Bounced {
        message_id: "<dsn@mx>".into(),
        original: Some("<case-KL-2026-000007.1@x>".into()),
    };
    let actions = life.apply("2026-04-01T08:05:00Z", bounced);
    assert!(
        matches!(staff_notices(&actions)[..], [(ref to, StaffNotice::Bounce { .. })] if to == HANDLER)
    );
    let actions = life.apply(
        "2026-04-07T08:05:00Z",
        Event::CustomerMail {
            message_id: "<m9>".into(),
            subject: "Re".into(),
        },
    );
    assert!(
        matches!(staff_notices(&actions)[..], [(ref to, StaffNotice::CustomerFollowUp { .. })] if to == HANDLER)
    );
    assert_eq!(life.case.last_customer_message_id, "<m9>");
}

#[test]
fn links_are_kept_once() {
    let mut life = danish();
    let other = CaseRef::new("KL", 2026, 3).unwrap();
    life.apply(
        "2026-04-07T08:05:00Z",
        Event::Linked {
            other: other.clone(),
        },
    );
    life.apply(
        "2026-04-07T08:06:00Z",
        Event::Linked {
            other: other.clone(),
        },
    );
    assert_eq!(life.case.related, [other]);
}

#[test]
fn a_mistyped_command_is_recorded_and_its_sender_told_why() {
    let life = danish();
    let now = utc("2026-04-08T09:00:00Z");
    let worked = work_staff_reply(
        &life.case,
        "#decison upheld\nYes.",
        &addr(HANDLER),
        "<s2>",
        now,
        &life.rules,
    );
    let reason = Refusal::Command(CommandError::Unknown {
        word: "decison".into(),
        suggestion: Some("#decision".into()),
    });
    assert_eq!(
        reason.to_string(),
        "unknown command #decison (did you mean #decision?)"
    );
    assert_eq!(worked.rejected.as_ref(), Some(&reason));
    assert_eq!(
        worked.step.events,
        [Event::CommandRejected {
            by: addr(HANDLER),
            reason: reason.clone()
        }]
    );
    assert_eq!(
        staff_notices(&worked.step.actions),
        [(
            HANDLER.to_string(),
            &StaffNotice::CommandRejected { reason }
        )]
    );
    assert_eq!(worked.step.case.status, life.case.status);
    assert!(customer_mails(&worked.step.actions).is_empty());
}

#[test]
fn a_stranger_s_commands_change_nothing_and_get_no_answer() {
    let life = danish();
    let now = utc("2026-04-08T09:00:00Z");
    let worked = work_staff_reply(
        &life.case,
        "#close",
        &addr("mallory@evil.example"),
        "<x>",
        now,
        &life.rules,
    );
    assert!(worked.rejected.is_some());
    assert!(worked.step.events.is_empty() && worked.step.actions.is_empty());
    assert_eq!(worked.step.case, life.case);
}

#[test]
fn a_worked_decision_keeps_the_reasoned_text_for_the_mail() {
    let life = danish();
    let now = utc("2026-04-08T09:00:00Z");
    let text = "#category fees\n#decision partial\n\nDear Ole, we refund half the fee because ...";
    let worked = work_staff_reply(&life.case, text, &addr(HANDLER), "<s3>", now, &life.rules);
    assert_eq!(worked.rejected, None);
    assert_eq!(worked.step.case.outcome, Some(Outcome::PartiallyUpheld));
    assert_eq!(
        worked.reply.map(|r| r.body).as_deref(),
        Some("Dear Ole, we refund half the fee because ...")
    );
    let kinds: Vec<&str> = worked.step.events.iter().map(Event::kind).collect();
    assert_eq!(kinds, ["category_set", "decided"]);
}

#[test]
fn a_new_address_takes_later_mail_and_the_text_below_goes_there() {
    let mut life = Life::open(rules(), new_case(Jurisdiction::Dk, "2026-04-01T08:00:00Z"));
    let actions = life
        .staff_reply(
            "2026-04-02T09:00:00Z",
            HANDLER,
            "#address ole.hansen@ny-udbyder.dk\nHej Ole\n\nHer er vores kvittering igen.",
        )
        .unwrap();
    assert_eq!(life.case.customer, addr("ole.hansen@ny-udbyder.dk"));
    assert_eq!(
        customer_mails(&actions),
        [&CustomerMail::StaffAnswer {
            by: addr(HANDLER),
            message_id: "<s1@bank.dk>".into()
        }],
        "the text below the command is relayed, to the new address"
    );
    assert!(matches!(
        life.timeline.last(),
        Some((_, Event::CustomerAddressChanged { .. }))
    ));
    // Replaying the timeline gives the same address.
    assert_eq!(life.replayed().customer, life.case.customer);
}

#[test]
fn a_manual_acknowledgement_is_recorded_once() {
    let mut life = Life::open(rules(), new_case(Jurisdiction::Dk, "2026-04-01T08:00:00Z"));
    assert_eq!(life.case.status, Status::Received);
    let actions = life
        .staff_reply("2026-04-02T09:00:00Z", HANDLER, "#acknowledged")
        .unwrap();
    assert!(actions.is_empty(), "nothing is sent: {actions:?}");
    assert_eq!(life.case.status, Status::Acknowledged);
    assert_eq!(life.case.acknowledged_at, Some(utc("2026-04-02T09:00:00Z")));
    // With the acknowledgement recorded, the alarm no longer fires.
    assert!(
        !deadlines(&life.case, &life.rules)
            .iter()
            .any(|d| matches!(d.kind, DeadlineKind::AcknowledgementAlarm { .. }))
    );
    let again = life.staff_reply("2026-04-02T10:00:00Z", HANDLER, "#acknowledged");
    assert_eq!(again.unwrap_err(), "the complaint was acknowledged already");
}

#[test]
fn a_legal_hold_is_recorded_and_nothing_goes_to_the_customer() {
    let life = danish();
    let now = utc("2026-04-08T09:00:00Z");
    let text = "#hold the customer has gone to court\n\nCase 12/2026 at the city court.";
    let worked = work_staff_reply(&life.case, text, &addr(HANDLER), "<h1>", now, &life.rules);
    assert_eq!(worked.rejected, None);
    assert_eq!(
        worked.step.events,
        vec![Event::LegalHold {
            by: addr(HANDLER),
            reason: "the customer has gone to court".into()
        }]
    );
    assert!(worked.step.actions.is_empty(), "{:?}", worked.step.actions);
    assert_eq!(worked.step.case, life.case, "a hold changes no state");
    let released = work_staff_reply(
        &life.case,
        "#unhold",
        &addr(HANDLER),
        "<h2>",
        now,
        &life.rules,
    );
    assert_eq!(
        released.step.events,
        vec![Event::LegalHoldReleased { by: addr(HANDLER) }]
    );
}
