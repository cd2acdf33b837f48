//! The same matter, end to end through the store (SQLite and PostgreSQL): a
//! held-out style set of incidents written by several people in several
//! languages, mixed with unrelated complaints (`fixtures/related/`), opened one
//! by one as the daemon opens them (`Recorder::write` in one transaction each).
//! Measured: related cases found (recall), unrelated ones not linked
//! (precision), and the surge alert: queued in the transaction of the Nth
//! complaint, exactly once per incident, none for the others. Also the staff
//! commands' effect on links, causes and measures, and the register columns.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;

use klagebot::case::{self, Event, Measure, MeasureKind, NewCase, Rules};
use klagebot::config::Config;
use klagebot::domain::{CaseRef, EmailAddress, Jurisdiction, Language};
use klagebot::outbox::{Referrals, Templates};
use klagebot::record::{CaseChange, Extras, Recorder};
use klagebot::store::Store;

#[path = "support/postgres.rs"]
mod scratch;

#[derive(Debug, Deserialize)]
struct Corpus {
    complaint: Vec<Complaint>,
}

#[derive(Debug, Deserialize)]
struct Complaint {
    incident: Option<String>,
    hour: i64,
    language: String,
    subject: String,
    text: String,
}

fn corpus() -> Vec<Complaint> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/related/incidents.toml"
    ))
    .expect("read the related corpus");
    let mut corpus: Corpus = toml::from_str(&text).expect("parse the related corpus");
    corpus.complaint.sort_by_key(|c| c.hour);
    corpus.complaint
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
}

fn recorder() -> Recorder {
    let config = Config::embedded_default();
    let rules = Arc::new(Rules::from_config(&config));
    Recorder::new(
        Arc::new(config),
        rules,
        Templates::shipped().expect("templates"),
        Referrals::shipped(),
        b"related test secret".to_vec(),
    )
}

