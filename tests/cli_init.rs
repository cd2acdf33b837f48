//! `klagebot init`: a first config from flags (or questions on a terminal) that
//! `klagebot check` accepts against the real loopback Dovecot and Postfix, with
//! the token secret made once in a file only its owner reads.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn klagebot() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_klagebot"));
    command
        .env_remove("KLAGEBOT_CONFIG")
        .env_remove("CREDENTIALS_DIRECTORY");
    command
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `init` for `user`'s mailbox on the test servers, into `dir`.
fn init_for(dir: &Path, servers: &support::MailServers, user: &support::TestUser) -> Output {
    klagebot()
        .args(["init", "--non-interactive", "--output"])
        .arg(dir.join("klagebot.toml"))
        .arg("--credentials-dir")
        .arg(dir.join("credstore"))
        .args([
            "--company-name",
            "Nordkort \"Øst\" A/S",
            "--domain",
            &servers.domain,
        ])
        .args(["--complaint-address", &user.address, "--jurisdiction", "no"])
        .args(["--kind", "payment_institution", "--mailbox-mode", "own"])
        .args([
            "--staff",
            &format!("Kari Nordmann <kari@{}>", servers.domain),
        ])
        .args([
            "--staff",
            &format!("Mette Jensen <mette@{}>", servers.domain),
        ])
        .args(["--manager", &format!("Lars Holm <lars@{}>", servers.domain)])
        .args([
            "--mailbox-host",
            "localhost",
            "--mailbox-port",
            &servers.imap_port.to_string(),
        ])
        .args([
            "--mailbox-tls",
            "starttls",
            "--mailbox-user",
            &user.username,
        ])
        .args(["--smtp-port", &servers.submission_port.to_string()])
        .arg("--ca-file")
        .arg(&servers.ca_file)
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("klagebot.db").display()))
        .stdin(Stdio::null())
        .output()
        .expect("run klagebot init")
}

#[test]
fn init_writes_a_config_that_check_accepts_against_the_mail_servers() {
    let servers = support::mail_servers();
    let user = servers.new_user("init");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = init_for(dir.path(), &servers, &user);
    assert!(out.status.success(), "{}", text(&out));

    let config = std::fs::read_to_string(dir.path().join("klagebot.toml")).expect("the config");
    assert!(
        config.contains("kind = \"payment_institution\""),
        "{config}"
    );
    assert!(config.contains("jurisdiction = \"no\""), "{config}");
    assert!(config.contains("role = \"complaints_manager\""), "{config}");
    let commented = config.lines().filter(|l| l.contains('#')).count();
    assert!(commented > 15, "a commented config:\n{config}");
    assert!(
        !config.contains(&user.password),
        "no password in the config"
    );

    let secret = dir.path().join("credstore/klagebot.token_secret");
    let mode = std::fs::metadata(&secret)
        .expect("the token secret")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only its owner reads the token secret");
    let first = std::fs::read_to_string(&secret).expect("read the secret");

    let credstore = dir.path().join("credstore");
    for name in ["klagebot.imap_password", "klagebot.smtp_password"] {
        std::fs::write(credstore.join(name), &user.password).expect("write a password");
    }
    let check = |credentials: bool| {
        let mut command = klagebot();
        command
            .arg("--config")
            .arg(dir.path().join("klagebot.toml"))
            .arg("check");
        if credentials {
            command.env("CREDENTIALS_DIRECTORY", &credstore);
        }
        command.output().expect("run klagebot check")
    };
    let out = check(true);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("ok    mailbox klage: logged in"), "{said}");
    assert!(
        said.contains("ok    outgoing: SMTP server") && said.contains("accepted"),
        "{said}"
    );
    let out = check(false);
    assert!(
        !out.status.success(),
        "the secrets are credentials: {}",
        text(&out)
    );

    // A second run keeps the secret: a new one would void the tokens in sent mail.
    let again = klagebot()
        .args(["init", "--force", "--non-interactive"])
        .arg("--output")
        .arg(dir.path().join("klagebot.toml"))
        .arg("--credentials-dir")
        .arg(&credstore)
        .args([
            "--company-name",
            "X",
            "--domain",
            "x.dk",
            "--complaint-address",
            "klage@x.dk",
        ])
        .args([
            "--jurisdiction",
            "dk",
            "--kind",
            "bank",
            "--staff",
            "A B <a@x.dk>",
        ])
        .args(["--mailbox-host", "imap.x.dk"])
        .output()
        .expect("run init again");
    assert!(
        text(&again).contains("kept the token secret"),
        "{}",
        text(&again)
    );
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), first);
}

