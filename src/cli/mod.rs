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

pub mod audit;
pub mod calendar;
pub mod cases;
pub mod check;
pub mod classify;
mod db;
mod docs;
pub mod eval;
pub mod gdpr;
pub mod init;
pub mod labelled;
pub mod oauth;
pub mod preview;
mod progress;
pub mod report;
pub mod run;
pub mod train;
mod zip;

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
    /// OAuth2 for Microsoft 365 and Google Workspace mailboxes.
    Oauth(OauthArgs),
    /// Render one mail template with sample data and the configured company and staff.
    Preview(PreviewArgs),
    /// Retrain the complaint model on the shipped corpus plus the company's labels.
    Train(TrainArgs),
    /// Measure a complaint model on labelled mail.
    Eval(EvalArgs),
    /// A customer's personal data: their access request (export) and erasure.
    Gdpr(GdprArgs),
    /// Who read or changed which case, and when (the audit trail).
    Audit(AuditArgs),
    /// Write a first config, asking on a terminal or taking flags, and the token secret.
    Init(Box<init::InitArgs>),
    /// Write the man pages and shell completions into DIR (for packaging).
    #[command(hide = true)]
    GenerateDocs(GenerateDocsArgs),
}

#[derive(Debug, Args)]
pub struct OauthArgs {
    #[command(subcommand)]
    pub command: OauthCommand,
}

#[derive(Debug, Subcommand)]
pub enum OauthCommand {
    /// A person approves klagebot's access in a browser (device code); the refresh
    /// token is saved in the login's refresh_token_file.
    Login(OauthLoginArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("login").required(true).args(["mailbox", "outgoing"]))]
pub struct OauthLoginArgs {
    /// The [[mailbox]] whose IMAP login this is for.
    #[arg(long, value_name = "NAME")]
    pub mailbox: Option<String>,
    /// The [outgoing] SMTP server's login.
    #[arg(long)]
    pub outgoing: bool,
}

#[derive(Debug, Args)]
pub struct GdprArgs {
    #[command(subcommand)]
    pub command: GdprCommand,
}

#[derive(Debug, Subcommand)]
pub enum GdprCommand {
    /// Everything klagebot holds about a customer (an access request): each case
    /// as JSON and as text, every mail from and to them as .eml, and an index.
    Export(GdprExportArgs),
    /// Anonymise a customer's data at once where no retention duty applies.
    Erase(GdprEraseArgs),
    /// What the retention period has made due for anonymisation; with --run,
    /// anonymise it now instead of waiting for the daily job.
    Retention(GdprRetentionArgs),
}

#[derive(Debug, Args)]
pub struct GdprRetentionArgs {
    /// Anonymise what is due now (the daily job does the same at retention.at).
    #[arg(long)]
    pub run: bool,
}

#[derive(Debug, Args)]
pub struct GdprExportArgs {
    /// The customer's email address.
    #[arg(long, value_name = "ADDRESS")]
    pub customer: String,
    /// The folder to write (must not exist), or an archive ending in .zip;
    /// default: ./gdpr-export-DATE-TIME.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write one .zip archive instead of a folder.
    #[arg(long)]
    pub zip: bool,
}

