//! Failing logins and their alarm: one alarm per failure, kept across restarts and
//! between instances, and a new one only after the login worked again.

use chrono::Duration;
use klagebot::alarm::{ALARM_KIND, Alarms, Login};
use klagebot::config::{Config, EMBEDDED_DEFAULT};
use klagebot::inbox::InboxError;
use klagebot::oauth::{ProviderError, TokenError};
use klagebot::store::Store;

use crate::t;

fn config() -> Config {
    let text = format!(
        "{EMBEDDED_DEFAULT}\n[alerts]\nto = [\"drift@nordvik.test\", \"Lars.Holm@klagebot.localhost\"]\nafter = \"30m\"\n"
    );
    Config::from_toml(&text).expect("a config with alerts")
}

fn revoked() -> anyhow::Error {
    let token = TokenError::Refused {
        url: "https://login.microsoftonline.com/t/oauth2/v2.0/token".into(),
        status: 400,
        error: ProviderError {
            code: "invalid_grant".into(),
            description: Some("AADSTS70008: The refresh token has expired.".into()),
        },
    };
    anyhow::Error::new(InboxError::Token {
        mailbox: "klage".into(),
        source: token,
    })
    .context("while connecting")
}

fn unreachable() -> anyhow::Error {
    anyhow::anyhow!("connection refused")
}

async fn alarm_mails(
    store: &Store,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<klagebot::store::Outgoing> {
    let claimed = store
        .claim_outgoing(at, 50, "sender", std::time::Duration::from_secs(60))
        .await
        .expect("claim");
    claimed
        .into_iter()
        .filter(|m| m.kind == ALARM_KIND)
        .collect()
}

pub async fn one_alarm_per_failure_and_another_after_recovery(store: &Store) {
    let config = config();
    let login = Login::Mailbox("klage".into());
    let alarms = Alarms::default();
    let t0 = t(8, 0);

    // An unreachable server shows on /healthz but never alarms.
    for at in [t0, t0 + Duration::hours(1)] {
        assert!(
            !alarms
                .failed(store, &config, &login, unreachable().as_ref(), at)
                .await
                .unwrap()
        );
    }
    assert_eq!(alarms.failing().len(), 1);
    assert!(!alarms.failing()[0].problem.login_failure);

    let t1 = t0 + Duration::hours(2);
    let failed = |at| {
        let (alarms, config, login) = (&alarms, &config, &login);
        async move {
            alarms
                .failed(store, config, login, revoked().as_ref(), at)
                .await
                .unwrap()
        }
    };
    assert!(!failed(t1).await, "the first failure");
    assert!(
        !failed(t1 + Duration::minutes(29)).await,
        "not yet 30 minutes"
    );
    assert!(failed(t1 + Duration::minutes(31)).await, "the alarm");
    assert!(!failed(t1 + Duration::minutes(40)).await, "only one");
    let failing = alarms.failing();
    assert_eq!(
        failing[0].problem.provider.as_ref().unwrap().code,
        "invalid_grant"
    );

    // A restart remembers both the failure's start and its alarm.
    let restarted = Alarms::default();
    let again = restarted
        .failed(
            store,
            &config,
            &login,
            revoked().as_ref(),
            t1 + Duration::minutes(50),
        )
        .await
        .unwrap();
    assert!(!again, "no second alarm after a restart");

    restarted.recovered(store, &login).await.unwrap();
    assert!(restarted.failing().is_empty());
    let t2 = t1 + Duration::hours(1);
    let fail_again = |at| {
        let (restarted, config, login) = (&restarted, &config, &login);
        async move {
            restarted
                .failed(store, config, login, revoked().as_ref(), at)
                .await
                .unwrap()
        }
    };
    assert!(!fail_again(t2).await);
    assert!(
        fail_again(t2 + Duration::minutes(31)).await,
        "a new failure, a new alarm"
    );

    let mails = alarm_mails(store, t2 + Duration::hours(1)).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    for mail in &mails {
        assert_eq!(mail.case_ref, None);
        let mut to = mail.recipients.clone();
        to.sort();
        assert_eq!(
            to,
            ["drift@nordvik.test", "lars.holm@klagebot.localhost"],
            "each once"
        );
        let raw = String::from_utf8_lossy(&mail.raw);
        assert!(raw.contains("invalid_grant"), "{raw}");
    }
}

pub async fn two_instances_raise_one_alarm(store: &Store) {
    let config = config();
    let login = Login::Outgoing;
    let (a, b) = (Alarms::default(), Alarms::default());
    let t0 = t(9, 0);
    assert!(
        !a.failed(store, &config, &login, revoked().as_ref(), t0)
            .await
            .unwrap()
    );
    let later = t0 + Duration::minutes(45);
    let (err_a, err_b) = (revoked(), revoked());
    let (x, y) = tokio::join!(
        a.failed(store, &config, &login, err_a.as_ref(), later),
        b.failed(store, &config, &login, err_b.as_ref(), later),
    );
    assert_eq!(
        [x.unwrap(), y.unwrap()]
            .iter()
            .filter(|queued| **queued)
            .count(),
        1,
        "exactly one of them queues the alarm"
    );
    assert_eq!(alarm_mails(store, later).await.len(), 1);
}
