//! `klagebot calendar` as staff use it: the N-th working day after a date and the
//! working days between two dates, in JSON and in words, with and without a config.

use std::process::Command;

use serde_json::Value;

fn klagebot(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .args(args)
        .env_remove("KLAGEBOT_CONFIG")
        .output()
        .expect("the klagebot binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> Value {
    let (ok, stdout, stderr) = klagebot(args);
    assert!(ok, "klagebot {args:?} failed: {stderr}");
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"))
}

fn add(j: &str, from: &str, n: u32) -> String {
    let n = n.to_string();
    let v = json(&[
        "calendar",
        "--jurisdiction",
        j,
        "--from",
        from,
        "--add",
        &n,
        "--json",
    ]);
    assert_eq!(v["jurisdiction"], j);
    assert_eq!(v["from"], from);
    assert_eq!(v["add"].as_u64(), n.parse().ok());
    v["date"].as_str().unwrap_or_default().to_string()
}

/// (jurisdiction, from, N, the N-th working day after), each counted by hand from
/// the official holiday calendars.
const ADD: &[(&str, &str, u32, &str)] = &[
    ("dk", "2026-03-31", 2, "2026-04-07"), // Easter: Maundy Thursday to Easter Monday
    ("se", "2026-03-31", 2, "2026-04-02"), // Sweden works on Maundy Thursday
    ("dk", "2026-05-13", 1, "2026-05-18"), // Ascension + bank closing day
    ("no", "2026-05-13", 1, "2026-05-15"),
    ("dk", "2026-05-22", 1, "2026-05-26"), // Whit Monday
    ("se", "2026-05-22", 1, "2026-05-25"),
    ("se", "2026-06-18", 1, "2026-06-22"), // Midsummer Eve
    ("no", "2026-12-23", 1, "2026-12-28"), // Christmas
    ("no", "2026-12-30", 1, "2027-01-04"), // 31 Dec and New Year's Day
    ("se", "2027-01-05", 1, "2027-01-07"), // Epiphany
    ("no", "2027-05-14", 1, "2027-05-18"), // 17 May = Whit Monday
    ("dk", "2028-06-02", 1, "2028-06-06"), // 5 June = Whit Monday
    ("dk", "2026-12-07", 15, "2026-12-30"),
    ("dk", "2026-12-08", 15, "2027-01-04"),
    ("se", "2028-06-01", 15, "2028-06-26"),
    ("dk", "2030-04-17", 35, "2030-06-14"),
    ("dk", "2026-04-04", 0, "2026-04-07"), // 0 on a holiday weekend: the next working day
];

#[test]
fn add_working_days_across_the_feasts() {
    for (j, from, n, want) in ADD {
        assert_eq!(add(j, from, *n), *want, "{j} {from} + {n}");
    }
}

#[test]
fn jurisdiction_defaults_to_the_company_s() {
    // The embedded default company is Danish.
    let v = json(&["calendar", "--from", "2026-05-13", "--add", "1", "--json"]);
    assert_eq!(v["jurisdiction"], "dk");
    assert_eq!(v["date"], "2026-05-18");
}

#[test]
fn between_counts_working_days_after_a_up_to_b() {
    let v = json(&[
        "calendar",
        "--jurisdiction",
        "dk",
        "--between",
        "2026-12-23",
        "2027-01-04",
        "--json",
    ]);
    assert_eq!(v["from"], "2026-12-23");
    assert_eq!(v["to"], "2027-01-04");
    assert_eq!(v["working_days"], 4);
    let v = json(&[
        "calendar",
        "--jurisdiction",
        "se",
        "--between",
        "2026-06-22",
        "2026-06-17",
        "--json",
    ]);
    assert_eq!(v["working_days"], -2);
}

#[test]
fn text_output_names_the_skipped_holidays() {
    let (ok, stdout, _) = klagebot(&[
        "calendar",
        "--jurisdiction",
        "se",
        "--from",
        "2026-06-18",
        "--add",
        "1",
    ]);
    assert!(ok);
    assert!(stdout.contains("Monday 2026-06-22"), "{stdout}");
    assert!(stdout.contains("Midsommarafton"), "{stdout}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let (ok, _, stderr) = klagebot(&[
        "calendar",
        "--jurisdiction",
        "de",
        "--from",
        "2026-01-01",
        "--add",
        "1",
    ]);
    assert!(!ok);
    assert!(stderr.contains("dk, no or se"), "{stderr}");
    let (ok, _, stderr) = klagebot(&[
        "calendar",
        "--jurisdiction",
        "dk",
        "--from",
        "2026-02-30",
        "--add",
        "1",
    ]);
    assert!(!ok, "30 February is no date");
    assert!(stderr.contains("2026-02-30"), "{stderr}");
}

#[test]
fn a_config_adds_closures_and_its_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("klagebot.toml");
    let company =
        "[company]\nclosures = [{ from = 2026-12-28T00:00:00, to = 2026-12-30T23:59:00 }]\n";
    let config = klagebot::config::EMBEDDED_DEFAULT.replace("[company]\n", company);
    std::fs::write(&path, config).unwrap();
    let path = path.to_string_lossy().into_owned();
    let v = json(&[
        "calendar",
        "--config",
        &path,
        "--jurisdiction",
        "dk",
        "--from",
        "2026-12-23",
        "--add",
        "1",
        "--json",
    ]);
    assert_eq!(v["date"], "2027-01-04");
    let (ok, stdout, _) = klagebot(&[
        "calendar",
        "--config",
        &path,
        "--from",
        "2026-12-23",
        "--add",
        "1",
    ]);
    assert!(ok);
    assert!(stdout.contains("company closure"), "{stdout}");
}
