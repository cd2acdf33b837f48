//! `klagebot gdpr export` (a customer's access request: every case as JSON and
//! as readable text, every mail from and to them as the original `.eml`, and an
//! index, in a folder or a `.zip`) and `klagebot gdpr erase` (anonymise a
//! customer's data at once where no retention duty applies), and `klagebot
//! gdpr retention [--run]` (what the retention period made due; anonymise it now).
//! Each is recorded in the audit trail.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::json;

use super::cases::{describe, local, outgoing_json};
use super::db::{self, with_store};
use super::{GdprCommand, GdprEraseArgs, GdprExportArgs};
use crate::config::Config;
use crate::domain::EmailAddress;
use crate::privacy::{self, CaseExport, CustomerExport};

pub fn run(config: &Config, command: &GdprCommand) -> anyhow::Result<ExitCode> {
    match command {
        GdprCommand::Export(args) => export(config, args),
        GdprCommand::Erase(args) => erase(config, args),
        GdprCommand::Retention(args) => retention(config, args.run),
    }
}

/// What `[retention]` makes due now, and with `run` anonymises it (recorded).
fn retention(config: &Config, run: bool) -> anyhow::Result<ExitCode> {
    let retention = config.retention.clone();
    let now = Utc::now();
    let (due, done) = with_store(config, |store| async move {
        let due = store.retention_preview(&retention.cutoffs(now)).await?;
        if !run {
            return Ok((due, None));
        }
        let mut tx = store.begin().await?;
        let done = privacy::anonymise_expired(&mut tx, &retention, now).await?;
        let detail = format!("{} cases, {} mails", done.cases.len(), done.mails);
        tx.append_audit(&db::audit_entry("gdpr retention run", None, detail), now)
            .await?;
        for reference in &done.cases {
            let entry = db::audit_entry("gdpr retention run", Some(reference), String::new());
            tx.append_audit(&entry, now).await?;
        }
        tx.commit().await?;
        if let Err(err) = store.reclaim_space().await {
            eprintln!("klagebot: warning: the freed space is not reclaimed yet: {err:#}");
        }
        Ok((due, Some(done)))
    })?;
    let r = &config.retention;
    println!(
        "due now: {} case(s) ended over {} year(s) ago, {} mail(s) of no case over {} days old, \
         {} quarantined mail(s) over {} days old; {} expired case(s) kept on legal hold",
        due.cases,
        r.case_years,
        due.mails,
        r.mail_days,
        due.quarantined,
        r.quarantine_days,
        due.held
    );
    if let Some(done) = done {
        for reference in &done.cases {
            println!("{reference}: anonymised");
        }
        println!(
            "{} case(s) and {} mail(s) anonymised",
            done.cases.len(),
            done.mails
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn export(config: &Config, args: &GdprExportArgs) -> anyhow::Result<ExitCode> {
    let address = EmailAddress::parse(&args.customer)
        .map_err(|e| anyhow::anyhow!("--customer {:?}: {e}", args.customer))?;
    let now = Utc::now();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("gdpr-export-{}", now.format("%Y%m%d-%H%M%S"))));
    let zip = args.zip
        || out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let data = with_store(config, |store| async move {
        let data = privacy::collect(&store, address.as_str()).await?;
        let mut reads: Vec<_> = data
            .cases
            .iter()
            .map(|c| db::audit_entry("gdpr export", Some(&c.case.reference), String::new()))
            .collect();
        let mails = format!("{} mails, {} cases", data.received.len(), data.cases.len());
        reads.push(db::audit_entry("gdpr export", None, mails));
        store.append_audit_all(&reads, now).await?;
        Ok(data)
    })?;
    let files = export_files(&data, now)?;
    if zip {
        let out = match out.extension() {
            Some(_) => out,
            None => out.with_extension("zip"),
        };
        write_new(&out, &super::zip::archive(&files)?)?;
        eprintln!("{} files written to {}", files.len(), out.display());
    } else {
        if out.exists() {
            bail!("{} exists already: choose another --out", out.display());
        }
        for (name, bytes) in &files {
            let path = out.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            write_new(&path, bytes)?;
        }
        eprintln!("{} files written to {}", files.len(), out.display());
    }
    println!(
        "{} cases, {} mails received, {} mails sent",
        data.cases.len(),
        data.received.len(),
        data.cases.iter().map(|c| c.sent.len()).sum::<usize>()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes a file that must not exist yet (an export never overwrites).
fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The export's files by their path inside the folder or archive.
pub fn export_files(
    data: &CustomerExport,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut index_cases = Vec::new();
    let mut index = String::new();
    writeln!(index, "What klagebot holds about {}", data.address)?;
    writeln!(index, "Collected {}", now.format("%Y-%m-%d %H:%M UTC"))?;
    let linked: Vec<&str> = data.addresses.iter().map(String::as_str).collect();
    writeln!(index, "Addresses the cases link: {}", linked.join(", "))?;
    writeln!(index, "\nCases ({}):", data.cases.len())?;
    for export in &data.cases {
        let reference = export.case.reference.to_string();
        let json_name = format!("cases/{reference}.json");
        let text_name = format!("cases/{reference}.txt");
        let mut sent_files = Vec::new();
        for m in &export.sent {
            let name = format!("mail/sent-{}.eml", m.id);
            files.push((name.clone(), m.raw.clone()));
            sent_files.push(name);
        }
        files.push((json_name.clone(), case_json(export)?));
        files.push((text_name.clone(), case_text(export)?.into_bytes()));
        writeln!(
            index,
            "  {reference}  {}  received {}  {text_name}, {json_name}",
            export.case.status.code(),
            local(&export.case, export.case.received_at)
        )?;
        index_cases.push(json!({
            "reference": reference, "status": export.case.status.code(),
            "json": json_name, "text": text_name, "sent_mail": sent_files,
        }));
    }
    writeln!(
        index,
        "\nMail received from the customer ({}):",
        data.received.len()
    )?;
    let mut index_mail = Vec::new();
    for mail in &data.received {
        let name = format!("mail/received-{}.eml", mail.id);
        let case = mail.case_ref.as_deref().unwrap_or("no case");
        let when = mail.received_at.format("%Y-%m-%d %H:%M UTC");
        match mail.anonymised {
            true => writeln!(
                index,
                "  #{}  {when}  {case}  (anonymised: no content kept)",
                mail.id
            )?,
            false => {
                writeln!(index, "  #{}  {when}  {case}  {name}", mail.id)?;
                files.push((name.clone(), mail.raw.clone()));
            }
        }
        index_mail.push(json!({
            "id": mail.id, "received_at": mail.received_at, "mailbox": mail.mailbox,
            "status": mail.status, "case": mail.case_ref, "anonymised": mail.anonymised,
            "file": (!mail.anonymised).then_some(name),
        }));
    }
    let index_json = json!({
        "customer": data.address, "addresses": data.addresses, "collected_at": now,
        "cases": index_cases, "received_mail": index_mail,
    });
    files.insert(0, ("index.txt".into(), index.into_bytes()));
    files.insert(
        1,
        ("index.json".into(), serde_json::to_vec_pretty(&index_json)?),
    );
    Ok(files)
}

fn case_json(export: &CaseExport) -> anyhow::Result<Vec<u8>> {
    let value = json!({
        "case": export.case,
        "timeline": export.timeline.iter().map(|(at, e)| json!({"at": at, "kind": e.kind(), "event": e})).collect::<Vec<_>>(),
        "sent_mail": export.sent.iter().map(|m| {
            let mut v = outgoing_json(m);
            v["file"] = json!(format!("mail/sent-{}.eml", m.id));
            v
        }).collect::<Vec<_>>(),
        "deadlines": export.deadlines.iter().map(|(key, due)| json!({"key": key, "due_at": due})).collect::<Vec<_>>(),
    });
    Ok(serde_json::to_vec_pretty(&value)?)
}

/// The case as a person reads it: its facts, its timeline and decisions, the mail sent.
fn case_text(export: &CaseExport) -> anyhow::Result<String> {
    let case = &export.case;
    let at = |t: Option<chrono::DateTime<Utc>>| t.map(|t| local(case, t)).unwrap_or("-".into());
    let mut text = String::new();
    let customer = match &case.customer_name {
        Some(name) => format!("{name} <{}>", case.customer),
        None => case.customer.to_string(),
    };
    for (label, value) in [
        ("Case", case.reference.to_string()),
        ("Subject", case.subject.clone()),
        ("Customer", customer),
        ("Status", case.status.code().replace('_', " ")),
        (
            "Category",
            case.category.map(|c| c.code()).unwrap_or("-").into(),
        ),
        ("Received", local(case, case.received_at)),
        ("Acknowledged", at(case.acknowledged_at)),
        ("Answer due", case.answer_due.to_string()),
        ("Holding reply", at(case.holding_reply_at)),
        ("Decided", at(case.decided_at)),
        (
            "Outcome",
            case.outcome.map(|o| o.code()).unwrap_or("-").into(),
        ),
        ("Closed", at(case.closed_at)),
    ] {
        writeln!(text, "{:<15} {value}", format!("{label}:"))?;
    }
    writeln!(text, "\nTimeline:")?;
    for (when, event) in &export.timeline {
        let (at, kind) = (local(case, *when), event.kind());
        writeln!(text, "  {at}  {kind:<24} {}", describe(event))?;
    }
    writeln!(text, "\nMail sent to the customer:")?;
    for m in &export.sent {
        let when = at(m.sent_at);
        writeln!(text, "  {when}  {}  mail/sent-{}.eml", m.kind, m.id)?;
    }
    Ok(text)
}

fn erase(config: &Config, args: &GdprEraseArgs) -> anyhow::Result<ExitCode> {
    let address = EmailAddress::parse(&args.customer)
        .map_err(|e| anyhow::anyhow!("--customer {:?}: {e}", args.customer))?;
    if args.reason.trim().is_empty() {
        bail!("--reason must say why the data is erased (it is kept in the audit trail)");
    }
    let retention = config.retention.clone();
    let (reason, override_retention) = (args.reason.clone(), args.override_retention);
    let result = with_store(config, |store| async move {
        let actor = db::os_user();
        privacy::erase(
            &store,
            address.as_str(),
            &reason,
            override_retention,
            &actor,
            &retention,
            Utc::now(),
        )
        .await
    })?;
    for reference in &result.erased {
        println!("{reference}: anonymised");
    }
    for reference in &result.already {
        println!("{reference}: anonymised already");
    }
    if result.mails > 0 {
        println!("{} mails deleted", result.mails);
    }
    if result.kept.is_empty() {
        if result.erased.is_empty() && result.already.is_empty() && result.mails == 0 {
            println!("nothing stored about this address");
        }
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "klagebot: refused for {} case(s): a retention duty applies",
        result.kept.len()
    );
    for (reference, kept) in &result.kept {
        eprintln!("  {reference}: {kept}");
    }
    if !args.override_retention
        && result
            .kept
            .iter()
            .any(|(_, k)| matches!(k, privacy::Kept::Until(_)))
    {
        eprintln!(
            "--override-retention erases ended cases before their period ends (recorded with the reason)"
        );
    }
    Ok(ExitCode::FAILURE)
}
