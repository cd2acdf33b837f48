//! The Debian package on this machine, as an operator meets it: `scripts/package
//! deb --debug` (the binary this test run built, so no second build), `dpkg -i`,
//! the systemd unit through `systemd-analyze verify` and `security`, `klagebot
//! check` as the `klagebot` user (on the embedded default, on the shipped config
//! with its secrets as systemd credentials, and on a `klagebot init` config against
//! the loopback Dovecot and Postfix), then `dpkg --purge` and nothing left over.
//!
//! Needs root (dpkg); installs `systemd` (for systemd-analyze) and cargo-deb when
//! missing. Refuses to run where klagebot is installed already: it would purge it.
//! The slow part (a release package, the OCI image on a debootstrap'ed Debian, the
//! service booted under systemd) is `scripts/test-packaging`.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(command: &mut Command) -> Output {
    let shown = format!("{command:?}");
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

fn succeed(command: &mut Command) -> String {
    let shown = format!("{command:?}");
    let out = run(command);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{text}",
        out.status
    );
    text
}

fn is_root() -> bool {
    run(Command::new("id").arg("-u")).stdout == b"0\n"
}

fn ensure_debian_package(package: &str, command: &str) {
    if Command::new("sh")
        .args(["-c", &format!("command -v {command}")])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return;
    }
    let install = Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output();
    match install {
        Ok(out) if out.status.success() => {}
        _ => panic!(
            "{command} is missing and `apt-get install {package}` failed: install it as root"
        ),
    }
}

/// Only one package test on this machine at a time: they share dpkg and the user.
fn machine_lock() -> std::fs::File {
    let file = std::fs::File::create("/var/lock/klagebot-package-test.lock")
        .expect("create /var/lock/klagebot-package-test.lock");
    file.lock()
        .expect("lock /var/lock/klagebot-package-test.lock");
    file
}

#[test]
fn the_debian_package_installs_checks_and_purges_cleanly() {
    assert!(
        is_root(),
        "this test installs a Debian package: run it as root (scripts/test does)"
    );
    let _lock = machine_lock();
    let status = run(Command::new("dpkg-query").args(["-W", "-f=${Status}", "klagebot"]));
    assert!(
        !String::from_utf8_lossy(&status.stdout).contains("installed"),
        "klagebot is installed on this machine and this test would purge it; remove it first: dpkg --purge klagebot"
    );
    ensure_debian_package("systemd", "systemd-analyze");

    let deb = build_package();
    succeed(Command::new("dpkg").arg("-i").arg(&deb));
    let installed = Installed;
    installed_files_are_in_place();
    unit_passes_systemd_analyze();
    check_on_the_embedded_default();
    check_the_shipped_config_with_credentials();
    check_an_init_config_against_the_mail_servers();
    drop(installed);
    nothing_is_left_after_purge();
}

