//! `klagebot audit`: the audit trail, who read or changed which case and when
//! (the command line's reads by OS user, staff mail commands by address).

use std::process::ExitCode;

use chrono::{NaiveTime, Utc};
use serde_json::json;

use super::AuditArgs;
use super::cases::printable;
use super::db::with_store;
use crate::config::Config;
use crate::domain::CaseRef;

pub fn run(config: &Config, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let case: Option<CaseRef> = args.case.as_deref().map(str::parse).transpose()?;
    let zone = config.company.jurisdiction.time_zone();
    let since = args.since.map(|d| {
        d.and_time(NaiveTime::MIN)
            .and_local_timezone(zone)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| d.and_time(NaiveTime::MIN).and_utc())
    });
    let rows = with_store(config, |store| async move {
        store.audit(case.as_ref(), since).await
    })?;
    for row in &rows {
        if args.json {
            let value = json!({
                "id": row.id, "at": row.at, "actor": row.actor, "action": row.action,
                "case": row.case_ref, "detail": row.detail,
            });
            println!("{value}");
        } else {
            println!(
                "{}",
                printable(&format!(
                    "{}  {:<32} {:<34} {:<16} {}",
                    row.at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S %Z"),
                    row.actor,
                    row.action,
                    row.case_ref.as_deref().unwrap_or("-"),
                    row.detail
                ))
            );
        }
    }
    if rows.is_empty() {
        eprintln!("no audit entries match");
    }
    Ok(ExitCode::SUCCESS)
}
