//! The alarm mail: a lead in the company's language for the complaints manager
//! (pass it on), then the facts and what to do, in English for the people who
//! administer the mail system (and match the provider's English messages).

use chrono::{DateTime, Utc};

use super::{Login, Problem};
use crate::config::{AuthMethod, Config, TokenSource};
use crate::domain::{EmailAddress, Language};
use crate::outbox::{NamedAddress, OutgoingMessage, compose as compose_mail};

/// A composed alarm: its Message-ID and bytes.
pub struct Composed {
    pub message_id: String,
    pub bytes: Vec<u8>,
}

pub fn compose(
    config: &Config,
    login: &Login,
    problem: &Problem,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    recipients: &[EmailAddress],
) -> anyhow::Result<Composed> {
    let language = config.company.default_language;
    let since_text = since.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut body = lead(language, login, &since_text);
    body.push_str("\n\n");
    body.push_str(&facts(config, login, problem, since, now));
    body.push_str("\n\nWhat it means and what to do:\n");
    body.push_str(&match problem.advice {
        Some(advice) => advice.line(&login.login_argument()),
        None => "Look at the error above and at klagebot's log; `klagebot check` tries the token and the login step by step and says which one fails.".to_string(),
    });
    body.push_str("\n\n");
    body.push_str(consequence(login));
    body.push('\n');
    let message_id = format!(
        "<klagebot-alarm.{}.{}@{}>",
        now.timestamp(),
        random_hex(),
        config.company.domain.trim().to_ascii_lowercase()
    );
    let message = OutgoingMessage {
        from: NamedAddress::new(Some("klagebot"), config.company.complaint_address.clone()),
        to: recipients
            .iter()
            .map(|a| NamedAddress::new(None, a.clone()))
            .collect(),
        cc: Vec::new(),
        reply_to: None,
        subject: format!(
            "klagebot: {} – {}",
            subject(language, login),
            headline(problem)
        ),
        body,
        message_id: message_id.clone(),
        in_reply_to: None,
        references: Vec::new(),
        date: now,
        auto_submitted: true,
        thread_index: None,
        thread_topic: None,
    };
    Ok(Composed {
        message_id,
        bytes: compose_mail(&message)?,
    })
}

/// `invalid_grant`, or the kind of failure when the provider gave no code.
fn headline(problem: &Problem) -> String {
    match (&problem.provider, problem.advice) {
        (Some(error), _) => error.code.clone(),
        (None, Some(advice)) => advice.code().to_string(),
        (None, None) => "login failed".into(),
    }
}

fn what(language: Language, login: &Login) -> String {
    match (login, language) {
        (Login::Mailbox(name), Language::Da | Language::Nb) => format!("postkassen «{name}»"),
        (Login::Mailbox(name), Language::Nn) => format!("postkassa «{name}»"),
        (Login::Mailbox(name), Language::Sv) => format!("brevlådan ”{name}”"),
        (Login::Mailbox(name), Language::En) => format!("the mailbox \"{name}\""),
        (Login::Outgoing, Language::Da) => "den udgående mailserver (SMTP)".into(),
        (Login::Outgoing, Language::Nb) => "den utgående e-postserveren (SMTP)".into(),
        (Login::Outgoing, Language::Nn) => "den utgåande e-postserveren (SMTP)".into(),
        (Login::Outgoing, Language::Sv) => "den utgående e-postservern (SMTP)".into(),
        (Login::Outgoing, Language::En) => "the outgoing mail server (SMTP)".into(),
    }
}

fn subject(language: Language, login: &Login) -> String {
    let what = what(language, login);
    match language {
        Language::Da => format!("kan ikke logge på {what}"),
        Language::Nb => format!("får ikke logget på {what}"),
        Language::Nn => format!("får ikkje logga på {what}"),
        Language::Sv => format!("kan inte logga in på {what}"),
        Language::En => format!("cannot log in to {what}"),
    }
}

fn lead(language: Language, login: &Login, since: &str) -> String {
    let what = what(language, login);
    match language {
        Language::Da => format!(
            "klagebot kan ikke logge på {what} og har ikke kunnet det siden {since}. Send denne mail videre til dem, der driver klagebot og virksomhedens mailsystem, hvis de ikke allerede har fået den."
        ),
        Language::Nb => format!(
            "klagebot får ikke logget på {what} og har ikke fått det til siden {since}. Send denne e-posten videre til dem som drifter klagebot og e-postsystemet, hvis de ikke allerede har fått den."
        ),
        Language::Nn => format!(
            "klagebot får ikkje logga på {what} og har ikkje fått det til sidan {since}. Send denne e-posten vidare til dei som driftar klagebot og e-postsystemet, om dei ikkje alt har fått han."
        ),
        Language::Sv => format!(
            "klagebot kan inte logga in på {what} och har inte kunnat det sedan {since}. Skicka det här mejlet vidare till dem som driver klagebot och e-postsystemet, om de inte redan har fått det."
        ),
        Language::En => format!(
            "klagebot cannot log in to {what} and has not been able to since {since}. Please pass this mail on to the people who run klagebot and the company's mail system if they did not get it already."
        ),
    }
}

