//! `klagebot init`: a first config for a company, asked for on a terminal or
//! given as flags (scripts, tests), written with a comment on every setting; and
//! the token secret, made once, in a file only its owner reads (mode 0600).
//!
//! Secrets go into the credentials directory (default `/etc/credstore`, where the
//! klagebot unit's `LoadCredential=` finds them) and the config names them by bare
//! name (`token_secret_file = "klagebot.token_secret"`), never by value.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::config::{CompanyKind, Config};
use crate::domain::{EmailAddress, Jurisdiction};

/// The secret files' names: the unit loads credentials of these names.
pub const TOKEN_SECRET: &str = "klagebot.token_secret";
pub const IMAP_PASSWORD: &str = "klagebot.imap_password";
pub const SMTP_PASSWORD: &str = "klagebot.smtp_password";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the config.
    #[arg(long, default_value = "/etc/klagebot/klagebot.toml")]
    pub output: PathBuf,
    /// The directory for secret files (systemd's credential store).
    #[arg(long, default_value = "/etc/credstore")]
    pub credentials_dir: PathBuf,
    /// Replace an existing config file.
    #[arg(long)]
    pub force: bool,
    /// Never ask: missing values are an error (the default when stdin is not a terminal).
    #[arg(long)]
    pub non_interactive: bool,
    /// The company's name as customers know it.
    #[arg(long)]
    pub company_name: Option<String>,
    /// The company's mail domain, e.g. nordkort.dk.
    #[arg(long)]
    pub domain: Option<String>,
    /// The address customers write their complaints to.
    #[arg(long)]
    pub complaint_address: Option<EmailAddress>,
    /// dk, no or se.
    #[arg(long)]
    pub jurisdiction: Option<Jurisdiction>,
    /// What kind of company it is (decides the complaint boards).
    #[arg(long, value_enum)]
    pub kind: Option<CompanyKind>,
    /// A complaint handler as "Name <address>"; repeat for several.
    #[arg(long = "staff", value_name = "NAME <ADDRESS>")]
    pub staff: Vec<String>,
    /// The complaints manager, who gets escalations, as "Name <address>".
    #[arg(long, value_name = "NAME <ADDRESS>")]
    pub manager: Option<String>,
    /// The IMAP server of the complaint mailbox.
    #[arg(long)]
    pub mailbox_host: Option<String>,
    /// Default 993.
    #[arg(long)]
    pub mailbox_port: Option<u16>,
    /// Default: implicit on 993, starttls otherwise.
    #[arg(long, value_enum)]
    pub mailbox_tls: Option<Tls>,
    /// The IMAP login; default: the complaint address.
    #[arg(long)]
    pub mailbox_user: Option<String>,
    /// How klagebot logs in to the mailbox.
    #[arg(long, value_enum)]
    pub mailbox_auth: Option<Auth>,
    /// watch: a shared box people also read (peek, tag); own: the box is klagebot's (move).
    #[arg(long, value_enum)]
    pub mailbox_mode: Option<Mode>,
    /// The SMTP server for outgoing mail; default: the IMAP server.
    #[arg(long)]
    pub smtp_host: Option<String>,
    /// Default 587.
    #[arg(long)]
    pub smtp_port: Option<u16>,
    /// Default: implicit on 465, starttls otherwise.
    #[arg(long, value_enum)]
    pub smtp_tls: Option<Tls>,
    /// A CA certificate (PEM) to trust for the mail servers, besides the system's.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Default: SQLite in /var/lib/klagebot; or postgres://user@host/db (no password here).
    #[arg(long)]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tls {
    Implicit,
    Starttls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Auth {
    /// A password, read from a credential file.
    Password,
    /// OAuth2 (XOAUTH2), for Microsoft 365 and Gmail.
    Oauth2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Watch,
    Own,
}

macro_rules! value_name {
    ($t:ty) => {
        impl $t {
            fn name(self) -> String {
                self.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            }
        }
    };
}
value_name!(Tls);
value_name!(Auth);
value_name!(Mode);

/// A staff member as given: "Name <address>".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: EmailAddress,
}

impl FromStr for Person {
    type Err = String;

    fn from_str(s: &str) -> Result<Person, String> {
        let (name, rest) = s
            .split_once('<')
            .ok_or_else(|| format!("{s:?}: write it as \"Name <address>\""))?;
        let address = rest.trim_end().trim_end_matches('>');
        let email = EmailAddress::parse(address).map_err(|e| format!("{address:?}: {e}"))?;
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(format!("{s:?}: the name is missing"));
        }
        Ok(Person { name, email })
    }
}

