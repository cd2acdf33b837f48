//! The real mail servers for integration tests: starts them through
//! `scripts/mail-servers` (once per test binary), gives each test fresh mailboxes,
//! and plays the outside world with real clients: `swaks` sends, Python's `imaplib`
//! reads. Never mocks a server and never skips: if the servers cannot run, tests fail.

#![allow(dead_code)] // each test binary uses a different part of this helper

pub mod oauth;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use klagebot::config::{Mailbox, Outgoing};

/// The running test servers, as `scripts/mail-servers env` describes them.
#[derive(Debug, Clone)]
pub struct MailServers {
    pub host: String,
    /// Mail to any local part of this domain (any `*.test` domain) is delivered.
    pub domain: String,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub smtp_port: u16,
    pub submission_port: u16,
    pub lmtp_port: u16,
    /// The test OAuth2 provider's HTTP port ([`MailServers::oauth`]).
    pub oauth_port: u16,
    /// The test CA that signed the servers' certificate.
    pub ca_file: PathBuf,
    users_dir: PathBuf,
    /// Where the servers keep everything (pid files, logs).
    pub dir: PathBuf,
}

/// A mailbox of its own for one test, with a login.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub address: String,
    pub username: String,
    pub password: String,
    /// A file holding the password, for configs (`password_file`).
    pub password_file: PathBuf,
}

/// One message as an independent IMAP client (Python's imaplib) sees it.
#[derive(Debug, Clone)]
pub struct ImapMessage {
    pub uid: u32,
    pub flags: Vec<String>,
    pub bytes: Vec<u8>,
}

impl ImapMessage {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Starts the servers if needed (idempotent, well under a second when installed)
/// and reads their ports. Panics with what to do when they cannot run.
pub fn mail_servers() -> MailServers {
    static SERVERS: OnceLock<MailServers> = OnceLock::new();
    SERVERS.get_or_init(start_and_describe).clone()
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn start_and_describe() -> MailServers {
    let script = repo_root().join("scripts/mail-servers");
    let started = Command::new(&script).arg("start").output();
    match started {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "the test mail servers did not start; run `scripts/mail-servers start` (as root) and see its message:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "cannot run {}: {e}; run `scripts/mail-servers start`",
            script.display()
        ),
    }
    let out = Command::new(&script)
        .arg("env")
        .output()
        .unwrap_or_else(|e| panic!("scripts/mail-servers env: {e}"));
    describe(&String::from_utf8_lossy(&out.stdout))
}

fn describe(env: &str) -> MailServers {
    let vars: HashMap<&str, &str> = env.lines().filter_map(|l| l.split_once('=')).collect();
    let get = |key: &str| -> String {
        vars.get(key)
            .unwrap_or_else(|| panic!("scripts/mail-servers env printed no {key}"))
            .to_string()
    };
    let port = |key: &str| -> u16 {
        get(key)
            .parse()
            .unwrap_or_else(|_| panic!("{key} is not a port"))
    };
    MailServers {
        host: get("KLAGEBOT_MAIL_HOST"),
        domain: get("KLAGEBOT_MAIL_DOMAIN"),
        imap_port: port("KLAGEBOT_IMAP_PORT"),
        imaps_port: port("KLAGEBOT_IMAPS_PORT"),
        smtp_port: port("KLAGEBOT_SMTP_PORT"),
        submission_port: port("KLAGEBOT_SUBMISSION_PORT"),
        lmtp_port: port("KLAGEBOT_LMTP_PORT"),
        oauth_port: port("KLAGEBOT_OAUTH_PORT"),
        ca_file: PathBuf::from(get("KLAGEBOT_CA_FILE")),
        users_dir: PathBuf::from(get("KLAGEBOT_MAIL_USERS_DIR")),
        dir: PathBuf::from(get("KLAGEBOT_MAILSERVERS_DIR")),
    }
}

impl MailServers {
    /// A fresh mailbox `PREFIX-…@klagebot.test` that can log in right away.
    pub fn new_user(&self, prefix: &str) -> TestUser {
        let local = unique_local_part(prefix);
        let address = format!("{local}@{}", self.domain);
        let password = format!("pw-{local}");
        let line = format!("{address}:{{PLAIN}}{password}::::::\n");
        // A passwd-file of its own, complete before Dovecot can see it.
        let temporary = self.users_dir.join(format!(".{address}.tmp"));
        std::fs::write(&temporary, line)
            .and_then(|()| std::fs::rename(&temporary, self.users_dir.join(&address)))
            .unwrap_or_else(|e| panic!("cannot add a user in {}: {e}", self.users_dir.display()));
        let secrets = self.dir.join("secrets");
        std::fs::create_dir_all(&secrets).expect("create the test secrets folder");
        let password_file = secrets.join(&local);
        std::fs::write(&password_file, &password).expect("write a test password file");
        TestUser {
            username: address.clone(),
            address,
            password,
            password_file,
        }
    }

