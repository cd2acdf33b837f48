//! A surge: many complaints about the same matter within hours, usually an
//! incident (an outage, a wrong fee run). The complaints manager gets one alert
//! when the Nth arrives; later complaints of the same cluster join it and are
//! listed in a daily update instead of a mail each.
//!
//! A cluster is named by its earliest case: two instances that see the same Nth
//! complaint name the same cluster, and the store keeps one alert per name.

use chrono::{DateTime, Duration, Utc};

use crate::domain::CaseRef;

/// An earlier case of the same matter within the surge window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    pub reference: CaseRef,
    pub received_at: DateTime<Utc>,
    /// The surge it already belongs to, by its name.
    pub surge: Option<String>,
}

/// What a new case does to surges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Too few alike to be a surge.
    Nothing,
    /// It is the Nth: a new surge, named `name`, with these members (the new case too).
    Alert {
        name: String,
        members: Vec<(CaseRef, DateTime<Utc>)>,
    },
    /// It joins a surge already alerted.
    Join { name: String },
}

/// The step for a new case received at `at`, given the earlier cases of its
/// matter (`recent`), `count` complaints making a surge within `window`.
pub fn step(
    new: &CaseRef,
    at: DateTime<Utc>,
    recent: &[Recent],
    count: usize,
    window: Duration,
) -> Step {
    let within: Vec<&Recent> = recent
        .iter()
        .filter(|r| r.received_at <= at && at - r.received_at <= window)
        .collect();
    if let Some(name) = within.iter().filter_map(|r| r.surge.clone()).min() {
        return Step::Join { name };
    }
    if within.len() + 1 < count.max(2) {
        return Step::Nothing;
    }
    let mut members: Vec<(CaseRef, DateTime<Utc>)> = within
        .iter()
        .map(|r| (r.reference.clone(), r.received_at))
        .chain([(new.clone(), at)])
        .collect();
    members.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    members.dedup_by(|a, b| a.0 == b.0);
    Step::Alert {
        name: members[0].0.to_string(),
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::hours(hour)
    }

    fn r(n: u32) -> CaseRef {
        format!("KL-2026-{n:06}").parse().unwrap()
    }

    fn recent(n: u32, hour: i64, surge: Option<&str>) -> Recent {
        Recent {
            reference: r(n),
            received_at: at(hour),
            surge: surge.map(String::from),
        }
    }

    #[test]
    fn the_nth_alike_within_the_window_alerts_once_and_later_ones_join() {
        let window = Duration::hours(48);
        let three = [recent(1, 0, None), recent(2, 1, None), recent(3, 2, None)];
        assert_eq!(step(&r(4), at(3), &three, 5, window), Step::Nothing);
        let four = [three.as_slice(), &[recent(4, 3, None)]].concat();
        match step(&r(5), at(4), &four, 5, window) {
            Step::Alert { name, members } => {
                assert_eq!(name, r(1).to_string());
                assert_eq!(members.len(), 5);
            }
            other => panic!("expected an alert, got {other:?}"),
        }
        let joined = [
            recent(1, 0, Some("KL-2026-000001")),
            recent(5, 4, Some("KL-2026-000001")),
        ];
        assert_eq!(
            step(&r(6), at(5), &joined, 5, window),
            Step::Join {
                name: "KL-2026-000001".into()
            }
        );
        // Outside the window they count for nothing.
        let old = [
            recent(1, -100, None),
            recent(2, -90, None),
            recent(3, -80, None),
            recent(4, -70, None),
        ];
        assert_eq!(step(&r(5), at(0), &old, 5, window), Step::Nothing);
    }
}