/// Everything the config is made from.
#[derive(Debug, Clone)]
pub struct Answers {
    pub company_name: String,
    pub domain: String,
    pub complaint_address: EmailAddress,
    pub jurisdiction: Jurisdiction,
    pub kind: CompanyKind,
    pub staff: Vec<Person>,
    pub manager: Option<Person>,
    pub mailbox_host: String,
    pub mailbox_port: u16,
    pub mailbox_tls: Tls,
    pub mailbox_user: String,
    pub mailbox_mode: Mode,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub database_url: String,
}

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    if args.output.exists() && !args.force {
        bail!(
            "{} exists already; give --force to replace it, or --output for another file",
            args.output.display()
        );
    }
    let interactive = !args.non_interactive && std::io::stdin().is_terminal();
    let answers = if interactive {
        ask_all(args, &mut Terminal::new())?
    } else {
        from_flags(args)?
    };
    let text = render(&answers);
    // What `klagebot check` will read must parse and pass the checks now.
    Config::from_toml(&text).context("the config made from these answers is not valid")?;
    write_config(&args.output, &text)?;
    let secret = args.credentials_dir.join(TOKEN_SECRET);
    let made = ensure_token_secret(&args.credentials_dir, &secret)?;
    println!("wrote {}", args.output.display());
    if made {
        println!("wrote the token secret {} (mode 0600)", secret.display());
    } else {
        println!("kept the token secret {}", secret.display());
    }
    println!(
        "next: put the mailbox password into {dir}/{IMAP_PASSWORD} and the SMTP password into \
         {dir}/{SMTP_PASSWORD} (mode 0600), then run `CREDENTIALS_DIRECTORY={dir} klagebot --config {} check`",
        args.output.display(),
        dir = args.credentials_dir.display(),
    );
    Ok(ExitCode::SUCCESS)
}

fn from_flags(args: &InitArgs) -> anyhow::Result<Answers> {
    if args.mailbox_auth == Some(Auth::Oauth2) {
        bail!(oauth2_unsupported());
    }
    let mut missing = Vec::new();
    let mut need = |present: bool, flag: &'static str| {
        if !present {
            missing.push(flag);
        }
    };
    need(args.company_name.is_some(), "--company-name");
    need(args.domain.is_some(), "--domain");
    need(args.complaint_address.is_some(), "--complaint-address");
    need(args.jurisdiction.is_some(), "--jurisdiction");
    need(args.kind.is_some(), "--kind");
    need(!args.staff.is_empty(), "--staff");
    need(args.mailbox_host.is_some(), "--mailbox-host");
    if !missing.is_empty() {
        bail!(
            "missing {} (stdin is not a terminal, so nothing is asked)",
            missing.join(", ")
        );
    }
    let staff = args
        .staff
        .iter()
        .map(|s| s.parse::<Person>().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manager = args
        .manager
        .as_deref()
        .map(|m| m.parse::<Person>().map_err(anyhow::Error::msg))
        .transpose()?;
    let complaint_address = args.complaint_address.clone().expect("checked above");
    let mailbox_host = args.mailbox_host.clone().expect("checked above");
    let mailbox_port = args.mailbox_port.unwrap_or(993);
    let smtp_port = args.smtp_port.unwrap_or(587);
    Ok(Answers {
        company_name: args.company_name.clone().expect("checked above"),
        domain: args.domain.clone().expect("checked above"),
        jurisdiction: args.jurisdiction.expect("checked above"),
        kind: args.kind.expect("checked above"),
        staff,
        manager,
        mailbox_port,
        mailbox_tls: args.mailbox_tls.unwrap_or(default_tls(mailbox_port, 993)),
        mailbox_user: args
            .mailbox_user
            .clone()
            .unwrap_or_else(|| complaint_address.to_string()),
        mailbox_mode: args.mailbox_mode.unwrap_or(Mode::Watch),
        smtp_host: args
            .smtp_host
            .clone()
            .unwrap_or_else(|| mailbox_host.clone()),
        smtp_port,
        smtp_tls: args.smtp_tls.unwrap_or(default_tls(smtp_port, 465)),
        ca_file: args.ca_file.clone(),
        database_url: checked_database_url(args.database_url.clone())?,
        complaint_address,
        mailbox_host,
    })
}

