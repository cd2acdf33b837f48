//! Every start date of 2024–2030, against a plain day-by-day count over the
//! hand-written official holiday lists: the calendar's arithmetic may not drift
//! from the lists anywhere, not only at the dates someone thought of.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, Weekday};

use super::Calendar;
use super::official::{DENMARK, NORWAY, SWEDEN, Table};
use crate::domain::Jurisdiction;

fn official_days(table: Table) -> HashSet<NaiveDate> {
    table
        .iter()
        .flat_map(|(year, days)| {
            days.iter().map(move |md| {
                NaiveDate::parse_from_str(&format!("{year}-{md}"), "%Y-%m-%d").unwrap()
            })
        })
        .collect()
}

/// The n-th working day after `from`, counted the slow and obvious way.
fn plain_add(holidays: &HashSet<NaiveDate>, from: NaiveDate, n: u32) -> NaiveDate {
    let working = |d: NaiveDate| {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&d)
    };
    let mut day = from;
    let mut counted = 0;
    while counted < n {
        day = day.succ_opt().unwrap();
        if working(day) {
            counted += 1;
        }
    }
    day
}

#[test]
fn add_and_between_agree_with_the_official_lists_for_every_day() {
    for (j, table) in [
        (Jurisdiction::Dk, DENMARK),
        (Jurisdiction::No, NORWAY),
        (Jurisdiction::Se, SWEDEN),
    ] {
        let holidays = official_days(table);
        let cal = Calendar::national(j);
        let first = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        // Stay far enough from the end of 2030 that 35 working days stay inside the lists.
        let last = NaiveDate::from_ymd_opt(2030, 10, 31).unwrap();
        for from in first.iter_days().take_while(|d| *d <= last) {
            for n in [1, 2, 3, 5, 15, 35] {
                let want = plain_add(&holidays, from, n);
                assert_eq!(cal.add_working_days(from, n), want, "{j} {from} + {n}");
                assert_eq!(
                    cal.working_days_between(from, want),
                    i64::from(n),
                    "{j} {from}..{want}"
                );
                let back = if cal.is_working_day(from) {
                    Some(from)
                } else {
                    cal.previous_working_day(from)
                };
                assert_eq!(
                    Some(cal.sub_working_days(want, n)),
                    back,
                    "{j} {want} - {n}"
                );
            }
        }
    }
}

mod properties {
    use chrono::{Datelike, Duration, NaiveDate, Weekday};
    use proptest::prelude::*;

    use super::super::{Calendar, easter_sunday};
    use crate::domain::Jurisdiction;

    fn any_jurisdiction() -> impl Strategy<Value = Jurisdiction> {
        prop::sample::select(Jurisdiction::ALL.to_vec())
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 1 January 1990 to the end of 2120.
        (0i64..47_846)
            .prop_map(|days| NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + Duration::days(days))
    }

    proptest! {
        #[test]
        fn adding_lands_on_a_working_day_exactly_n_working_days_later(
            j in any_jurisdiction(), from in any_date(), n in 1u32..80,
        ) {
            let cal = Calendar::national(j);
            let to = cal.add_working_days(from, n);
            prop_assert!(cal.is_working_day(to));
            prop_assert!(to >= from);
            prop_assert_eq!(cal.working_days_between(from, to), i64::from(n));
            prop_assert_eq!(cal.working_days_between(to, from), -i64::from(n));
        }

        #[test]
        fn easter_is_a_sunday_between_22_march_and_25_april(year in 1583i32..5000) {
            let easter = easter_sunday(year).unwrap();
            prop_assert_eq!(easter.weekday(), Weekday::Sun);
            let earliest = NaiveDate::from_ymd_opt(year, 3, 22).unwrap();
            let latest = NaiveDate::from_ymd_opt(year, 4, 25).unwrap();
            prop_assert!(earliest <= easter && easter <= latest, "{}", easter);
        }
    }
}
