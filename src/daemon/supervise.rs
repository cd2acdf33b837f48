//! Every long-running task (a mailbox, the sender, the scheduler) runs under a
//! supervisor: a task that ends when nobody asked it to, or panics, is logged at
//! error level, marked down for `/healthz`, and started again with backoff.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::error;

use crate::runtime::{Health, Shutdown};

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A task that ran this long before failing starts over from the first backoff.
const HEALTHY_RUN: Duration = Duration::from_secs(300);

/// Runs the task `start` makes until shutdown, restarting it whenever it ends
/// on its own or panics.
pub async fn supervise<F, Fut>(name: String, health: Arc<Health>, mut shutdown: Shutdown, start: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        health.running(&name);
        let began = Instant::now();
        let mut task = AbortOnDrop(tokio::spawn(start()));
        let ended = (&mut task.0).await;
        drop(task);
        if shutdown.is_requested() {
            return;
        }
        let why = match ended {
            Ok(()) => "ended without being asked to".to_string(),
            Err(err) if err.is_panic() => {
                format!("panicked: {}", super::ingest::panic_text(&err.into_panic()))
            }
            Err(err) => format!("was cancelled: {err}"),
        };
        if began.elapsed() >= HEALTHY_RUN {
            backoff = FIRST_BACKOFF;
        }
        error!(task = %name, restart_in_s = backoff.as_secs(), "task {why}; restarting it");
        health.failed(&name, &why);
        if !shutdown.sleep(backoff).await {
            return;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A supervised task ends with its supervisor: when the supervisor is dropped
/// (its own task aborted), the task it runs does not go on unseen.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
