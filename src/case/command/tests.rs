//! Tests of `#command` parsing: what a staff member writes, what happens.

use super::*;

fn parsed(text: &str) -> StaffReply {
    parse_commands(text).unwrap()
}

fn error(text: &str) -> String {
    parse_commands(text).unwrap_err().to_string()
}

#[test]
fn a_plain_answer_has_no_commands() {
    let reply = parsed("\n\nDear Ole,\n\nwe have refunded the fee.\n");
    assert!(reply.commands.is_empty());
    assert_eq!(reply.body, "Dear Ole,\n\nwe have refunded the fee.");
}

#[test]
fn decision_with_reasoned_text_below() {
    let reply =
        parsed("#decision rejected\r\n\r\nDear Ole,\r\nthe fee follows the price list.\r\n");
    assert_eq!(
        reply.commands,
        vec![StaffCommand::Decision {
            outcome: Outcome::Rejected
        }]
    );
    assert_eq!(reply.body, "Dear Ole,\nthe fee follows the price list.");
    for (word, outcome) in [
        ("upheld", Outcome::Upheld),
        ("Partial", Outcome::PartiallyUpheld),
        ("partially upheld", Outcome::PartiallyUpheld),
        ("REJECTED", Outcome::Rejected),
    ] {
        let reply = parsed(&format!("#decision {word}\nText"));
        assert_eq!(reply.commands, vec![StaffCommand::Decision { outcome }]);
    }
}

#[test]
fn several_commands_each_on_its_own_line() {
    let reply = parsed(
        "#category fees\n#assign Kari.Nordmann@Example.NO\n#note called the customer\nShe will send the receipt.",
    );
    assert_eq!(reply.commands.len(), 3);
    assert_eq!(
        reply.commands[0],
        StaffCommand::Category {
            category: Category::Fees
        }
    );
    assert_eq!(
        reply.commands[1],
        StaffCommand::Assign {
            to: EmailAddress::parse("Kari.Nordmann@example.no").unwrap()
        }
    );
    assert_eq!(
        reply.commands[2],
        StaffCommand::Note {
            text: "called the customer".into()
        }
    );
    assert_eq!(reply.body, "She will send the receipt.");
}

#[test]
fn extend_takes_a_reason_and_an_optional_date() {
    assert_eq!(
        parsed("#extend waiting for the card issuer").commands,
        vec![StaffCommand::Extend {
            until: None,
            reason: "waiting for the card issuer".into()
        }]
    );
    assert_eq!(
        parsed("#extend 2027-01-08 waiting for the card issuer").commands,
        vec![StaffCommand::Extend {
            until: NaiveDate::from_ymd_opt(2027, 1, 8),
            reason: "waiting for the card issuer".into()
        }]
    );
    assert!(error("#extend").contains("reason for the delay"));
    assert!(error("#extend 2027-01-08").contains("reason for the delay"));
}

#[test]
fn bare_commands() {
    assert_eq!(parsed("#close").commands, vec![StaffCommand::Close]);
    assert_eq!(parsed("#OPEN\n").commands, vec![StaffCommand::Open]);
    assert_eq!(
        parsed("#notcomplaint").commands,
        vec![StaffCommand::NotComplaint]
    );
    assert_eq!(
        parsed("#not-complaint").commands,
        vec![StaffCommand::NotComplaint]
    );
    assert_eq!(
        error("#close please"),
        "#close takes nothing after it on its line (found \"please\")"
    );
}

#[test]
fn typos_are_errors_that_say_what_was_meant() {
    assert_eq!(
        error("#decison upheld\ntext"),
        "unknown command #decison (did you mean #decision?)"
    );
    assert_eq!(
        error("#asign a@b.dk"),
        "unknown command #asign (did you mean #assign?)"
    );
    assert_eq!(
        error("#notcomplant"),
        "unknown command #notcomplant (did you mean #notcomplaint?)"
    );
    assert_eq!(error("#frobnicate"), "unknown command #frobnicate");
    assert_eq!(
        error("#decision rejcted\ntext"),
        "#decision: \"rejcted\" is not upheld, partial or rejected (did you mean rejected?)"
    );
    assert!(error("#decision").contains("upheld, partial or rejected"));
    assert!(error("#category feez").contains("did you mean fees?"));
    assert!(error("#assign kari").contains("is not an email address"));
}