/// Purges the package even when an assertion failed half-way.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let out = Command::new("dpkg").args(["--purge", "klagebot"]).output();
        if !std::thread::panicking() {
            let out = out.expect("dpkg --purge");
            assert!(
                out.status.success(),
                "dpkg --purge klagebot: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

fn build_package() -> PathBuf {
    let out = run(Command::new(repo().join("scripts/package"))
        .args(["deb", "--debug"])
        .current_dir(repo()));
    assert!(
        out.status.success(),
        "scripts/package deb --debug failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // stdout names the package; stderr says what it did (installing cargo-deb…).
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    let deb = PathBuf::from(
        out.lines()
            .last()
            .expect("scripts/package names the .deb")
            .trim(),
    );
    let deb = repo().join(deb);
    assert!(deb.is_file(), "no package at {}", deb.display());
    let fields = succeed(
        Command::new("dpkg-deb")
            .args(["-f"])
            .arg(&deb)
            .args(["Package", "Depends"]),
    );
    assert!(fields.contains("Package: klagebot"), "{fields}");
    assert!(fields.contains("adduser"), "{fields}");
    deb
}

fn installed_files_are_in_place() {
    for path in [
        "/usr/bin/klagebot",
        "/usr/lib/systemd/system/klagebot.service",
        "/etc/klagebot/klagebot.toml",
        "/usr/share/klagebot/templates/da/acknowledgement.txt",
        "/usr/share/klagebot/templates/sv/decision.txt",
        "/usr/share/man/man1/klagebot.1.gz",
        "/usr/share/man/man1/klagebot-report.1.gz",
        "/usr/share/bash-completion/completions/klagebot",
        "/usr/share/zsh/vendor-completions/_klagebot",
        "/usr/share/fish/vendor_completions.d/klagebot.fish",
        "/usr/share/doc/klagebot/klagebot.example.toml",
    ] {
        assert!(Path::new(path).is_file(), "{path} is not installed");
    }
    let conffiles = succeed(Command::new("dpkg-query").args(["-W", "-f=${Conffiles}", "klagebot"]));
    assert!(
        conffiles.contains("/etc/klagebot/klagebot.toml"),
        "a conffile: {conffiles}"
    );
    let user = succeed(Command::new("getent").args(["passwd", "klagebot"]));
    assert!(
        user.contains(":/var/lib/klagebot:/usr/sbin/nologin"),
        "{user}"
    );
    let state = succeed(Command::new("stat").args(["-c", "%U %a", "/var/lib/klagebot"]));
    assert_eq!(state.trim(), "klagebot 750");
    let secret = Path::new("/etc/credstore/klagebot.token_secret");
    let mode = std::fs::metadata(secret)
        .expect("the token secret")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(secret).unwrap().trim().len(), 64);
    let version = succeed(Command::new("/usr/bin/klagebot").arg("--version"));
    assert!(version.starts_with("klagebot "), "{version}");
}

/// `systemd-analyze` works on unit files without systemd running as PID 1.
fn unit_passes_systemd_analyze() {
    let unit = "/usr/lib/systemd/system/klagebot.service";
    let verify = run(Command::new("systemd-analyze").args(["verify", unit]));
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
    let security =
        succeed(Command::new("systemd-analyze").args(["security", "--offline=true", unit]));
    let overall = security
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no overall exposure level in:\n{security}"));
    let score: f64 = overall
        .split(':')
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the score in {overall:?}"));
    println!("{overall}");
    assert!(score < 2.0 && overall.contains("OK"), "{overall}");
}

fn as_klagebot(dir: &Path) -> Command {
    let mut command = Command::new("runuser");
    command
        .args(["-u", "klagebot", "--", "/usr/bin/klagebot"])
        .current_dir(dir)
        .env_remove("KLAGEBOT_CONFIG")
        .env_remove("CREDENTIALS_DIRECTORY");
    command
}

fn check_on_the_embedded_default() {
    let out = succeed(as_klagebot(Path::new("/var/lib/klagebot")).arg("check"));
    assert!(out.contains("all checks passed"), "{out}");
    let made = succeed(Command::new("stat").args(["-c", "%U", "/var/lib/klagebot/klagebot.db"]));
    assert_eq!(
        made.trim(),
        "klagebot",
        "the database belongs to the service's user"
    );
}

/// A folder only the klagebot user reads, as systemd hands credentials over.
fn credentials(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, value) in files {
        std::fs::write(dir.path().join(name), value).expect("write a credential");
    }
    succeed(
        Command::new("chown")
            .args(["-R", "klagebot:klagebot"])
            .arg(dir.path()),
    );
    succeed(Command::new("chmod").args(["-R", "go-rwx"]).arg(dir.path()));
    dir
}

fn check_the_shipped_config_with_credentials() {
    let creds = credentials(&[
        ("klagebot.imap_password", "imap-secret"),
        ("token_secret", "not-this-one"),
        ("klagebot.token_secret", "0123456789abcdef0123456789abcdef"),
    ]);
    let offline = |creds: Option<&Path>| {
        let mut command = as_klagebot(Path::new("/var/lib/klagebot"));
        command
            .args([
                "--config",
                "/etc/klagebot/klagebot.toml",
                "check",
                "--offline",
            ])
            .env("KLAGEBOT_HELPDESK_PASSWORD", "x")
            .env("KLAGEBOT_KLAGE_NO_PASSWORD", "x")
            .env("KLAGEBOT_ENTRA_CLIENT_SECRET", "x")
            .env("KLAGEBOT_SMTP_PASSWORD", "x");
        if let Some(dir) = creds {
            command.env("CREDENTIALS_DIRECTORY", dir);
        }
        run(&mut command)
    };
    let with = offline(Some(creds.path()));
    let text = String::from_utf8_lossy(&with.stdout);
    assert!(with.status.success(), "{text}");
    assert!(text.contains("ok    token secret: readable"), "{text}");
    assert!(
        text.contains("ok    mailbox klage password: readable"),
        "{text}"
    );
    let without = offline(None);
    let text = String::from_utf8_lossy(&without.stdout);
    assert!(
        !without.status.success(),
        "without credentials the check must fail"
    );
    assert!(text.contains("LoadCredential="), "says why: {text}");
}

fn check_an_init_config_against_the_mail_servers() {
    let servers = support::mail_servers();
    let user = servers.new_user("pkg");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("klagebot.toml");
    let credstore = dir.path().join("credstore");
    let database = format!("sqlite://{}", dir.path().join("klagebot.db").display());
    succeed(
        Command::new("/usr/bin/klagebot")
            .args(["init", "--non-interactive", "--output"])
            .arg(&config)
            .arg("--credentials-dir")
            .arg(&credstore)
            .args([
                "--company-name",
                "Pakke Bank A/S",
                "--domain",
                &servers.domain,
            ])
            .args([
                "--complaint-address",
                &user.address,
                "--jurisdiction",
                "dk",
                "--kind",
                "bank",
            ])
            .args([
                "--staff",
                &format!("Mette Jensen <mette@{}>", servers.domain),
            ])
            .args(["--mailbox-host", "localhost", "--mailbox-tls", "implicit"])
            .args([
                "--mailbox-port",
                &servers.imaps_port.to_string(),
                "--mailbox-user",
                &user.username,
            ])
            .args([
                "--smtp-port",
                &servers.submission_port.to_string(),
                "--smtp-tls",
                "starttls",
            ])
            .arg("--ca-file")
            .arg(&servers.ca_file)
            .args(["--database-url", &database]),
    );
    for (name, value) in [
        ("klagebot.imap_password", &user.password),
        ("klagebot.smtp_password", &user.password),
    ] {
        std::fs::write(credstore.join(name), value).expect("write a password");
    }
    // The service's user reads its config and state; systemd hands it the credentials.
    succeed(
        Command::new("chown")
            .args(["-R", "klagebot:klagebot"])
            .arg(dir.path()),
    );
    let out = run(as_klagebot(dir.path())
        .arg("--config")
        .arg(&config)
        .arg("check")
        .env("CREDENTIALS_DIRECTORY", &credstore));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check as klagebot against Dovecot/Postfix:\n{text}"
    );
    assert!(text.contains("ok    mailbox klage: logged in"), "{text}");
    assert!(
        text.contains("ok    outgoing: SMTP server") && text.contains("accepted"),
        "{text}"
    );
}

fn nothing_is_left_after_purge() {
    for path in [
        "/usr/bin/klagebot",
        "/usr/lib/systemd/system/klagebot.service",
        "/etc/klagebot",
        "/var/lib/klagebot",
        "/usr/share/klagebot",
        "/etc/credstore/klagebot.token_secret",
        "/usr/share/man/man1/klagebot.1.gz",
    ] {
        assert!(
            !Path::new(path).exists(),
            "{path} is left after dpkg --purge"
        );
    }
    let status = run(Command::new("dpkg-query").args(["-W", "-f=${Status}", "klagebot"]));
    assert!(
        !String::from_utf8_lossy(&status.stdout).contains("installed"),
        "dpkg still knows klagebot"
    );
    // Debian keeps system accounts (their uid may own files elsewhere) but locks them.
    let shadow = succeed(Command::new("getent").args(["shadow", "klagebot"]));
    assert!(
        shadow.trim_end().ends_with(":1:"),
        "the account is expired: {shadow}"
    );
}
