//! Faults for tests, compiled in only with the `faults` feature (the integration
//! tests turn it on; release builds never have it): a test names a stage and a
//! marker, and handling a mail whose subject holds the marker panics in that
//! stage, so the tests can prove that a panic anywhere quarantines one message
//! and never stops a mailbox. Without the feature every check is empty.

/// Where a fault can be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Deciding where a mail belongs.
    Route,
    /// A handler's case logic.
    Handle,
    /// Parsing a staff reply's `#commands`.
    Commands,
    /// Rendering a letter into the outbox.
    Render,
    /// Telling the mailbox what became of a batch (outside the message's isolation:
    /// it ends the mailbox task, which its supervisor restarts).
    Settle,
}

#[cfg(feature = "faults")]
mod armed {
    use std::sync::Mutex;

    use super::Stage;

    /// Armed faults: stage, marker, and how many more times it fires.
    static FAULTS: Mutex<Vec<(Stage, String, usize)>> = Mutex::new(Vec::new());

    /// Panics in `stage` for mail whose subject holds `marker`, `times` times.
    pub fn panic_at(stage: Stage, marker: &str, times: usize) {
        let mut faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
        faults.push((stage, marker.to_string(), times));
    }

    pub fn check(stage: Stage, subject: &str) {
        let fire = {
            let mut faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
            let hit = faults
                .iter_mut()
                .find(|(s, m, n)| *s == stage && *n > 0 && subject.contains(m.as_str()));
            hit.map(|(_, marker, n)| {
                *n -= 1;
                marker.clone()
            })
        };
        if let Some(marker) = fire {
            panic!("test fault {marker} in stage {stage:?}");
        }
    }
}

#[cfg(feature = "faults")]
pub use armed::panic_at;

/// Panics here if a test armed a fault for this stage and subject.
#[inline]
pub fn check(stage: Stage, subject: &str) {
    #[cfg(feature = "faults")]
    armed::check(stage, subject);
    #[cfg(not(feature = "faults"))]
    let _ = (stage, subject);
}

/// [`check`] on a whole raw message (its subject is in it).
#[inline]
pub fn check_raw(stage: Stage, raw: &[u8]) {
    #[cfg(feature = "faults")]
    armed::check(stage, &String::from_utf8_lossy(raw));
    #[cfg(not(feature = "faults"))]
    let _ = (stage, raw);
}