#[test]
fn without_a_terminal_missing_answers_are_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = klagebot()
        .args(["init", "--output"])
        .arg(dir.path().join("klagebot.toml"))
        .args(["--company-name", "Nordkort A/S"])
        .stdin(Stdio::null())
        .output()
        .expect("run klagebot init");
    assert!(!out.status.success());
    let said = text(&out);
    for flag in [
        "--domain",
        "--complaint-address",
        "--jurisdiction",
        "--kind",
        "--staff",
        "--mailbox-host",
    ] {
        assert!(said.contains(flag), "names {flag}: {said}");
    }
    assert!(!said.contains("--company-name"), "{said}");
    assert!(!dir.path().join("klagebot.toml").exists());
}

#[test]
fn an_existing_config_is_kept_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("klagebot.toml");
    std::fs::write(&path, "# mine\n").unwrap();
    let out = klagebot()
        .args(["init", "--non-interactive", "--output"])
        .arg(&path)
        .output()
        .expect("run klagebot init");
    assert!(!out.status.success());
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}

#[test]
fn on_a_terminal_init_asks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("klagebot.toml");
    let answers = [
        "Sparekassen Vest",       // company name
        "sparvest.dk",            // domain
        "",                       // complaint address: klage@sparvest.dk
        "dk",                     // jurisdiction
        "lender",                 // not a kind: asked again
        "consumer_lender",        // company kind
        "Mette <not-an-address>", // asked again
        "Mette Jensen <mette@sparvest.dk>",
        "", // end of the handlers
        "Lars Holm <lars@sparvest.dk>",
        "",    // IMAP server: imap.sparvest.dk
        "",    // port 993
        "",    // login: the complaint address
        "",    // password
        "own", // mode
        "smtp.sparvest.dk",
        "", // port 587
    ];
    let command = format!(
        "{} init --output {} --credentials-dir {}",
        env!("CARGO_BIN_EXE_klagebot"),
        output.display(),
        dir.path().join("credstore").display()
    );
    // `script` (util-linux) gives init a pseudo-terminal, as a person at a shell has.
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("KLAGEBOT_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run script(1)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        for answer in answers {
            writeln!(stdin, "{answer}").expect("answer");
        }
    }
    let out = child.wait_with_output().expect("init on a terminal");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("Company kind ("), "{shown}");
    assert!(
        shown.contains("IMAP server of the complaint mailbox [imap.sparvest.dk]"),
        "{shown}"
    );
    let config = std::fs::read_to_string(&output).unwrap_or_else(|e| panic!("{e}: {shown}"));
    let parsed = klagebot::config::Config::from_toml(&config).expect("a valid config");
    assert_eq!(
        parsed.company.complaint_address.as_str(),
        "klage@sparvest.dk"
    );
    assert_eq!(
        parsed.company.kind,
        klagebot::config::CompanyKind::ConsumerLender
    );
    assert_eq!(parsed.staff.len(), 2);
    assert_eq!(
        parsed.mailboxes[0].host.as_deref(),
        Some("imap.sparvest.dk")
    );
    assert_eq!(parsed.mailboxes[0].mode, klagebot::config::MailboxMode::Own);
    assert_eq!(parsed.outgoing.host.as_deref(), Some("smtp.sparvest.dk"));
}
