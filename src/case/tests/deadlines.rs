//! Deadlines: the dates the law sets, counted by hand across the feasts of all three
//! countries and the changes of summer time, and what each deadline does when it fires.

use super::*;

use Jurisdiction::{Dk, No, Se};

/// (jurisdiction, received at (UTC), acknowledgement due, answer due), each counted by hand.
type Ymd = (i32, u32, u32);

const DUE_DATES: &[(Jurisdiction, &str, Ymd, Ymd)] = &[
    // Easter 2026: DK/NO skip 2, 3 and 6 April.
    (Dk, "2026-04-01T08:00:00Z", (2026, 4, 9), (2026, 4, 27)),
    // Midsummer Eve 2026 (Friday 19 June), received 15:00 local: same day.
    (Se, "2026-06-18T13:00:00Z", (2026, 6, 24), (2026, 7, 10)),
    // ... at 16:30 local, after the cut-off: counts from Monday 22 June.
    (Se, "2026-06-18T14:30:00Z", (2026, 6, 25), (2026, 7, 13)),
    // Saturday before 17 May 2027, which is also Whit Monday: day 0 is Tuesday 18 May.
    (No, "2027-05-15T10:00:00Z", (2027, 5, 21), (2027, 6, 8)),
    // 22 Dec 2026 17:00 local: day 0 is 23 Dec; 24-26 Dec, 31 Dec and 1 Jan skipped.
    (Dk, "2026-12-22T16:00:00Z", (2026, 12, 30), (2027, 1, 19)),
    // New Year: Norway closes 31 Dec (default); Sweden also Epiphany.
    (No, "2026-12-30T09:00:00Z", (2027, 1, 6), (2027, 1, 22)),
    (Se, "2026-12-30T09:00:00Z", (2027, 1, 7), (2027, 1, 25)),
    // The Sunday summer time starts, then Easter 2026.
    (Dk, "2026-03-29T08:00:00Z", (2026, 4, 7), (2026, 4, 23)),
    // One minute either side of the 16:00 cut-off on the last winter-time Friday.
    (Dk, "2026-03-27T14:59:00Z", (2026, 4, 1), (2026, 4, 22)),
    (Dk, "2026-03-27T15:01:00Z", (2026, 4, 7), (2026, 4, 23)),
    // Ascension 2027: Denmark also closes the Friday after.
    (Dk, "2027-05-05T08:00:00Z", (2027, 5, 12), (2027, 5, 31)),
    (No, "2027-05-05T08:00:00Z", (2027, 5, 11), (2027, 5, 28)),
    (Se, "2027-05-05T08:00:00Z", (2027, 5, 11), (2027, 5, 27)),
    // Easter 2029 (1 April): Maundy Thursday is a working day in Sweden.
    (Dk, "2029-03-27T10:00:00Z", (2029, 4, 4), (2029, 4, 20)),
    (Se, "2029-03-27T10:00:00Z", (2029, 4, 3), (2029, 4, 19)),
];

#[test]
fn due_dates_across_holidays_and_dst() {
    let rules = rules();
    for (j, received, ack, answer) in DUE_DATES {
        let due = rules.due_dates(*j, utc(received));
        let want = (ymd(ack.0, ack.1, ack.2), ymd(answer.0, answer.1, answer.2));
        assert_eq!(
            (due.acknowledge_due, due.answer_due),
            want,
            "{j} received {received}"
        );
    }
}

fn kinds_and_times(case: &Case, rules: &Rules) -> Vec<(String, DateTime<Utc>)> {
    deadlines(case, rules)
        .into_iter()
        .map(|d| (d.kind.key(), d.due_at))
        .collect()
}

