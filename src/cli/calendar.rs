//! `klagebot calendar`: the working-day questions staff ask ("what is 15 working days
//! after 22 December in Norway?"), answered from the same calendar the deadlines use.

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde_json::json;

use super::CalendarArgs;
use crate::case::calendar::{Calendar, DayOff};
use crate::config::Config;
use crate::domain::Jurisdiction;

/// More working days than this is no deadline but a typo (about 400 years).
const MAX_ADD: u32 = 100_000;

pub fn run(config: &Config, args: &CalendarArgs) -> anyhow::Result<ExitCode> {
    let j = args.jurisdiction.unwrap_or(config.company.jurisdiction);
    let calendar = Calendar::from_config(&config.company, j);
    let answer = answer(&calendar, args)?;
    if args.json {
        println!("{}", answer.json);
    } else {
        println!("{}", answer.text);
    }
    Ok(ExitCode::SUCCESS)
}

/// One answer in both forms.
#[derive(Debug)]
struct Answer {
    json: serde_json::Value,
    text: String,
}

fn answer(cal: &Calendar, args: &CalendarArgs) -> anyhow::Result<Answer> {
    if let Some(dates) = &args.between {
        let [a, b] = dates[..] else {
            bail!("--between needs two dates: --between YYYY-MM-DD YYYY-MM-DD");
        };
        if args.from.is_some_and(|from| from != a) {
            bail!("--from and --between name different start dates; give only --between A B");
        }
        return Ok(between(cal, a, b));
    }
    let from = args
        .from
        .context("give --from YYYY-MM-DD (with --add N) or --between A B")?;
    match args.add {
        Some(n) => add(cal, from, n),
        None => Ok(describe(cal, from)),
    }
}

/// The n-th working day strictly after `from`.
fn add(cal: &Calendar, from: NaiveDate, n: u32) -> anyhow::Result<Answer> {
    if n > MAX_ADD {
        bail!("--add {n}: at most {MAX_ADD} working days");
    }
    let date = cal
        .checked_add_working_days(from, n)
        .with_context(|| format!("{n} working days after {from} is beyond the calendar"))?;
    let skipped = days_off(cal, from, date);
    let json = json!({
        "jurisdiction": cal.jurisdiction().code(),
        "from": from.to_string(),
        "add": n,
        "date": date.to_string(),
        "skipped": skipped_json(&skipped),
    });
    let mut text = format!(
        "{}: {n} working day{} after {} is {}.",
        country(cal.jurisdiction()),
        plural(i64::from(n)),
        long(from),
        long(date)
    );
    text.push_str(&skipped_text(&skipped));
    Ok(Answer { json, text })
}

/// Working days after `a` up to and including `b`.
fn between(cal: &Calendar, a: NaiveDate, b: NaiveDate) -> Answer {
    let days = cal.working_days_between(a, b);
    let skipped = days_off(cal, a.min(b), a.max(b));
    let json = json!({
        "jurisdiction": cal.jurisdiction().code(),
        "from": a.to_string(),
        "to": b.to_string(),
        "working_days": days,
        "skipped": skipped_json(&skipped),
    });
    let mut text = format!(
        "{}: {days} working day{} after {} up to and including {}.",
        country(cal.jurisdiction()),
        plural(days),
        long(a),
        long(b)
    );
    text.push_str(&skipped_text(&skipped));
    Answer { json, text }
}

/// Whether one day is a working day, and the next one.
fn describe(cal: &Calendar, day: NaiveDate) -> Answer {
    let off = cal.day_off(day);
    let next = cal.next_working_day(day);
    let json = json!({
        "jurisdiction": cal.jurisdiction().code(),
        "date": day.to_string(),
        "working_day": off.is_none(),
        "reason": off.map(reason),
        "next_working_day": next.map(|d| d.to_string()),
    });
    let verdict = match off {
        None => "a working day".to_string(),
        Some(off) => format!("not a working day ({})", reason(off)),
    };
    let mut text = format!(
        "{}: {} is {verdict}.",
        country(cal.jurisdiction()),
        long(day)
    );
    if let Some(next) = next {
        text.push_str(&format!(" The next working day is {}.", long(next)));
    }
    Answer { json, text }
}