/// The facts, one per line: what, where, how, since when, what was said.
fn facts(
    config: &Config,
    login: &Login,
    problem: &Problem,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let (server, user, auth, source) = match login {
        Login::Mailbox(name) => match config.mailboxes.iter().find(|m| &m.name == name) {
            Some(m) => (
                server(m.host.as_deref(), m.port),
                m.username.clone(),
                m.auth(),
                m.token_source(),
            ),
            None => (String::new(), None, AuthMethod::Password, None),
        },
        Login::Outgoing => {
            let o = &config.outgoing;
            (
                server(o.host.as_deref(), o.port),
                o.username.clone(),
                o.auth(),
                o.token_source(),
            )
        }
    };
    let minutes = (now - since).num_minutes().max(0);
    let mut lines = vec![
        format!(
            "Login:          {} ({})",
            login.key(),
            user.unwrap_or_default()
        ),
        format!("Server:         {server}"),
        format!(
            "Failing since:  {} ({minutes} minutes)",
            since.format("%Y-%m-%d %H:%M:%S UTC")
        ),
    ];
    match (auth, source) {
        (AuthMethod::Oauth2, Some(source)) => lines.extend(oauth_lines(&source)),
        _ => lines.push("Logs in with:   a password".into()),
    }
    if let Some(error) = &problem.provider {
        lines.push(format!("Provider said:  {error}"));
    }
    lines.push(format!("Error:          {}", problem.error));
    lines.join("\n")
}

fn oauth_lines(source: &TokenSource) -> Vec<String> {
    vec![
        format!(
            "Logs in with:   OAuth2 ({}), provider {}, grant {}",
            source.mechanism.name(),
            source.provider.name(),
            source.grant.name()
        ),
        format!("Token endpoint: {}", source.token_url),
        format!("Client ID:      {}", source.client_id),
    ]
}

fn server(host: Option<&str>, port: Option<u16>) -> String {
    match (host, port) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => "(not configured)".into(),
    }
}

fn consequence(login: &Login) -> &'static str {
    match login {
        Login::Mailbox(_) => {
            "Until this is fixed, klagebot reads no new mail from this mailbox. Nothing is lost: the mail waits in the mailbox and is handled as soon as the login works again, and klagebot keeps trying by itself. /healthz reports the mailbox as failing meanwhile. There will be no further alarm about it until the login has worked again."
        }
        Login::Outgoing => {
            "Until this is fixed, klagebot sends no mail: acknowledgements, answers and notices wait in its outbox and go out as soon as the login works again, and klagebot keeps trying by itself. (If this alarm has to go out through the same server, it waits too; the log and /healthz report the failure meanwhile.) There will be no further alarm about it until the login has worked again."
        }
    }
}

fn random_hex() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    // Uniqueness, not secrecy, is what matters here: a clock fallback will do.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        bytes = Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_be_bytes();
    }
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::Advice;
    use crate::oauth::ProviderError;

    fn config() -> Config {
        let text = format!(
            "{}\n[[mailbox]]\nname = \"klage\"\nkind = \"imap\"\nhost = \"outlook.office365.com\"\nport = 993\nusername = \"klage@nordkort.dk\"\nauth = \"oauth2\"\n[mailbox.oauth2]\nprovider = \"microsoft\"\ntenant = \"nordkort.onmicrosoft.com\"\nclient_id = \"11111111-2222-3333-4444-555555555555\"\nrefresh_token_file = \"/var/lib/klagebot/klage.refresh\"\n",
            crate::config::EMBEDDED_DEFAULT
        );
        Config::from_toml(&text).unwrap()
    }

    #[test]
    fn the_alarm_says_which_mailbox_what_the_provider_said_and_what_to_do() {
        let config = config();
        let problem = Problem {
            error: "mailbox klage: no OAuth2 token: https://login.microsoftonline.com/…/token refused the token request (HTTP 400): invalid_grant: AADSTS70008: expired".into(),
            provider: Some(ProviderError {
                code: "invalid_grant".into(),
                description: Some("AADSTS70008: expired".into()),
            }),
            advice: Some(Advice::InvalidGrant),
            login_failure: true,
        };
        let since = DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z")
            .unwrap()
            .to_utc();
        let now = since + chrono::Duration::minutes(31);
        let to = [EmailAddress::parse("lars.holm@klagebot.localhost").unwrap()];
        let mail = compose(
            &config,
            &Login::Mailbox("klage".into()),
            &problem,
            since,
            now,
            &to,
        )
        .unwrap();
        let parsed = mail_parser::MessageParser::default()
            .parse(&mail.bytes)
            .unwrap();
        let subject = parsed.subject().unwrap();
        assert_eq!(
            subject,
            "klagebot: kan ikke logge på postkassen «klage» – invalid_grant"
        );
        let body = parsed.body_text(0).unwrap();
        for expected in [
            "siden 2026-11-23 08:00 UTC",
            "Login:          mailbox klage (klage@nordkort.dk)",
            "Server:         outlook.office365.com:993",
            "(31 minutes)",
            "OAuth2 (XOAUTH2), provider microsoft, grant refresh_token",
            "Provider said:  invalid_grant: AADSTS70008: expired",
            "klagebot oauth login --mailbox klage",
            "reads no new mail from this mailbox",
        ] {
            assert!(body.contains(expected), "{expected:?} missing in:\n{body}");
        }
        assert_eq!(
            parsed.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-replied")
        );
        assert!(mail.message_id.starts_with("<klagebot-alarm."));
    }
}