fn oauth2_unsupported() -> &'static str {
    "this klagebot reads IMAP passwords only; OAuth2 sign-in is not in its config yet: choose password"
}

fn default_tls(port: u16, implicit_port: u16) -> Tls {
    if port == implicit_port {
        Tls::Implicit
    } else {
        Tls::Starttls
    }
}

fn checked_database_url(url: Option<String>) -> anyhow::Result<String> {
    let url = url.unwrap_or_else(|| "sqlite:///var/lib/klagebot/klagebot.db".into());
    if crate::store::redact_url(&url) != url {
        bail!(
            "the database URL holds a password: put the URL in an environment variable and set database.url_env instead"
        );
    }
    Ok(url)
}

/// Asks on the terminal for what the flags did not give, with defaults in brackets.
fn ask_all(args: &InitArgs, t: &mut Terminal) -> anyhow::Result<Answers> {
    eprintln!(
        "klagebot init: a few questions for {}",
        args.output.display()
    );
    let company_name = t.ask("Company name", args.company_name.clone(), None)?;
    let domain: String = t.ask("Mail domain (e.g. nordkort.dk)", args.domain.clone(), None)?;
    let complaint_address: EmailAddress = t.ask(
        "Complaint address",
        args.complaint_address.clone(),
        EmailAddress::parse(&format!("klage@{domain}")).ok(),
    )?;
    let jurisdiction = t.ask("Jurisdiction (dk, no, se)", args.jurisdiction, None)?;
    let kinds: Vec<&str> = CompanyKind::ALL.iter().map(|k| k.code()).collect();
    let kind = match args.kind {
        Some(kind) => kind,
        None => {
            let question = format!("Company kind ({})", kinds.join(", "));
            let code: String = t.ask_checked(&question, None, |s| {
                s.parse::<CompanyKind>()
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })?;
            code.parse::<CompanyKind>()
                .map_err(|e| anyhow::anyhow!("{e}"))?
        }
    };
    let mut staff: Vec<Person> = args
        .staff
        .iter()
        .map(|s| s.parse::<Person>().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    while staff.is_empty() {
        eprintln!(
            "Complaint handlers as \"Name <address>\", one per line; an empty line ends the list."
        );
        while let Some(person) = t.ask_optional::<Person>("Handler")? {
            staff.push(person);
        }
    }
    let manager = match &args.manager {
        Some(m) => Some(m.parse::<Person>().map_err(anyhow::Error::msg)?),
        None => t.ask_optional::<Person>("Complaints manager (escalations), empty for none")?,
    };
    let mailbox_host: String = t.ask(
        "IMAP server of the complaint mailbox",
        args.mailbox_host.clone(),
        Some(format!("imap.{domain}")),
    )?;
    let mailbox_port: u16 = t.ask("IMAP port", args.mailbox_port, Some(993))?;
    let mailbox_user = t.ask(
        "IMAP login",
        args.mailbox_user.clone(),
        Some(complaint_address.to_string()),
    )?;
    match args.mailbox_auth {
        Some(Auth::Oauth2) => bail!(oauth2_unsupported()),
        Some(Auth::Password) => {}
        None => {
            t.ask_checked(
                "Sign-in (password, oauth2)",
                Some(Auth::Password.name()),
                |s| match Auth::from_str(s, true) {
                    Ok(Auth::Password) => Ok(()),
                    Ok(Auth::Oauth2) => Err(oauth2_unsupported().into()),
                    Err(e) => Err(e),
                },
            )?;
        }
    }
    let mode: String = t.ask_checked(
        "Mailbox mode (watch: a shared box people read; own: klagebot's own box)",
        Some(args.mailbox_mode.unwrap_or(Mode::Watch).name()),
        |s| Mode::from_str(s, true).map(|_| ()),
    )?;
    let smtp_host: String = t.ask(
        "SMTP server",
        args.smtp_host.clone(),
        Some(mailbox_host.clone()),
    )?;
    let smtp_port: u16 = t.ask("SMTP port", args.smtp_port, Some(587))?;
    Ok(Answers {
        company_name,
        domain,
        complaint_address,
        jurisdiction,
        kind,
        staff,
        manager,
        mailbox_tls: args.mailbox_tls.unwrap_or(default_tls(mailbox_port, 993)),
        mailbox_host,
        mailbox_port,
        mailbox_user,
        mailbox_mode: Mode::from_str(&mode, true).map_err(anyhow::Error::msg)?,
        smtp_tls: args.smtp_tls.unwrap_or(default_tls(smtp_port, 465)),
        smtp_host,
        smtp_port,
        ca_file: args.ca_file.clone(),
        database_url: checked_database_url(args.database_url.clone())?,
    })
}

/// Questions on stderr, answers from stdin.
struct Terminal {
    stdin: std::io::StdinLock<'static>,
}

impl Terminal {
    fn new() -> Terminal {
        Terminal {
            stdin: std::io::stdin().lock(),
        }
    }

    fn line(&mut self, question: &str, default: Option<&str>) -> anyhow::Result<String> {
        match default {
            Some(d) => eprint!("{question} [{d}]: "),
            None => eprint!("{question}: "),
        }
        std::io::stderr().flush()?;
        let mut line = String::new();
        if self.stdin.read_line(&mut line)? == 0 {
            bail!("stdin ended before every question was answered");
        }
        let line = line.trim();
        Ok(match (line.is_empty(), default) {
            (true, Some(d)) => d.to_string(),
            _ => line.to_string(),
        })
    }

    /// `given` when the flags gave it; otherwise asks until the answer parses.
    fn ask<T: FromStr + ToString>(
        &mut self,
        question: &str,
        given: Option<T>,
        default: Option<T>,
    ) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        if let Some(value) = given {
            return Ok(value);
        }
        let default = default.map(|d| d.to_string());
        loop {
            let answer = self.line(question, default.as_deref())?;
            match answer.parse::<T>() {
                Ok(value) if !answer.is_empty() => return Ok(value),
                Ok(_) => eprintln!("  an answer is needed"),
                Err(e) => eprintln!("  {e}"),
            }
        }
    }

    fn ask_checked(
        &mut self,
        question: &str,
        default: Option<String>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> anyhow::Result<String> {
        loop {
            let answer = self.line(question, default.as_deref())?;
            match check(&answer) {
                Ok(()) => return Ok(answer),
                Err(e) => eprintln!("  {e}"),
            }
        }
    }

    /// None on an empty line.
    fn ask_optional<T: FromStr>(&mut self, question: &str) -> anyhow::Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        loop {
            let answer = self.line(question, None)?;
            if answer.is_empty() {
                return Ok(None);
            }
            match answer.parse::<T>() {
                Ok(value) => return Ok(Some(value)),
                Err(e) => eprintln!("  {e}"),
            }
        }
    }
}

