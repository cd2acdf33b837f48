//! What the reading commands (`cases`, `case`, `report`, `gdpr`, `audit`) share:
//! opening the existing database on a small runtime, today's date where the
//! company is, and who is at the keyboard for the audit trail.

use std::future::Future;

use anyhow::Context;
use chrono::{NaiveDate, Utc};

use crate::config::Config;
use crate::domain::CaseRef;
use crate::store::{AuditEntry, Store};

/// Runs `work` against the configured database, which must exist already.
pub fn with_store<T, F, Fut>(config: &Config, work: F) -> anyhow::Result<T>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let url = config.database_url()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::connect_existing(&url).await?;
        let result = work(store.clone()).await;
        store.close().await;
        result
    })
}

/// Today's date in the company's jurisdiction.
pub fn today(config: &Config) -> NaiveDate {
    Utc::now()
        .with_timezone(&config.company.jurisdiction.time_zone())
        .date_naive()
}

/// Who runs this command, for the audit trail: `os:NAME` from `$USER` or
/// `$LOGNAME`, else the account of the process's user id.
pub fn os_user() -> String {
    let from_env = ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty());
    let name = from_env
        .or_else(account_of_uid)
        .unwrap_or_else(|| "unknown".into());
    format!("os:{name}")
}

/// The name `/etc/passwd` gives the process's real user id (`uid N` without one).
fn account_of_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|l| {
        let fields: Vec<&str> = l.split(':').collect();
        (fields.get(2) == Some(&uid.as_str())).then(|| fields[0].to_string())
    });
    Some(name.unwrap_or(format!("uid {uid}")))
}

/// An audit trail line for a command line read or change by the OS user.
pub fn audit_entry(action: &str, case_ref: Option<&CaseRef>, detail: String) -> AuditEntry {
    AuditEntry {
        actor: os_user(),
        action: action.to_string(),
        case_ref: case_ref.cloned(),
        detail,
    }
}
