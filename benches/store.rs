//! What one complaint costs the store: the daemon's whole transaction for a new
//! case (raw mail stored, reference allocated, case and first event written,
//! acknowledgement queued, four deadlines armed, mail marked processed, mailbox
//! position saved), on SQLite and on PostgreSQL; and the sender's claim.
//!
//! `cargo bench --bench store`; PostgreSQL from `KLAGEBOT_TEST_POSTGRES_URL`.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use klagebot::case::{Case, Event, Status, Tier};
use klagebot::domain::{CaseRef, EmailAddress, Jurisdiction, Language};
use klagebot::store::{Direction, InboundStatus, NewInbound, NewOutgoing, Store};
use tokio::runtime::Runtime;

#[path = "support/backends.rs"]
mod backends;

/// A realistic mail of about 3 KB.
fn raw_mail(n: u64) -> Vec<u8> {
    let body = "Jeg er utilfreds med gebyret på min konto. ".repeat(60);
    format!(
        "From: kunde{n}@example.dk\r\nMessage-ID: <{n}@example.dk>\r\nSubject: Klage\r\n\r\n{body}"
    )
    .into_bytes()
}

fn new_case(reference: CaseRef, n: u64) -> anyhow::Result<Case> {
    let received_at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let due = NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
    Ok(Case {
        reference,
        status: Status::Received,
        tier: Tier::ComplaintsDepartment,
        mailbox: "klage".into(),
        jurisdiction: Jurisdiction::Dk,
        language: Language::Da,
        category: None,
        customer: EmailAddress::parse(&format!("kunde{n}@example.dk"))?,
        customer_name: None,
        subject: "Klage over gebyr".into(),
        contact: Some(EmailAddress::parse("mette@bank.dk")?),
        received_at,
        acknowledge_due: due,
        answer_due: due,
        final_due: due,
        acknowledged_at: None,
        holding_reply_at: None,
        decided_at: None,
        outcome: None,
        closed_at: None,
        escalated_at: None,
        referred: false,
        related: vec![],
        customer_message_id: format!("<{n}@example.dk>"),
        last_customer_message_id: format!("<{n}@example.dk>"),
        next_message_seq: 2,
        cause: None,
        measure: None,
    })
}

/// The daemon's transaction for one new complaint.
async fn one_complaint(store: &Store, n: u64) -> anyhow::Result<()> {
    let now = Utc::now();
    let raw = raw_mail(n);
    let mut tx = store.begin().await?;
    let inbound = NewInbound {
        mailbox: "klage",
        source_key: format!("imap:1:{n}"),
        message_id: format!("<{n}@example.dk>"),
        sha256: format!("{n:064x}"),
        identity: format!("id:<{n}@example.dk>|kunde@example.dk"),
        sender: Some("kunde@example.dk".into()),
        fingerprint: None,
        raw: &raw,
        received_at: now,
    };
    let klagebot::store::InboundInsert::New(inbound_id) = tx.insert_inbound(&inbound).await? else {
        anyhow::bail!("mail {n} stored twice");
    };
    let reference = tx.allocate_reference("KL", 2026).await?;
    let case = new_case(reference.clone(), n)?;
    tx.insert_case(&case).await?;
    let opened = Event::Opened {
        message_id: case.customer_message_id.clone(),
        from: case.customer.clone(),
        subject: case.subject.clone(),
        by: None,
    };
    tx.append_event(&reference, now, &opened).await?;
    tx.record_message_id(&case.customer_message_id, &reference, Direction::In)
        .await?;
    tx.enqueue(&NewOutgoing {
        case_ref: Some(reference.clone()),
        kind: "acknowledgement".into(),
        message_id: format!("<case-{reference}.1@bank.dk>"),
        envelope_from: "klage@bank.dk".into(),
        recipients: vec![case.customer.to_string()],
        raw: raw.clone(),
        not_before: now,
    })
    .await?;
    for (key, days) in [
        ("ack_alarm", 2),
        ("reminder_5", 10),
        ("reminder_2", 13),
        ("breach", 15),
    ] {
        tx.upsert_deadline(&reference, key, now + chrono::Duration::days(days))
            .await?;
    }
    tx.set_inbound_status(inbound_id, InboundStatus::Processed, None, Some(&reference))
        .await?;
    tx.set_sync_state("klage", 1, u32::try_from(n)?).await?;
    tx.commit().await
}

fn bench_backend(c: &mut Criterion, rt: &Runtime, name: &str, store: &Store) {
    let mut n = 0u64;
    c.bench_function(&format!("{name}: one complaint's transaction"), |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(one_complaint(store, n))
                .expect("complaint stored");
        })
    });
    c.bench_function(
        &format!("{name}: claim 10 queued mails and mark them sent"),
        |b| {
            b.iter_batched(
                || rt.block_on(queue_ten(store)).expect("queued"),
                |t| {
                    rt.block_on(async {
                        let claimed = store
                            .claim_outgoing(t, 10, "bench", Duration::from_secs(60))
                            .await?;
                        assert_eq!(claimed.len(), 10);
                        for mail in claimed {
                            store.mark_sent(mail.id, t).await?;
                        }
                        anyhow::Ok(())
                    })
                    .expect("claimed");
                },
                BatchSize::PerIteration,
            )
        },
    );
}

/// Ten staff notifications due now (untimed set-up); returns "now".
async fn queue_ten(store: &Store) -> anyhow::Result<chrono::DateTime<Utc>> {
    let now = Utc::now();
    let mut tx = store.begin().await?;
    for i in 0..10 {
        tx.enqueue(&NewOutgoing {
            case_ref: None,
            kind: "staff_new_case".into(),
            message_id: format!("<n{i}.{}@bank.dk>", now.timestamp_micros()),
            envelope_from: "klage@bank.dk".into(),
            recipients: vec!["mette@bank.dk".into()],
            raw: raw_mail(i),
            not_before: now,
        })
        .await?;
    }
    tx.commit().await?;
    Ok(now)
}

fn store_benches(c: &mut Criterion) {
    backends::on_both_backends(c, bench_backend);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4));
    targets = store_benches
}
criterion_main!(benches);
