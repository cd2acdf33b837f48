//! Why staff work changed nothing, typed: a command that did not parse, a change
//! the case refused, or a forward that is in a case already. The staff member is
//! told in their own language from these fields; the text (`Display`) is for the
//! log and the timeline.

use serde::{Deserialize, Serialize};

use super::command::CommandError;
use super::rejected::Rejected;
use crate::domain::CaseRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The reply's `#` lines did not parse.
    #[error(transparent)]
    Command(CommandError),
    /// The case's state or the law's dates do not allow the change.
    #[error(transparent)]
    Case(Rejected),
    /// `#open` on a forwarded mail that opened a case already.
    #[error("the forwarded mail is in case {0} already")]
    ForwardInCase(CaseRef),
    /// A refusal recorded as text, before refusals were typed.
    #[error("{0}")]
    Text(String),
}

impl Refusal {
    /// A short name of the refusal's kind, for the templates and the log.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Command(error) => match error {
                CommandError::Unknown { .. } => "unknown_command",
                CommandError::MissingArgument { .. } => "missing_argument",
                CommandError::BadArgument { .. } => "bad_argument",
                CommandError::Unexpected { .. } => "unexpected_text",
                CommandError::Repeated(_) => "repeated",
                CommandError::Conflict(..) => "contradiction",
            },
            Refusal::Case(rejected) => rejected.code(),
            Refusal::ForwardInCase(_) => "forward_in_case",
            Refusal::Text(_) => "text",
        }
    }
}

impl From<CommandError> for Refusal {
    fn from(error: CommandError) -> Self {
        Refusal::Command(error)
    }
}

impl From<Rejected> for Refusal {
    fn from(rejected: Rejected) -> Self {
        Refusal::Case(rejected)
    }
}

/// Reads a refusal as stored on a timeline: typed, or the text of one recorded
/// before refusals were typed.
pub(super) fn stored<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Refusal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Typed(Refusal),
        Text(String),
    }
    Ok(match Stored::deserialize(d)? {
        Stored::Typed(refusal) => refusal,
        Stored::Text(text) => Refusal::Text(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_back_as_stored_typed_or_as_old_text() {
        #[derive(Deserialize)]
        struct Holder {
            #[serde(deserialize_with = "stored")]
            reason: Refusal,
        }
        let typed = Refusal::Command(CommandError::Repeated("#close".into()));
        let json = serde_json::json!({ "reason": typed });
        let back: Holder = serde_json::from_value(json).unwrap();
        assert_eq!(back.reason, typed);
        let old: Holder =
            serde_json::from_value(serde_json::json!({ "reason": "unknown command #x" })).unwrap();
        assert_eq!(old.reason, Refusal::Text("unknown command #x".into()));
        assert_eq!(old.reason.to_string(), "unknown command #x");
    }
}