#[test]
fn a_new_danish_case_has_these_deadlines() {
    let life = Life::open(rules(), new_case(Dk, "2026-04-01T08:00:00Z"));
    let got = kinds_and_times(&life.case, &life.rules);
    let want = [
        // End of business (16:00 CEST) the working day before the acknowledgement is due.
        ("acknowledgement-alarm-2026-04-09", "2026-04-08T14:00:00Z"),
        // 08:00 CEST, 5 and 2 working days before 27 April.
        ("reminder-5-2026-04-27", "2026-04-20T06:00:00Z"),
        // The prompt to send a holding reply if the answer cannot come in time.
        ("holding-prompt-2026-04-27", "2026-04-22T06:00:00Z"),
        ("reminder-2-2026-04-27", "2026-04-23T06:00:00Z"),
        ("due-today-2026-04-27", "2026-04-27T06:00:00Z"),
        ("breach-2026-04-27", "2026-04-27T14:00:00Z"),
        ("ankenaevn", "2026-05-06T08:00:00Z"),
    ];
    let want: Vec<(String, DateTime<Utc>)> =
        want.iter().map(|(k, t)| (k.to_string(), utc(t))).collect();
    assert_eq!(got, want);
}

#[test]
fn winter_time_deadlines_fall_an_hour_later_in_utc() {
    // Received Monday 26 October 2026, the day after summer time ended (CET, UTC+1).
    let life = Life::open(rules(), new_case(No, "2026-10-26T09:00:00Z"));
    let got = kinds_and_times(&life.case, &life.rules);
    assert_eq!(
        got[0],
        (
            "acknowledgement-alarm-2026-10-29".into(),
            utc("2026-10-28T15:00:00Z")
        )
    );
    assert_eq!(
        got.last().unwrap(),
        &("breach-2026-11-16".into(), utc("2026-11-16T15:00:00Z"))
    );
    assert!(
        !got.iter().any(|(k, _)| k == "ankenaevn"),
        "only Denmark has the Ankenævn rule"
    );
}

#[test]
fn keys_name_their_kind() {
    let d = ymd(2027, 1, 8);
    for kind in [
        DeadlineKind::Reminder {
            working_days_left: 5,
            answer_due: d,
        },
        DeadlineKind::Reminder {
            working_days_left: 12,
            answer_due: d,
        },
        DeadlineKind::AcknowledgementAlarm { due: d },
        DeadlineKind::AnswerDueToday { answer_due: d },
        DeadlineKind::Breach { answer_due: d },
        DeadlineKind::HoldingReplyPrompt { answer_due: d },
        DeadlineKind::AutomaticHoldingReply { answer_due: d },
        DeadlineKind::Ankenaevn,
    ] {
        assert_eq!(
            DeadlineKind::from_key(&kind.key()),
            Some(kind),
            "{}",
            kind.key()
        );
    }
    assert_eq!(DeadlineKind::from_key("reminder-x-2027-01-08"), None);
    assert_eq!(DeadlineKind::from_key("breach-2027-13-08"), None);
}

fn reminder(n: u32, due: NaiveDate) -> DeadlineKind {
    DeadlineKind::Reminder {
        working_days_left: n,
        answer_due: due,
    }
}

#[test]
fn a_reminder_reaches_the_contact_person_until_the_case_is_decided() {
    let mut life = Life::open(rules(), new_case(Dk, "2026-04-01T08:00:00Z"));
    let step = life.fire("2026-04-20T06:00:00Z", reminder(5, ymd(2026, 4, 27)));
    assert_eq!(
        step.events,
        [Event::ReminderSent {
            to: addr(HANDLER),
            working_days_left: 5
        }]
    );
    assert_eq!(
        staff_notices(&step.actions),
        [(
            HANDLER.to_string(),
            &StaffNotice::Reminder {
                working_days_left: 5,
                answer_due: ymd(2026, 4, 27)
            }
        )]
    );
    life.staff_reply(
        "2026-04-21T09:00:00Z",
        HANDLER,
        "#decision upheld\nWe refund the fee.",
    )
    .unwrap();
    let step = life.fire("2026-04-23T06:00:00Z", reminder(2, ymd(2026, 4, 27)));
    assert!(step.events.is_empty() && step.actions.is_empty());
    assert!(deadlines(&life.case, &life.rules).is_empty());
}