    /// Sends `raw` through Postfix's SMTP port with swaks, as any mail client would.
    pub fn send_raw(&self, from: &str, to: &[&str], raw: &[u8]) {
        let mut args = vec![
            "--silent".to_string(),
            "2".into(),
            "--server".into(),
            format!("{}:{}", self.host, self.smtp_port),
            "--from".into(),
            from.into(),
            "--to".into(),
            to.join(","),
            "--data".into(),
            "-".into(),
        ];
        args.extend(["--timeout".into(), "20".into()]);
        let mut child = Command::new("swaks")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run swaks: {e}; run `scripts/mail-servers start`"));
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(raw).expect("hand the mail to swaks");
        }
        let out = child.wait_with_output().expect("wait for swaks");
        assert!(
            out.status.success(),
            "swaks could not send the mail to {to:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A plain test mail from `from` to `to` with `subject`, sent through Postfix.
    pub fn send_mail(&self, from: &str, to: &str, subject: &str, body: &str) {
        self.send_raw(from, &[to], simple_mail(from, to, subject, body).as_bytes());
    }

    /// Every message in `folder` of `user`, read-only and without setting \Seen.
    pub fn messages(&self, user: &TestUser, folder: &str) -> Vec<ImapMessage> {
        let out = self.python_imap(user, folder);
        let parsed: Vec<serde_json::Value> =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("imaplib output {out:?}: {e}"));
        parsed.iter().map(to_message).collect()
    }

