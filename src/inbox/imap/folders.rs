//! Folder names as the server spells them: the config writes hierarchy with `/`,
//! the server may use `.` (Dovecot's Maildir default) or anything else.

use async_imap::Session;
use futures::TryStreamExt;

use super::super::InboxError;
use super::super::error::Endpoint;
use super::super::tls::ImapStream;
use super::connect::{STEP_TIMEOUT, timed};
use crate::config::Mailbox;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    pub inbox: String,
    pub processed: String,
    pub quarantine: String,
}

impl Folders {
    /// Asks the server for its hierarchy delimiter and translates the configured names.
    pub async fn resolve(
        server: &Endpoint,
        session: &mut Session<ImapStream>,
        cfg: &Mailbox,
    ) -> Result<Folders, InboxError> {
        let delimiter = delimiter(server, session).await?;
        let spell = |name: &str| spell(name, delimiter.as_deref());
        Ok(Folders {
            inbox: spell(&cfg.folder),
            processed: spell(&cfg.processed_folder),
            quarantine: spell(&cfg.quarantine_folder),
        })
    }

    /// `own` mode moves mail into these: create (and subscribe) them when missing.
    pub async fn ensure_targets_exist(
        &self,
        server: &Endpoint,
        session: &mut Session<ImapStream>,
    ) -> Result<(), InboxError> {
        for folder in [&self.processed, &self.quarantine] {
            if exists(server, session, folder).await? {
                continue;
            }
            timed(server, "CREATE", STEP_TIMEOUT, session.create(folder)).await?;
            // Subscribing only makes the folder show in mail clients; failure is harmless.
            let _ = timed(server, "SUBSCRIBE", STEP_TIMEOUT, session.subscribe(folder)).await;
        }
        Ok(())
    }
}

async fn delimiter(
    server: &Endpoint,
    session: &mut Session<ImapStream>,
) -> Result<Option<String>, InboxError> {
    let list = async {
        let names = session.list(Some(""), Some("\"\"")).await?;
        names.try_collect::<Vec<_>>().await
    };
    let names = timed(server, "LIST", STEP_TIMEOUT, list).await?;
    Ok(names
        .first()
        .and_then(|n| n.delimiter())
        .map(str::to_string))
}

async fn exists(
    server: &Endpoint,
    session: &mut Session<ImapStream>,
    folder: &str,
) -> Result<bool, InboxError> {
    let pattern = quoted(folder);
    let list = async {
        let names = session.list(Some(""), Some(&pattern)).await?;
        names.try_collect::<Vec<_>>().await
    };
    let names = timed(server, "LIST", STEP_TIMEOUT, list).await?;
    Ok(names.iter().any(|n| n.name() == folder))
}

/// The configured `a/b` in the server's hierarchy; `INBOX` and flat names unchanged.
fn spell(name: &str, delimiter: Option<&str>) -> String {
    match delimiter {
        Some(d) if d != "/" => name.replace('/', d),
        _ => name.to_string(),
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_hierarchy_follows_the_server_delimiter() {
        assert_eq!(spell("klagebot/processed", Some(".")), "klagebot.processed");
        assert_eq!(spell("klagebot/processed", Some("/")), "klagebot/processed");
        assert_eq!(spell("INBOX", Some(".")), "INBOX");
        assert_eq!(spell("klagebot/processed", None), "klagebot/processed");
    }

    #[test]
    fn list_patterns_are_quoted() {
        assert_eq!(quoted(r#"a "b"\c"#), r#""a \"b\"\\c""#);
    }
}
