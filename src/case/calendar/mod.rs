//! The working-day calendar of one jurisdiction: weekends, national bank holidays,
//! company closures, the daily cut-off and the local time zone (DST-correct).
//! Every deadline of the law is counted in these working days (DESIGN §2).

mod holidays;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::config::{Closure, Company};
use crate::domain::Jurisdiction;

pub use holidays::easter_sunday;

/// Why a day is not a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOff {
    Weekend,
    /// A national bank holiday, named in the country's language.
    Holiday(&'static str),
    /// The company is closed the whole day (a configured closure).
    Closure,
}

/// Working days and business hours of one jurisdiction for one company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    jurisdiction: Jurisdiction,
    time_zone: Tz,
    cutoff: NaiveTime,
    opening: NaiveTime,
    norway_new_years_eve_closed: bool,
    closures: Vec<Closure>,
}

fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

impl Calendar {
    /// The national calendar with the defaults of DESIGN §2: cut-off 16:00, Norway's
    /// 31 December closed, no company closures.
    pub fn national(j: Jurisdiction) -> Calendar {
        Calendar {
            jurisdiction: j,
            time_zone: j.time_zone(),
            cutoff: hm(16, 0),
            opening: hm(8, 0),
            norway_new_years_eve_closed: true,
            closures: Vec::new(),
        }
    }

    /// The company's calendar for jurisdiction `j`: its cut-off, its choice about
    /// Norway's 31 December and its closures (read as local times of `j`).
    pub fn from_config(company: &Company, j: Jurisdiction) -> Calendar {
        Calendar {
            cutoff: company.cutoff,
            norway_new_years_eve_closed: company.norway_new_years_eve_closed,
            closures: company.closures.clone(),
            ..Calendar::national(j)
        }
    }

    /// The same calendar with business starting at `opening` local time (default
    /// 08:00); reminders and warnings are timed at the opening of their day.
    pub fn with_opening(mut self, opening: NaiveTime) -> Calendar {
        self.opening = opening;
        self
    }

    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn cutoff(&self) -> NaiveTime {
        self.cutoff
    }

    pub fn closures(&self) -> &[Closure] {
        &self.closures
    }

