//! `klagebot gdpr export`, `gdpr erase` and `audit` as a data protection officer
//! runs them, against a SQLite database filled through the store: the export
//! holds every case and mail of the customer and nothing of staff's; the erasure
//! is refused within the retention period and says until when, goes through
//! with `--override-retention`, is idempotent, and leaves no bytes in the file;
//! each read is in the audit trail under the OS user.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use klagebot::case::{Case, Event, Outcome, Status, Tier};
use klagebot::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};
use klagebot::store::{Direction, InboundInsert, InboundStatus, NewInbound, NewOutgoing, Store};

const CUSTOMER: &str = "zelda.quist@example.dk";

fn case(n: u32, ended: DateTime<Utc>) -> Case {
    let received_at = ended - Duration::days(10);
    let due = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    Case {
        reference: CaseRef::new("KL", 2026, n).unwrap(),
        status: Status::Closed,
        tier: Tier::ComplaintsDepartment,
        mailbox: "klage".into(),
        jurisdiction: Jurisdiction::Dk,
        language: Language::Da,
        category: Some(Category::Card),
        customer: EmailAddress::parse(CUSTOMER).unwrap(),
        customer_name: Some("Zelda Quist".into()),
        subject: format!("Zelda Quist klager, sag {n}"),
        contact: Some(EmailAddress::parse("mette@bank.dk").unwrap()),
        received_at,
        acknowledge_due: due,
        answer_due: due,
        final_due: due,
        acknowledged_at: Some(received_at),
        holding_reply_at: None,
        decided_at: Some(ended),
        outcome: Some(Outcome::Rejected),
        closed_at: Some(ended),
        escalated_at: None,
        referred: true,
        related: vec![],
        customer_message_id: format!("<z{n}@example.dk>"),
        last_customer_message_id: format!("<z{n}@example.dk>"),
        next_message_seq: 2,
        cause: None,
        measure: None,
    }
}

fn raw_from(from: &str, n: u32) -> Vec<u8> {
    format!("From: {from}\r\nTo: klage@bank.dk\r\nSubject: sag {n}\r\nMessage-ID: <z{n}@example.dk>\r\n\r\nMit kortnummer er Quistfjord-{n}.\r\n").into_bytes()
}