#[derive(Debug, Args)]
pub struct GdprEraseArgs {
    /// The customer's email address.
    #[arg(long, value_name = "ADDRESS")]
    pub customer: String,
    /// Why (kept in the audit trail).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Also erase ended cases whose retention period has not passed (recorded).
    #[arg(long)]
    pub override_retention: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only the entries of this case.
    #[arg(long, value_name = "REF")]
    pub case: Option<String>,
    /// Only entries from this local day on, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub since: Option<NaiveDate>,
    /// One JSON object per entry per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Also learn from the corrections staff made (#notcomplaint, #open, #category).
    #[arg(long)]
    pub from_db: bool,
    /// Also learn from labelled mail: a folder with complaint/ and not_complaint/
    /// (NAME.eml in each), or NAME.eml beside NAME.json; or a .jsonl file.
    #[arg(long, value_name = "DIR")]
    pub labelled: Vec<PathBuf>,
    /// Where to write the model (default: classify.model_file, else ./complaint_model.tsv).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the model even when it recognises more than one point fewer of the
    /// test set's complaints.
    #[arg(long)]
    pub force: bool,
    /// How much one of the company's labels counts against one shipped mail.
    #[arg(long, default_value_t = 5.0)]
    pub weight: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitRole {
    Train,
    Validation,
    Test,
}

impl From<SplitRole> for crate::classify::training::corpus::Role {
    fn from(role: SplitRole) -> Self {
        use crate::classify::training::corpus::Role;
        match role {
            SplitRole::Train => Role::Train,
            SplitRole::Validation => Role::Validation,
            SplitRole::Test => Role::Test,
        }
    }
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled mail: a folder with complaint/ and not_complaint/, or golden
    /// pairs NAME.eml + NAME.json; or a .jsonl file.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "split",
        required_unless_present = "split"
    )]
    pub labelled: Option<PathBuf>,
    /// Instead: one part of the corpus shipped in the binary.
    #[arg(long, value_enum)]
    pub split: Option<SplitRole>,
    /// The model file to measure (default: classify.model_file, else the embedded model).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// The mailbox whose default language applies to the labelled mail.
    #[arg(long)]
    pub mailbox: Option<String>,
    /// Also list every mail whose complaint or language came out wrong.
    #[arg(long)]
    pub misses: bool,
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
pub struct PreviewArgs {
    /// The template kind, e.g. acknowledgement or decision (see --list).
    #[arg(required_unless_present = "list")]
    pub kind: Option<crate::outbox::TemplateKind>,
    /// List the template kinds and whom each goes to.
    #[arg(long, conflicts_with = "kind")]
    pub list: bool,
    /// The mail's language: da, nb, nn, sv or en; default: the company's.
    #[arg(long)]
    pub lang: Option<crate::domain::Language>,
    /// The case's category (fees, card, payment, loan, investment, service,
    /// privacy, marketing, fraud, other); default: none yet.
    #[arg(long)]
    pub category: Option<crate::domain::Category>,
    /// dk, no or se; default: the company's jurisdiction.
    #[arg(long)]
    pub jurisdiction: Option<Jurisdiction>,
    /// The decision's outcome; default: rejected.
    #[arg(long, value_enum)]
    pub outcome: Option<OutcomeArg>,
    /// Why a staff_escalation is sent; default: breached.
    #[arg(long, value_enum)]
    pub trigger: Option<TriggerArg>,
    /// What a staff_update reports; default: customer-wrote.
    #[arg(long, value_enum)]
    pub update: Option<UpdateArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutcomeArg {
    Rejected,
    Partial,
    Upheld,
}

impl From<OutcomeArg> for crate::case::Outcome {
    fn from(arg: OutcomeArg) -> Self {
        match arg {
            OutcomeArg::Rejected => crate::case::Outcome::Rejected,
            OutcomeArg::Partial => crate::case::Outcome::PartiallyUpheld,
            OutcomeArg::Upheld => crate::case::Outcome::Upheld,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TriggerArg {
    CustomerRequest,
    DueSoon,
    Breached,
}

impl From<TriggerArg> for crate::outbox::context::EscalationTrigger {
    fn from(arg: TriggerArg) -> Self {
        use crate::outbox::context::EscalationTrigger as T;
        match arg {
            TriggerArg::CustomerRequest => T::CustomerRequest,
            TriggerArg::DueSoon => T::DueSoon,
            TriggerArg::Breached => T::Breached,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpdateArg {
    CustomerWrote,
    Assigned,
    AutomaticHoldingReply,
    AnkenaevnEligible,
    UnverifiedAnswer,
}

impl From<UpdateArg> for crate::outbox::context::UpdateKind {
    fn from(arg: UpdateArg) -> Self {
        use crate::outbox::context::UpdateKind as U;
        match arg {
            UpdateArg::CustomerWrote => U::CustomerWrote,
            UpdateArg::Assigned => U::Assigned,
            UpdateArg::AutomaticHoldingReply => U::AutomaticHoldingReply,
            UpdateArg::AnkenaevnEligible => U::AnkenaevnEligible,
            UpdateArg::UnverifiedAnswer => U::UnverifiedAnswer,
        }
    }
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
        Command::Oauth(args) => oauth::run(&config, &args),
        Command::Preview(args) => preview::run(&config, &args),
        Command::Train(args) => train::run(&config, &args),
        Command::Eval(args) => eval::run(&config, &args),
        Command::Gdpr(args) => gdpr::run(&config, &args.command),
        Command::Audit(args) => audit::run(&config, &args),
        Command::Init(_) | Command::GenerateDocs(_) => {
            unreachable!("handled before the config is read")
        }
    }
}