    /// The national bank holiday on `d`, named in the local language.
    pub fn holiday_name(&self, d: NaiveDate) -> Option<&'static str> {
        holidays::holiday_on(self.jurisdiction, d, self.norway_new_years_eve_closed)
    }

    /// Every national bank holiday of `year` (weekend ones too), in date order.
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        holidays::holidays_of(self.jurisdiction, year, self.norway_new_years_eve_closed)
    }

    /// Why `d` is not a working day, or `None` when it is one.
    pub fn day_off(&self, d: NaiveDate) -> Option<DayOff> {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            return Some(DayOff::Weekend);
        }
        if let Some(name) = self.holiday_name(d) {
            return Some(DayOff::Holiday(name));
        }
        self.closed_all_day(d).then_some(DayOff::Closure)
    }

    /// Not a weekend, not a holiday, and not wholly inside a company closure.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.day_off(d).is_none()
    }

    /// A closure covers a day when it runs from midnight (or earlier) to at least
    /// 23:59 of that day; a closure starting at 15:00 leaves the morning working.
    fn closed_all_day(&self, d: NaiveDate) -> bool {
        let start = d.and_time(NaiveTime::MIN);
        let end = d.and_time(hm(23, 59));
        self.closures.iter().any(|c| c.from <= start && c.to >= end)
    }

    /// The first working day strictly after `d`; `None` only at the end of time.
    pub fn next_working_day(&self, d: NaiveDate) -> Option<NaiveDate> {
        let mut day = d.succ_opt()?;
        while !self.is_working_day(day) {
            day = day.succ_opt()?;
        }
        Some(day)
    }

    /// The last working day strictly before `d`; `None` only at the start of time.
    pub fn previous_working_day(&self, d: NaiveDate) -> Option<NaiveDate> {
        let mut day = d.pred_opt()?;
        while !self.is_working_day(day) {
            day = day.pred_opt()?;
        }
        Some(day)
    }

    /// The `n`-th working day strictly after `from`. For `n = 0`: `from` itself when it
    /// is a working day, else the next working day. Saturates at [`NaiveDate::MAX`].
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        self.checked_add_working_days(from, n)
            .unwrap_or(NaiveDate::MAX)
    }

    /// [`Calendar::add_working_days`], or `None` past the last date chrono knows.
    pub fn checked_add_working_days(&self, from: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return if self.is_working_day(from) {
                Some(from)
            } else {
                self.next_working_day(from)
            };
        }
        let mut day = from;
        for _ in 0..n {
            day = self.next_working_day(day)?;
        }
        Some(day)
    }

    /// The `n`-th working day strictly before `from` (`n = 0`: `from` itself when it
    /// is a working day, else the previous one). Saturates at [`NaiveDate::MIN`].
    pub fn sub_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let step = |d| self.previous_working_day(d);
        let first = if n == 0 && !self.is_working_day(from) {
            step(from)
        } else {
            Some(from)
        };
        (0..n)
            .try_fold(first, |day, _| day.map(step))
            .flatten()
            .unwrap_or(NaiveDate::MIN)
    }

    /// Working days after `a` up to and including `b`; negative when `b` is before `a`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        let (low, high, sign) = if b >= a { (a, b, 1) } else { (b, a, -1) };
        let count = low
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= high)
            .filter(|d| self.is_working_day(*d))
            .count();
        sign * i64::try_from(count).unwrap_or(i64::MAX)
    }

    /// Day 0 of a mail received at `at`: its local date, unless it came after the
    /// cut-off, on a non-working day or inside a closure; then the first working day
    /// after (for a closure: counted from the moment the closure ends).
    pub fn receipt_day(&self, at: DateTime<Utc>) -> NaiveDate {
        let mut local = self.local(at);
        while let Some(end) = self.closure_containing(local) {
            local = end;
        }
        let day = local.date();
        if self.is_working_day(day) && local.time() <= self.cutoff {
            day
        } else {
            self.next_working_day(day).unwrap_or(NaiveDate::MAX)
        }
    }

    /// Whether `at` falls in business hours: a working day, between the opening
    /// (08:00) and the cut-off, and not inside a closure.
    pub fn is_working_time(&self, at: DateTime<Utc>) -> bool {
        let local = self.local(at);
        self.is_working_day(local.date())
            && local.time() >= self.opening
            && local.time() <= self.cutoff
            && self.closure_containing(local).is_none()
    }

    /// The end of business (the cut-off) of local day `d`, as an instant.
    pub fn end_of_day(&self, d: NaiveDate) -> DateTime<Utc> {
        self.instant(d.and_time(self.cutoff))
    }

    /// The opening of local day `d`, as an instant.
    pub fn start_of_day(&self, d: NaiveDate) -> DateTime<Utc> {
        self.instant(d.and_time(self.opening))
    }

    /// Local wall-clock time `t` of day `d`, as an instant.
    pub fn at_local(&self, d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
        self.instant(d.and_time(t))
    }

    /// The local date of an instant in this jurisdiction.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date()
    }

    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.time_zone).naive_local()
    }

    /// The end of the closure that `local` lies in (closures are half-open).
    fn closure_containing(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        self.closures
            .iter()
            .filter(|c| c.from <= local && local < c.to)
            .map(|c| c.to)
            .max()
    }

    /// A local wall-clock time as an instant. In the autumn hour that occurs twice the
    /// later one is taken (a deadline never comes early); a time skipped in spring
    /// becomes the first quarter hour after the gap.
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(_, later) => later.with_timezone(&Utc),
            LocalResult::None => (1..=16)
                .map(|quarter| local + Duration::minutes(15 * quarter))
                .find_map(|probe| self.time_zone.from_local_datetime(&probe).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local)),
        }
    }
}

#[cfg(test)]
mod exhaustive;
#[cfg(test)]
mod official;
#[cfg(test)]
mod tests;
