//! What the reading commands (`cases`, `case`, `report`) share: opening the
//! existing database on a small runtime, today's date where the company is, and
//! working-day arithmetic.

use std::future::Future;

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Utc, Weekday};

use crate::config::Config;
use crate::domain::Jurisdiction;
use crate::store::Store;

/// Runs `work` against the configured database, which must exist already.
pub fn with_store<T, F, Fut>(config: &Config, work: F) -> anyhow::Result<T>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let url = config.database_url()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::connect_existing(&url).await?;
        let result = work(store.clone()).await;
        store.close().await;
        result
    })
}

/// Today's date in the company's jurisdiction.
pub fn today(config: &Config) -> NaiveDate {
    Utc::now()
        .with_timezone(&config.company.jurisdiction.time_zone())
        .date_naive()
}

// lead: swap in case::calendar — `Calendar::from_config(config)` (or
// `Calendar::national(j)`) `.working_days_between(a, b)` and `.add_working_days(d, n)`
// once the calendar is merged; until then Monday–Friday count as working days.

/// Working days after `a` up to and including `b` (negative when `b` is before `a`).
pub fn working_days_between(_jurisdiction: Jurisdiction, a: NaiveDate, b: NaiveDate) -> i64 {
    let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
    let count = lo
        .iter_days()
        .skip(1)
        .take_while(|d| *d <= hi)
        .filter(|d| is_working_day(*d))
        .count();
    sign * i64::try_from(count).unwrap_or(i64::MAX)
}

/// The `n`-th working day strictly after `from`.
pub fn add_working_days(_jurisdiction: Jurisdiction, from: NaiveDate, n: u32) -> NaiveDate {
    let mut left = n;
    let mut day = from;
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        // Friday 20 November 2026 + 1 working day = Monday 23 November.
        assert_eq!(
            add_working_days(Jurisdiction::Dk, date(11, 20), 1),
            date(11, 23)
        );
        assert_eq!(
            working_days_between(Jurisdiction::Dk, date(11, 20), date(11, 23)),
            1
        );
        assert_eq!(
            working_days_between(Jurisdiction::Dk, date(11, 23), date(11, 20)),
            -1
        );
        assert_eq!(
            add_working_days(Jurisdiction::Dk, date(11, 20), 0),
            date(11, 20)
        );
    }
}
