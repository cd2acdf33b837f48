//! No personal data or secret in any log line at any level, and no customer
//! text that can drive the operator's terminal.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::harness::{Harness, WAIT};
use crate::support::TestUser;

const SUBJECT_WORD: &str = "Gebyrsagzyxwvu";
const BODY_WORD: &str = "Qwertzuiopklage";
const NAME: &str = "Ærlig Navnesen";

fn complaint(from: &TestUser, to: &str, subject: &str) -> String {
    format!(
        "From: {NAME} <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@sender.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Jeg er meget utilfreds med gebyret {BODY_WORD} og vil klage over det.\r\n",
        from = from.address,
        id = crate::support::unique_local_part("log"),
    )
}

/// Runs the klagebot binary on the harness's config with `env` until the
/// customer has `count` mails; returns what it logged.
fn run_binary(
    h: &Harness,
    env: &[(&str, &str)],
    args: &[&str],
    until: (&TestUser, usize),
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("klagebot.toml");
    std::fs::write(&config, &h.config_text).unwrap();
    let log_path = dir.path().join("log");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .current_dir(dir.path())
        .envs(env.iter().copied())
        .args(["--config", config.to_str().unwrap()])
        .args(args)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("run the klagebot binary");
    h.servers.wait_for_messages(until.0, "INBOX", until.1, WAIT);
    Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(daemon.wait().unwrap().success(), "klagebot stops cleanly");
    let mut log = String::new();
    std::fs::File::open(&log_path)
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_subject_text_name_address_or_password_reaches_the_log_at_trace() {
    let h = Harness::new().await;
    let password = std::fs::read_to_string(&h.klage.password_file).unwrap();
    for format in ["text", "json"] {
        let customer = h.customer("logkunde");
        let subject = format!("Klage over {SUBJECT_WORD}");
        h.send(&customer, &complaint(&customer, &h.klage.address, &subject));
        let log = run_binary(
            &h,
            &[("RUST_LOG", "trace")],
            &["--log-format", format],
            (&customer, 1),
        );
        assert!(
            log.contains("DEBUG") || log.contains("\"DEBUG\""),
            "{format}: verbose"
        );
        assert!(
            log.contains("opened case"),
            "{format}: the log says what happened"
        );
        for secret in [
            SUBJECT_WORD,
            BODY_WORD,
            NAME,
            "Navnesen",
            customer.address.as_str(),
            customer.address.split('@').next().unwrap(),
            h.handler.address.as_str(),
            password.trim(),
        ] {
            assert!(
                !log.contains(secret),
                "{format}: {secret:?} is in the log:\n{log}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_and_cases_print_customer_text_with_control_characters_escaped() {
    use base64::Engine;
    let h = Harness::new().await;
    let customer = h.customer("terminal");
    // A subject that would plant a hyperlink and rewrite the line on a terminal.
    let evil = "Klage \u{1b}]8;;http://evil.example/\u{7}klik her\u{1b}]8;;\u{7}\r\u{1b}[2Kok";
    let encoded = format!(
        "=?utf-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(evil)
    );
    h.send(&customer, &complaint(&customer, &h.klage.address, &encoded));
    run_binary(&h, &[], &[], (&customer, 1));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("klagebot.toml");
    std::fs::write(&config, &h.config_text).unwrap();
    let cases = h.cases().await;
    let reference = cases[0].reference.to_string();
    for args in [vec!["cases"], vec!["case", reference.as_str()]] {
        let out = Command::new(env!("CARGO_BIN_EXE_klagebot"))
            .args(["--config", config.to_str().unwrap()])
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("klik her"),
            "{args:?}: the subject is shown:\n{stdout}"
        );
        for control in ['\u{1b}', '\u{7}', '\r'] {
            assert!(
                !stdout.contains(control),
                "{args:?}: {control:?} printed raw:\n{stdout:?}"
            );
        }
    }
}

/// A whole case's life through the binary at trace level: the complaint, the
/// handler's `#hold` and `#note` naming the customer, then `case`, `gdpr export`
/// and `audit` on the command line. No log line of any of it names the customer,
/// their address, subject or text; the staff command is in the audit trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_case_with_staff_commands_and_gdpr_export_logs_nothing_personal() {
    let h = Harness::new().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("klagebot.toml");
    std::fs::write(&config, &h.config_text).unwrap();
    let customer = h.customer("fullrun");
    let subject = format!("Klage over {SUBJECT_WORD}");
    h.send(&customer, &complaint(&customer, &h.klage.address, &subject));
    let log_path = dir.path().join("daemon.log");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .current_dir(dir.path())
        .env("RUST_LOG", "trace")
        .args(["--config", config.to_str().unwrap(), "run"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("run the klagebot binary");
    let notice = crate::harness::parsed(&h, &h.handler, 1).remove(0);
    let reference = h.wait_for_cases(1).await[0].reference.clone();
    crate::harness::staff_reply(
        &h,
        &notice,
        &format!("#hold {NAME} has gone to court\n#note {NAME} called about {BODY_WORD}\n"),
    );
    h.wait_for_event(&reference, "legal_hold").await;
    Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(daemon.wait().unwrap().success(), "klagebot stops cleanly");
    let mut log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("DEBUG") && log.contains("opened case"),
        "{log}"
    );

    let out = dir.path().join("export");
    let r = reference.to_string();
    let commands: [Vec<&str>; 3] = [
        vec!["case", &r],
        vec![
            "gdpr",
            "export",
            "--customer",
            &customer.address,
            "--out",
            out.to_str().unwrap(),
        ],
        vec!["audit", "--case", &r],
    ];
    let mut audit = String::new();
    for args in &commands {
        let run = Command::new(env!("CARGO_BIN_EXE_klagebot"))
            .env("RUST_LOG", "trace")
            .args(["--config", config.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        log.push_str(&String::from_utf8_lossy(&run.stderr));
        audit = String::from_utf8_lossy(&run.stdout).into_owned();
    }
    let exported = std::fs::read_to_string(out.join(format!("cases/{r}.txt"))).unwrap();
    assert!(
        exported.contains(BODY_WORD),
        "the export has the note: {exported}"
    );
    assert!(
        audit.contains(h.handler.address.as_str()) && audit.contains("#hold #note"),
        "the staff command is audited: {audit}"
    );
    for secret in [
        SUBJECT_WORD,
        BODY_WORD,
        NAME,
        "Navnesen",
        customer.address.as_str(),
        customer.address.split('@').next().unwrap(),
        h.handler.address.as_str(),
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
}
