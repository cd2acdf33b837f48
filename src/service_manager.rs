//! Talking to systemd (`Type=notify`): `READY=1` once the database is open and
//! every mailbox has connected, `STATUS=` lines an operator sees in `systemctl
//! status`, `STOPPING=1` on shutdown, and the watchdog (`WatchdogSec=`), fed only
//! while every task of the daemon is still running. Without `$NOTIFY_SOCKET`
//! (not under systemd) every call does nothing.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::runtime::Shutdown;

/// Tells systemd the service is up, with a status line.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A status line for `systemctl status`.
pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// Tells systemd the service is shutting down (finishing the message in hand).
pub fn stopping() {
    send(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: finishing the message in hand"),
    ]);
}

/// How often the watchdog must be fed, when the unit has `WatchdogSec=`.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}

/// Feeds the watchdog once.
pub fn feed() {
    send(&[NotifyState::Watchdog]);
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(err) = sd_notify::notify(states) {
        warn!(error = %err, "cannot notify systemd");
    }
}

/// Which mailboxes have not connected yet; `READY=1` goes out when none is left.
/// A mailbox another instance reads (its lease is taken) counts as up: this
/// instance stands by for it.
#[derive(Debug)]
pub struct Readiness {
    waiting: Mutex<Option<BTreeSet<String>>>,
}

impl Readiness {
    pub fn new<'a>(mailboxes: impl IntoIterator<Item = &'a str>) -> Readiness {
        let waiting = mailboxes.into_iter().map(String::from).collect();
        Readiness {
            waiting: Mutex::new(Some(waiting)),
        }
    }

    /// Called when the daemon's tasks are started: ready at once without mailboxes.
    pub fn started(&self) {
        self.update(|_| {});
    }

    /// Called each time a mailbox connects (or stands by for another instance).
    pub fn mailbox_up(&self, name: &str) {
        self.update(|waiting| {
            waiting.remove(name);
        });
    }

    /// Whether `READY=1` went out.
    pub fn is_ready(&self) -> bool {
        self.lock().is_none()
    }

    fn update(&self, change: impl FnOnce(&mut BTreeSet<String>)) {
        let mut guard = self.lock();
        let Some(waiting) = guard.as_mut() else {
            return; // ready already
        };
        change(waiting);
        if waiting.is_empty() {
            *guard = None;
            info!("ready: database open, every mailbox connected");
            ready("running: every mailbox connected");
        } else {
            let names: Vec<&str> = waiting.iter().map(String::as_str).collect();
            status(&format!("waiting for mailbox(es): {}", names.join(", ")));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<BTreeSet<String>>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Waits for every task to end, feeding the watchdog (when the unit has one) at
/// half its interval while all of them still run and no shutdown is asked for.
/// When a task ends early (a panic, a listener that died), the feeding stops and
/// systemd restarts the service (`Restart=on-failure`).
pub async fn watch_tasks(
    tasks: &mut JoinSet<()>,
    shutdown: &Shutdown,
    all_running: impl Fn() -> bool,
) {
    let spawned = tasks.len();
    let interval = watchdog_interval();
    let mut tick = tokio::time::interval(interval.map_or(Duration::from_secs(3600), |d| {
        (d / 2).max(Duration::from_millis(100))
    }));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut told = false;
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Err(err)) => warn!(error = %err, "a task ended abnormally"),
                Some(Ok(())) => debug!(running = tasks.len(), "a task ended"),
            },
            _ = tick.tick(), if interval.is_some() => {
                let running = if all_running() { tasks.len() } else { 0 };
                if feeds_watchdog(spawned, running, shutdown.is_requested()) {
                    feed();
                } else if !told && !shutdown.is_requested() {
                    warn!(running = tasks.len(), spawned, "a task is gone: no longer feeding the watchdog");
                    told = true;
                }
            }
        }
    }
}

/// Feed only while every spawned task still runs and nobody asked to stop.
fn feeds_watchdog(spawned: usize, running: usize, stopping: bool) -> bool {
    running == spawned && !stopping
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_mailbox_is_up() {
        let readiness = Readiness::new(["helpdesk", "klage"]);
        readiness.started();
        assert!(!readiness.is_ready());
        readiness.mailbox_up("klage");
        readiness.mailbox_up("klage");
        assert!(!readiness.is_ready());
        readiness.mailbox_up("helpdesk");
        assert!(readiness.is_ready());
        // A reconnect later changes nothing.
        readiness.mailbox_up("helpdesk");
        assert!(readiness.is_ready());
    }

    #[test]
    fn without_mailboxes_ready_at_start() {
        let readiness = Readiness::new([]);
        assert!(!readiness.is_ready());
        readiness.started();
        assert!(readiness.is_ready());
    }

    #[test]
    fn the_watchdog_starves_when_a_task_is_gone_or_on_shutdown() {
        assert!(feeds_watchdog(4, 4, false));
        assert!(!feeds_watchdog(4, 3, false));
        assert!(!feeds_watchdog(4, 4, true));
    }
}
