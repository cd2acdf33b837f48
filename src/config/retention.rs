//! `[retention]`: how long personal data is kept (GDPR art. 5(1)(e)). After it a
//! daily job anonymises it: the raw mail and its bodies go, the customer's name,
//! address and text are replaced, the register row stays for the statistics.

use chrono::{DateTime, Months, NaiveTime, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Years a case's personal data is kept after the case ended (decided,
    /// closed or withdrawn). Denmark and Norway: typically five.
    pub case_years: u32,
    /// Days a mail that opened or joined no case is kept.
    pub mail_days: u32,
    /// Days a quarantined mail (one klagebot could not handle) is kept.
    pub quarantine_days: u32,
    /// The local time (company jurisdiction) the daily anonymisation runs.
    pub at: NaiveTime,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            case_years: 5,
            mail_days: 90,
            quarantine_days: 30,
            at: NaiveTime::from_hms_opt(3, 0, 0).expect("a valid time"),
        }
    }
}

/// The instants before which data has expired at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// A case that ended at or before this has expired.
    pub case_ended: DateTime<Utc>,
    /// A mail of no case received at or before this has expired.
    pub mail_received: DateTime<Utc>,
    /// A quarantined mail received at or before this has expired.
    pub quarantine_received: DateTime<Utc>,
}

impl Retention {
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.case_years == 0 || self.case_years > 100 {
            anyhow::bail!(
                "retention.case_years = {}: expected 1 to 100 years",
                self.case_years
            );
        }
        if self.mail_days == 0 || self.quarantine_days == 0 {
            anyhow::bail!("retention.mail_days and retention.quarantine_days must be at least 1");
        }
        Ok(())
    }

    /// What has expired at `now`: calendar years for cases (29 February counts
    /// as 28 in a year without it), days for mail.
    pub fn cutoffs(&self, now: DateTime<Utc>) -> Cutoffs {
        let days = |n: u32| now - chrono::Duration::days(i64::from(n));
        Cutoffs {
            case_ended: now
                .checked_sub_months(Months::new(self.case_years.saturating_mul(12)))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            mail_received: days(self.mail_days),
            quarantine_received: days(self.quarantine_days),
        }
    }

    /// Until when a case that ended at `ended` is kept.
    pub fn kept_until(&self, ended: DateTime<Utc>) -> DateTime<Utc> {
        ended
            .checked_add_months(Months::new(self.case_years.saturating_mul(12)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_expires_exactly_five_years_after_it_ended() {
        let r = Retention::default();
        let ended: DateTime<Utc> = "2021-03-01T10:00:00Z".parse().unwrap();
        assert_eq!(
            r.kept_until(ended).to_rfc3339(),
            "2026-03-01T10:00:00+00:00"
        );
        let just_before: DateTime<Utc> = "2026-03-01T09:59:59Z".parse().unwrap();
        assert!(r.cutoffs(just_before).case_ended < ended);
        assert!(r.cutoffs(r.kept_until(ended)).case_ended >= ended);
        let now: DateTime<Utc> = "2026-03-31T00:00:00Z".parse().unwrap();
        assert_eq!(
            r.cutoffs(now).mail_received.to_rfc3339(),
            "2025-12-31T00:00:00+00:00"
        );
    }

    #[test]
    fn zero_years_is_refused() {
        let r: Retention = toml::from_str("case_years = 0").unwrap();
        assert!(r.validate().is_err());
        let r: Retention = toml::from_str("mail_days = 30\nat = \"02:15:00\"").unwrap();
        assert!(r.validate().is_ok());
        assert_eq!(r.case_years, 5);
    }
}