/// The config file, every setting with a comment.
pub fn render(a: &Answers) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# klagebot configuration for {}, written by `klagebot init`.\n\
         # Check it with `klagebot check`; every setting is described in the example\n\
         # /usr/share/doc/klagebot/klagebot.example.toml. Secrets never stand here:\n\
         # a `*_file` with a bare name is a file in systemd's credential store\n\
         # (/etc/credstore), loaded by the klagebot unit with LoadCredential=.\n",
        a.company_name
    );
    let _ = writeln!(t, "[company]");
    let _ = writeln!(t, "name = {}", q(&a.company_name));
    let _ = writeln!(
        t,
        "domain = {}                # the domain of our Message-IDs",
        q(&a.domain)
    );
    let _ = writeln!(
        t,
        "complaint_address = {}     # customers write here; our mail comes from here",
        q(a.complaint_address.as_str())
    );
    let _ = writeln!(
        t,
        "jurisdiction = {}              # dk | no | se: holidays, complaint boards, time zone",
        q(a.jurisdiction.code())
    );
    let _ = writeln!(
        t,
        "kind = {}                      # bank | card_issuer | payment_institution | consumer_lender | crowdfunding | investment_firm",
        q(a.kind.code())
    );
    let _ = writeln!(
        t,
        "default_language = {}          # da | nb | nn | sv | en: when a mail's language is unclear",
        q(default_language(a.jurisdiction))
    );
    let _ = writeln!(
        t,
        "case_prefix = \"KL\"              # case references look like KL-2026-000123"
    );
    let _ = writeln!(
        t,
        "cutoff = \"16:00:00\"              # mail after this local time counts from the next working day\n"
    );
    let _ = writeln!(t, "[database]");
    let _ = writeln!(
        t,
        "url = {}   # or postgres://klagebot@db.internal/klagebot (a password only through url_env)\n",
        q(&a.database_url)
    );
    mailbox_section(&mut t, a, &q);
    let _ = writeln!(t, "[outgoing]");
    let _ = writeln!(t, "kind = \"smtp\"");
    let _ = writeln!(t, "host = {}", q(&a.smtp_host));
    let _ = writeln!(t, "port = {}", a.smtp_port);
    let _ = writeln!(
        t,
        "tls = {}                      # implicit (465) | starttls (587)",
        q(&a.smtp_tls.name())
    );
    if let Some(ca) = &a.ca_file {
        let _ = writeln!(t, "ca_file = {}", q(&ca.display().to_string()));
    }
    let _ = writeln!(t, "username = {}", q(&a.mailbox_user));
    let _ = writeln!(
        t,
        "password_file = {}     # the credential /etc/credstore/{SMTP_PASSWORD}",
        q(SMTP_PASSWORD)
    );
    let _ = writeln!(
        t,
        "max_per_address_per_hour = 10     # flood and loop guard: automatic mails to one address\n\
         max_per_address_per_day = 30\n"
    );
    let _ = writeln!(
        t,
        "[policy]                              # the law's limits; a company may promise less"
    );
    let _ = writeln!(
        t,
        "acknowledge_within_days = 3\nanswer_within_days = 15\nfinal_answer_within_days = 35\n"
    );
    let _ = writeln!(
        t,
        "[retention]                           # personal data is anonymised after this (GDPR art. 5(1)(e))\n\
         case_years = 5                        # years after a case ended (decided, closed, withdrawn); #hold keeps one longer\n\
         mail_days = 90                        # mail that opened or joined no case\n\
         quarantine_days = 30                  # mail klagebot could not handle\n\
         at = \"03:00:00\"                      # local time of the daily run\n"
    );
    for person in &a.staff {
        staff_entry(&mut t, person, "handler", &q);
    }
    if let Some(manager) = &a.manager {
        staff_entry(&mut t, manager, "complaints_manager", &q);
    }
    let _ = writeln!(t, "[security]");
    let _ = writeln!(
        t,
        "token_secret_file = {}    # HMAC secret of the staff reply tokens: /etc/credstore/{TOKEN_SECRET}",
        q(TOKEN_SECRET)
    );
    let _ = writeln!(
        t,
        "# authserv_id = \"mx.example.dk\"    # your MX's Authentication-Results id (\"exchange-online\" \
         for Microsoft 365):\n\
         #                                   colleagues' mail without a case token counts only when it \
         vouches; see the README"
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "[related]");
    let _ = writeln!(
        t,
        "window_days = 180    # a new case lists earlier cases about the same matter from this far back"
    );
    let _ = writeln!(
        t,
        "surge_count = 5      # this many about one matter within surge_hours: one alert to the complaints manager"
    );
    let _ = writeln!(t, "surge_hours = 48");
    t
}