#[test]
fn repeated_and_contradicting_commands_are_refused() {
    assert_eq!(error("#close\n#close"), "#close is given twice");
    assert_eq!(
        error("#close\n#open"),
        "#close and #open cannot be used together"
    );
    assert_eq!(
        error("#decision upheld\n#notcomplaint\ntext"),
        "#decision and #notcomplaint cannot be used together"
    );
}

#[test]
fn commands_only_count_at_the_top() {
    let reply = parsed("Dear Ole,\n#decision upheld\n");
    assert!(reply.commands.is_empty());
    assert_eq!(reply.body, "Dear Ole,\n#decision upheld");
    // Blank lines between commands do not hide the later ones.
    let reply = parsed("#category card\n\n#close\n\nThanks for your patience.");
    assert_eq!(reply.commands.len(), 2);
    assert_eq!(reply.body, "Thanks for your patience.");
}

#[test]
fn address_and_acknowledged_record_what_happened_outside_klagebot() {
    let reply = parsed("#address Ole.Sorensen@Example.NET\nHej Ole, her er vores svar igen.");
    assert_eq!(
        reply.commands,
        vec![StaffCommand::Address {
            to: EmailAddress::parse("Ole.Sorensen@example.net").unwrap()
        }]
    );
    assert_eq!(reply.body, "Hej Ole, her er vores svar igen.");
    assert!(error("#address").contains("the customer's new address"));
    assert!(error("#address ole at example").contains("an email address"));
    assert_eq!(
        parsed("#acknowledged").commands,
        vec![StaffCommand::Acknowledged]
    );
    assert_eq!(
        parsed("#acknowledge").commands,
        vec![StaffCommand::Acknowledged]
    );
    assert!(error("#acknowledged by phone").contains("takes nothing after it"));
    assert!(error("#adress x@y.dk").contains("did you mean #address"));
}

#[test]
fn hold_needs_its_reason_and_unhold_stands_alone() {
    let reply = parsed("#hold the customer has gone to court\nInternal: case no. 12/2026");
    assert_eq!(
        reply.commands,
        vec![StaffCommand::Hold {
            reason: "the customer has gone to court".into()
        }]
    );
    assert_eq!(parsed("#unhold").commands, vec![StaffCommand::Unhold]);
    assert!(error("#hold").contains("the reason for the legal hold"));
    assert!(error("#unhold now").contains("takes nothing after it"));
    assert!(error("#hold x\n#unhold").contains("cannot be used together"));
    assert!(error("#unhlod").contains("did you mean #unhold"));
}

#[test]
fn related_unrelated_cause_and_measure() {
    let other: CaseRef = "KL-2026-000098".parse().unwrap();
    assert_eq!(
        parsed("#related KL-2026-000098").commands,
        vec![StaffCommand::Related {
            other: other.clone()
        }]
    );
    assert_eq!(
        parsed("#unrelated [KL-2026-000098]").commands,
        vec![StaffCommand::Unrelated {
            other: other.clone()
        }]
    );
    assert!(error("#related").contains("the other case's reference"));
    assert!(error("#related the fee one").contains("a case reference"));
    assert!(
        error("#related KL-2026-000098\n#unrelated KL-2026-000098")
            .contains("cannot be used together")
    );

    assert_eq!(
        parsed("#cause the fee run of 1 December ran twice").commands,
        vec![StaffCommand::Cause {
            text: "the fee run of 1 December ran twice".into(),
            from: None
        }]
    );
    assert_eq!(
        parsed("#cause KL-2026-000098").commands,
        vec![StaffCommand::Cause {
            text: "KL-2026-000098".into(),
            from: Some(other)
        }]
    );
    assert!(error("#cause").contains("the root cause"));

    let measure = |text: &str| match parsed(text).commands.as_slice() {
        [StaffCommand::Measure { measure }] => measure.clone(),
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        measure("#measure routine fee runs are checked by two people"),
        Measure {
            kind: MeasureKind::Routine,
            text: "fee runs are checked by two people".into()
        }
    );
    assert_eq!(measure("#measure oplæring").kind, MeasureKind::Training);
    assert_eq!(
        measure("#measure Utbildning: kurs i avgifter").kind,
        MeasureKind::Training
    );
    assert_eq!(measure("#measure ingen").kind, MeasureKind::None);
    assert_eq!(measure("#measure praksis").kind, MeasureKind::Practice);
    assert!(error("#measure").contains("routine, practice, training, other or none"));
    assert!(error("#measure rutinee").contains("did you mean routine"));
    assert!(error("#casue x").contains("did you mean #cause"));
}
