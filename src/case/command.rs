//! Staff `#commands` (DESIGN §6): each on its own line at the top of a staff reply's
//! new text; the rest is the body (the reasoned answer of `#decision`, the text of a
//! `#note`, or the answer relayed to the customer). A mistyped command is an error
//! that says why, so that nothing happens on a guess.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::states::{Measure, MeasureKind, Outcome};
use crate::domain::{CaseRef, Category, EmailAddress};

/// One command from a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCommand {
    /// Internal note, never sent; `text` is what stood after `#note` on its line.
    Note {
        text: String,
    },
    Assign {
        to: EmailAddress,
    },
    /// A holding reply; without a date the latest the law allows is promised.
    Extend {
        until: Option<NaiveDate>,
        reason: String,
    },
    /// The body is the reasoned answer.
    Decision {
        outcome: Outcome,
    },
    Category {
        category: Category,
    },
    /// The customer's new address: later mail goes there (after a bounce).
    Address {
        to: EmailAddress,
    },
    /// The customer was acknowledged outside klagebot (by phone, from one's own mail).
    Acknowledged,
    /// The customer was answered outside klagebot: confirms an answer copied to
    /// us that our MX could not vouch for. Text below it is not sent.
    Answered,
    Close,
    Open,
    NotComplaint,
    /// Keep the case's personal data past the retention period (a dispute, a
    /// court case, an authority's request) until `#unhold`.
    Hold {
        reason: String,
    },
    Unhold,
    /// Another case is about the same matter (a suggested link confirmed, or a new one).
    Related {
        other: CaseRef,
    },
    /// A suggested link is wrong.
    Unrelated {
        other: CaseRef,
    },
    /// The root cause; a case reference alone takes that linked case's cause.
    Cause {
        text: String,
        from: Option<CaseRef>,
    },
    /// The internal consequence: routine, practice, training, other or none.
    Measure {
        measure: Measure,
    },
}

impl StaffCommand {
    pub fn name(&self) -> &'static str {
        match self {
            StaffCommand::Note { .. } => "#note",
            StaffCommand::Assign { .. } => "#assign",
            StaffCommand::Extend { .. } => "#extend",
            StaffCommand::Decision { .. } => "#decision",
            StaffCommand::Category { .. } => "#category",
            StaffCommand::Address { .. } => "#address",
            StaffCommand::Acknowledged => "#acknowledged",
            StaffCommand::Answered => "#answered",
            StaffCommand::Close => "#close",
            StaffCommand::Open => "#open",
            StaffCommand::NotComplaint => "#notcomplaint",
            StaffCommand::Hold { .. } => "#hold",
            StaffCommand::Unhold => "#unhold",
            StaffCommand::Related { .. } => "#related",
            StaffCommand::Unrelated { .. } => "#unrelated",
            StaffCommand::Cause { .. } => "#cause",
            StaffCommand::Measure { .. } => "#measure",
        }
    }
}

/// A staff reply split into its commands and the text below them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StaffReply {
    pub commands: Vec<StaffCommand>,
    pub body: String,
}

/// Why a reply's commands were not accepted; the text is what the log and the
/// timeline say, and the staff member is told in their own language from the
/// fields (see [`super::Refusal`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum CommandError {
    #[error("unknown command #{word}{}", suggestion_text(.suggestion))]
    Unknown {
        word: String,
        suggestion: Option<String>,
    },
    #[error("{command} needs {expected}")]
    MissingArgument { command: String, expected: String },
    #[error("{command}: {value:?} is not {expected}{}", suggestion_text(.suggestion))]
    BadArgument {
        command: String,
        value: String,
        expected: String,
        suggestion: Option<String>,
    },
    #[error("{command} takes nothing after it on its line (found {found:?})")]
    Unexpected { command: String, found: String },
    #[error("{0} is given twice")]
    Repeated(String),
    #[error("{0} and {1} cannot be used together")]
    Conflict(String, String),
}

fn suggestion_text(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}

const COMMANDS: [&str; 17] = [
    "#note",
    "#assign",
    "#extend",
    "#decision",
    "#category",
    "#address",
    "#acknowledged",
    "#answered",
    "#close",
    "#open",
    "#notcomplaint",
    "#hold",
    "#unhold",
    "#related",
    "#unrelated",
    "#cause",
    "#measure",
];

const OUTCOMES: [&str; 3] = ["upheld", "partial", "rejected"];

/// Pairs that contradict each other in one reply.
const CONFLICTS: [(&str, &str); 9] = [
    ("#close", "#open"),
    ("#open", "#notcomplaint"),
    ("#decision", "#notcomplaint"),
    ("#extend", "#notcomplaint"),
    ("#decision", "#extend"),
    ("#note", "#decision"),
    ("#answered", "#notcomplaint"),
    ("#hold", "#unhold"),
    ("#related", "#unrelated"),
];

