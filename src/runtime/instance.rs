//! Who this running klagebot is, in words another instance can check: host, boot
//! id, process id and the process's start time. A mailbox lease or an outbox claim
//! names its holder this way; an instance on the same host can tell at once that
//! the holder's process is gone (a different boot, no such process, or a newer
//! process under the same id), and any instance can tell that a holder stopped
//! beating in the database (`daemon::heartbeat`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// This process, as named in leases and claims.
#[derive(Debug)]
pub struct Instance {
    /// `host/boot id/pid/start`: unique per process and boot.
    pub holder: String,
    pub host: String,
    pub boot_id: String,
    pub pid: u32,
    /// The process's start time in clock ticks after boot (`/proc/PID/stat`).
    pub started: u64,
    last_beat: Mutex<Option<Instant>>,
}

impl Instance {
    /// This process: reads the host name, the boot id and its own start time.
    pub fn current() -> Instance {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "klagebot".into());
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|b| b.trim().to_string())
            .unwrap_or_default();
        let pid = std::process::id();
        // Without /proc the start time stands in as nanoseconds of the epoch: still
        // unique per process, and `is_gone` then only trusts the heartbeat.
        let started = process_start(pid).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or_default()
        });
        Instance::new(host, boot_id, pid, started)
    }

    pub fn new(host: String, boot_id: String, pid: u32, started: u64) -> Instance {
        // A second instance in one process (tests run two) is a holder of its own.
        static IN_THIS_PROCESS: AtomicU32 = AtomicU32::new(0);
        let holder = match IN_THIS_PROCESS.fetch_add(1, Ordering::Relaxed) {
            0 => format!("{host}/{boot_id}/{pid}/{started}"),
            n => format!("{host}/{boot_id}/{pid}/{started}/{n}"),
        };
        Instance {
            holder,
            host,
            boot_id,
            pid,
            started,
            last_beat: Mutex::new(None),
        }
    }

    /// Whether another instance, known by its row, is certainly dead: it ran on
    /// this host, and this host booted since, or its process is gone or was
    /// replaced by another under the same id. False when that cannot be told
    /// (another host, or no `/proc`): then only its heartbeat decides.
    pub fn is_gone(&self, host: &str, boot_id: &str, pid: u32, started: u64) -> bool {
        if host != self.host || self.boot_id.is_empty() {
            return false;
        }
        if boot_id != self.boot_id {
            return true;
        }
        if !std::path::Path::new("/proc/self/stat").exists() {
            return false;
        }
        process_start(pid) != Some(started)
    }

    /// The database took this instance's heartbeat just now.
    pub fn beat(&self) {
        *self.last_beat.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// Whether the database took a heartbeat within `within`: an instance whose
    /// beats do not get through must not start sending, since another instance
    /// may take its claims over.
    pub fn beats_within(&self, within: Duration) -> bool {
        let last = *self.last_beat.lock().unwrap_or_else(|e| e.into_inner());
        last.is_some_and(|at| at.elapsed() <= within)
    }
}

/// A process's start time after boot in clock ticks (field 22 of `/proc/PID/stat`).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_or_rebooted_one_is_gone() {
        let me = Instance::current();
        assert!(me.holder.contains(&format!("/{}/", me.pid)));
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        assert!(!me.is_gone(&me.host, &me.boot_id, me.pid, me.started));
        // The same pid with another start time: the id was reused.
        assert!(me.is_gone(&me.host, &me.boot_id, me.pid, me.started + 1));
        assert!(me.is_gone(&me.host, "another-boot", me.pid, me.started));
        // A pid above the kernel's maximum never runs.
        assert!(me.is_gone(&me.host, &me.boot_id, 4_194_305, 1));
        // Another host's process is judged by its heartbeat only.
        assert!(!me.is_gone("elsewhere", "another-boot", 4_194_305, 1));
    }

    #[test]
    fn beats_are_recent_or_not() {
        let me = Instance::new("h".into(), "b".into(), 1, 2);
        assert!(!me.beats_within(Duration::from_secs(5)));
        me.beat();
        assert!(me.beats_within(Duration::from_secs(5)));
        assert!(me.holder.starts_with("h/b/1/2"));
        let again = Instance::new("h".into(), "b".into(), 1, 2);
        assert_ne!(
            me.holder, again.holder,
            "two instances in one process differ"
        );
    }
}
