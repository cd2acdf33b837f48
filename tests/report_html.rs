//! `klagebot report --format html` on a year of generated complaints
//! (`tests/support/sample.rs`), as compliance reads it: every figure of the JSON
//! report stands in the page, the figures add up to the register, the page is
//! self-contained, and a real browser (Debian's chromium, headless) renders it
//! without a console message. The page, the JSON and a screenshot are left in
//! `target/tmp/report_html/` to look at. Also: the progress bar shows on a
//! terminal and nowhere else.

#[path = "support/sample.rs"]
mod sample;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use chrono::{Days, Utc};
use klagebot::case::Rules;
use klagebot::config::Config;
use serde_json::Value;

/// The year of cases, the period and the two reports of it, made once.
struct Reports {
    dir: PathBuf,
    from: String,
    to: String,
    json: Value,
    html: String,
}

fn reports() -> &'static Reports {
    static REPORTS: OnceLock<Reports> = OnceLock::new();
    REPORTS.get_or_init(make_reports)
}

fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_html");
    std::fs::create_dir_all(&dir).expect("create the test output folder");
    dir
}

fn klagebot(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_klagebot"));
    command.current_dir(dir).env_remove("KLAGEBOT_CONFIG");
    command
}

fn make_reports() -> Reports {
    let dir = output_dir();
    let _ = std::fs::remove_file(dir.join("klagebot.db"));
    let rules = Rules::from_config(&Config::embedded_default());
    let cases = sample::year_of_cases(Utc::now(), &rules, 2026);
    let url = format!("sqlite://{}", dir.join("klagebot.db").display());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let store = klagebot::store::Store::connect(&url)
                .await
                .expect("open SQLite");
            sample::store_cases(&store, &cases)
                .await
                .expect("store the sample year");
            store.close().await;
        });
    let today = Utc::now().date_naive();
    let from = (today - Days::new(365)).to_string();
    let to = today.to_string();
    for format in ["json", "html"] {
        let out = klagebot(&dir)
            .args(["report", "--from", &from, "--to", &to, "--format", format])
            .arg("--output")
            .arg(dir.join(format!("register.{format}")))
            .output()
            .expect("run klagebot report");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json = std::fs::read_to_string(dir.join("register.json")).expect("register.json");
    Reports {
        json: serde_json::from_str(&json).expect("the JSON report parses"),
        html: std::fs::read_to_string(dir.join("register.html")).expect("register.html"),
        dir,
        from,
        to,
    }
}

/// Every number under `value`, by its JSON path (`figures.answer.later`);
/// bucket bounds (`min`, `max`) are in the labels, not figures of their own.
fn leaves(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if !matches!(key.as_str(), "min" | "max" | "label") {
                    leaves(&format!("{prefix}.{key}"), v, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(&format!("{prefix}.{i}"), v, out);
            }
        }
        Value::Number(_) | Value::Null => {
            out.insert(prefix.to_string(), value.clone());
        }
        _ => {}
    }
}

#[test]
fn every_figure_of_the_json_report_stands_in_the_page() {
    let r = reports();
    let mut figures = BTreeMap::new();
    leaves("totals", &r.json["totals"], &mut figures);
    leaves("figures", &r.json["figures"], &mut figures);
    assert!(figures.len() > 150, "{} figures", figures.len());
    for (path, value) in &figures {
        let shown = match value {
            Value::Null => "–".to_string(),
            v => v.to_string(),
        };
        let needle = format!("data-figure=\"{path}\">{shown}<");
        assert!(r.html.contains(&needle), "the page lacks {needle}");
    }
    assert_eq!(
        r.html.matches("data-figure=").count(),
        figures.len(),
        "no figure in the page that the JSON report does not have"
    );
}

fn count_by(rows: &[Value], key: impl Fn(&Value) -> String) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts.entry(key(row)).or_default() += 1;
    }
    counts
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[test]
fn the_figures_add_up_to_the_register() {
    let r = reports();
    let rows = r.json["cases"].as_array().expect("cases");
    let f = &r.json["figures"];
    let n = |v: &Value| v.as_u64().unwrap_or(u64::MAX) as usize;
    let months: Vec<String> = f["months"]
        .as_array()
        .expect("months")
        .iter()
        .map(text)
        .collect();
    assert!((12..=13).contains(&months.len()), "{months:?}");
    type Key = fn(&Value) -> String;
    let breakdowns: [(&str, Key); 3] = [
        ("by_category", |row| match text(&row["category"]) {
            c if c.is_empty() => "uncategorised".into(),
            c => c,
        }),
        ("by_channel", |row| text(&row["channel"])),
        ("by_language", |row| text(&row["language"])),
    ];
    for (name, key) in breakdowns {
        let counted = count_by(rows, |row| {
            format!("{} {}", key(row), &text(&row["received"])[..7])
        });
        let map = f[name].as_object().expect(name);
        let mut total = 0;
        for (value, per_month) in map {
            for (i, month) in months.iter().enumerate() {
                let shown = n(&per_month[i]);
                let expected = counted
                    .get(&format!("{value} {month}"))
                    .copied()
                    .unwrap_or(0);
                assert_eq!(shown, expected, "{name} {value} {month}");
                total += shown;
            }
        }
        assert_eq!(total, rows.len(), "{name} covers every complaint");
    }
    let t = &r.json["totals"];
    let withdrawn = n(&t["withdrawn"]);
    let ack = &f["acknowledgement"];
    assert_eq!(
        n(&ack["in_time"]) + n(&ack["late"]) + n(&ack["pending"]),
        rows.len() - withdrawn
    );
    let a = &f["answer"];
    let answered = n(&a["within_answer_limit"]) + n(&a["within_final_limit"]) + n(&a["later"]);
    assert_eq!(answered, n(&f["time_to_answer"]["answered"]));
    assert_eq!(
        answered + n(&a["open_overdue"]) + n(&a["open_in_time"]),
        rows.len() - withdrawn
    );
    let open_missed = rows
        .iter()
        .filter(|row| row["deadline_met"] == Value::Bool(false))
        .filter(|row| text(&row["decided_at"]).is_empty() && text(&row["status"]) != "closed")
        .count();
    assert_eq!(n(&a["open_overdue"]), open_missed);
    let open_rows = rows
        .iter()
        .filter(|row| {
            matches!(
                text(&row["status"]).as_str(),
                "received" | "acknowledged" | "on_hold"
            )
        })
        .count();
    let aged: usize = f["open_by_age"]
        .as_array()
        .expect("ages")
        .iter()
        .map(|b| n(&b["count"]))
        .sum();
    assert_eq!(aged, open_rows);
    assert_eq!(n(&t["open"]), open_rows);
    let decided_days: Vec<i64> = rows
        .iter()
        .filter_map(|row| row["business_days_to_decision"].as_i64())
        .collect();
    let within = decided_days.iter().filter(|d| **d <= 15).count();
    // Cases closed without a decision also count as answered in the figures.
    assert!(n(&a["within_answer_limit"]) >= within);
    assert!(n(&a["within_answer_limit"]) - within <= rows.len() / 10);
}

