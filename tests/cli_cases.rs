//! `klagebot cases`, `case` and `report` as a user runs them: against a SQLite
//! database filled through the store, checking what they print.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{NaiveDate, TimeZone, Utc};
use klagebot::case::{Case, Event, Measure, MeasureKind, Outcome, Status, Tier};
use klagebot::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};
use klagebot::store::{NewOutgoing, Store};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn case(n: u32, answer_due: NaiveDate) -> Case {
    let received_at = Utc.with_ymd_and_hms(2026, 6, n, 14, 30, 0).unwrap();
    Case {
        reference: CaseRef::new("KL", 2026, n).unwrap(),
        status: Status::Acknowledged,
        tier: Tier::ComplaintsDepartment,
        mailbox: "klage".into(),
        jurisdiction: Jurisdiction::Dk,
        language: Language::Da,
        category: Some(Category::Card),
        customer: EmailAddress::parse("kunde@example.dk").unwrap(),
        customer_name: Some("Søren Ærø".into()),
        subject: format!("Kortet virker ikke, sag {n}"),
        contact: Some(EmailAddress::parse("mette@bank.dk").unwrap()),
        received_at,
        acknowledge_due: answer_due,
        answer_due,
        final_due: answer_due,
        acknowledged_at: Some(received_at),
        holding_reply_at: None,
        decided_at: None,
        outcome: None,
        closed_at: None,
        escalated_at: None,
        referred: false,
        related: vec![],
        customer_message_id: format!("<c{n}@example.dk>"),
        last_customer_message_id: format!("<c{n}@example.dk>"),
        next_message_seq: 2,
        cause: None,
        measure: None,
    }
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("klagebot.toml");
    let text = format!(
        "[company]\nname = \"Testbanken\"\ndomain = \"bank.dk\"\n\
         complaint_address = \"klage@bank.dk\"\n\n[database]\nurl = \"sqlite://{}\"\n\n\
         [[staff]]\nname = \"Mette Jensen\"\nemail = \"mette@bank.dk\"\nrole = \"handler\"\n",
        dir.join("kb.db").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

async fn fill(dir: &Path) {
    let store = Store::connect(&format!("sqlite://{}", dir.join("kb.db").display()))
        .await
        .unwrap();
    let overdue = case(1, date(2026, 6, 22));
    let mut decided = case(2, date(2099, 1, 1));
    decided.status = Status::Decided;
    decided.decided_at = Some(Utc.with_ymd_and_hms(2026, 6, 10, 9, 0, 0).unwrap());
    decided.outcome = Some(Outcome::Rejected);
    decided.referred = true;
    decided.cause = Some("=the fee run ran twice".into());
    decided.measure = Some(Measure {
        kind: MeasureKind::Routine,
        text: "fee runs are checked by two people".into(),
    });
    let open = case(3, date(2099, 1, 1));
    let mut tx = store.begin().await.unwrap();
    for c in [&overdue, &decided, &open] {
        tx.insert_case(c).await.unwrap();
    }
    let opened = Event::Opened {
        message_id: "<c1@example.dk>".into(),
        from: overdue.customer.clone(),
        subject: overdue.subject.clone(),
        by: None,
    };
    tx.append_event(&overdue.reference, overdue.received_at, &opened)
        .await
        .unwrap();
    let note = Event::Note {
        by: EmailAddress::parse("mette@bank.dk").unwrap(),
        text: "Ringet op".into(),
    };
    tx.append_event(
        &overdue.reference,
        Utc.with_ymd_and_hms(2026, 6, 2, 8, 0, 0).unwrap(),
        &note,
    )
    .await
    .unwrap();
    tx.enqueue(&NewOutgoing {
        case_ref: Some(overdue.reference.clone()),
        kind: "acknowledgement".into(),
        message_id: "<case-KL-2026-000001.1@bank.dk>".into(),
        envelope_from: "klage@bank.dk".into(),
        recipients: vec!["kunde@example.dk".into()],
        raw: b"Subject: x\r\n\r\nx".to_vec(),
        not_before: overdue.received_at,
    })
    .await
    .unwrap();
    // Case 3 was found to be about the same matter as case 2.
    let link = klagebot::related::Match {
        reference: decided.reference.clone(),
        received_at: decided.received_at,
        score: 0.42,
        reason: "shared: amount 49, date 06-01, fee".into(),
        labels: vec![],
    };
    tx.insert_links(&open.reference, &[link], open.received_at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
}

fn klagebot(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[tokio::test]
async fn read_commands_show_what_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    fill(dir.path()).await;

    let all = stdout(&klagebot(&config, &["cases"]));
    assert!(
        all.contains("KL-2026-000001") && all.contains("KL-2026-000002"),
        "{all}"
    );
    assert!(all.contains("acknowledged (OVERDUE)"), "{all}");
    let open = stdout(&klagebot(&config, &["cases", "--open", "--json"]));
    let refs: Vec<String> = open
        .lines()
        .map(|l| {
            serde_json::from_str::<Case>(l)
                .unwrap()
                .reference
                .to_string()
        })
        .collect();
    assert_eq!(refs, ["KL-2026-000001", "KL-2026-000003"]);
    let overdue = stdout(&klagebot(&config, &["cases", "--overdue"]));
    assert!(
        overdue.contains("KL-2026-000001") && !overdue.contains("KL-2026-000003"),
        "{overdue}"
    );

    let shown = stdout(&klagebot(&config, &["case", "KL-2026-000001"]));
    assert!(
        shown.contains("2026-06-01 16:30 CEST"),
        "received in Copenhagen time: {shown}"
    );
    assert!(
        shown.contains("note by mette@bank.dk: Ringet op"),
        "{shown}"
    );
    assert!(
        shown.contains("acknowledgement") && shown.contains("queued"),
        "{shown}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&klagebot(
        &config,
        &["case", "kl-2026-000001", "--json"],
    )))
    .unwrap();
    assert_eq!(json["timeline"].as_array().unwrap().len(), 2);
    assert_eq!(json["timeline"][1]["kind"], "note");

    // Related cases, either way round, with their score and reason.
    let shown = stdout(&klagebot(&config, &["case", "KL-2026-000002"]));
    assert!(shown.contains("Related cases (same matter):"), "{shown}");
    assert!(
        shown.contains("KL-2026-000003") && shown.contains("shared: amount 49, date 06-01, fee"),
        "{shown}"
    );
    assert!(
        shown.contains("Root cause:      =the fee run ran twice"),
        "{shown}"
    );
    assert!(
        shown.contains("routine: fee runs are checked by two people"),
        "{shown}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&klagebot(
        &config,
        &["case", "KL-2026-000003", "--json"],
    )))
    .unwrap();
    assert_eq!(json["related"][0]["reference"], "KL-2026-000002");
    assert_eq!(json["related"][0]["score"], 0.42);
    assert_eq!(
        json["related"][0]["reason"],
        "shared: amount 49, date 06-01, fee"
    );
    assert_eq!(json["related"][0]["state"], "suggested");

    let missing = klagebot(&config, &["case", "KL-2026-000099"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no case KL-2026-000099"));
}

#[tokio::test]
async fn report_writes_a_register_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    fill(dir.path()).await;
    let csv_path = dir.path().join("register.csv");
    let out = klagebot(
        &config,
        &[
            "report",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-02",
            "--output",
            csv_path.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("\u{feff}reference,received,"), "{csv}");
    assert_eq!(
        csv.lines().count(),
        3,
        "header and the two cases of 1–2 June: {csv}"
    );
    assert!(csv.contains("\"Kortet virker ikke, sag 1\""), "{csv}");
    assert!(csv.contains("Søren Ærø <kunde@example.dk>"), "{csv}");
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with("related_cases,root_cause,measure,measure_text"),
        "{header}"
    );
    // Staff text that looks like a formula is defused in the spreadsheet.
    assert!(
        csv.contains("'=the fee run ran twice,routine,fee runs are checked by two people"),
        "{csv}"
    );
    let totals = String::from_utf8_lossy(&out.stderr);
    assert!(
        totals.contains("Complaints received 2026-06-01 – 2026-06-02: 2"),
        "{totals}"
    );

    let json = stdout(&klagebot(
        &config,
        &[
            "report",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
            "--format",
            "json",
        ],
    ));
    let register: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(register["totals"]["received"], 3);
    assert_eq!(register["totals"]["by_outcome"]["rejected"], 1);
    assert_eq!(register["totals"]["by_outcome"]["open"], 2);
    assert_eq!(register["cases"][1]["referred"], true);
    assert_eq!(register["cases"][1]["root_cause"], "=the fee run ran twice");
    assert_eq!(register["cases"][1]["measure"], "routine");
    assert_eq!(register["totals"]["by_cause"]["=the fee run ran twice"], 1);
    assert_eq!(register["totals"]["by_cause"]["unrecorded"], 2);
    assert_eq!(register["totals"]["by_measure"]["routine"], 1);
    assert_eq!(register["totals"]["by_measure"]["unrecorded"], 2);
    assert_eq!(
        register["cases"][1]["contact_person"],
        "Mette Jensen <mette@bank.dk>"
    );

    let backwards = klagebot(
        &config,
        &["report", "--from", "2026-06-02", "--to", "2026-06-01"],
    );
    assert!(!backwards.status.success());
}

#[test]
fn read_commands_do_not_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let out = klagebot(&config, &["cases"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no database at") && err.contains("klagebot run"),
        "{err}"
    );
    assert!(!dir.path().join("kb.db").exists());
}
