//! The only source of "now" for the daemon and the scheduler. Production reads the system clock; tests
//! move time forward to make deadlines fire without waiting for them.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A clock shared by every task of one daemon.
#[derive(Clone)]
pub struct Clock {
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock {
            offset: Arc::new(Mutex::new(Duration::zero())),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    /// Sets the clock so that `now()` reads `at` at this moment.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset = at - Utc::now();
    }

    fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock(offset {})", self.offset())
    }
}