/// Parses the commands at the top of `text` (blank lines among them are skipped;
/// the first other line that does not start with `#` begins the body).
pub fn parse_commands(text: &str) -> Result<StaffReply, CommandError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut commands: Vec<StaffCommand> = Vec::new();
    let mut index = 0;
    while let Some(line) = lines.get(index) {
        let line = line.trim();
        if line.is_empty() {
            index += 1;
            continue;
        }
        let Some(command_line) = line.strip_prefix('#') else {
            break;
        };
        let command = parse_line(command_line)?;
        if commands.iter().any(|c| c.name() == command.name()) {
            return Err(CommandError::Repeated(command.name().into()));
        }
        commands.push(command);
        index += 1;
    }
    check_conflicts(&commands)?;
    let body = lines.get(index..).unwrap_or_default().join("\n");
    Ok(StaffReply {
        commands,
        body: body.trim_matches(['\n', '\r', ' ']).to_string(),
    })
}

/// Whether a mail's new text starts with `#open`: a forward asking klagebot to
/// open a case for the customer mail in it.
pub fn starts_with_open(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.eq_ignore_ascii_case("#open"))
}

fn check_conflicts(commands: &[StaffCommand]) -> Result<(), CommandError> {
    let has = |name: &str| commands.iter().any(|c| c.name() == name);
    match CONFLICTS.iter().find(|(a, b)| has(a) && has(b)) {
        Some((a, b)) => Err(CommandError::Conflict(a.to_string(), b.to_string())),
        None => Ok(()),
    }
}

/// One command line without its `#`.
fn parse_line(line: &str) -> Result<StaffCommand, CommandError> {
    let (word, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    let word = word.to_lowercase();
    let name = match word.as_str() {
        "not-complaint" | "not_complaint" | "notacomplaint" => "notcomplaint",
        "acknowledge" => "acknowledged",
        other => other,
    };
    match name {
        "note" => Ok(StaffCommand::Note {
            text: rest.to_string(),
        }),
        "assign" => parse_assign(rest),
        "extend" => parse_extend(rest),
        "decision" => parse_decision(rest),
        "category" => parse_category(rest),
        "address" => parse_address(rest),
        "acknowledged" => bare("#acknowledged", rest, StaffCommand::Acknowledged),
        "answered" => bare("#answered", rest, StaffCommand::Answered),
        "close" => bare("#close", rest, StaffCommand::Close),
        "open" => bare("#open", rest, StaffCommand::Open),
        "notcomplaint" => bare("#notcomplaint", rest, StaffCommand::NotComplaint),
        "hold" => parse_hold(rest),
        "unhold" => bare("#unhold", rest, StaffCommand::Unhold),
        "related" => parse_reference("#related", rest).map(|other| StaffCommand::Related { other }),
        "unrelated" => {
            parse_reference("#unrelated", rest).map(|other| StaffCommand::Unrelated { other })
        }
        "cause" => parse_cause(rest),
        "measure" => parse_measure(rest),
        _ => Err(CommandError::Unknown {
            suggestion: closest(&format!("#{word}"), &COMMANDS).map(String::from),
            word,
        }),
    }
}

fn bare(
    command: &'static str,
    rest: &str,
    parsed: StaffCommand,
) -> Result<StaffCommand, CommandError> {
    if rest.is_empty() {
        Ok(parsed)
    } else {
        Err(CommandError::Unexpected {
            command: command.into(),
            found: rest.to_string(),
        })
    }
}

fn parse_assign(rest: &str) -> Result<StaffCommand, CommandError> {
    if rest.is_empty() {
        return Err(CommandError::MissingArgument {
            command: "#assign".into(),
            expected: "the staff member's address, e.g. #assign kari@example.no".into(),
        });
    }
    let to = EmailAddress::parse(rest).map_err(|_| CommandError::BadArgument {
        command: "#assign".into(),
        value: rest.to_string(),
        expected: "an email address".into(),
        suggestion: None,
    })?;
    Ok(StaffCommand::Assign { to })
}

fn parse_address(rest: &str) -> Result<StaffCommand, CommandError> {
    if rest.is_empty() {
        return Err(CommandError::MissingArgument {
            command: "#address".into(),
            expected: "the customer's new address, e.g. #address kari.nordmann@example.no".into(),
        });
    }
    let to = EmailAddress::parse(rest).map_err(|_| CommandError::BadArgument {
        command: "#address".into(),
        value: rest.to_string(),
        expected: "an email address".into(),
        suggestion: None,
    })?;
    Ok(StaffCommand::Address { to })
}

/// `#hold REASON`: a legal hold needs its reason, for the audit.
fn parse_hold(rest: &str) -> Result<StaffCommand, CommandError> {
    if rest.is_empty() {
        return Err(CommandError::MissingArgument {
            command: "#hold".into(),
            expected: "the reason for the legal hold on its line, e.g. #hold the customer has gone to court".into(),
        });
    }
    Ok(StaffCommand::Hold {
        reason: rest.to_string(),
    })
}

/// `#extend [YYYY-MM-DD] REASON`.
fn parse_extend(rest: &str) -> Result<StaffCommand, CommandError> {
    let (first, after) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(f, a)| (f, a.trim()));
    let until = NaiveDate::parse_from_str(first, "%Y-%m-%d").ok();
    let reason = if until.is_some() { after } else { rest };
    if reason.is_empty() {
        return Err(CommandError::MissingArgument {
            command: "#extend".into(),
            expected: "the reason for the delay on its line, e.g. #extend we are waiting for the card issuer's report".into(),
        });
    }
    Ok(StaffCommand::Extend {
        until,
        reason: reason.to_string(),
    })
}