fn mailbox_section(t: &mut String, a: &Answers, q: &dyn Fn(&str) -> String) {
    let _ = writeln!(t, "[[mailbox]]");
    let _ = writeln!(
        t,
        "name = \"klage\"                   # a short name for logs and the register's channel"
    );
    let _ = writeln!(t, "kind = \"imap\"");
    let mode_note = match a.mailbox_mode {
        Mode::Watch => "watch: peek only, tag complaints with a keyword, never move",
        Mode::Own => "own: move what klagebot handled to processed_folder",
    };
    let _ = writeln!(
        t,
        "mode = {}                     # {mode_note}",
        q(&a.mailbox_mode.name())
    );
    let _ = writeln!(t, "address = {}", q(a.complaint_address.as_str()));
    let _ = writeln!(t, "host = {}", q(&a.mailbox_host));
    let _ = writeln!(t, "port = {}", a.mailbox_port);
    let _ = writeln!(
        t,
        "tls = {}                      # implicit (993) | starttls (143)",
        q(&a.mailbox_tls.name())
    );
    if let Some(ca) = &a.ca_file {
        let _ = writeln!(t, "ca_file = {}", q(&ca.display().to_string()));
    }
    let _ = writeln!(t, "username = {}", q(&a.mailbox_user));
    let _ = writeln!(
        t,
        "password_file = {}     # sign-in by password: the credential /etc/credstore/{IMAP_PASSWORD}\n",
        q(IMAP_PASSWORD)
    );
}

