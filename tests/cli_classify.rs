//! `klagebot classify` as a user runs it: one JSON line per file with the DESIGN §4
//! keys, a table without `--json`, an error for an unreadable file while the
//! others still go through, and a non-zero exit code when any file failed.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn klagebot() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klagebot"));
    cmd.env_remove("KLAGEBOT_CONFIG").env("RUST_LOG", "off");
    cmd
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/classify")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn json_lines_carry_the_contract_keys() {
    let out = klagebot()
        .args(["classify", "--json"])
        .arg(fixture("da_escalation_klageansvarlig.eml"))
        .arg(fixture("auto_dsn_of_our_acknowledgement.eml"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    for key in [
        "file",
        "complaint",
        "language",
        "automated",
        "case_ref",
        "escalation_request",
        "category",
        "reasons",
    ] {
        assert!(lines.iter().all(|l| l.get(key).is_some()), "missing {key}");
    }
    assert_eq!(lines[0]["case_ref"], "KL-2026-000233");
    assert_eq!(lines[0]["escalation_request"], true);
    assert_eq!(lines[1]["automated"], true);
    assert_eq!(lines[1]["complaint"], false);
    assert!(
        lines[1]["reasons"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
}

#[test]
fn an_unreadable_file_fails_alone() {
    let out = klagebot()
        .args(["classify", "--json", "/nonexistent/mail.eml"])
        .arg(fixture("sv_fee_klagomal.eml"))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/mail.eml"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "the readable file still gets its line"
    );
    assert!(stdout.contains("\"language\":\"sv\""));
}

#[test]
fn table_without_json_and_mailbox_default_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("klagebot.toml");
    std::fs::write(
        &config,
        "[company]\nname = \"Test Bank\"\ndomain = \"bank.example\"\ncomplaint_address = \"klage@bank.example\"\n\
         default_language = \"da\"\n\n[[mailbox]]\nname = \"oslo\"\nkind = \"maildir\"\npath = \"md\"\ndefault_language = \"nb\"\n",
    )
    .expect("write config");
    let short = dir.path().join("short.eml");
    std::fs::write(
        &short,
        "From: a@b.no\r\nSubject: Re: x\r\nIn-Reply-To: <x@y>\r\n\r\nOk!\r\n",
    )
    .expect("write mail");
    let out = klagebot()
        .arg("--config")
        .arg(&config)
        .args(["classify", "--mailbox", "oslo"])
        .arg(&short)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("FILE"), "{stdout}");
    assert!(
        stdout.lines().nth(1).is_some_and(|l| l.contains(" nb ")),
        "{stdout}"
    );
}
