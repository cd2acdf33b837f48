//! What `/healthz` reports about the long-running tasks: each one's state as its
//! supervisor last saw it (running, or down and waiting to restart), and how
//! often and why it had to be restarted.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A task restarted within this long ago still makes `/healthz` report failing.
const RECENT: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub struct Health {
    tasks: Mutex<BTreeMap<String, TaskHealth>>,
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

    /// Whether no task is down (waiting for its supervisor to restart it).
    pub fn all_running(&self) -> bool {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.values().all(|t| t.running)
    }

    /// One line per task that is down or failed recently; empty when all is well.
    pub fn problems(&self) -> Vec<String> {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks
            .iter()
            .filter_map(|(name, t)| {
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
            })
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
}