    /// Waits up to `timeout` for `count` messages in `folder`; panics with what it saw.
    pub fn wait_for_messages(
        &self,
        user: &TestUser,
        folder: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<ImapMessage> {
        let start = Instant::now();
        loop {
            let messages = self.messages(user, folder);
            if messages.len() >= count {
                return messages;
            }
            assert!(
                start.elapsed() < timeout,
                "{} has {} of {count} messages in {folder} after {timeout:?}",
                user.address,
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What a person opening every mail in `folder` does: sets \Seen on all of them.
    pub fn mark_all_seen(&self, user: &TestUser, folder: &str) {
        self.python(user, folder, MARK_ALL_SEEN);
    }

    /// The folder names `user` has, as the server spells them.
    pub fn folders(&self, user: &TestUser) -> Vec<String> {
        let out = self.python(user, "", LIST_FOLDERS);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("imaplib output {out:?}: {e}"))
    }

    /// A `[[mailbox]]` for `user` on the IMAP server, as an operator would write it.
    /// `tls` is `"starttls"` (the plain port) or `"implicit"` (the IMAPS port).
    pub fn imap_mailbox(&self, user: &TestUser, tls: &str, mode: &str) -> Mailbox {
        let port = if tls == "implicit" {
            self.imaps_port
        } else {
            self.imap_port
        };
        let toml = format!(
            "name = \"test\"\nkind = \"imap\"\nmode = \"{mode}\"\nhost = \"localhost\"\nport = {port}\n\
             tls = \"{tls}\"\nca_file = {:?}\nusername = {:?}\npassword_file = {:?}\npoll_seconds = 1\n",
            self.ca_file, user.username, user.password_file
        );
        toml::from_str(&toml).unwrap_or_else(|e| panic!("test mailbox config: {e}\n{toml}"))
    }

    /// An `[outgoing]` through the submission port: STARTTLS with the test CA, AUTH as `user`.
    pub fn submission(&self, user: &TestUser) -> Outgoing {
        let toml = format!(
            "kind = \"smtp\"\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nca_file = {:?}\n\
             username = {:?}\npassword_file = {:?}\n",
            self.submission_port, self.ca_file, user.username, user.password_file
        );
        toml::from_str(&toml).unwrap_or_else(|e| panic!("test outgoing config: {e}\n{toml}"))
    }

    fn python_imap(&self, user: &TestUser, folder: &str) -> String {
        self.python(user, folder, READ_FOLDER)
    }

    fn python(&self, user: &TestUser, folder: &str, script: &str) -> String {
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .args([
                self.host.as_str(),
                &self.imaps_port.to_string(),
                path_str(&self.ca_file),
                &user.username,
                &user.password,
                folder,
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
        assert!(
            out.status.success(),
            "imaplib failed for {}: {}",
            user.address,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

fn to_message(value: &serde_json::Value) -> ImapMessage {
    let body = value["body"].as_str().unwrap_or_default();
    ImapMessage {
        uid: value["uid"].as_u64().unwrap_or_default() as u32,
        flags: value["flags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        bytes: base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("imaplib body is base64"),
    }
}

/// A minimal RFC 5322 mail with a unique Message-ID.
pub fn simple_mail(from: &str, to: &str, subject: &str, body: &str) -> String {
    let id = unique_local_part("msg");
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@sender.test>\r\n\
         Date: Sun, 22 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
}

/// Lower-case, unique across tests, test binaries and runs.
pub fn unique_local_part(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let prefix: String = prefix
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{}-{n}-{nanos:x}", std::process::id())
}

/// A loopback port nobody listens on: bound, then released.
pub fn closed_port() -> u16 {
    static PORT: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    *PORT.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    })
}

/// argv: host port ca_file user password folder → JSON [{uid, flags, body(base64)}].
/// EXAMINE and BODY.PEEK: looking must not change what the code under test sees.
const READ_FOLDER: &str = r#"
import base64, imaplib, json, re, ssl, sys
host, port, ca, user, password, folder = sys.argv[1:7]
imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(cafile=ca))
imap.login(user, password)
status, _ = imap.select('"%s"' % folder, readonly=True)
out = []
if status == "OK":
    typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode()
        uid = int(re.search(r"UID (\d+)", meta).group(1))
        flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()
        out.append({"uid": uid, "flags": flags, "body": base64.b64encode(item[1]).decode()})
imap.logout()
print(json.dumps(sorted(out, key=lambda m: m["uid"])))
"#;

/// argv as above → JSON list of folder names.
const LIST_FOLDERS: &str = r#"
import imaplib, json, re, ssl, sys
host, port, ca, user, password = sys.argv[1:6]
imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(cafile=ca))
imap.login(user, password)
typ, data = imap.list()
names = []
for line in data:
    m = re.match(rb'\((.*?)\) (NIL|"(.)") (.*)', line)
    names.append(m.group(4).decode().strip('"'))
imap.logout()
print(json.dumps(names))
"#;

/// argv as above: a reader's client marking everything in the folder as read.
const MARK_ALL_SEEN: &str = r#"
import imaplib, ssl, sys
host, port, ca, user, password, folder = sys.argv[1:7]
imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(cafile=ca))
imap.login(user, password)
imap.select('"%s"' % folder)
imap.store("1:*", "+FLAGS", "(\\Seen)")
imap.logout()
"#;