/// Opens a case for a complaint as the daemon does; returns its reference and
/// the kinds of mail its transaction queued.
async fn open(
    store: &Store,
    recorder: &Recorder,
    n: usize,
    language: Language,
    subject: &str,
    text: &str,
    at: DateTime<Utc>,
) -> (CaseRef, Vec<String>) {
    let mut tx = store.begin().await.unwrap();
    let reference = tx.allocate_reference("KL", 2026).await.unwrap();
    let input = NewCase {
        reference: reference.clone(),
        mailbox: "local".into(),
        jurisdiction: Jurisdiction::Dk,
        language,
        category: None,
        customer: EmailAddress::parse(&format!("customer{n}@example.net")).unwrap(),
        customer_name: None,
        subject: subject.into(),
        message_id: format!("<c{n}@example.net>"),
        received_at: at,
        contact: None,
        forwarded_by: None,
        opened_by: None,
    };
    let step = case::open(input, at, &recorder.rules);
    let extras = Extras {
        customer_text: Some(text.to_string()),
        ..Extras::default()
    };
    let mut change = CaseChange::opened(step, extras);
    change.keys = klagebot::related::keys(subject, text, language, None);
    recorder.write(&mut tx, &change, at).await.unwrap();
    tx.commit().await.unwrap();
    let queued = store
        .claim_outgoing(
            at + Duration::days(1),
            100,
            "test",
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    for mail in &queued {
        store.mark_sent(mail.id, at).await.unwrap();
    }
    (reference, queued.into_iter().map(|m| m.kind).collect())
}

const SURGE: &str = "notice_staff_surge";

async fn incidents_are_found_and_alerted_once(store: &Store) {
    let recorder = recorder();
    let corpus = corpus();
    let mut incident_of: HashMap<CaseRef, Option<String>> = HashMap::new();
    let mut alerts: BTreeMap<String, usize> = BTreeMap::new();
    let mut alerted_at: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut stray_alerts = 0;
    for (n, complaint) in corpus.iter().enumerate() {
        let language: Language = complaint.language.parse().unwrap();
        let at = start() + Duration::hours(complaint.hour);
        let (reference, queued) = open(
            store,
            &recorder,
            n,
            language,
            &complaint.subject,
            &complaint.text,
            at,
        )
        .await;
        incident_of.insert(reference, complaint.incident.clone());
        let name = complaint.incident.clone().unwrap_or_default();
        *seen.entry(name.clone()).or_default() += 1;
        let surges = queued.iter().filter(|k| *k == SURGE).count();
        match &complaint.incident {
            Some(incident) if surges > 0 => {
                *alerts.entry(incident.clone()).or_default() += 1;
                alerted_at.insert(incident.clone(), seen[&name]);
            }
            _ => stray_alerts += surges,
        }
    }
    // Links: each case's links to earlier cases (stored on the newer case).
    let (mut found, mut wanted, mut right, mut linked) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    let references: Vec<CaseRef> = incident_of.keys().cloned().collect();
    for reference in &references {
        let mine = &incident_of[reference];
        let earlier: Vec<&CaseRef> = references
            .iter()
            .filter(|r| *r < reference && incident_of[*r].is_some() && &incident_of[*r] == mine)
            .collect();
        let links: Vec<CaseRef> = store
            .links_of(reference)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.other)
            .filter(|o| o < reference)
            .collect();
        wanted += earlier.len();
        found += earlier.iter().filter(|e| links.contains(e)).count();
        linked += links.len();
        for l in &links {
            if mine.is_some() && &incident_of[l] == mine {
                right += 1;
            } else {
                wrong.push((reference.clone(), l.clone()));
            }
        }
    }
    let recall = found as f64 / wanted as f64;
    let precision = right as f64 / linked.max(1) as f64;
    println!(
        "related: recall {found}/{wanted} = {recall:.2}, precision {right}/{linked} = {precision:.2}; wrong links {wrong:?}"
    );
    println!("surge alerts per incident {alerts:?}, at complaint number {alerted_at:?}");
    assert!(recall >= 0.75, "recall {recall:.2}");
    assert!(precision >= 0.9, "precision {precision:.2}: {wrong:?}");
    // Five or more within 48 hours: one alert, sent with the fifth.
    for incident in ["outage", "fee"] {
        assert_eq!(alerts.get(incident), Some(&1), "{incident}: {alerts:?}");
        assert_eq!(
            alerted_at.get(incident),
            Some(&5),
            "{incident}: {alerted_at:?}"
        );
    }
    // Five spread over 60 hours, and three: no surge.
    assert_eq!(alerts.get("payout"), None, "{alerts:?}");
    assert_eq!(alerts.get("rate"), None, "{alerts:?}");
    assert_eq!(stray_alerts, 0);
}

