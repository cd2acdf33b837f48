//! `klagebot report`: the complaint register of a period, as CSV for a
//! spreadsheet, as one JSON object with the register, the totals and the figures
//! behind the charts, or as one self-contained HTML page with charts. With CSV
//! the period totals are printed on stderr and, with `--output FILE.csv`, also
//! written beside it as `FILE-totals.csv`. On a terminal a progress bar shows
//! on stderr while it works; nothing when stderr is not a terminal.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{Days, NaiveDate, NaiveTime, Utc};

use super::db::{self, with_store};
use super::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::domain::Jurisdiction;
use crate::report::{self, Register, RegisterRules, Totals};

pub fn run(config: &Config, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    if args.to < args.from {
        bail!("--to {} is before --from {}", args.to, args.from);
    }
    let (from, to) = (args.from, args.to);
    let progress = super::progress::spinner("reading the cases from the database");
    // Cases are filed by their local date of receipt: fetch a day either side in
    // UTC and let the register pick by local date.
    let (cases, stored_names) = with_store(config, |store| async move {
        let start = utc_midnight(from.checked_sub_days(Days::new(1)).unwrap_or(from));
        let end = utc_midnight(to.checked_add_days(Days::new(2)).unwrap_or(to));
        let cases = store.cases_received_between(start, end).await?;
        let reads: Vec<_> = cases
            .iter()
            .map(|c| {
                db::audit_entry(
                    "report",
                    Some(&c.reference),
                    format!("register {from} to {to}"),
                )
            })
            .collect();
        store.append_audit_all(&reads, Utc::now()).await?;
        Ok((cases, store.staff_names().await?))
    })?;
    let names = staff_names(config, stored_names);
    // The national holidays and company closures of each case's jurisdiction.
    let calendars = crate::case::Rules::from_config(config);
    let days_between = |j: Jurisdiction, a: NaiveDate, b: NaiveDate| {
        calendars.calendar(j).working_days_between(a, b)
    };
    let rules = RegisterRules {
        answer_within_days: config.policy.answer_within_days,
        final_answer_within_days: config.policy.final_answer_within_days,
        today: db::today(config),
        days_between: &days_between,
        staff_names: &names,
    };
    let progress = super::progress::replace(progress, cases.len(), "building the register");
    let register =
        report::build_register_with_progress(&cases, from, to, &rules, &|| progress.inc(1));
    let progress = super::progress::replace(progress, 0, "writing the report");
    write_output(&register, config, args).context("while writing the report")?;
    progress.finish_and_clear();
    if args.format == ReportFormat::Csv {
        eprint!("{}", totals_text(&register.totals, from, to));
        if let Some(path) = &args.output {
            let totals_path = totals_path(path);
            let mut file = BufWriter::new(
                File::create(&totals_path)
                    .with_context(|| format!("cannot create {}", totals_path.display()))?,
            );
            report::csv::write_totals(&register.totals, &mut file)?;
            eprintln!("Totals written to {}", totals_path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `register.csv` → `register-totals.csv`, in the same folder.
fn totals_path(register: &Path) -> PathBuf {
    let stem = register
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "register".into());
    register.with_file_name(format!("{stem}-totals.csv"))
}

fn write_output(register: &Register, config: &Config, args: &ReportArgs) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    match args.format {
        ReportFormat::Csv => report::csv::write_register(register, &mut out)?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, register)?;
            out.write_all(b"\n")?;
        }
        ReportFormat::Html => {
            let generated = Utc::now()
                .with_timezone(&config.company.jurisdiction.time_zone())
                .format("%Y-%m-%d %H:%M")
                .to_string();
            let page = report::html::Page {
                company: &config.company.name,
                generated: &generated,
            };
            out.write_all(report::html::render(register, &page).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Names of the configured staff, over those remembered in the database.
fn staff_names(config: &Config, mut names: HashMap<String, String>) -> HashMap<String, String> {
    for s in &config.staff {
        names.insert(s.email.key(), s.name.clone());
    }
    names
}

fn utc_midnight(d: NaiveDate) -> chrono::DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// The period figures, readable in a terminal.
fn totals_text(t: &Totals, from: NaiveDate, to: NaiveDate) -> String {
    let mut s = format!("Complaints received {from} – {to}: {}\n", t.received);
    let figures = [
        ("decided", t.decided),
        ("still open", t.open),
        ("withdrawn (not a complaint)", t.withdrawn),
        ("deadline met", t.deadline_met),
        ("deadline missed", t.deadline_missed),
        ("escalated", t.escalated),
        ("referred to external bodies", t.referred),
    ];
    for (label, n) in figures {
        s.push_str(&format!("  {label:<30} {n}\n"));
    }
    s.push_str("By category:\n");
    for (k, n) in &t.by_category {
        s.push_str(&format!("  {k:<30} {n}\n"));
    }
    s.push_str("By outcome:\n");
    for (k, n) in &t.by_outcome {
        s.push_str(&format!("  {k:<30} {n}\n"));
    }
    s
}
