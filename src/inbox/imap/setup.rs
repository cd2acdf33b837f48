//! Setting a session up after login: credentials, what the server can do, the
//! folder to read and whether it keeps our keyword, `own`-mode prerequisites.

use async_imap::Session;
use async_imap::types::Flag;

use super::super::InboxError;
use super::super::error::Endpoint;
use super::super::tls::ImapStream;
use super::connect::{STEP_TIMEOUT, timed};
use super::folders::Folders;
use crate::config::{Mailbox, TlsMode};

#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    pub idle: bool,
    pub r#move: bool,
    pub uidplus: bool,
}

pub fn endpoint(cfg: &Mailbox) -> Result<Endpoint, InboxError> {
    let host = cfg
        .host
        .clone()
        .ok_or_else(|| InboxError::Config(format!("mailbox {}: no host configured", cfg.name)))?;
    let default_port = if cfg.tls == TlsMode::Implicit {
        993
    } else {
        143
    };
    Ok(Endpoint {
        host,
        port: cfg.port.unwrap_or(default_port),
        tls: cfg.tls,
    })
}

/// A keyword is an IMAP atom; anything else would break the STORE command.
pub fn check_keyword(keyword: &str) -> Result<(), InboxError> {
    let atom_char = |c: char| c.is_ascii_graphic() && !"(){%*\"\\]".contains(c);
    if keyword.is_empty() || !keyword.chars().all(atom_char) || keyword.starts_with('\\') {
        return Err(InboxError::Config(format!(
            "keyword {keyword:?} is not a valid IMAP keyword (letters, digits, _ and - work everywhere)"
        )));
    }
    Ok(())
}

/// PERMANENTFLAGS lists the keyword itself or `\*` (new keywords allowed).
pub fn keeps_keyword(permanent: &[Flag<'_>], keyword: &str) -> bool {
    permanent.iter().any(|flag| match flag {
        Flag::MayCreate => true,
        Flag::Custom(name) => name.eq_ignore_ascii_case(keyword),
        _ => false,
    })
}

/// `own` mode moves mail: that needs MOVE (or UIDPLUS) and the target folders.
pub async fn prepare_own_mode(
    server: &Endpoint,
    session: &mut Session<ImapStream>,
    folders: &Folders,
    capabilities: Capabilities,
    mailbox: &str,
) -> Result<(), InboxError> {
    if !capabilities.r#move && !capabilities.uidplus {
        return Err(InboxError::Config(format!(
            "mailbox {mailbox}: {server} supports neither MOVE nor UIDPLUS, so mail cannot be moved without risking other messages; use mode = \"watch\""
        )));
    }
    folders.ensure_targets_exist(server, session).await
}

pub fn warn_if_keyword_not_kept(cfg: &Mailbox, permanent_flags: &[Flag<'_>]) {
    if !keeps_keyword(permanent_flags, &cfg.keyword) {
        tracing::warn!(
            mailbox = %cfg.name,
            keyword = %cfg.keyword,
            "the IMAP server does not keep this keyword on messages; complaints will not be tagged"
        );
    }
}

/// What SELECT tells us that matters: the UIDVALIDITY and which flags stick.
pub struct Selected {
    pub uidvalidity: u32,
    pub permanent_flags: Vec<Flag<'static>>,
}

pub async fn select(
    server: &Endpoint,
    session: &mut Session<ImapStream>,
    folder: &str,
) -> Result<Selected, InboxError> {
    let folder_error = |source| InboxError::Folder {
        server: server.clone(),
        folder: folder.to_string(),
        source,
    };
    let selected = match timed(server, "SELECT", STEP_TIMEOUT, session.select(folder)).await {
        Err(InboxError::Imap { source, .. }) => return Err(folder_error(source)),
        other => other?,
    };
    let uidvalidity = selected.uid_validity.ok_or_else(|| {
        folder_error(async_imap::error::Error::Bad(
            "no UIDVALIDITY in the SELECT response".into(),
        ))
    })?;
    Ok(Selected {
        uidvalidity,
        permanent_flags: selected.permanent_flags,
    })
}

pub async fn capabilities(
    server: &Endpoint,
    session: &mut Session<ImapStream>,
) -> Result<Capabilities, InboxError> {
    let caps = timed(server, "CAPABILITY", STEP_TIMEOUT, session.capabilities()).await?;
    Ok(Capabilities {
        idle: caps.has_str("IDLE"),
        r#move: caps.has_str("MOVE"),
        uidplus: caps.has_str("UIDPLUS"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyword_is_kept_when_listed_or_when_new_ones_are_allowed() {
        assert!(keeps_keyword(
            &[Flag::Seen, Flag::MayCreate],
            "klagebot_complaint"
        ));
        let listed = [Flag::Custom("Klagebot_Complaint".into())];
        assert!(keeps_keyword(&listed, "klagebot_complaint"));
        assert!(!keeps_keyword(
            &[Flag::Seen, Flag::Flagged],
            "klagebot_complaint"
        ));
    }

    #[test]
    fn keywords_must_be_imap_atoms() {
        assert!(check_keyword("klagebot_complaint").is_ok());
        assert!(check_keyword("$Complaint").is_ok());
        for bad in ["", "two words", "\\Seen", "a(b", "ø"] {
            assert!(check_keyword(bad).is_err(), "{bad}");
        }
    }
}
