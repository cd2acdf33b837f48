//! `klagebot run` under a service manager, seen from the manager's side: the test
//! binds the notify socket systemd would (`$NOTIFY_SOCKET`, `$WATCHDOG_USEC`) and
//! reads what the daemon says: `READY=1` only once every mailbox is connected,
//! `WATCHDOG=1` at half the interval, `STOPPING=1` on SIGTERM, exit 0.

mod support;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WATCHDOG_USEC: &str = "400000";

/// The daemon as systemd starts it, with a notify socket of the test's own.
struct Service {
    child: Child,
    socket: UnixDatagram,
    _dir: tempfile::TempDir,
}

impl Service {
    fn start(config: Option<&str>) -> Service {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket_path = dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("socket timeout");
        let mut command = Command::new(env!("CARGO_BIN_EXE_klagebot"));
        command
            .current_dir(dir.path())
            .env_remove("KLAGEBOT_CONFIG")
            .env("NOTIFY_SOCKET", &socket_path)
            .env("WATCHDOG_USEC", WATCHDOG_USEC)
            .env("KLAGEBOT_TEST_PASSWORD", "nobody-listens")
            .env("KLAGEBOT_TOKEN_SECRET", "a-token-secret-for-the-test")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).expect("log file"));
        if let Some(text) = config {
            let path = dir.path().join("klagebot.toml");
            std::fs::write(&path, text).expect("write the config");
            command.arg("--config").arg(&path);
        }
        let child = command.arg("run").spawn().expect("start klagebot run");
        Service {
            child,
            socket,
            _dir: dir,
        }
    }

    /// The notifications received within `within`, until `until` returns true.
    fn read_until(&self, within: Duration, until: impl Fn(&[String]) -> bool) -> Vec<String> {
        let end = Instant::now() + within;
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < end && !until(&seen) {
            if let Ok(n) = self.socket.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]);
                seen.extend(text.lines().map(String::from));
            }
        }
        seen
    }

    /// What the daemon logged, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("stderr.log")).unwrap_or_default()
    }

    fn terminate(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let said = self.read_until(Duration::from_secs(10), |seen| {
            seen.iter().any(|l| l == "STOPPING=1")
        });
        let status = wait(&mut self.child, Duration::from_secs(20));
        assert!(
            status.success(),
            "klagebot run exits 0 on SIGTERM, not {status}"
        );
        said
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let end = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < end, "klagebot run did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(seen: &[String], line: &str) -> usize {
    seen.iter().filter(|l| *l == line).count()
}

fn ready_then_watchdog(service: &Service) -> Vec<String> {
    let seen = service.read_until(Duration::from_secs(60), |seen| {
        seen.iter()
            .position(|l| l == "READY=1")
            .is_some_and(|i| count(&seen[i..], "WATCHDOG=1") >= 3)
    });
    let ready = seen.iter().position(|l| l == "READY=1");
    assert!(
        ready.is_some(),
        "no READY=1; the daemon said {seen:?} and logged:\n{}",
        service.log()
    );
    assert!(
        count(&seen[ready.unwrap_or(0)..], "WATCHDOG=1") >= 3,
        "the watchdog is fed after READY: {seen:?}"
    );
    seen
}

#[test]
fn ready_on_the_embedded_default_then_fed_then_stopping() {
    let service = Service::start(None);
    let seen = ready_then_watchdog(&service);
    assert!(
        seen.iter().any(|l| l.starts_with("STATUS=running")),
        "{seen:?}"
    );
    let said = service.terminate();
    assert!(said.iter().any(|l| l == "STOPPING=1"), "{said:?}");
}

/// The embedded default with one IMAP mailbox instead of the Maildir.
fn imap_config(dir: &Path, host: &str, port: u16, extra: &str) -> String {
    let default = klagebot::config::EMBEDDED_DEFAULT;
    let start = default
        .find("[[mailbox]]")
        .expect("a mailbox in the default");
    let end = default.find("[outgoing]").expect("outgoing in the default");
    format!(
        "{}[[mailbox]]\nname = \"imap-test\"\nkind = \"imap\"\nmode = \"watch\"\nhost = \"{host}\"\n\
         port = {port}\ntls = \"implicit\"\n{extra}poll_seconds = 1\n\n{}",
        &default[..start].replace(
            "sqlite://klagebot.db",
            &format!("sqlite://{}/klagebot.db", dir.display())
        ),
        &default[end..]
    )
}

#[test]
fn not_ready_while_a_mailbox_cannot_connect_but_still_alive() {
    let state = tempfile::tempdir().expect("temp dir");
    let config = imap_config(
        state.path(),
        "127.0.0.1",
        support::closed_port(),
        "username = \"u\"\npassword_env = \"KLAGEBOT_TEST_PASSWORD\"\n",
    );
    let service = Service::start(Some(&config));
    let seen = service.read_until(Duration::from_secs(4), |_| false);
    let log = service.log();
    assert_eq!(
        count(&seen, "READY=1"),
        0,
        "READY=1 before the mailbox connected: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l == "STATUS=waiting for mailbox(es): imap-test"),
        "{seen:?}, logged:\n{log}"
    );
    assert!(
        count(&seen, "WATCHDOG=1") >= 3,
        "alive while it retries: {seen:?}"
    );
    service.terminate();
}

#[test]
fn ready_once_the_imap_mailbox_is_connected() {
    let servers = support::mail_servers();
    let user = servers.new_user("notify");
    let state = tempfile::tempdir().expect("temp dir");
    let extra = format!(
        "ca_file = {:?}\nusername = {:?}\npassword_file = {:?}\n",
        servers.ca_file, user.username, user.password_file
    );
    let config = imap_config(state.path(), "localhost", servers.imaps_port, &extra);
    let service = Service::start(Some(&config));
    let seen = ready_then_watchdog(&service);
    assert!(
        seen.iter()
            .any(|l| l == "STATUS=running: every mailbox connected"),
        "{seen:?}"
    );
    service.terminate();
}

/// `Environment=KLAGEBOT_CONFIG=` in a unit drop-in asks for the embedded default.
#[test]
fn an_empty_klagebot_config_means_the_embedded_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .args(["check", "--offline"])
        .current_dir(dir.path())
        .env("KLAGEBOT_CONFIG", "")
        .output()
        .expect("run klagebot check");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("ok    config: 1 mailbox(es), 2 staff"),
        "{said}"
    );
}
