//! What `/healthz` reports about the long-running tasks: each one's state as its
//! supervisor last saw it (running, or down and waiting to restart), and how
//! often and why it had to be restarted; and whether the database takes commits
//! (the heartbeat finds out every second), which tasks wait for after a failure.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A task restarted within this long ago still makes `/healthz` report failing.
const RECENT: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub struct Health {
    tasks: Mutex<BTreeMap<String, TaskHealth>>,
    /// Since when, and why, the database cannot commit; `None` while it can.
    store: Mutex<Option<StoreFailure>>,
    /// Wakes the tasks waiting for the database to take commits again.
    store_back: tokio::sync::Notify,
}

#[derive(Debug, Clone)]
struct StoreFailure {
    since: Instant,
    why: String,
    /// Only the heartbeat failed: its next beat clears it. A failure of real work
    /// (a mail's transaction) is cleared only by real work that commits, since a
    /// full disk may still take a heartbeat's few bytes.
    beat_only: bool,
}

#[derive(Debug, Clone, Default)]
struct TaskHealth {
    running: bool,
    restarts: u32,
    last_failure: Option<(Instant, String)>,
}

impl Health {
    /// `task` runs (again).
    pub fn running(&self, task: &str) {
        self.update(task, |t| t.running = true);
    }

    /// `task` ended when it should not have; its supervisor restarts it.
    pub fn failed(&self, task: &str, why: &str) {
        self.update(task, |t| {
            t.running = false;
            t.restarts += 1;
            t.last_failure = Some((Instant::now(), why.to_string()));
        });
    }

    fn update(&self, task: &str, change: impl FnOnce(&mut TaskHealth)) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        change(tasks.entry(task.to_string()).or_default());
    }

    /// Work failed to commit with `why` (the database or its disk): logged once,
    /// reported by `/healthz` until work commits again.
    pub fn store_failed(&self, why: &str) {
        self.store_failure(why, false);
    }

    /// The heartbeat failed to commit with `why`.
    pub fn beat_failed(&self, why: &str) {
        self.store_failure(why, true);
    }

    fn store_failure(&self, why: &str, beat: bool) {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        match store.as_mut() {
            Some(failure) => {
                failure.why = why.to_string();
                failure.beat_only &= beat;
            }
            None => {
                tracing::error!(
                    error = why,
                    "the database cannot commit; work waits and resumes by itself when it can"
                );
                *store = Some(StoreFailure {
                    since: Instant::now(),
                    why: why.to_string(),
                    beat_only: beat,
                });
            }
        }
    }

    /// Work committed: the database works. Wakes the tasks waiting for it.
    pub fn store_works(&self) {
        self.store_recovery(false);
    }

    /// A heartbeat committed: clears a failure only the heartbeat saw.
    pub fn beat_works(&self) {
        self.store_recovery(true);
    }

    fn store_recovery(&self, beat: bool) {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let clears = store.as_ref().is_some_and(|f| !beat || f.beat_only);
        if clears {
            let failure = store.take();
            drop(store);
            let seconds = failure.map_or(0, |f| f.since.elapsed().as_secs());
            tracing::info!(
                after_s = seconds,
                "the database takes commits again; work resumes"
            );
            self.store_back.notify_waiters();
        }
    }

    /// Whether the database is known not to take commits.
    pub fn store_failing(&self) -> bool {
        self.store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Waits until the database takes commits again, at most `at_most`.
    pub async fn store_recovered(&self, at_most: Duration) {
        let back = self.store_back.notified();
        if !self.store_failing() {
            return;
        }
        let _ = tokio::time::timeout(at_most, back).await;
    }

    /// Whether no task is down (waiting for its supervisor to restart it).
    pub fn all_running(&self) -> bool {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.values().all(|t| t.running)
    }

    /// One line per task that is down or failed recently; empty when all is well.
    pub fn problems(&self) -> Vec<String> {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let store = store.as_ref().map(|f| {
            format!(
                "database: cannot commit since {}s ago: {}",
                f.since.elapsed().as_secs(),
                f.why
            )
        });
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        store
            .into_iter()
            .chain(tasks.iter().filter_map(|(name, t)| {
                let (at, why) = t.last_failure.as_ref()?;
                let ago = at.elapsed();
                if t.running && ago > RECENT {
                    return None;
                }
                let state = if t.running { "running again" } else { "down" };
                Some(format!(
                    "{name}: {state}, restarted {} time(s), last failure {}s ago: {why}",
                    t.restarts,
                    ago.as_secs()
                ))
            }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_task_is_a_problem_until_it_has_run_well_for_a_while() {
        let health = Health::default();
        health.running("sender");
        assert!(health.problems().is_empty());
        health.failed("sender", "panicked: boom");
        let problems = health.problems();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("sender: down, restarted 1 time(s)"));
        health.running("sender");
        assert!(health.problems()[0].contains("running again"));
    }

    #[tokio::test]
    async fn a_database_that_cannot_commit_is_a_problem_until_work_commits() {
        let health = Health::default();
        assert!(!health.store_failing());
        health.store_failed("disk full");
        health.store_failed("disk full");
        assert!(health.problems()[0].starts_with("database: cannot commit"));
        health.beat_works();
        assert!(
            health.store_failing(),
            "a heartbeat's few bytes do not prove that a mail's transaction fits"
        );
        let waiting = health.store_recovered(Duration::from_secs(5));
        let recovered = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            health.store_works()
        };
        let started = Instant::now();
        tokio::join!(waiting, recovered);
        assert!(started.elapsed() < Duration::from_secs(2), "woken at once");
        assert!(health.problems().is_empty());
        health.beat_failed("database is locked");
        assert!(health.store_failing());
        health.beat_works();
        assert!(
            !health.store_failing(),
            "the heartbeat clears what it alone saw"
        );
    }
}
