//! `[related]`: finding earlier complaints about the same matter, and the
//! surge alert when many arrive at once.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Related {
    /// Look for related cases at all.
    pub enabled: bool,
    /// How far back (days) a new case looks for related ones.
    pub window_days: u32,
    /// This many complaints about one matter within `surge_hours` make a surge.
    pub surge_count: u32,
    pub surge_hours: u32,
}

impl Default for Related {
    fn default() -> Self {
        Related {
            enabled: true,
            window_days: 180,
            surge_count: 5,
            surge_hours: 48,
        }
    }
}

impl Related {
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.window_days == 0 || self.window_days > 3660 {
            anyhow::bail!("[related] window_days must be between 1 and 3660");
        }
        if self.surge_count < 2 {
            anyhow::bail!("[related] surge_count must be 2 or more");
        }
        if self.surge_hours == 0 || self.surge_hours > 24 * 31 {
            anyhow::bail!("[related] surge_hours must be between 1 and 744");
        }
        Ok(())
    }
}
