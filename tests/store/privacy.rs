//! Personal data under control: the retention run anonymises exactly what
//! expired (never a case on legal hold, never an open one), keeps the register's
//! figures, leaves nothing personal in the anonymised rows and, on SQLite,
//! nothing in the database file; an access request finds every case and mail of
//! the customer; an erasure is refused within the retention period, overridden
//! with a reason, recorded, and idempotent.

use super::*;
use klagebot::case::privacy::ANONYMISED;
use klagebot::config::Retention;
use klagebot::privacy::{self, Kept};
use klagebot::store::AuditEntry;

/// "Now" for these tests: the clock moved years forward.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2032, 6, 1, 12, 0, 0).unwrap()
}

fn years_ago(years: i64, days: i64) -> DateTime<Utc> {
    now() - chrono::Duration::days(365 * years + years / 4 + days)
}

/// What makes a case's data findable: its customer's name, address and text.
fn secret(n: u32) -> String {
    format!("Xyzzy{n}Nordmann")
}

/// A case of customer `n` with a mail in, a note naming them, and a mail out.
async fn stored_case(store: &Store, n: u32, status: Status, ended: Option<DateTime<Utc>>) -> Case {
    let received = ended.unwrap_or(now()) - chrono::Duration::days(20);
    let mut case = sample_case(n, received);
    case.customer = addr(&format!("{}@example.no", secret(n).to_lowercase()));
    case.customer_name = Some(format!("Kari {}", secret(n)));
    case.subject = format!("Klage fra {}", secret(n));
    case.category = Some(Category::Card);
    case.status = status;
    case.acknowledged_at = Some(received + chrono::Duration::minutes(3));
    if let Some(ended) = ended {
        case.decided_at = Some(ended);
        case.outcome = Some(Outcome::Rejected);
        if status == Status::Closed {
            case.closed_at = Some(ended);
        }
    }
    let raw = format!(
        "From: Kari {s} <{c}>\r\nTo: klage@bank.no\r\nSubject: Klage fra {s}\r\nMessage-ID: <in{n}@example.no>\r\n\r\nJeg heter Kari {s}, telefon 4123{n:04}.\r\n",
        s = secret(n),
        c = case.customer
    );
    let mut tx = store.begin().await.unwrap();
    tx.insert_case(&case).await.unwrap();
    let opened = Event::Opened {
        message_id: format!("<in{n}@example.no>"),
        from: case.customer.clone(),
        subject: case.subject.clone(),
        by: None,
    };
    let note = Event::Note {
        by: addr("mette@bank.dk"),
        text: format!("Kari {} ringte", secret(n)),
    };
    tx.append_event(&case.reference, received, &opened)
        .await
        .unwrap();
    tx.append_event(&case.reference, received, &note)
        .await
        .unwrap();
    tx.record_message_id(
        &format!("<in{n}@example.no>"),
        &case.reference,
        Direction::In,
    )
    .await
    .unwrap();
    let mut mail = inbound(
        "klage",
        &format!("k{n}"),
        &format!("<in{n}@example.no>"),
        &format!("sha{n}"),
        raw.as_bytes(),
    );
    mail.received_at = received;
    mail.sender = Some(case.customer.key());
    mail.identity = format!("id:<in{n}@example.no>|{}", case.customer.key());
    let InboundInsert::New(id) = tx.insert_inbound(&mail).await.unwrap() else {
        panic!("a new mail");
    };
    tx.set_inbound_status(
        id,
        InboundStatus::Processed,
        Some("opened"),
        Some(&case.reference),
    )
    .await
    .unwrap();
    let out = NewOutgoing {
        case_ref: Some(case.reference.clone()),
        kind: "decision".into(),
        message_id: format!("<case-{}.1@bank.no>", case.reference),
        envelope_from: "klage@bank.no".into(),
        recipients: vec![case.customer.to_string()],
        raw: format!(
            "To: {}\r\n\r\nKjære Kari {}, vi avviser klagen.\r\n",
            case.customer,
            secret(n)
        )
        .into_bytes(),
        not_before: received,
    };
    let out_id = tx.enqueue(&out).await.unwrap();
    tx.mark_sent(out_id, received).await.unwrap();
    tx.commit().await.unwrap();
    case
}

