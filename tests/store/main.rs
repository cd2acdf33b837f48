//! The store suite: every test runs twice, on SQLite (a fresh file) and on
//! PostgreSQL (a fresh database on `KLAGEBOT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`). PostgreSQL not answering is a
//! failure that says how to start it, never a silent skip.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use klagebot::case::{Case, Event, Outcome, Status, Tier};
use klagebot::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};
use klagebot::report::{self as register_report, RegisterRules};
use klagebot::store::{
    CaseFilter, Direction, InboundInsert, InboundStatus, NewInbound, NewOutgoing, OutgoingState,
    Store,
};

/// Runs `$test(&Store)` once per backend, each on a database of its own.
macro_rules! on_both_backends {
    ($($module:ident :: $test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("klagebot.db").display());
                let store = klagebot::store::Store::connect(&url).await.expect("open SQLite");
                crate::$module::$test(&store).await;
                store.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let scratch = match crate::scratch::ScratchPostgres::create().await {
                    Ok(s) => s,
                    Err(e) => panic!("PostgreSQL is needed for this test: {e:#}"),
                };
                let store = klagebot::store::Store::connect(&scratch.url).await.expect("open PostgreSQL");
                crate::$module::$test(&store).await;
                scratch.drop_schema(store).await.expect("drop the test schema");
            }
        }
    )*};
}

#[path = "../support/postgres.rs"]
mod scratch;

mod cases;
mod deadlines;
mod group;
mod inbound;
mod logins;
mod outbox;
mod privacy;
mod register;

on_both_backends!(
    inbound::inbound_mail_is_stored_once,
    inbound::mailbox_sync_state_round_trips,
    inbound::mailbox_lease_has_one_holder,
    inbound::a_dead_holder_loses_its_mailbox_at_once,
    cases::references_are_gapless_under_concurrent_writers,
    cases::case_round_trips_and_filters,
    cases::timeline_keeps_append_order,
    cases::message_ids_thread_to_their_case,
    cases::writers_of_one_case_take_turns,
    cases::crossed_writers_are_told_to_retry,
    cases::corrections_keep_labels_and_features,
    outbox::outbox_claims_lease_retries_and_fails,
    outbox::outbox_claims_never_overlap,
    outbox::a_returning_server_makes_waiting_mail_due,
    outbox::floods_are_counted_and_summarised_once_an_hour,
    deadlines::deadlines_fire_once_under_concurrency,
    deadlines::deadlines_move_cancel_and_stay_fired,
    group::a_rolled_back_mail_leaves_the_others_of_its_transaction,
    group::an_uncommitted_group_leaves_nothing,
    register::report_csv_opens_cleanly_in_a_spreadsheet,
    logins::one_alarm_per_failure_and_another_after_recovery,
    logins::two_instances_raise_one_alarm,
    privacy::retention_anonymises_exactly_what_expired,
    privacy::the_daily_run_is_claimed_once,
    privacy::export_finds_every_case_and_mail_of_the_customer,
    privacy::erasure_is_refused_then_overridden_and_recorded,
);

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn reference(n: u32) -> CaseRef {
    CaseRef::new("KL", 2026, n).unwrap()
}

fn sample_case(n: u32, received_at: DateTime<Utc>) -> Case {
    Case {
        reference: reference(n),
        status: Status::Received,
        tier: Tier::ComplaintsDepartment,
        mailbox: "klage".into(),
        jurisdiction: Jurisdiction::Dk,
        language: Language::Da,
        category: None,
        customer: addr("Ole.Hansen@Example.dk"),
        customer_name: None,
        subject: "Gebyr".into(),
        contact: Some(addr("mette@bank.dk")),
        received_at,
        acknowledge_due: date(2026, 11, 25),
        answer_due: date(2026, 12, 11),
        final_due: date(2027, 1, 12),
        acknowledged_at: None,
        holding_reply_at: None,
        decided_at: None,
        outcome: None,
        closed_at: None,
        escalated_at: None,
        referred: false,
        related: vec![],
        customer_message_id: format!("<m{n}@example.dk>"),
        last_customer_message_id: format!("<m{n}@example.dk>"),
        next_message_seq: 1,
        cause: None,
        measure: None,
    }
}

async fn insert(store: &Store, case: &Case) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_case(case).await.unwrap();
    tx.commit().await.unwrap();
}

fn inbound<'a>(mailbox: &'a str, key: &str, mid: &str, sha: &str, raw: &'a [u8]) -> NewInbound<'a> {
    NewInbound {
        mailbox,
        source_key: key.into(),
        message_id: mid.into(),
        sha256: sha.into(),
        identity: format!("test:{sha}:{mid}"),
        sender: Some("ole@example.dk".into()),
        fingerprint: Some(u64::MAX - 1),
        raw,
        received_at: t(9, 0),
    }
}

/// The two backends' migrations must describe the same tables and columns.
#[tokio::test]
async fn both_backends_have_the_same_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("klagebot.db").display());
    let sqlite = Store::connect(&url).await.expect("open SQLite");
    let scratch = match crate::scratch::ScratchPostgres::create().await {
        Ok(s) => s,
        Err(e) => panic!("PostgreSQL is needed for this test: {e:#}"),
    };
    let postgres = Store::connect(&scratch.url).await.expect("open PostgreSQL");
    let (a, b) = (
        sqlite.schema().await.unwrap(),
        postgres.schema().await.unwrap(),
    );
    assert!(
        a.iter().any(|(t, _)| t == "cases") && a.len() >= 10,
        "{a:?}"
    );
    assert_eq!(a, b);
    scratch
        .drop_schema(postgres)
        .await
        .expect("drop the test schema");
}

/// The scratch databases' names and statements.
mod scratch_names {
    use super::scratch;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            scratch::with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            scratch::with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            scratch::with_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }

    #[test]
    fn run_names_parse_and_odd_statements_are_refused() {
        assert_eq!(
            scratch::parse_run_name("klagebot_test_1763780000_4242"),
            Some((1763780000, 4242))
        );
        assert_eq!(scratch::parse_run_name("klagebot_test_x_1"), None);
        assert!(scratch::checked("DROP SCHEMA t1 CASCADE").is_ok());
        assert!(scratch::checked("DROP SCHEMA t1; DROP TABLE x").is_err());
    }
}