fn staff_entry(t: &mut String, p: &Person, role: &str, q: &dyn Fn(&str) -> String) {
    let _ = writeln!(t, "[[staff]]");
    let _ = writeln!(t, "name = {}", q(&p.name));
    let _ = writeln!(t, "email = {}", q(p.email.as_str()));
    let _ = writeln!(
        t,
        "role = {}                # handler | complaint_officer | complaints_manager",
        q(role)
    );
    let _ = writeln!(
        t,
        "# phone = \"+45 70 00 00 00\"        # named in acknowledgements when set\n"
    );
}

fn default_language(j: Jurisdiction) -> &'static str {
    match j {
        Jurisdiction::Dk => "da",
        Jurisdiction::No => "nb",
        Jurisdiction::Se => "sv",
    }
}

fn write_config(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Makes the token secret unless it exists (a new one would void the reply
/// tokens in mail already sent); true when it was made.
fn ensure_token_secret(dir: &Path, path: &Path) -> anyhow::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("while reading /dev/urandom")?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(file, "{}", hex::encode(bytes))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers {
            company_name: "Nordkort \"Øst\" A/S".into(),
            domain: "nordkort.dk".into(),
            complaint_address: EmailAddress::parse("klage@nordkort.dk").unwrap(),
            jurisdiction: Jurisdiction::No,
            kind: CompanyKind::ConsumerLender,
            staff: vec!["Kari Nordmann <kari@nordkort.no>".parse().unwrap()],
            manager: Some("Lars Holm <lars@nordkort.dk>".parse().unwrap()),
            mailbox_host: "imap.nordkort.dk".into(),
            mailbox_port: 143,
            mailbox_tls: Tls::Starttls,
            mailbox_user: "klage".into(),
            mailbox_mode: Mode::Own,
            smtp_host: "smtp.nordkort.dk".into(),
            smtp_port: 465,
            smtp_tls: Tls::Implicit,
            ca_file: Some("/etc/ssl/company-ca.pem".into()),
            database_url: "postgres://klagebot@db/klagebot".into(),
        }
    }

    #[test]
    fn the_written_config_reads_back_as_answered() {
        let config = Config::from_toml(&render(&answers())).expect("valid config");
        assert_eq!(config.company.name, "Nordkort \"Øst\" A/S");
        assert_eq!(config.company.kind, CompanyKind::ConsumerLender);
        assert_eq!(config.company.jurisdiction, Jurisdiction::No);
        assert_eq!(config.company.default_language.code(), "nb");
        assert_eq!(config.staff.len(), 2);
        assert_eq!(
            config.staff[1].role,
            crate::config::StaffRole::ComplaintsManager
        );
        let mailbox = &config.mailboxes[0];
        assert_eq!(mailbox.mode, crate::config::MailboxMode::Own);
        assert_eq!(mailbox.port, Some(143));
        assert_eq!(
            mailbox.password_file.as_deref(),
            Some(Path::new(IMAP_PASSWORD))
        );
        assert_eq!(config.outgoing.tls, crate::config::TlsMode::Implicit);
        assert_eq!(
            config.security.token_secret_file.as_deref(),
            Some(Path::new(TOKEN_SECRET))
        );
        assert_eq!(
            config.database_url().unwrap(),
            "postgres://klagebot@db/klagebot"
        );
    }

    #[test]
    fn people_are_written_name_and_address() {
        let p: Person = "Mette Jensen <mette@nordkort.dk>".parse().unwrap();
        assert_eq!(
            (p.name.as_str(), p.email.as_str()),
            ("Mette Jensen", "mette@nordkort.dk")
        );
        assert!("mette@nordkort.dk".parse::<Person>().is_err());
        assert!("<mette@nordkort.dk>".parse::<Person>().is_err());
        assert!("Mette <not an address>".parse::<Person>().is_err());
    }

    #[test]
    fn database_passwords_stay_out_of_the_file() {
        let err = checked_database_url(Some("postgres://kb:pw@db/kb".into())).unwrap_err();
        assert!(err.to_string().contains("url_env"), "{err}");
        assert_eq!(
            checked_database_url(None).unwrap(),
            "sqlite:///var/lib/klagebot/klagebot.db"
        );
    }

    #[test]
    fn the_token_secret_is_private_and_made_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credstore");
        let path = creds.join(TOKEN_SECRET);
        assert!(ensure_token_secret(&creds, &path).unwrap());
        let first = std::fs::read_to_string(&path).unwrap();
        assert_eq!(first.trim().len(), 64);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        assert!(!ensure_token_secret(&creds, &path).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    }
}
