//! `[alerts]`: who hears when klagebot cannot log in to a mailbox or the SMTP
//! server for a while (besides the complaints managers), and how long a while is.

use std::time::Duration;

use serde::Deserialize;

use crate::domain::EmailAddress;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Alerts {
    /// Operators' addresses; the staff with role `complaints_manager` always get alarms.
    pub to: Vec<EmailAddress>,
    /// How long a login or token refresh must keep failing before the alarm mail:
    /// `"30m"`, `"90s"`, `"1h"`, or a number of seconds.
    #[serde(deserialize_with = "duration", alias = "alarm_after")]
    pub after: Duration,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            to: Vec::new(),
            after: Duration::from_secs(30 * 60),
        }
    }
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Seconds(u64),
        Text(String),
    }
    match Written::deserialize(d)? {
        Written::Seconds(s) => Ok(Duration::from_secs(s)),
        Written::Text(text) => parse_duration(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a duration such as \"30m\", \"90s\" or \"1h\""
            ))
        }),
    }
}

/// `"90s"`, `"30m"`, `"2h"` or `"45"` (seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "s" => n,
        "m" | "min" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("45"), Some(Duration::from_secs(45)));
        for bad in ["", "m", "3d", "-5m", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        let alerts: Alerts = toml::from_str("to = [\"drift@nordkort.dk\"]\nafter = 120\n").unwrap();
        assert_eq!(alerts.after, Duration::from_secs(120));
        assert_eq!(Alerts::default().after, Duration::from_secs(1800));
    }
}
