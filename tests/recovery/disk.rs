//! A full disk under the SQLite database, on a real filesystem (a 2 MB tmpfs
//! this test mounts): klagebot reports it, loses nothing, and resumes by
//! itself once space is freed, without a restart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{Harness, Setup, WAIT};
use crate::{ONE_AT_A_TIME, complain, each_acknowledged_once, wait_for_acknowledgements};

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().expect("a mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test fills a real filesystem: it mounts a {size} tmpfs, which needs root \
             (CAP_SYS_ADMIN); mount said: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills what is left with a file; returns it.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).expect("create the filler");
        let chunk = vec![0u8; 16 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.flush();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_and_work_resumes_by_itself_when_space_returns() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let disk = SmallDisk::mount("2m");
    let url = format!("sqlite://{}", disk.path().join("klagebot.db").display());
    let mut h = Harness::with(Setup {
        database_url: Some(url),
        ..Setup::default()
    })
    .await;
    h.start();
    let first = h.customer("disk0");
    complain(&h, &first);
    wait_for_acknowledgements(&h, std::slice::from_ref(&first), WAIT).await;

    let filler = disk.fill();
    let customers: Vec<_> = (1..=4).map(|i| h.customer(&format!("disk{i}"))).collect();
    for customer in &customers {
        complain(&h, customer);
    }
    // The mail arrives and cannot be recorded: nothing is lost or answered,
    // and /healthz says why.
    let start = Instant::now();
    while !h.daemon.health.store_failing() {
        assert!(
            start.elapsed() < WAIT,
            "a full disk was not reported as a database that cannot commit"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let problems = h.daemon.health.problems().join("\n");
    assert!(problems.contains("database: cannot commit"), "{problems}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        h.cases().await.len(),
        1,
        "nothing recorded while the disk is full"
    );
    assert!(
        h.servers.messages(&h.klage, "INBOX").len() >= customers.len(),
        "the mail waits in the mailbox"
    );

    std::fs::remove_file(&filler).expect("free the space");
    let freed = Instant::now();
    let took = wait_for_acknowledgements(&h, &customers, WAIT).await;
    eprintln!("acknowledged {took:?} after the space was freed");
    assert!(
        freed.elapsed() <= Duration::from_secs(15),
        "work resumed {took:?} after the space was freed (goal: within 10 s, plus delivery)"
    );
    let mut all = vec![first];
    all.extend(customers);
    h.wait_until_sent().await;
    each_acknowledged_once(&h, &all).await;
    assert!(
        !h.daemon.health.store_failing(),
        "/healthz is well again: {:?}",
        h.daemon.health.problems()
    );
    h.stop().await;
    drop(h);
}