#[test]
fn a_holding_reply_retires_the_old_deadlines_and_sets_new_ones() {
    let mut life = Life::open(rules(), new_case(Dk, "2026-04-01T08:00:00Z"));
    life.staff_reply(
        "2026-04-21T09:00:00Z",
        HANDLER,
        "#extend waiting for the card issuer",
    )
    .unwrap();
    let step = life.fire("2026-04-23T06:00:00Z", reminder(2, ymd(2026, 4, 27)));
    assert!(step.events.is_empty());
    let step = life.fire(
        "2026-04-27T14:00:00Z",
        DeadlineKind::Breach {
            answer_due: ymd(2026, 4, 27),
        },
    );
    assert!(step.events.is_empty());
    let keys: Vec<String> = deadlines(&life.case, &life.rules)
        .iter()
        .map(|d| d.kind.key())
        .collect();
    assert!(
        keys.contains(&"reminder-5-2026-05-28".to_string()),
        "{keys:?}"
    );
    assert!(keys.contains(&"breach-2026-05-28".to_string()), "{keys:?}");
}

#[test]
fn the_acknowledgement_alarm_only_fires_while_it_is_unsent() {
    let mut life = Life::open(rules(), new_case(Dk, "2026-04-01T08:00:00Z"));
    let kind = DeadlineKind::AcknowledgementAlarm {
        due: ymd(2026, 4, 9),
    };
    let step = on_deadline(&life.case, &kind, utc("2026-04-08T14:00:00Z"), &life.rules);
    assert_eq!(
        step.events,
        [Event::Warned {
            warning: Warning::AcknowledgementUnsent {
                due: ymd(2026, 4, 9)
            }
        }]
    );
    let told: Vec<String> = staff_notices(&step.actions)
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(told, [MANAGER, HANDLER]);
    life.apply(
        "2026-04-08T10:00:00Z",
        Event::AcknowledgementSent {
            message_id: "<a>".into(),
        },
    );
    assert!(life.fire("2026-04-08T14:00:00Z", kind).events.is_empty());
}

#[test]
fn a_breach_escalates_to_the_complaints_manager_once() {
    let mut life = Life::open(rules(), new_case(Dk, "2026-04-01T08:00:00Z"));
    let due = ymd(2026, 4, 27);
    let warn = life.fire(
        "2026-04-27T06:00:00Z",
        DeadlineKind::AnswerDueToday { answer_due: due },
    );
    assert_eq!(
        warn.events,
        [Event::Warned {
            warning: Warning::AnswerDueToday { due }
        }]
    );
    let step = life.fire(
        "2026-04-27T14:00:00Z",
        DeadlineKind::Breach { answer_due: due },
    );
    assert!(matches!(
        step.events[..],
        [Event::Escalated {
            tier: Tier::ComplaintsManager,
            ..
        }]
    ));
    assert_eq!(life.case.tier, Tier::ComplaintsManager);
    assert_eq!(life.case.escalated_at, Some(utc("2026-04-27T14:00:00Z")));
    let told: Vec<String> = staff_notices(&step.actions)
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(told, [MANAGER, HANDLER]);
}

#[test]
fn the_policy_can_send_the_holding_reply_on_the_due_day() {
    let policy = crate::config::Policy {
        auto_holding_reply: true,
        auto_holding_reason: reasons(),
        ..Default::default()
    };
    let mut life = Life::open(rules_with(policy), new_case(Dk, "2026-04-01T08:00:00Z"));
    let due = ymd(2026, 4, 27);
    let keys: Vec<String> = deadlines(&life.case, &life.rules)
        .iter()
        .map(|d| d.kind.key())
        .collect();
    assert!(
        keys.contains(&"holding-reply-2026-04-27".to_string()),
        "{keys:?}"
    );
    // Whichever of the two morning deadlines fires first, the customer gets one holding reply.
    assert!(
        life.fire(
            "2026-04-27T06:00:00Z",
            DeadlineKind::AnswerDueToday { answer_due: due }
        )
        .events
        .is_empty()
    );
    let step = life.fire(
        "2026-04-27T06:00:00Z",
        DeadlineKind::AutomaticHoldingReply { answer_due: due },
    );
    assert_eq!(
        customer_mails(&step.actions),
        [&CustomerMail::HoldingReply {
            reason: "Vi venter på kortudstederens redegørelse (fees).".into(),
            new_due: ymd(2026, 5, 28)
        }]
    );
    assert_eq!(
        staff_notices(&step.actions),
        [(
            HANDLER.to_string(),
            &StaffNotice::AutomaticHoldingReply {
                new_due: ymd(2026, 5, 28)
            }
        )]
    );
    assert_eq!(life.case.status, Status::OnHold);
    let again = life.fire(
        "2026-04-27T06:00:01Z",
        DeadlineKind::AutomaticHoldingReply { answer_due: due },
    );
    assert!(again.events.is_empty());
}