#[test]
fn the_page_is_self_contained_with_a_chart_per_figure() {
    let html = &reports().html;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg ").count(), 7, "seven charts");
    assert!(html.contains("Content-Security-Policy"));
    for external in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "<script",
        "<link",
    ] {
        assert!(
            !html.contains(external),
            "the page loads something: {external}"
        );
    }
    let rows = reports().json["cases"].as_array().expect("cases").len();
    let register_rows = html.matches("<tr").count() - html.matches("<tr><th").count();
    assert_eq!(register_rows, rows, "one register row per case");
}

fn ensure_chromium() -> &'static str {
    static CHROMIUM: OnceLock<()> = OnceLock::new();
    CHROMIUM.get_or_init(|| {
        if Command::new("chromium")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return;
        }
        let installed = Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output();
        assert!(
            installed.is_ok_and(|o| o.status.success()),
            "chromium is missing and `apt-get install chromium` failed: install it as root"
        );
    });
    "chromium"
}

/// Headless chromium on `page` (as root it needs --no-sandbox); returns what it
/// wrote and every console message the page caused (CSP violations, failed
/// loads and script errors all land there).
fn chromium(page: &Path, mode: &[&str]) -> (Output, Vec<String>) {
    // A profile of its own: two instances on one profile get in each other's way.
    let profile = tempfile::tempdir().expect("temp dir");
    let out = Command::new(ensure_chromium())
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,5200",
        ])
        .args(mode)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    (out, console)
}

#[test]
fn a_browser_renders_it_without_a_console_message() {
    let r = reports();
    let page = r.dir.join("register.html");
    let (dom, console) = chromium(&page, &["--dump-dom"]);
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<h2>The register</h2>"),
        "the DOM as rendered: {}",
        &dom[..dom.len().min(500)]
    );
    let shot = r.dir.join("register.png");
    let _ = std::fs::remove_file(&shot);
    let (out, console) = chromium(&page, &[&format!("--screenshot={}", shot.display())]);
    assert!(out.status.success() && console.is_empty(), "{console:#?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG");
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert_eq!(width, 1280);
    assert!(
        png.len() > 100_000,
        "a page with charts, not a blank one: {} bytes",
        png.len()
    );
}

#[test]
fn the_browser_check_catches_a_page_that_loads_something() {
    let r = reports();
    let broken = r.dir.join("broken.html");
    let html = r.html.replace(
        "</body>",
        "<img src=\"https://example.invalid/logo.png\"><script>console.error('x')</script></body>",
    );
    std::fs::write(&broken, html).expect("write the broken page");
    let (_, console) = chromium(&broken, &["--dump-dom"]);
    assert!(
        console.len() >= 2,
        "both the image and the script are refused: {console:#?}"
    );
}

fn report_command(r: &Reports) -> Vec<String> {
    let bin = env!("CARGO_BIN_EXE_klagebot");
    vec![
        bin.to_string(),
        "report".into(),
        "--from".into(),
        r.from.clone(),
        "--to".into(),
        r.to.clone(),
        "--format".into(),
        "json".into(),
        "--output".into(),
        r.dir.join("progress.json").display().to_string(),
    ]
}

#[test]
fn a_progress_bar_on_a_terminal_and_nothing_elsewhere() {
    let r = reports();
    let command = report_command(r);
    let piped = klagebot(&r.dir)
        .args(&command[1..])
        .output()
        .expect("report");
    assert!(piped.status.success());
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !stderr.contains("register") && !stderr.contains('\u{1b}'),
        "no bar when piped: {stderr:?}"
    );
    // `script` (util-linux) runs it on a pseudo-terminal, as a person at a shell would.
    let on_terminal = Command::new("script")
        .args(["-qec", &command.join(" "), "/dev/null"])
        .current_dir(&r.dir)
        .env_remove("KLAGEBOT_CONFIG")
        .output()
        .expect("run script(1) from util-linux");
    assert!(on_terminal.status.success());
    let shown = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(
        shown.contains("building the register ["),
        "a bar on the terminal: {shown:?}"
    );
    let cases = r.json["cases"].as_array().expect("cases").len();
    assert!(
        shown.contains(&format!("/{cases}")),
        "counts the cases: {shown:?}"
    );
}
