//! The mail servers go away and come back: mail flows again within seconds of
//! their return, every time, and nothing is sent twice.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{Harness, WAIT};
use crate::support::MailServers;
use crate::{ONE_AT_A_TIME, complain, each_acknowledged_once, wait_for_acknowledgements};

/// Kills a server as a crash would (SIGKILL to its master and the master's
/// children), by the pid file it keeps under the servers' folder.
pub fn kill_server(servers: &MailServers, pid_file: &str) {
    let pid_path = servers.dir.join(pid_file);
    let pid = std::fs::read_to_string(&pid_path)
        .unwrap_or_else(|e| panic!("{}: {e}", pid_path.display()))
        .trim()
        .to_string();
    let children = Command::new("pgrep")
        .args(["-P", &pid])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut pids: Vec<&str> = children.split_whitespace().collect();
    pids.push(&pid);
    let status = Command::new("kill")
        .arg("-KILL")
        .args(&pids)
        .status()
        .expect("kill");
    assert!(status.success(), "kill -9 {pids:?}");
    // Until its ports are free.
    std::thread::sleep(Duration::from_millis(300));
}

pub const POSTFIX: &str = "postfix-queue/pid/master.pid";
pub const DOVECOT: &str = "dovecot/run/master.pid";

/// `scripts/mail-servers start`, which must bring back a server killed uncleanly.
pub fn start_servers() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mail-servers");
    let out = Command::new(script)
        .arg("start")
        .output()
        .expect("run scripts/mail-servers");
    assert!(
        out.status.success(),
        "scripts/mail-servers start after kill -9: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Brings the servers back whatever becomes of a test that stopped one.
struct RestartOnDrop;

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mail-servers");
        let _ = Command::new(script).arg("start").output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_out_within_seconds_of_the_smtp_servers_return() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut h = Harness::new().await;
    let customers: Vec<_> = (0..3).map(|i| h.customer(&format!("outage{i}"))).collect();
    for customer in &customers {
        crate::complain(&h, customer);
    }
    h.servers
        .wait_for_messages(&h.klage, "INBOX", customers.len(), WAIT);
    kill_server(&h.servers, POSTFIX);
    let _restart = RestartOnDrop;
    h.start();
    let cases = h.wait_for_cases(customers.len()).await;
    // The first mail tried fails; the rest wait untried while the sender probes.
    let start = Instant::now();
    loop {
        let mut failed = 0;
        for case in &cases {
            let mail = h
                .daemon
                .store
                .outgoing_for_case(&case.reference)
                .await
                .unwrap();
            failed += mail.iter().filter(|m| m.last_error.is_some()).count();
        }
        if failed > 0 {
            break;
        }
        assert!(start.elapsed() < WAIT, "no mail was tried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The outage goes on long enough for the probe to reach its longest wait.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(h.daemon.store.queued_outgoing_count().await.unwrap() > 0);
    start_servers();
    let back = Instant::now();
    while h.daemon.store.queued_outgoing_count().await.unwrap() > 0 {
        assert!(
            back.elapsed() < WAIT,
            "mail still queued {WAIT:?} after Postfix returned"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = back.elapsed();
    eprintln!("outbox drained {drained:?} after Postfix returned");
    assert!(
        drained <= Duration::from_secs(5),
        "queued mail went out {drained:?} after the server returned, not within 5 s"
    );
    wait_for_acknowledgements(&h, &customers, WAIT).await;
    each_acknowledged_once(&h, &customers).await;
    // Each attempt counted once: the mail tried during the outage has two, the
    // mail that waited for the probe one.
    let mut attempts = Vec::new();
    for case in &cases {
        let mail = h
            .daemon
            .store
            .outgoing_for_case(&case.reference)
            .await
            .unwrap();
        attempts.extend(mail.iter().map(|m| m.attempts));
    }
    assert!(attempts.iter().all(|&a| a == 1 || a == 2), "{attempts:?}");
    assert!(
        attempts.contains(&2) && attempts.contains(&1),
        "{attempts:?}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_reconnects_within_seconds_after_each_dovecot_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut h = Harness::new().await;
    h.start();
    let first = h.customer("restart0");
    complain(&h, &first);
    wait_for_acknowledgements(&h, std::slice::from_ref(&first), WAIT).await;
    let mut customers = vec![first];
    // Enough restarts that a backoff which never resets would reach 8 s.
    let _restart = RestartOnDrop;
    for round in 1..=4 {
        kill_server(&h.servers, DOVECOT);
        tokio::time::sleep(Duration::from_millis(1700)).await;
        start_servers();
        let customer = h.customer(&format!("restart{round}"));
        complain(&h, &customer);
        let took = wait_for_acknowledgements(&h, std::slice::from_ref(&customer), WAIT).await;
        eprintln!("restart {round}: acknowledged {took:?} after Dovecot returned");
        assert!(
            took <= Duration::from_secs(8),
            "restart {round}: mail flowed {took:?} after Dovecot returned"
        );
        customers.push(customer);
    }
    each_acknowledged_once(&h, &customers).await;
    h.stop().await;
}