#[test]
fn denmark_warns_when_the_customer_may_go_to_the_ankenaevn() {
    let mut life = Life::open(rules(), new_case(Dk, "2026-04-01T08:00:00Z"));
    let step = life.fire("2026-05-06T08:00:00Z", DeadlineKind::Ankenaevn);
    assert_eq!(
        step.events,
        [Event::Warned {
            warning: Warning::AnkenaevnEligible { weeks: 5 }
        }]
    );
    let mut norwegian = Life::open(rules(), new_case(No, "2026-04-01T08:00:00Z"));
    assert!(
        norwegian
            .fire("2026-05-06T08:00:00Z", DeadlineKind::Ankenaevn)
            .events
            .is_empty()
    );
}

/// A configured reason for every category and language, naming its key.
fn reasons() -> std::collections::BTreeMap<String, std::collections::BTreeMap<Language, String>> {
    let keys = crate::domain::Category::ALL.map(|c| c.code().to_string());
    keys.into_iter()
        .chain(["uncategorised".to_string()])
        .map(|key| {
            let texts = Language::ALL.map(|l| {
                let text = match l {
                    Language::Da => format!("Vi venter på kortudstederens redegørelse ({key})."),
                    _ => format!("Waiting for the card issuer ({key}, {l})."),
                };
                (l, text)
            });
            (key, texts.into_iter().collect())
        })
        .collect()
}

#[test]
fn staff_are_prompted_to_send_a_holding_reply_before_the_answer_is_due() {
    let mut life = Life::open(rules(), new_case(Dk, "2026-04-01T08:00:00Z"));
    let due = ymd(2026, 4, 27);
    let prompt = deadlines(&life.case, &life.rules)
        .into_iter()
        .find(|d| d.kind == DeadlineKind::HoldingReplyPrompt { answer_due: due })
        .expect("a prompt before the answer is due");
    // Three working days before 27 April 2026: Wednesday 22 April, 06:00 local.
    assert_eq!(prompt.due_at, utc("2026-04-22T06:00:00Z"));
    let step = life.fire(
        "2026-04-22T06:00:00Z",
        DeadlineKind::HoldingReplyPrompt { answer_due: due },
    );
    assert_eq!(
        staff_notices(&step.actions),
        [(
            HANDLER.to_string(),
            &StaffNotice::Warning {
                warning: Warning::HoldingReplyDue { due }
            }
        )],
        "the prompt goes to whoever works the case, not to the manager"
    );
    // Once a holding reply went out, there is nothing to prompt for.
    let extended = Event::HoldingReply {
        reason: "Vi venter på kortudstederen.".into(),
        new_due: ymd(2026, 5, 20),
        by: Some(crate::domain::EmailAddress::parse(HANDLER).unwrap()),
    };
    life.apply("2026-04-22T09:00:00Z", extended);
    assert!(
        !deadlines(&life.case, &life.rules)
            .iter()
            .any(|d| matches!(d.kind, DeadlineKind::HoldingReplyPrompt { .. })),
        "no prompt after a holding reply"
    );
    let late = life.fire(
        "2026-04-22T10:00:00Z",
        DeadlineKind::HoldingReplyPrompt { answer_due: due },
    );
    assert!(late.events.is_empty());
}

#[test]
fn without_a_configured_reason_no_automatic_holding_reply_is_sent() {
    let policy = crate::config::Policy {
        auto_holding_reply: true,
        ..Default::default()
    };
    let mut life = Life::open(rules_with(policy), new_case(Dk, "2026-04-01T08:00:00Z"));
    let due = ymd(2026, 4, 27);
    let step = life.fire(
        "2026-04-27T06:00:00Z",
        DeadlineKind::AutomaticHoldingReply { answer_due: due },
    );
    assert!(step.events.is_empty(), "no generic reason of our own");
    // The manager is warned on the due day instead.
    let warned = life.fire(
        "2026-04-27T06:00:00Z",
        DeadlineKind::AnswerDueToday { answer_due: due },
    );
    assert_eq!(
        warned.events,
        [Event::Warned {
            warning: Warning::AnswerDueToday { due }
        }]
    );
}
