//! Dates in plain words, the way each language writes them in running text:
//! "torsdag den 8. januar 2027", "torsdag 8. januar 2027",
//! "torsdag den 8 januari 2027", "Thursday 8 January 2027".

use chrono::{Datelike, NaiveDate, Weekday};

use crate::domain::Language;

/// The date as a customer or staff member reads it in `lang`, weekday included.
pub fn in_words(date: NaiveDate, lang: Language) -> String {
    let weekday = weekday_name(date.weekday(), lang);
    let month = month_name(date.month(), lang);
    let (day, year) = (date.day(), date.year());
    match lang {
        Language::Da => format!("{weekday} den {day}. {month} {year}"),
        Language::Nb | Language::Nn => format!("{weekday} {day}. {month} {year}"),
        // "senast torsdag den 7 januari 2027": Swedish running text wants "den".
        Language::Sv => format!("{weekday} den {day} {month} {year}"),
        Language::En => format!("{weekday} {day} {month} {year}"),
    }
}

fn weekday_name(day: Weekday, lang: Language) -> &'static str {
    let names: [&str; 7] = match lang {
        Language::Da => [
            "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
        ],
        Language::Nb => [
            "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
        ],
        Language::Nn => [
            "måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag", "sundag",
        ],
        Language::Sv => [
            "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag",
        ],
        Language::En => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
    };
    names[day.num_days_from_monday() as usize]
}

fn month_name(month: u32, lang: Language) -> &'static str {
    const DA: [&str; 12] = [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const NO: [&str; 12] = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    const SV: [&str; 12] = [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let names = match lang {
        Language::Da => &DA,
        Language::Nb | Language::Nn => &NO,
        Language::Sv => &SV,
        Language::En => &EN,
    };
    // chrono's month() is always 1..=12.
    names[(month.clamp(1, 12) - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn each_language_writes_the_date_as_in_a_letter() {
        let cases = [
            (d(2027, 1, 8), Language::Da, "fredag den 8. januar 2027"),
            (d(2027, 1, 7), Language::Da, "torsdag den 7. januar 2027"),
            (d(2026, 3, 16), Language::Da, "mandag den 16. marts 2026"),
            (d(2026, 5, 17), Language::Nb, "søndag 17. mai 2026"),
            (d(2026, 12, 24), Language::Nb, "torsdag 24. desember 2026"),
            (d(2026, 12, 22), Language::Nn, "tysdag 22. desember 2026"),
            (d(2026, 3, 21), Language::Nn, "laurdag 21. mars 2026"),
            (d(2026, 3, 22), Language::Nn, "sundag 22. mars 2026"),
            (d(2026, 3, 23), Language::Nn, "måndag 23. mars 2026"),
            (d(2026, 8, 13), Language::Sv, "torsdag den 13 augusti 2026"),
            (d(2026, 6, 19), Language::Sv, "fredag den 19 juni 2026"),
            (d(2026, 10, 31), Language::Sv, "lördag den 31 oktober 2026"),
            (d(2026, 12, 14), Language::Sv, "måndag den 14 december 2026"),
            (d(2027, 1, 7), Language::En, "Thursday 7 January 2027"),
            (d(2026, 2, 3), Language::En, "Tuesday 3 February 2026"),
        ];
        for (date, lang, want) in cases {
            assert_eq!(in_words(date, lang), want, "{date} in {lang}");
        }
    }
}