/// Holidays and closure days after `a` up to and including `b` (weekends are not
/// listed unless a holiday falls on them).
fn days_off(cal: &Calendar, a: NaiveDate, b: NaiveDate) -> Vec<(NaiveDate, String)> {
    a.iter_days()
        .skip(1)
        .take_while(|d| *d <= b)
        .filter_map(|d| {
            let name = cal.holiday_name(d).map(str::to_string).or_else(|| {
                (cal.day_off(d) == Some(DayOff::Closure)).then(|| "company closure".to_string())
            })?;
            Some((d, name))
        })
        .collect()
}

fn reason(off: DayOff) -> String {
    match off {
        DayOff::Weekend => "weekend".to_string(),
        DayOff::Holiday(name) => name.to_string(),
        DayOff::Closure => "company closure".to_string(),
    }
}

fn skipped_json(days: &[(NaiveDate, String)]) -> serde_json::Value {
    days.iter()
        .map(|(d, name)| json!({ "date": d.to_string(), "name": name }))
        .collect()
}

fn skipped_text(days: &[(NaiveDate, String)]) -> String {
    if days.is_empty() {
        return String::new();
    }
    let list: Vec<String> = days
        .iter()
        .map(|(d, name)| format!("{} ({name})", long(*d)))
        .collect();
    format!("\nSkipped besides weekends: {}.", list.join(", "))
}

fn long(d: NaiveDate) -> String {
    d.format("%A %Y-%m-%d").to_string()
}

fn plural(n: i64) -> &'static str {
    if n.abs() == 1 { "" } else { "s" }
}

fn country(j: Jurisdiction) -> &'static str {
    match j {
        Jurisdiction::Dk => "Denmark",
        Jurisdiction::No => "Norway",
        Jurisdiction::Se => "Sweden",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn args(
        from: Option<NaiveDate>,
        add: Option<u32>,
        between: Option<Vec<NaiveDate>>,
    ) -> CalendarArgs {
        CalendarArgs {
            jurisdiction: None,
            from,
            add,
            between,
            json: true,
        }
    }

    #[test]
    fn add_names_the_holidays_it_skipped() {
        let cal = Calendar::national(Jurisdiction::No);
        let a = answer(&cal, &args(Some(ymd(2026, 12, 23)), Some(1), None)).unwrap();
        assert_eq!(a.json["date"], "2026-12-28");
        assert_eq!(a.json["add"], 1);
        assert_eq!(a.json["jurisdiction"], "no");
        assert_eq!(a.json["skipped"][0]["name"], "Julaften");
        assert!(a.text.contains("Andre juledag"), "{}", a.text);
        assert!(
            a.text.starts_with(
                "Norway: 1 working day after Wednesday 2026-12-23 is Monday 2026-12-28."
            ),
            "{}",
            a.text
        );
    }

    #[test]
    fn between_counts_and_can_be_negative() {
        let cal = Calendar::national(Jurisdiction::Se);
        let a = answer(
            &cal,
            &args(None, None, Some(vec![ymd(2026, 6, 17), ymd(2026, 6, 22)])),
        )
        .unwrap();
        assert_eq!(a.json["working_days"], 2);
        assert_eq!(a.json["from"], "2026-06-17");
        assert_eq!(a.json["to"], "2026-06-22");
        let back = answer(
            &cal,
            &args(None, None, Some(vec![ymd(2026, 6, 22), ymd(2026, 6, 17)])),
        )
        .unwrap();
        assert_eq!(back.json["working_days"], -2);
    }

    #[test]
    fn a_single_date_is_described() {
        let cal = Calendar::national(Jurisdiction::Dk);
        let a = answer(&cal, &args(Some(ymd(2026, 6, 5)), None, None)).unwrap();
        assert_eq!(a.json["working_day"], false);
        assert_eq!(a.json["reason"], "Grundlovsdag");
        assert_eq!(a.json["next_working_day"], "2026-06-08");
    }

    #[test]
    fn absurd_requests_are_refused_clearly() {
        let cal = Calendar::national(Jurisdiction::Dk);
        let err = answer(
            &cal,
            &args(Some(ymd(2026, 1, 1)), Some(4_000_000_000), None),
        )
        .unwrap_err();
        assert!(err.to_string().contains("at most 100000"), "{err}");
        let err = answer(&cal, &args(None, None, None)).unwrap_err();
        assert!(err.to_string().contains("--from"), "{err}");
    }
}
