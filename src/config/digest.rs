//! `[digest]`: the daily list, to the complaint officers, of people's mail that
//! klagebot opened and joined no case for, so that a person sees every mail it
//! left alone.

use chrono::NaiveTime;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Digest {
    /// Send it at all.
    pub enabled: bool,
    /// The local time (company jurisdiction) it goes out on working days.
    pub at: NaiveTime,
}

impl Default for Digest {
    fn default() -> Self {
        Digest {
            enabled: true,
            at: NaiveTime::from_hms_opt(8, 30, 0).expect("a valid time"),
        }
    }
}
