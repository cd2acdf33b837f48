//! The three reference companies in `examples/companies/`: each passes
//! `klagebot check --offline` with its secrets in the environment, and takes one
//! complaint end to end when its servers are swapped for a local Maildir, a folder
//! of outgoing mail and SQLite (as the embedded default runs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use klagebot::config::Config;
use klagebot::domain::Language;
use klagebot::outbox::dates::in_words;
use mail_parser::MessageParser;

const SECRET: &str = "a-dummy-secret-of-sufficient-length";

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/companies")
        .join(name)
}

/// Every `*_env` variable the config names, set to a dummy value.
fn env_of(table: &toml::Table) -> BTreeMap<String, String> {
    fn walk(value: &toml::Value, out: &mut BTreeMap<String, String>) {
        match value {
            toml::Value::Table(t) => {
                for (key, v) in t {
                    match v.as_str() {
                        Some(var) if key.ends_with("_env") => {
                            out.insert(var.to_string(), SECRET.to_string());
                        }
                        _ => walk(v, out),
                    }
                }
            }
            toml::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk(&toml::Value::Table(table.clone()), &mut out);
    out
}

fn klagebot(config: &Path, env: &BTreeMap<String, String>, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .arg("--config")
        .arg(config)
        .args(args)
        .envs(env)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn succeeded(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {out}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn read(name: &str) -> toml::Table {
    let text = std::fs::read_to_string(example(name)).unwrap();
    toml::from_str(&text).unwrap()
}

/// The example with its servers swapped for local ones under `dir`; the company,
/// staff, policy, calendar and texts stay as they are.
fn run_locally(table: &toml::Table, dir: &Path) -> PathBuf {
    let mut local = table.clone();
    let company = table["company"].as_table().unwrap();
    let address = company["complaint_address"].clone();
    let maildir = dir.join("maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let mut mailbox = toml::Table::new();
    mailbox.insert("name".into(), "klage".into());
    mailbox.insert("kind".into(), "maildir".into());
    mailbox.insert("mode".into(), "own".into());
    mailbox.insert("path".into(), maildir.display().to_string().into());
    mailbox.insert("address".into(), address);
    local.insert("mailbox".into(), toml::Value::Array(vec![mailbox.into()]));
    let mut outgoing = toml::Table::new();
    outgoing.insert("kind".into(), "folder".into());
    outgoing.insert(
        "path".into(),
        dir.join("outgoing").display().to_string().into(),
    );
    local.insert("outgoing".into(), outgoing.into());
    let mut database = toml::Table::new();
    let url = format!("sqlite://{}", dir.join("klagebot.db").display());
    database.insert("url".into(), url.into());
    local.insert("database".into(), database.into());
    let path = dir.join("local.toml");
    std::fs::write(&path, toml::to_string(&local).unwrap()).unwrap();
    path
}

/// The mail the customer got, as (subject, body).
fn customer_mail(dir: &Path, customer: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir.join("outgoing")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let mail = MessageParser::default().parse(&bytes).unwrap();
        let to_customer = mail
            .to()
            .and_then(|t| t.first())
            .and_then(|a| a.address())
            .is_some_and(|a| a.eq_ignore_ascii_case(customer));
        if to_customer {
            let subject = mail.subject().unwrap_or_default().to_string();
            found.push((subject, mail.body_text(0).unwrap_or_default().into_owned()));
        }
    }
    found
}

struct Company {
    file: &'static str,
    complaint: &'static str,
    customer: &'static str,
    language: Language,
    subject: &'static str,
}

const COMPANIES: [Company; 3] = [
    Company {
        file: "amex-dk.toml",
        complaint: "da_double_charge_no_keyword.eml",
        customer: "mette.kjaer@gmail.com",
        language: Language::Da,
        subject: "Vi har modtaget din klage",
    },
    Company {
        file: "amex-no.toml",
        complaint: "nb_fraud_card_abroad.eml",
        customer: "eirik.moen@icloud.com",
        language: Language::Nb,
        subject: "Vi har mottatt klagen din",
    },
    Company {
        file: "kameo-dk.toml",
        complaint: "da_double_charge_no_keyword.eml",
        customer: "mette.kjaer@gmail.com",
        language: Language::Da,
        subject: "Vi har modtaget din klage",
    },
];

#[test]
fn each_reference_company_passes_the_offline_check() {
    for company in COMPANIES {
        let table = read(company.file);
        let env = env_of(&table);
        assert!(env.len() >= 4, "{}: {env:?}", company.file);
        let out = succeeded(&klagebot(
            &example(company.file),
            &env,
            &["check", "--offline"],
        ));
        assert!(out.contains("all checks passed"), "{}: {out}", company.file);
        // Without its secrets the check fails and says which.
        let missing = klagebot(
            &example(company.file),
            &BTreeMap::new(),
            &["check", "--offline"],
        );
        assert!(!missing.status.success(), "{}", company.file);
    }
}

#[test]
fn no_reference_company_names_a_closed_or_wrong_body() {
    for company in COMPANIES {
        let text = std::fs::read_to_string(example(company.file)).unwrap();
        let config = Config::load(&example(company.file)).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            assert_eq!(klagebot::outbox::forbidden::mention(line), None, "{line}");
        }
        assert!(!config.staff.is_empty());
    }
}

#[test]
fn one_complaint_goes_end_to_end_through_each_reference_company() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/classify");
    for company in COMPANIES {
        let dir = tempfile::tempdir().unwrap();
        let table = read(company.file);
        let env = env_of(&table);
        let config_path = run_locally(&table, dir.path());
        let config = Config::load(&config_path).unwrap();
        std::fs::copy(
            fixtures.join(company.complaint),
            dir.path().join("maildir/new/1.eml"),
        )
        .unwrap();
        succeeded(&klagebot(&config_path, &env, &["run", "--once"]));
        let cases = succeeded(&klagebot(&config_path, &env, &["cases", "--json"]));
        let case: klagebot::case::Case =
            serde_json::from_str(cases.lines().next().expect("one case")).unwrap();
        assert_eq!(case.language, company.language, "{}", company.file);
        assert!(
            case.reference
                .to_string()
                .starts_with(&config.company.case_prefix),
            "{}",
            case.reference
        );
        let contact = case
            .contact
            .as_ref()
            .and_then(|c| config.staff_by_address(c))
            .expect("a configured contact person");
        let mail = customer_mail(dir.path(), company.customer);
        let (subject, body) = mail
            .iter()
            .find(|(s, _)| s.starts_with(company.subject))
            .unwrap_or_else(|| panic!("{}: no acknowledgement in {mail:?}", company.file));
        assert!(subject.contains(&case.reference.to_string()), "{subject}");
        assert!(body.contains(&contact.name), "{}: {body}", company.file);
        assert!(body.contains(&contact.email.to_string()), "{body}");
        let due = in_words(case.answer_due, company.language);
        assert!(body.contains(&due), "{}: no {due} in {body}", company.file);
        assert!(body.contains(&config.company.name), "{body}");
    }
}

#[test]
fn check_refuses_an_automatic_holding_reply_without_its_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = read("amex-dk.toml");
    let env = env_of(&table);
    let policy = table["policy"].as_table_mut().unwrap();
    policy.insert("auto_holding_reply".into(), true.into());
    let path = dir.path().join("auto.toml");
    std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
    let out = klagebot(&path, &env, &["check", "--offline"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auto_holding_reason"), "{err}");
    assert!(err.contains("fees.da"), "{err}");
}