async fn commands_set_links_causes_and_measures(store: &Store) {
    let recorder = recorder();
    let at = start();
    let text = "Årsgebyret på 49 kr er trukket to gange den 1. december på mit kort.";
    let (first, _) = open(store, &recorder, 1, Language::Da, "Gebyr", text, at).await;
    let (second, _) = open(
        store,
        &recorder,
        2,
        Language::Da,
        "Dobbelt gebyr",
        "Kortgebyr 49 kr trukket to gange 1. december.",
        at + Duration::hours(1),
    )
    .await;
    let suggested = store.links_of(&second).await.unwrap();
    assert_eq!(suggested.len(), 1, "{suggested:?}");
    assert_eq!(suggested[0].other, first);
    assert_eq!(suggested[0].state, "suggested");
    assert!(
        suggested[0].reason.contains("amount 49"),
        "{}",
        suggested[0].reason
    );

    let staff = EmailAddress::parse("mette.jensen@klagebot.localhost").unwrap();
    let now = at + Duration::hours(2);
    // #cause on the first case, then the second takes it with #cause REF and
    // confirms the link; #measure on both.
    let mut tx = store.begin().await.unwrap();
    let case1 = tx.case(&first).await.unwrap().unwrap();
    let worked = case::work_staff_reply(
        &case1,
        "#cause the fee run of 1 December ran twice\n#measure routine fee runs are checked by two people",
        &staff,
        "<s1@klagebot.localhost>",
        now,
        &recorder.rules,
    );
    assert!(worked.rejected.is_none(), "{:?}", worked.rejected);
    recorder
        .write(
            &mut tx,
            &CaseChange::changed(worked.step, Extras::default()),
            now,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let case2 = tx.case(&second).await.unwrap().unwrap();
    let causes = HashMap::from([(
        first.clone(),
        "the fee run of 1 December ran twice".to_string(),
    )]);
    let worked = case::work_staff_reply_with(
        &case2,
        &format!("#related {first}\n#cause {first}\n#measure none"),
        &staff,
        "<s2@klagebot.localhost>",
        now,
        &recorder.rules,
        &causes,
    );
    assert!(worked.rejected.is_none(), "{:?}", worked.rejected);
    recorder
        .write(
            &mut tx,
            &CaseChange::changed(worked.step, Extras::default()),
            now,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let case1 = store.case(&first).await.unwrap().unwrap();
    let case2 = store.case(&second).await.unwrap().unwrap();
    assert_eq!(
        case1.cause.as_deref(),
        Some("the fee run of 1 December ran twice")
    );
    assert_eq!(
        case1.measure,
        Some(Measure {
            kind: MeasureKind::Routine,
            text: "fee runs are checked by two people".into()
        })
    );
    assert_eq!(case2.cause, case1.cause);
    assert_eq!(
        case2.measure.as_ref().map(|m| m.kind),
        Some(MeasureKind::None)
    );
    assert_eq!(case2.related, vec![first.clone()]);
    let links = store.links_of(&first).await.unwrap();
    assert_eq!(links[0].state, "confirmed");
    assert_eq!(links[0].by.as_deref(), Some(staff.as_str()));
    let timeline = store.timeline(&second).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|(_, e)| matches!(e, Event::CauseSet { from: Some(f), .. } if *f == first))
    );

    // #unrelated removes it again.
    let mut tx = store.begin().await.unwrap();
    let worked = case::work_staff_reply(
        &case2,
        &format!("#unrelated {first}"),
        &staff,
        "<s3@klagebot.localhost>",
        now,
        &recorder.rules,
    );
    recorder
        .write(
            &mut tx,
            &CaseChange::changed(worked.step, Extras::default()),
            now,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.links_of(&second).await.unwrap()[0].state, "removed");
    assert!(
        store
            .case(&second)
            .await
            .unwrap()
            .unwrap()
            .related
            .is_empty()
    );
}

/// Two transactions racing to alert one cluster: one alert.
async fn a_surge_is_recorded_once(store: &Store) {
    let at = start();
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.create_surge("KL-2026-000001", "fee", at, at, at)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.create_surge("KL-2026-000001", "fee", at, at, at)
            .await
            .unwrap()
    );
    // The daily update is claimed once a day.
    let later = at + Duration::days(1);
    let day_before = later - Duration::days(1);
    assert!(
        tx.claim_surge_update("KL-2026-000001", day_before, later)
            .await
            .unwrap()
    );
    assert!(
        !tx.claim_surge_update("KL-2026-000001", day_before, later)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("klagebot.db").display());
                let store = klagebot::store::Store::connect(&url).await.expect("open SQLite");
                crate::$test(&store).await;
                store.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let scratch = match crate::scratch::ScratchPostgres::create().await {
                    Ok(s) => s,
                    Err(e) => panic!("PostgreSQL is needed for this test: {e:#}"),
                };
                let store = klagebot::store::Store::connect(&scratch.url).await.expect("open PostgreSQL");
                crate::$test(&store).await;
                scratch.drop_schema(store).await.expect("drop the test schema");
            }
        }
    )*};
}

on_both_backends!(
    incidents_are_found_and_alerted_once,
    commands_set_links_causes_and_measures,
    a_surge_is_recorded_once,
);