/// A mail of no case from `sender`, `days` old, left for people or quarantined.
async fn stray_mail(store: &Store, key: &str, sender: &str, days: i64, quarantined: bool) -> i64 {
    let raw = format!(
        "From: {sender}\r\nSubject: {key}\r\nMessage-ID: <{key}@x>\r\n\r\nHei, {key} her.\r\n"
    );
    let mut mail = inbound("klage", key, &format!("<{key}@x>"), key, raw.as_bytes());
    mail.received_at = now() - chrono::Duration::days(days);
    mail.sender = Some(sender.to_lowercase());
    mail.identity = format!("id:<{key}@x>|{sender}");
    let mut tx = store.begin().await.unwrap();
    let InboundInsert::New(id) = tx.insert_inbound(&mail).await.unwrap() else {
        panic!("a new mail");
    };
    match quarantined {
        true => tx
            .set_inbound_status(id, InboundStatus::Quarantined, Some("parse"), None)
            .await
            .unwrap(),
        false => tx
            .leave_for_people(id, klagebot::domain::LeftReason::NotComplaint, "left")
            .await
            .unwrap(),
    }
    tx.commit().await.unwrap();
    id
}

async fn hold(store: &Store, case: &Case, held: bool) {
    let by = addr("mette@bank.dk");
    let event = match held {
        true => Event::LegalHold {
            by,
            reason: "tvist i retten".into(),
        },
        false => Event::LegalHoldReleased { by },
    };
    let mut tx = store.begin().await.unwrap();
    tx.append_event(&case.reference, now() - chrono::Duration::days(1), &event)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn run_retention(store: &Store, at: DateTime<Utc>) -> privacy::Anonymised {
    let mut tx = store.begin().await.unwrap();
    let done = privacy::anonymise_expired(&mut tx, &Retention::default(), at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.reclaim_space().await.unwrap();
    done
}

/// Everything stored about a case, as text, to search for personal data.
async fn case_text(store: &Store, reference: &CaseRef) -> String {
    let case = store.case(reference).await.unwrap().unwrap();
    let timeline = store.timeline(reference).await.unwrap();
    let out = store.outgoing_for_case(reference).await.unwrap();
    let mails = store
        .customer_mail(std::slice::from_ref(reference), "nobody@x")
        .await
        .unwrap();
    format!(
        "{}\n{}\n{:?}\n{}",
        serde_json::to_string(&case).unwrap(),
        serde_json::to_string(&timeline).unwrap(),
        out.iter()
            .map(|m| (
                String::from_utf8_lossy(&m.raw).into_owned(),
                m.recipients.clone()
            ))
            .collect::<Vec<_>>(),
        mails
            .iter()
            .map(|m| String::from_utf8_lossy(&m.raw).into_owned())
            .collect::<String>()
    )
}

fn totals(cases: &[Case]) -> String {
    let names = HashMap::new();
    let rules = RegisterRules {
        answer_within_days: 15,
        final_answer_within_days: 35,
        today: now().date_naive(),
        days_between: &|_, a: NaiveDate, b: NaiveDate| (b - a).num_days(),
        staff_names: &names,
    };
    let register =
        register_report::build_register(cases, date(2020, 1, 1), date(2032, 12, 31), &rules);
    let rows: Vec<_> = register
        .cases
        .iter()
        .map(|r| {
            (
                r.reference.clone(),
                r.status.clone(),
                r.category.clone(),
                r.decided_at.clone(),
            )
        })
        .collect();
    format!("{:?}\n{rows:?}", register.totals)
}

pub async fn retention_anonymises_exactly_what_expired(store: &Store) {
    let expired_closed = stored_case(store, 1, Status::Closed, Some(years_ago(5, 2))).await;
    let recent = stored_case(store, 2, Status::Closed, Some(years_ago(4, 300))).await;
    let held = stored_case(store, 3, Status::Decided, Some(years_ago(6, 0))).await;
    let open = stored_case(store, 4, Status::Acknowledged, None).await;
    let expired_decided = stored_case(store, 5, Status::Decided, Some(years_ago(7, 0))).await;
    hold(store, &held, true).await;
    let old_left = stray_mail(store, "oldleft", "stray@example.no", 91, false).await;
    let new_left = stray_mail(store, "newleft", "stray@example.no", 89, false).await;
    let old_quarantine = stray_mail(store, "oldquar", "broken@example.no", 31, true).await;
    let new_quarantine = stray_mail(store, "newquar", "broken@example.no", 29, true).await;
    let all = || async {
        store
            .cases_received_between(
                date(2000, 1, 1).and_hms_opt(0, 0, 0).unwrap().and_utc(),
                now(),
            )
            .await
            .unwrap()
    };
    let before = totals(&all().await);

    let preview = store
        .retention_preview(&Retention::default().cutoffs(now()))
        .await
        .unwrap();
    assert_eq!(
        (
            preview.cases,
            preview.held,
            preview.mails,
            preview.quarantined
        ),
        (2, 1, 1, 1)
    );

    // A day before the first case's five years are up it stays.
    let early = run_retention(store, years_ago(0, 3)).await;
    assert_eq!(early.cases, vec![expired_decided.reference.clone()]);

    let done = run_retention(store, now()).await;
    assert_eq!(done.cases, vec![expired_closed.reference.clone()]);
    assert_eq!(
        totals(&all().await),
        before,
        "the register's figures are unchanged"
    );

    for case in [&expired_closed, &expired_decided] {
        let text = case_text(store, &case.reference).await;
        let n = if case.reference == expired_closed.reference {
            1
        } else {
            5
        };
        for personal in [
            secret(n),
            secret(n).to_lowercase(),
            format!("4123{n:04}"),
            format!("in{n}@example.no"),
        ] {
            assert!(!text.contains(&personal), "{personal} left in {text}");
        }
        let stored = store.case(&case.reference).await.unwrap().unwrap();
        assert_eq!(stored.subject, ANONYMISED);
        assert_eq!(stored.customer_name, None);
        assert_eq!(
            (stored.status, stored.outcome, stored.category),
            (case.status, case.outcome, case.category)
        );
        assert_eq!(
            (stored.received_at, stored.decided_at, stored.closed_at),
            (case.received_at, case.decided_at, case.closed_at)
        );
        assert!(
            store
                .retention_state(&case.reference)
                .await
                .unwrap()
                .unwrap()
                .anonymised
        );
        assert_eq!(
            store
                .case_for_message_id(&format!("<in{n}@example.no>"))
                .await
                .unwrap(),
            None
        );
    }
    for (case, n) in [(&recent, 2), (&held, 3), (&open, 4)] {
        let text = case_text(store, &case.reference).await;
        assert!(
            text.contains(&format!("telefon 4123{n:04}")),
            "case {n} kept whole: {text}"
        );
        assert_eq!(store.case(&case.reference).await.unwrap().unwrap(), *case);
    }
    let stray = store.customer_mail(&[], "stray@example.no").await.unwrap();
    let broken = store.customer_mail(&[], "broken@example.no").await.unwrap();
    // The anonymised ones lost their sender, so only the kept ones are found by it.
    assert_eq!(
        stray.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![new_left]
    );
    assert_eq!(
        broken.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![new_quarantine]
    );
    assert!(
        !stray.iter().any(|m| m.id == old_left) && !broken.iter().any(|m| m.id == old_quarantine)
    );

    // Released from the hold, the case goes at the next run; a second run finds nothing.
    hold(store, &held, false).await;
    assert_eq!(
        run_retention(store, now()).await.cases,
        vec![held.reference.clone()]
    );
    assert_eq!(
        run_retention(store, now()).await,
        privacy::Anonymised::default()
    );
    let after = store
        .retention_preview(&Retention::default().cutoffs(now()))
        .await
        .unwrap();
    assert_eq!(
        (after.cases, after.held, after.mails, after.quarantined),
        (0, 0, 0, 0)
    );
}

pub async fn the_daily_run_is_claimed_once(store: &Store) {
    let day = date(2032, 6, 1);
    let mut first = store.begin().await.unwrap();
    assert!(first.claim_retention_run(day, now()).await.unwrap());
    first.finish_retention_run(day, 3, 7).await.unwrap();
    first.commit().await.unwrap();
    assert!(store.retention_ran(day).await.unwrap());
    let mut second = store.begin().await.unwrap();
    assert!(!second.claim_retention_run(day, now()).await.unwrap());
    second.rollback().await.unwrap();
    assert!(!store.retention_ran(date(2032, 6, 2)).await.unwrap());
}

pub async fn export_finds_every_case_and_mail_of_the_customer(store: &Store) {
    let first = stored_case(store, 11, Status::Closed, Some(years_ago(1, 0))).await;
    let mut second = stored_case(store, 12, Status::Closed, Some(years_ago(2, 0))).await;
    // The second case was opened from another address of the same person, and
    // staff recorded the first address on it: the case links the two.
    let customer = first.customer.clone();
    let mut tx = store.begin().await.unwrap();
    let changed = Event::CustomerAddressChanged {
        address: customer.clone(),
        by: addr("mette@bank.dk"),
    };
    tx.append_event(&second.reference, now(), &changed)
        .await
        .unwrap();
    second.customer = customer.clone();
    tx.update_case(&second).await.unwrap();
    tx.commit().await.unwrap();
    let other = stored_case(store, 13, Status::Closed, Some(years_ago(1, 0))).await;
    let left = stray_mail(store, "fromkari", customer.as_str(), 3, false).await;

    let export = privacy::collect(store, customer.as_str()).await.unwrap();
    let refs: Vec<_> = export
        .cases
        .iter()
        .map(|c| c.case.reference.clone())
        .collect();
    assert_eq!(
        refs,
        vec![second.reference.clone(), first.reference.clone()]
    );
    assert!(
        export
            .addresses
            .contains(&format!("{}@example.no", secret(12).to_lowercase())),
        "{:?}",
        export.addresses
    );
    let received: Vec<_> = export.received.iter().map(|m| m.case_ref.clone()).collect();
    assert_eq!(
        received,
        vec![
            Some(second.reference.to_string()),
            Some(first.reference.to_string()),
            None
        ]
    );
    assert_eq!(export.received[2].id, left);
    assert!(
        export.cases.iter().all(|c| c.sent.len() == 1),
        "each decision sent to the customer"
    );
    assert!(
        !export
            .cases
            .iter()
            .any(|c| c.case.reference == other.reference)
    );
    // By the other address the same two cases are found.
    let by_other = privacy::collect(store, &format!("{}@example.no", secret(12).to_lowercase()))
        .await
        .unwrap();
    assert_eq!(
        by_other.cases.len(),
        1,
        "only the case that mail from it joined"
    );
}

pub async fn erasure_is_refused_then_overridden_and_recorded(store: &Store) {
    let old = stored_case(store, 21, Status::Closed, Some(years_ago(6, 0))).await;
    let mut recent = stored_case(store, 22, Status::Closed, Some(years_ago(1, 0))).await;
    let customer = old.customer.clone();
    recent.customer = customer.clone();
    let mut tx = store.begin().await.unwrap();
    tx.update_case(&recent).await.unwrap();
    tx.commit().await.unwrap();
    let open = {
        let mut c = stored_case(store, 23, Status::Acknowledged, None).await;
        c.customer = customer.clone();
        let mut tx = store.begin().await.unwrap();
        tx.update_case(&c).await.unwrap();
        tx.commit().await.unwrap();
        c
    };
    stray_mail(store, "karileft", customer.as_str(), 2, false).await;
    let r = Retention::default();

    let refused = privacy::erase(
        store,
        customer.as_str(),
        "the customer asked",
        false,
        "os:dpo",
        &r,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(refused.erased, vec![old.reference.clone()]);
    assert_eq!(
        refused.mails, 3,
        "the old case's mail in and out, and the stray mail"
    );
    let until = r.kept_until(recent.closed_at.unwrap());
    assert_eq!(
        refused.kept,
        vec![
            (recent.reference.clone(), Kept::Until(until)),
            (open.reference.clone(), Kept::Open)
        ]
    );
    assert!(
        case_text(store, &recent.reference)
            .await
            .contains(&secret(22))
    );

    let overridden = privacy::erase(
        store,
        customer.as_str(),
        "court order 12/2032",
        true,
        "os:dpo",
        &r,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(overridden.erased, vec![recent.reference.clone()]);
    // Once anonymised, nothing links the old case to the address any more.
    assert!(overridden.already.is_empty());
    assert_eq!(overridden.kept, vec![(open.reference.clone(), Kept::Open)]);
    assert!(
        !case_text(store, &recent.reference)
            .await
            .contains(&secret(22))
    );

    let again = privacy::erase(store, customer.as_str(), "again", true, "os:dpo", &r, now())
        .await
        .unwrap();
    assert!(again.erased.is_empty() && again.mails == 0);

    let audit = store.audit(Some(&recent.reference), None).await.unwrap();
    let actions: Vec<_> = audit
        .iter()
        .map(|a| (a.actor.as_str(), a.action.as_str(), a.detail.as_str()))
        .collect();
    assert_eq!(actions[0].1, "gdpr erase refused");
    assert_eq!(
        actions[1],
        (
            "os:dpo",
            "gdpr erase (retention overridden)",
            "court order 12/2032"
        )
    );
    let since = store
        .audit(None, Some(now() + chrono::Duration::seconds(1)))
        .await
        .unwrap();
    assert!(since.is_empty());
    let entry = AuditEntry {
        actor: "ola@bank.dk".into(),
        action: "staff command".into(),
        case_ref: Some(open.reference.clone()),
        detail: "#hold".into(),
    };
    store.append_audit(&entry, now()).await.unwrap();
    assert_eq!(
        store
            .audit(Some(&open.reference), None)
            .await
            .unwrap()
            .last()
            .unwrap()
            .detail,
        "#hold"
    );
}

/// SQLite: after the run the anonymised mail's bytes are gone from the database
/// file itself (and its write-ahead log), while a kept case's bytes are there.
#[tokio::test]
async fn anonymised_bytes_are_gone_from_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("klagebot.db");
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    stored_case(&store, 31, Status::Closed, Some(years_ago(6, 0))).await;
    stored_case(&store, 32, Status::Closed, Some(years_ago(1, 0))).await;
    let file_has = |needle: String| {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(dir.path().join("klagebot.db-wal")).unwrap_or_default());
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    };
    store.reclaim_space().await.unwrap();
    assert!(
        file_has(format!("telefon 4123{:04}", 31)),
        "the test must see stored bytes"
    );
    run_retention(&store, now()).await;
    assert!(!file_has(format!("telefon 4123{:04}", 31)));
    assert!(!file_has(secret(31)));
    assert!(file_has(format!("telefon 4123{:04}", 32)));
    store.close().await;
    // The audit trail refuses change.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("INSERT INTO audit_log (at, actor, action, detail) VALUES ('2032-01-01T00:00:00Z', 'os:x', 'case', '')")
        .execute(&pool).await.unwrap();
    let update = sqlx::query("UPDATE audit_log SET actor = 'os:y'")
        .execute(&pool)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(
        sqlx::query("DELETE FROM audit_log")
            .execute(&pool)
            .await
            .is_err()
    );
}