fn parse_decision(rest: &str) -> Result<StaffCommand, CommandError> {
    let value = rest.to_lowercase();
    let outcome = match value.as_str() {
        "upheld" => Outcome::Upheld,
        "partial" | "partially" | "partially_upheld" | "partially-upheld" | "partially upheld" => {
            Outcome::PartiallyUpheld
        }
        "rejected" => Outcome::Rejected,
        "" => {
            return Err(CommandError::MissingArgument {
                command: "#decision".into(),
                expected: "the outcome: upheld, partial or rejected".into(),
            });
        }
        _ => {
            return Err(CommandError::BadArgument {
                command: "#decision".into(),
                value: rest.to_string(),
                expected: "upheld, partial or rejected".into(),
                suggestion: closest(&value, &OUTCOMES).map(String::from),
            });
        }
    };
    Ok(StaffCommand::Decision { outcome })
}

fn parse_category(rest: &str) -> Result<StaffCommand, CommandError> {
    if rest.is_empty() {
        return Err(CommandError::MissingArgument {
            command: "#category".into(),
            expected: "a category: fees, card, payment, loan, investment, service, privacy, marketing, fraud or other".into(),
        });
    }
    let category = rest.parse::<Category>().map_err(|_| {
        let codes = Category::ALL.map(Category::code);
        CommandError::BadArgument {
            command: "#category".into(),
            value: rest.to_string(),
            expected: "a category (fees, card, payment, loan, investment, service, privacy, marketing, fraud or other)".into(),
            suggestion: closest(&rest.to_lowercase(), &codes).map(String::from),
        }
    })?;
    Ok(StaffCommand::Category { category })
}

/// `#related REF`, `#unrelated REF`: one case reference.
fn parse_reference(command: &str, rest: &str) -> Result<CaseRef, CommandError> {
    if rest.is_empty() {
        return Err(CommandError::MissingArgument {
            command: command.into(),
            expected: format!("the other case's reference, e.g. {command} KL-2026-000123"),
        });
    }
    rest.trim_matches(['[', ']'])
        .parse::<CaseRef>()
        .map_err(|_| CommandError::BadArgument {
            command: command.into(),
            value: rest.to_string(),
            expected: "a case reference such as KL-2026-000123".into(),
            suggestion: None,
        })
}

/// `#cause TEXT`, or `#cause REF` to take a linked case's cause.
fn parse_cause(rest: &str) -> Result<StaffCommand, CommandError> {
    if rest.is_empty() {
        return Err(CommandError::MissingArgument {
            command: "#cause".into(),
            expected:
                "the root cause on its line, e.g. #cause the fee run of 1 December charged twice"
                    .into(),
        });
    }
    let from = rest.trim_matches(['[', ']']).parse::<CaseRef>().ok();
    Ok(StaffCommand::Cause {
        text: rest.to_string(),
        from,
    })
}

/// `#measure KIND [TEXT]`: KIND one of routine, practice, training, other, none
/// (or the word in Danish, Norwegian or Swedish).
fn parse_measure(rest: &str) -> Result<StaffCommand, CommandError> {
    let (first, after) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(f, a)| (f, a.trim()));
    if first.is_empty() {
        return Err(CommandError::MissingArgument {
            command: "#measure".into(),
            expected: "the consequence: routine, practice, training, other or none, e.g. #measure routine fee runs are checked by two people".into(),
        });
    }
    let kind = MeasureKind::parse(first.trim_end_matches([':', ','])).ok_or_else(|| {
        let codes = MeasureKind::ALL.map(MeasureKind::code);
        CommandError::BadArgument {
            command: "#measure".into(),
            value: first.to_string(),
            expected: "routine, practice, training, other or none".into(),
            suggestion: closest(&first.to_lowercase(), &codes).map(String::from),
        }
    })?;
    Ok(StaffCommand::Measure {
        measure: Measure {
            kind,
            text: after.to_string(),
        },
    })
}

/// The known word nearest to a typo, if it is near enough to be what was meant.
fn closest(word: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) || k.starts_with(word) && word.len() > 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