/// Two cases of the customer (one ended seven years ago, one a month ago), each
/// with the customer's mail, a staff member's reply and the decision sent.
async fn fill(db: &Path) -> Vec<Case> {
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let now = Utc::now();
    let cases = vec![
        case(1, now - Duration::days(7 * 366)),
        case(2, now - Duration::days(30)),
    ];
    let mut tx = store.begin().await.unwrap();
    for (i, c) in cases.iter().enumerate() {
        let n = i as u32 + 1;
        tx.insert_case(c).await.unwrap();
        let opened = Event::Opened {
            message_id: c.customer_message_id.clone(),
            from: c.customer.clone(),
            subject: c.subject.clone(),
            by: None,
        };
        tx.append_event(&c.reference, c.received_at, &opened)
            .await
            .unwrap();
        tx.record_message_id(&c.customer_message_id, &c.reference, Direction::In)
            .await
            .unwrap();
        for (key, from) in [
            (format!("c{n}"), CUSTOMER),
            (format!("s{n}"), "mette@bank.dk"),
        ] {
            let raw = raw_from(from, n + if from == CUSTOMER { 0 } else { 50 });
            let mail = NewInbound {
                mailbox: "klage",
                source_key: key.clone(),
                message_id: format!("<{key}@x>"),
                sha256: key.clone(),
                identity: format!("id:{key}"),
                sender: Some(from.into()),
                fingerprint: None,
                raw: &raw,
                received_at: c.received_at,
            };
            let InboundInsert::New(id) = tx.insert_inbound(&mail).await.unwrap() else {
                panic!()
            };
            tx.set_inbound_status(id, InboundStatus::Processed, None, Some(&c.reference))
                .await
                .unwrap();
        }
        for (kind, to) in [("decision", CUSTOMER), ("staff_new_case", "mette@bank.dk")] {
            let out = NewOutgoing {
                case_ref: Some(c.reference.clone()),
                kind: kind.into(),
                message_id: format!("<case-{}.{kind}@bank.dk>", c.reference),
                envelope_from: "klage@bank.dk".into(),
                recipients: vec![to.into()],
                raw: format!("To: {to}\r\n\r\n{kind} for Zelda Quist, Quistfjord-{n}\r\n")
                    .into_bytes(),
                not_before: c.received_at,
            };
            let id = tx.enqueue(&out).await.unwrap();
            tx.mark_sent(id, c.received_at).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    store.close().await;
    cases
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("klagebot.toml");
    let text = format!(
        "[company]\nname = \"Testbanken\"\ndomain = \"bank.dk\"\n\
         complaint_address = \"klage@bank.dk\"\n\n[database]\nurl = \"sqlite://{}\"\n\n\
         [retention]\ncase_years = 5\n",
        dir.join("kb.db").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn klagebot(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .env("USER", "dpo-test")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn file_has(path: &Path, needle: &str) -> bool {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_erase_refused_overridden_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    let cases = fill(&db).await;
    let config = write_config(dir.path());

    // The access request: every case and every mail from and to the customer.
    let out = dir.path().join("export");
    let printed = ok(&klagebot(
        &config,
        &[
            "gdpr",
            "export",
            "--customer",
            "Zelda.Quist@Example.dk",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    assert!(
        printed.contains("2 cases, 2 mails received, 2 mails sent"),
        "{printed}"
    );
    for c in &cases {
        let text = std::fs::read_to_string(out.join(format!("cases/{}.txt", c.reference))).unwrap();
        assert!(
            text.contains("Zelda Quist") && text.contains("opened"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join(format!("cases/{}.json", c.reference))).unwrap(),
        )
        .unwrap();
        assert_eq!(json["case"]["reference"], c.reference.to_string());
        assert_eq!(
            json["sent_mail"].as_array().unwrap().len(),
            1,
            "the decision, not staff's notice"
        );
    }
    let index = std::fs::read_to_string(out.join("index.txt")).unwrap();
    let emls: Vec<_> = std::fs::read_dir(out.join("mail"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(emls.len(), 4, "{emls:?}");
    let received: Vec<_> = emls.iter().filter(|n| n.starts_with("received-")).collect();
    for name in &received {
        assert!(index.contains(name.as_str()), "{index}");
        let bytes = std::fs::read(out.join("mail").join(name)).unwrap();
        assert!(
            bytes.starts_with(format!("From: {CUSTOMER}").as_bytes()),
            "only the customer's own mail"
        );
    }
    let zip = dir.path().join("export.zip");
    ok(&klagebot(
        &config,
        &[
            "gdpr",
            "export",
            "--customer",
            CUSTOMER,
            "--out",
            zip.to_str().unwrap(),
        ],
    ));
    assert!(std::fs::read(&zip).unwrap().starts_with(b"PK\x03\x04"));
    let again = klagebot(
        &config,
        &[
            "gdpr",
            "export",
            "--customer",
            CUSTOMER,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success(), "an export never overwrites");

    // The erasure: the old case goes at once, the recent one is kept and says until when.
    let refused = klagebot(
        &config,
        &[
            "gdpr",
            "erase",
            "--customer",
            CUSTOMER,
            "--reason",
            "the customer asked",
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    let until = cases[1].closed_at.unwrap() + chrono::Months::new(60);
    assert!(
        stderr.contains(&format!(
            "{}: kept until {}",
            cases[1].reference,
            until.format("%Y-%m-%d")
        )),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&refused.stdout)
            .contains(&format!("{}: anonymised", cases[0].reference))
    );
    assert!(!file_has(&db, "Quistfjord-1.") && file_has(&db, "Quistfjord-2."));

    let overridden = ok(&klagebot(
        &config,
        &[
            "gdpr",
            "erase",
            "--customer",
            CUSTOMER,
            "--reason",
            "court order",
            "--override-retention",
        ],
    ));
    assert!(
        overridden.contains(&format!("{}: anonymised", cases[1].reference)),
        "{overridden}"
    );
    assert!(!file_has(&db, "Quistfjord-2.") && !file_has(&db, "Zelda"));
    let shown = ok(&klagebot(
        &config,
        &["case", &cases[1].reference.to_string()],
    ));
    assert!(
        shown.contains("[anonymised]") && !shown.contains("Zelda"),
        "{shown}"
    );
    assert!(
        ok(&klagebot(
            &config,
            &["gdpr", "erase", "--customer", CUSTOMER, "--reason", "again"]
        ))
        .contains("nothing stored")
    );

    // The audit trail: who read and erased what.
    let audit = ok(&klagebot(
        &config,
        &["audit", "--case", &cases[1].reference.to_string()],
    ));
    let lines: Vec<&str> = audit.lines().collect();
    assert!(lines.iter().all(|l| l.contains("os:dpo-test")), "{audit}");
    for action in [
        "gdpr export",
        "gdpr erase refused",
        "gdpr erase (retention overridden)",
        "case",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(action)),
            "{action} missing: {audit}"
        );
    }
    let json = ok(&klagebot(
        &config,
        &["audit", "--since", "2000-01-01", "--json"],
    ));
    assert!(json.lines().count() > lines.len());
    assert!(
        !json.contains("Zelda") && !json.contains("zelda"),
        "no customer data in the trail: {json}"
    );
    let future = klagebot(&config, &["audit", "--since", "2999-01-01"]);
    assert!(ok(&future).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_says_what_is_due_and_runs_it_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    let cases = fill(&db).await;
    let config = write_config(dir.path());
    let due = ok(&klagebot(&config, &["gdpr", "retention"]));
    assert!(
        due.contains("due now: 1 case(s) ended over 5 year(s) ago"),
        "{due}"
    );
    assert!(file_has(&db, "Quistfjord-1."), "nothing changed yet");
    let run = ok(&klagebot(&config, &["gdpr", "retention", "--run"]));
    assert!(
        run.contains(&format!("{}: anonymised", cases[0].reference)),
        "{run}"
    );
    assert!(run.contains("1 case(s) and 4 mail(s) anonymised"), "{run}");
    assert!(!file_has(&db, "Quistfjord-1.") && file_has(&db, "Quistfjord-2."));
    let again = ok(&klagebot(&config, &["gdpr", "retention", "--run"]));
    assert!(
        again.contains("0 case(s) and 0 mail(s) anonymised"),
        "{again}"
    );
    let audit = ok(&klagebot(
        &config,
        &["audit", "--case", &cases[0].reference.to_string()],
    ));
    assert!(audit.contains("gdpr retention run"), "{audit}");
}
