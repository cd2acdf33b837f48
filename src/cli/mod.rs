//! The command line: one subcommand per file, each a thin shell around the library.
//! Every command takes `--config FILE`; without it the embedded default applies.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::domain::Jurisdiction;
use crate::telemetry::{self, LogFormat};

pub mod calendar;
pub mod cases;
pub mod check;
pub mod classify;
mod db;
mod docs;
pub mod init;
mod progress;
pub mod report;
pub mod run;

/// klagebot: complaint mail for regulated Nordic financial companies.
#[derive(Debug, Parser)]
#[command(name = "klagebot", version, about, long_about = None)]
pub struct Cli {
    /// The TOML config file; without it (or with an empty KLAGEBOT_CONFIG) the
    /// embedded default is used (SQLite ./klagebot.db, Maildir ./maildir, outgoing
    /// mail as files in ./outgoing).
    // PathBuf's own parser refuses an empty value; `Environment=KLAGEBOT_CONFIG=`
    // in a unit drop-in is how an operator asks for the embedded default.
    #[arg(long, global = true, env = "KLAGEBOT_CONFIG",
          value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from))]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll the mailboxes, open cases, send mail, fire deadlines.
    Run(RunArgs),
    /// Offline: what the daemon would decide for each mail file, and why.
    Classify(ClassifyArgs),
    /// List cases from the database.
    Cases(CasesArgs),
    /// Show one case and its whole timeline.
    Case(CaseArgs),
    /// The complaint register and period figures for the supervisor.
    Report(ReportArgs),
    /// Validate the config, render every template and try every configured server.
    Check(CheckArgs),
    /// Working-day arithmetic for a jurisdiction.
    Calendar(CalendarArgs),
    /// Write a first config, asking on a terminal or taking flags, and the token secret.
    Init(Box<init::InitArgs>),
    /// Write the man pages and shell completions into DIR (for packaging).
    #[command(hide = true)]
    GenerateDocs(GenerateDocsArgs),
}

#[derive(Debug, Args)]
pub struct GenerateDocsArgs {
    /// The folder to write `man/` and `completions/` into.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Handle what is waiting once, deliver the outbox, and exit (no IDLE, no polling loop).
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// One JSON object per file per line.
    #[arg(long)]
    pub json: bool,
    /// The mailbox whose default language and jurisdiction apply.
    #[arg(long)]
    pub mailbox: Option<String>,
    /// The mail files (.eml) to classify.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CasesArgs {
    /// Only cases that still owe the customer an answer.
    #[arg(long)]
    pub open: bool,
    /// Only open cases past their answer date.
    #[arg(long)]
    pub overdue: bool,
    /// Only open cases whose answer is due within N working days.
    #[arg(long, value_name = "N")]
    pub due_within: Option<u32>,
    /// One JSON object per case per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CaseArgs {
    /// The case reference, e.g. KL-2026-000123.
    pub reference: String,
    /// The case and its timeline as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The register for a spreadsheet (the totals on stderr).
    Csv,
    /// One object: the register, the totals and the figures behind the charts.
    Json,
    /// One self-contained page with the figures, charts and the register.
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day of the period (received on or after), YYYY-MM-DD.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day of the period (received on or before), YYYY-MM-DD.
    #[arg(long)]
    pub to: NaiveDate,
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    pub format: ReportFormat,
    /// Write the register to this file instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Only validate config and templates; do not connect to any server.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// dk, no or se; default: the company's jurisdiction.
    #[arg(long)]
    pub jurisdiction: Option<Jurisdiction>,
    /// The start date, YYYY-MM-DD.
    #[arg(long, required_unless_present = "between")]
    pub from: Option<NaiveDate>,
    /// The N-th working day strictly after --from.
    #[arg(long, value_name = "N", requires = "from", conflicts_with = "between")]
    pub add: Option<u32>,
    /// Working days after A up to and including B.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub between: Option<Vec<NaiveDate>>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs a parsed command line; errors are printed once, with their whole chain.
pub fn main(cli: Cli) -> ExitCode {
    telemetry::init(cli.log_format);
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("klagebot: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Init(args) => return init::run(args),
        Command::GenerateDocs(args) => return docs::run(&args.dir),
        _ => {}
    }
    // An empty KLAGEBOT_CONFIG (e.g. `Environment=KLAGEBOT_CONFIG=` in a unit
    // drop-in) means no config file: the embedded default.
    let path = cli.config.as_deref().filter(|p| !p.as_os_str().is_empty());
    let config = Config::load_or_default(path)?;
    match cli.command {
        Command::Run(args) => run::run(&config, &args),
        Command::Classify(args) => classify::run(&config, &args),
        Command::Cases(args) => cases::list(&config, &args),
        Command::Case(args) => cases::show(&config, &args),
        Command::Report(args) => report::run(&config, &args),
        Command::Check(args) => check::run(&config, &args),
        Command::Calendar(args) => calendar::run(&config, &args),
        Command::Init(_) | Command::GenerateDocs(_) => {
            unreachable!("handled before the config is read")
        }
    }
}
