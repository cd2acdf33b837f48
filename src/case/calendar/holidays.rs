//! The national bank holidays of Denmark, Norway and Sweden (DESIGN §2), with
//! their names in the country's language. Movable feasts hang on Easter Sunday,
//! computed by the Gregorian computus.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::domain::Jurisdiction;

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous algorithm of
/// 1876, also known as Meeus/Jones/Butcher). `None` only outside chrono's range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let (d, e) = (b.div_euclid(4), b.rem_euclid(4));
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c.div_euclid(4), c.rem_euclid(4));
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// How a holiday's date is found in a given year.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// A fixed day of the year (month, day).
    Fixed(u32, u32),
    /// Days after Easter Sunday (negative: before).
    Easter(i64),
    /// Sweden's Midsummer Eve: the Friday between 19 and 25 June.
    MidsummerEve,
}

/// One national holiday; `until` is the last year it applies (Store Bededag).
#[derive(Debug, Clone, Copy)]
struct Holiday {
    rule: Rule,
    name: &'static str,
    until: Option<i32>,
}

const fn h(rule: Rule, name: &'static str) -> Holiday {
    Holiday {
        rule,
        name,
        until: None,
    }
}

const DENMARK: &[Holiday] = &[
    h(Rule::Fixed(1, 1), "Nytårsdag"),
    h(Rule::Easter(-3), "Skærtorsdag"),
    h(Rule::Easter(-2), "Langfredag"),
    h(Rule::Easter(1), "2. påskedag"),
    // Abolished as a public holiday from 2024 (lov nr. 42 af 28. februar 2023).
    Holiday {
        rule: Rule::Easter(26),
        name: "Store bededag",
        until: Some(2023),
    },
    h(Rule::Easter(39), "Kristi himmelfartsdag"),
    // A bank closing day (bankernes lukkedag), not a public holiday.
    h(Rule::Easter(40), "Fredag efter Kristi himmelfartsdag"),
    h(Rule::Fixed(6, 5), "Grundlovsdag"),
    h(Rule::Easter(50), "2. pinsedag"),
    h(Rule::Fixed(12, 24), "Juleaftensdag"),
    h(Rule::Fixed(12, 25), "Juledag"),
    h(Rule::Fixed(12, 26), "2. juledag"),
    h(Rule::Fixed(12, 31), "Nytårsaftensdag"),
];

const NORWAY: &[Holiday] = &[
    h(Rule::Fixed(1, 1), "Første nyttårsdag"),
    h(Rule::Easter(-3), "Skjærtorsdag"),
    h(Rule::Easter(-2), "Langfredag"),
    h(Rule::Easter(1), "Andre påskedag"),
    h(Rule::Fixed(5, 1), "Offentlig høytidsdag"),
    h(Rule::Fixed(5, 17), "Grunnlovsdag"),
    h(Rule::Easter(39), "Kristi himmelfartsdag"),
    h(Rule::Easter(50), "Andre pinsedag"),
    h(Rule::Fixed(12, 24), "Julaften"),
    h(Rule::Fixed(12, 25), "Første juledag"),
    h(Rule::Fixed(12, 26), "Andre juledag"),
];

/// Norway's 31 December: banks close, but it is configurable per company.
const NORWAY_NEW_YEARS_EVE: Holiday = h(Rule::Fixed(12, 31), "Nyttårsaften");

const SWEDEN: &[Holiday] = &[
    h(Rule::Fixed(1, 1), "Nyårsdagen"),
    h(Rule::Fixed(1, 6), "Trettondedag jul"),
    h(Rule::Easter(-2), "Långfredagen"),
    h(Rule::Easter(1), "Annandag påsk"),
    h(Rule::Fixed(5, 1), "Första maj"),
    h(Rule::Easter(39), "Kristi himmelsfärdsdag"),
    h(Rule::Fixed(6, 6), "Sveriges nationaldag"),
    h(Rule::MidsummerEve, "Midsommarafton"),
    h(Rule::Fixed(12, 24), "Julafton"),
    h(Rule::Fixed(12, 25), "Juldagen"),
    h(Rule::Fixed(12, 26), "Annandag jul"),
    h(Rule::Fixed(12, 31), "Nyårsafton"),
];

impl Holiday {
    fn date(&self, year: i32) -> Option<NaiveDate> {
        if self.until.is_some_and(|last| year > last) {
            return None;
        }
        match self.rule {
            Rule::Fixed(month, day) => NaiveDate::from_ymd_opt(year, month, day),
            Rule::Easter(offset) => easter_sunday(year)?.checked_add_signed(Duration::days(offset)),
            Rule::MidsummerEve => (19..=25)
                .filter_map(|day| NaiveDate::from_ymd_opt(year, 6, day))
                .find(|d| d.weekday() == Weekday::Fri),
        }
    }
}

/// The holiday rules of one jurisdiction.
fn rules(j: Jurisdiction, no_new_years_eve: bool) -> impl Iterator<Item = &'static Holiday> {
    let table: &'static [Holiday] = match j {
        Jurisdiction::Dk => DENMARK,
        Jurisdiction::No => NORWAY,
        Jurisdiction::Se => SWEDEN,
    };
    let extra = (j == Jurisdiction::No && no_new_years_eve).then_some(&NORWAY_NEW_YEARS_EVE);
    table.iter().chain(extra)
}

/// The holidays of one jurisdiction, in date order, one entry per date (where two
/// feasts fall on one day the first in the table names it).
pub fn holidays_of(
    j: Jurisdiction,
    year: i32,
    no_new_years_eve: bool,
) -> Vec<(NaiveDate, &'static str)> {
    let mut days: Vec<(NaiveDate, &'static str)> = rules(j, no_new_years_eve)
        .filter_map(|holiday| Some((holiday.date(year)?, holiday.name)))
        .collect();
    days.sort_by_key(|(date, _)| *date);
    days.dedup_by_key(|(date, _)| *date);
    days
}

/// The name of the holiday on `date`, if it is one.
pub fn holiday_on(
    j: Jurisdiction,
    date: NaiveDate,
    no_new_years_eve: bool,
) -> Option<&'static str> {
    rules(j, no_new_years_eve)
        .find(|holiday| holiday.date(date.year()) == Some(date))
        .map(|holiday| holiday.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_sundays_match_the_published_dates() {
        // Published Western Easter dates.
        let known = [
            (1961, 4, 2),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
            (2038, 4, 25),
            (2285, 3, 22),
        ];
        for (y, m, d) in known {
            assert_eq!(easter_sunday(y), Some(ymd(y, m, d)), "Easter {y}");
        }
    }

    #[test]
    fn store_bededag_ends_with_2023() {
        assert_eq!(
            holiday_on(Jurisdiction::Dk, ymd(2023, 5, 5), false),
            Some("Store bededag")
        );
        assert_eq!(holiday_on(Jurisdiction::Dk, ymd(2024, 4, 26), false), None);
    }

    #[test]
    fn colliding_feasts_are_listed_once() {
        // 2008: Ascension Day fell on 1 May.
        let no = holidays_of(Jurisdiction::No, 2008, true);
        assert_eq!(no.iter().filter(|(d, _)| *d == ymd(2008, 5, 1)).count(), 1);
    }
}
